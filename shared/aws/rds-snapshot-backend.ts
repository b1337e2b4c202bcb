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
import { isSnapshotNotFound } from './stored-snapshot.js';

const PAGE_SIZE = 100;

/** The identifier is taken, but not by our snapshot of this resource: never treat that as success. */
export class SnapshotIdentifierConflictError extends Error {
  override readonly name = 'SnapshotIdentifierConflictError';
}

/**
 * States an instance or cluster leaves by itself (our own snapshot running, a modification, a reboot):
 * reported as transient, not as a broken resource.
 */
const PASSING_STATES = new Set([
  'backing-up',
  'modifying',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'upgrading',
  'maintenance',
  'starting',
  'stopping',
  'creating',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'converting-to-vpc',
  'moving-to-vpc',
  'storage-optimization',
  'storage-config-upgrade',
  'storage-initialization',
  'failing-over',
  'migrating',
  'promoting',
  'backtracking',
]);

const notReadyKind = (status: string) => (PASSING_STATES.has(status) ? 'transient' : 'permanent');

function isAlreadyExists(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  return /^DB(Cluster)?SnapshotAlreadyExists(Fault)?$/.test(name);
}

/**
 * RDS instances (CreateDBSnapshot) and Aurora clusters (CreateDBClusterSnapshot). Snapshot identifiers
 * are deterministic per (plan, resource, slot), so a retry hits *AlreadyExists and is confirmed as ours,
 * and one resource's snapshot of a slot is found by a describe of that identifier.
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
            ...(notReadyReason ? { notReadyReason, notReadyKind: instance.DBClusterIdentifier ? 'permanent' : notReadyKind(status) } : {}),
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
            ...(status !== 'available' ? { notReadyReason: `DB cluster is ${status}, not available`, notReadyKind: notReadyKind(status) } : {}),
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

  /**
   * This stack's snapshot of one resource in this slot, found by its deterministic identifier; empty when
   * there is none (or the identifier holds someone else's snapshot, which creation then refuses).
   */
  async findSlotRecoveryPoint(query: { stack: string; planId: string; slot: string; resourceId: string; type: ResourceType }): Promise<string[]> {
    const identifier = rdsSnapshotIdentifier(query.planId, query.resourceId, new Date(query.slot), query.type === 'aurora-cluster' ? 'cluster' : 'instance');
    const existing = await this.describeSnapshot(query.type, identifier);
    return existing && existing.source === query.resourceId && existing.tags[TAG.stack] === query.stack ? [identifier] : [];
  }

  private async describeSnapshot(type: ResourceType, identifier: string): Promise<{ source?: string; tags: Tags } | undefined> {
    try {
      if (type === 'aurora-cluster') {
        const result = await this.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier }));
        const snapshot = result.DBClusterSnapshots?.[0];
        return snapshot ? { source: snapshot.DBClusterIdentifier, tags: fromTagList(snapshot.TagList) } : undefined;
      }
      const result = await this.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier }));
      const snapshot = result.DBSnapshots?.[0];
      return snapshot ? { source: snapshot.DBInstanceIdentifier, tags: fromTagList(snapshot.TagList) } : undefined;
    } catch (error) {
      if (isSnapshotNotFound(error)) return undefined;
      throw error;
    }
  }

  async createRecoveryPoint(
    resource: ProtectedResource,
    request: { planId: string; slot: Date; tags: Tags },
  ): Promise<{ snapshotIds: string[]; existed: boolean }> {
    const identifier = rdsSnapshotIdentifier(request.planId, resource.id, request.slot, resource.type === 'aurora-cluster' ? 'cluster' : 'instance');
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
    const existing = await this.describeSnapshot(resource.type, identifier);
    if (!existing || existing.source !== resource.id || existing.tags[TAG.stack] !== tags[TAG.stack]) {
      throw new SnapshotIdentifierConflictError(
        `snapshot identifier ${identifier} already exists but is not this stack's snapshot of ${resource.id}`,
      );
    }
  }
}
