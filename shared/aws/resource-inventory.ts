import { paginateDescribeInstances, paginateDescribeVolumes, type EC2Client } from '@aws-sdk/client-ec2';
import { paginateDescribeDBClusters, paginateDescribeDBInstances, type RDSClient } from '@aws-sdk/client-rds';
import type { ResourceType } from '../domain/plan-schema.js';
import { isDrillRestore } from '../domain/plan-selection.js';
import { fromTagList, type Tags } from '../domain/recovery-point-tags.js';

export interface InventoryResource {
  type: ResourceType;
  id: string;
  name?: string;
  tags: Tags;
  /** Resources whose recovery point contains this one (a volume's instances, an Aurora member's cluster). */
  coveredBy: string[];
  /** When the resource was created, so the report can tell a new resource inside its first RPO window. */
  createdAt?: Date;
}

/**
 * Every volume, live instance, RDS instance and DB cluster in a Region, for coverage: what no plan protects.
 * Drill restores are left out.
 */
export async function listAllResources(ec2: EC2Client, rds: RDSClient): Promise<InventoryResource[]> {
  const resources: InventoryResource[] = [];
  const add = (type: ResourceType, id: string | undefined, tags: Tags, coveredBy: string[] = [], createdAt?: Date) => {
    if (!id || isDrillRestore(tags)) return;
    resources.push({ type, id, tags, coveredBy, ...(tags.Name ? { name: tags.Name } : {}), ...(createdAt ? { createdAt } : {}) });
  };
  for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 500 }, {})) {
    for (const volume of page.Volumes ?? []) {
      const instances = (volume.Attachments ?? []).flatMap((a) => (a.InstanceId ? [a.InstanceId] : []));
      add('ebs-volume', volume.VolumeId, fromTagList(volume.Tags), instances, volume.CreateTime);
    }
  }
  const live = { Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] };
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 500 }, live)) {
    for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
      // LaunchTime is the last start; a volume attached at launch keeps its attach time across stop and start.
      const times = [instance.LaunchTime, ...(instance.BlockDeviceMappings ?? []).map((mapping) => mapping.Ebs?.AttachTime)];
      add('ec2-instance', instance.InstanceId, fromTagList(instance.Tags), [], earliest(times));
    }
  }
  for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
    for (const db of page.DBInstances ?? []) {
      add('rds-instance', db.DBInstanceIdentifier, fromTagList(db.TagList), db.DBClusterIdentifier ? [db.DBClusterIdentifier] : [], db.InstanceCreateTime);
    }
  }
  for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: 100 }, {})) {
    for (const cluster of page.DBClusters ?? []) add('aurora-cluster', cluster.DBClusterIdentifier, fromTagList(cluster.TagList), [], cluster.ClusterCreateTime);
  }
  return resources;
}

function earliest(times: ReadonlyArray<Date | undefined>): Date | undefined {
  const known = times.filter((time): time is Date => time instanceof Date && !Number.isNaN(time.getTime()));
  return known.length ? new Date(Math.min(...known.map((time) => time.getTime()))) : undefined;
}
