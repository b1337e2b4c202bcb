import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { Plan, ResourceType } from '../domain/plan-schema.js';
import { planSelects } from '../domain/plan-selection.js';
import { fromTagList, rdsSnapshotIdentifier, TAG, toTagList, type Tags } from '../domain/recovery-point-tags.js';
import type { ProtectedResource, SnapshotBackend } from '../use-cases/create-snapshots.js';

const PAGE_SIZE = 100;

/** The identifier is taken, but not by our snapshot of this resource: never treat that as success. */
export class SnapshotIdentifierConflictError extends Error {
  override readonly name = 'SnapshotIdentifierConflictError';
}

function isAlreadyExists(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  return /^DB(Cluster)?SnapshotAlreadyExists(Fault)?$/.test(name);
}

/**
 * RDS instances (CreateDBSnapshot) and Aurora clusters (CreateDBClusterSnapshot). Snapshot identifiers
 * are deterministic per (plan, resource, slot), so a retry hits *AlreadyExists and is confirmed as ours.
 */
export class RdsSnapshotBackend implements SnapshotBackend {
  readonly resourceTypes: readonly ResourceType[] = ['rds-instance', 'aurora-cluster'];

  constructor(private readonly rds: RDSClient) {}

  async findResources(plan: Plan, types: readonly ResourceType[]): Promise<ProtectedResource[]> {
    const found: ProtectedResource[] = [];
    if (types.includes('rds-instance')) {
      for await (const page of paginateDescribeDBInstances({ client: this.rds, pageSize: PAGE_SIZE }, {})) {
        for (const instance of page.DBInstances ?? []) {
          const tags = fromTagList(instance.TagList);
          if (!instance.DBInstanceIdentifier || !planSelects(plan, { type: 'rds-instance', tags })) continue;
          const status = instance.DBInstanceStatus ?? 'unknown';
          const notReadyReason = instance.DBClusterIdentifier
            ? `member of DB cluster ${instance.DBClusterIdentifier}: select the cluster as aurora-cluster instead`
            : status !== 'available'
              ? `RDS instance is ${status}, not available`
              : undefined;
          found.push({
            type: 'rds-instance',
            id: instance.DBInstanceIdentifier,
            tags,
            ...(instance.DBClusterIdentifier ? { coveredBy: [instance.DBClusterIdentifier] } : {}),
            ...(notReadyReason ? { notReadyReason } : {}),
          });
        }
      }
    }
    if (types.includes('aurora-cluster')) {
      for await (const page of paginateDescribeDBClusters({ client: this.rds, pageSize: PAGE_SIZE }, {})) {
        for (const cluster of page.DBClusters ?? []) {
          const tags = fromTagList(cluster.TagList);
          if (!cluster.DBClusterIdentifier || !planSelects(plan, { type: 'aurora-cluster', tags })) continue;
          const status = cluster.Status ?? 'unknown';
          found.push({
            type: 'aurora-cluster',
            id: cluster.DBClusterIdentifier,
            tags,
            ...(status !== 'available' ? { notReadyReason: `DB cluster is ${status}, not available` } : {}),
          });
        }
      }
    }
    return found;
  }

  /** Deterministic identifiers make a per-slot listing unnecessary: creation itself detects the duplicate. */
  async findSlotRecoveryPoints(): Promise<Map<string, string[]>> {
    return new Map();
  }

  async createRecoveryPoint(
    resource: ProtectedResource,
    request: { planId: string; slot: Date; tags: Tags },
  ): Promise<{ snapshotIds: string[]; existed: boolean }> {
    const identifier = rdsSnapshotIdentifier(request.planId, resource.id, request.slot);
    const Tags = toTagList(request.tags);
    try {
      if (resource.type === 'aurora-cluster') {
        await this.rds.send(
          new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: identifier, DBClusterIdentifier: resource.id, Tags }),
        );
      } else {
        await this.rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: identifier, DBInstanceIdentifier: resource.id, Tags }));
      }
      return { snapshotIds: [identifier], existed: false };
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      await this.confirmOurs(resource, identifier, request.tags);
      return { snapshotIds: [identifier], existed: true };
    }
  }

  private async confirmOurs(resource: ProtectedResource, identifier: string, tags: Tags): Promise<void> {
    let existing: { source?: string; tags: Tags } | undefined;
    if (resource.type === 'aurora-cluster') {
      const result = await this.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier }));
      const snapshot = result.DBClusterSnapshots?.[0];
      if (snapshot) existing = { source: snapshot.DBClusterIdentifier, tags: fromTagList(snapshot.TagList) };
    } else {
      const result = await this.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier }));
      const snapshot = result.DBSnapshots?.[0];
      if (snapshot) existing = { source: snapshot.DBInstanceIdentifier, tags: fromTagList(snapshot.TagList) };
    }
    if (!existing || existing.source !== resource.id || existing.tags[TAG.stack] !== tags[TAG.stack]) {
      throw new SnapshotIdentifierConflictError(
        `snapshot identifier ${identifier} already exists but is not this stack's snapshot of ${resource.id}`,
      );
    }
  }
}
