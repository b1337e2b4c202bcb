import { paginateDescribeInstances, paginateDescribeVolumes, type EC2Client } from '@aws-sdk/client-ec2';
import { paginateDescribeDBClusters, paginateDescribeDBInstances, type RDSClient } from '@aws-sdk/client-rds';
import type { ResourceType } from '../domain/plan-schema.js';
import { resourceKey } from '../domain/recovery-points.js';
import type { SourceInventory } from '../use-cases/prune-recovery-points.js';

const EC2_FILTER_VALUES = 200;
/** An instance in these states can still be backed up; shutting-down and terminated ones are gone. */
const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped'];

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/**
 * Which source resources still exist, asked in the primary Region: EC2 by id filters (filters, unlike
 * id lists, do not fail on a missing id), RDS by listing (estates hold few databases). A resource of
 * unknown type is reported as existing, the answer that deletes less.
 */
export class AwsSourceInventory implements SourceInventory {
  constructor(
    private readonly ec2: EC2Client,
    private readonly rds: RDSClient,
  ) {}

  async existing(resources: ReadonlyArray<{ type: ResourceType | undefined; id: string }>): Promise<Set<string>> {
    const ids = (type: ResourceType) => [...new Set(resources.filter((resource) => resource.type === type).map((resource) => resource.id))];
    const known: ReadonlyArray<ResourceType | undefined> = ['ebs-volume', 'ec2-instance', 'rds-instance', 'aurora-cluster'];
    const found = new Set(resources.filter((resource) => !known.includes(resource.type)).map(resourceKey));

    for (const values of chunks(ids('ebs-volume'), EC2_FILTER_VALUES)) {
      for await (const page of paginateDescribeVolumes({ client: this.ec2, pageSize: 500 }, { Filters: [{ Name: 'volume-id', Values: values }] })) {
        for (const volume of page.Volumes ?? []) if (volume.VolumeId) found.add(resourceKey({ type: 'ebs-volume', id: volume.VolumeId }));
      }
    }
    for (const values of chunks(ids('ec2-instance'), EC2_FILTER_VALUES)) {
      const Filters = [
        { Name: 'instance-id', Values: values },
        { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
      ];
      for await (const page of paginateDescribeInstances({ client: this.ec2, pageSize: 500 }, { Filters })) {
        for (const reservation of page.Reservations ?? []) {
          for (const instance of reservation.Instances ?? []) if (instance.InstanceId) found.add(resourceKey({ type: 'ec2-instance', id: instance.InstanceId }));
        }
      }
    }
    const dbInstances = new Set(ids('rds-instance'));
    if (dbInstances.size) {
      for await (const page of paginateDescribeDBInstances({ client: this.rds, pageSize: 100 }, {})) {
        for (const instance of page.DBInstances ?? []) {
          const id = instance.DBInstanceIdentifier;
          if (id && dbInstances.has(id) && instance.DBInstanceStatus !== 'deleting') found.add(resourceKey({ type: 'rds-instance', id }));
        }
      }
    }
    const clusters = new Set(ids('aurora-cluster'));
    if (clusters.size) {
      for await (const page of paginateDescribeDBClusters({ client: this.rds, pageSize: 100 }, {})) {
        for (const cluster of page.DBClusters ?? []) {
          const id = cluster.DBClusterIdentifier;
          if (id && clusters.has(id) && cluster.Status !== 'deleting') found.add(resourceKey({ type: 'aurora-cluster', id }));
        }
      }
    }
    return found;
  }
}
