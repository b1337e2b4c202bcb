import { paginateDescribeInstances, paginateDescribeVolumes, type EC2Client } from '@aws-sdk/client-ec2';
import { paginateDescribeDBClusters, paginateDescribeDBInstances, type RDSClient } from '@aws-sdk/client-rds';
import type { ResourceType } from '../domain/plan-schema.js';
import { fromTagList, TAG, type Tags } from '../domain/recovery-point-tags.js';

export interface InventoryResource {
  type: ResourceType;
  id: string;
  name?: string;
  tags: Tags;
  /** Resources whose recovery point contains this one (a volume's instances, an Aurora member's cluster). */
  coveredBy: string[];
}

/**
 * Every volume, live instance, RDS instance and DB cluster in a Region, for coverage: what no plan protects.
 * Resources this stack created itself (drill restores) are left out.
 */
export async function listAllResources(ec2: EC2Client, rds: RDSClient): Promise<InventoryResource[]> {
  const resources: InventoryResource[] = [];
  const add = (type: ResourceType, id: string | undefined, tags: Tags, coveredBy: string[] = []) => {
    if (!id || TAG.stack in tags) return;
    resources.push({ type, id, tags, coveredBy, ...(tags.Name ? { name: tags.Name } : {}) });
  };
  for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 500 }, {})) {
    for (const volume of page.Volumes ?? []) {
      add('ebs-volume', volume.VolumeId, fromTagList(volume.Tags), (volume.Attachments ?? []).flatMap((a) => (a.InstanceId ? [a.InstanceId] : [])));
    }
  }
  const live = { Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] };
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 500 }, live)) {
    for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
      add('ec2-instance', instance.InstanceId, fromTagList(instance.Tags));
    }
  }
  for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
    for (const db of page.DBInstances ?? []) {
      add('rds-instance', db.DBInstanceIdentifier, fromTagList(db.TagList), db.DBClusterIdentifier ? [db.DBClusterIdentifier] : []);
    }
  }
  for await (const page of paginateDescribeDBClusters({ client: rds, pageSize: 100 }, {})) {
    for (const cluster of page.DBClusters ?? []) add('aurora-cluster', cluster.DBClusterIdentifier, fromTagList(cluster.TagList));
  }
  return resources;
}
