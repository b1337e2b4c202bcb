import { paginateDescribeSnapshots, type EC2Client } from '@aws-sdk/client-ec2';
import { paginateDescribeDBClusterSnapshots, paginateDescribeDBSnapshots, type RDSClient } from '@aws-sdk/client-rds';
import { fromTagList, TAG } from '../domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../domain/recovery-points.js';
import { fromEbsSnapshot, fromRdsClusterSnapshot, fromRdsSnapshot } from './stored-snapshot.js';

/**
 * Lists the snapshots this stack owns in one Region, normalised: EBS by tag filter (server side), RDS
 * manual instance and cluster snapshots by their TagList (RDS Describe* cannot filter on tags).
 */
export class SnapshotCatalog {
  constructor(
    private readonly ec2: EC2Client,
    private readonly rds: RDSClient,
    readonly region: string,
  ) {}

  /** `kinds` limits the listing to EBS or RDS snapshots (both by default). */
  async listOurs(query: { stack: string; planId?: string; kinds?: ReadonlyArray<'ebs' | 'rds'> }): Promise<StoredSnapshot[]> {
    const kinds = query.kinds ?? ['ebs', 'rds'];
    const [ebs, rds] = await Promise.all([kinds.includes('ebs') ? this.listEbs(query) : [], kinds.includes('rds') ? this.listRds(query) : []]);
    return [...ebs, ...rds];
  }

  private async listEbs(query: { stack: string; planId?: string }): Promise<StoredSnapshot[]> {
    const snapshots: StoredSnapshot[] = [];
    const Filters = [{ Name: `tag:${TAG.stack}`, Values: [query.stack] }];
    if (query.planId) Filters.push({ Name: `tag:${TAG.plan}`, Values: [query.planId] });
    for await (const page of paginateDescribeSnapshots({ client: this.ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters })) {
      for (const snapshot of page.Snapshots ?? []) {
        if (!snapshot.SnapshotId) continue;
        snapshots.push(fromEbsSnapshot(snapshot, this.region));
      }
    }
    return snapshots;
  }

  private async listRds(query: { stack: string; planId?: string }): Promise<StoredSnapshot[]> {
    const snapshots: StoredSnapshot[] = [];
    const ours = (tags: Record<string, string>) => tags[TAG.stack] === query.stack && (!query.planId || tags[TAG.plan] === query.planId);
    for await (const page of paginateDescribeDBSnapshots({ client: this.rds, pageSize: 100 }, { SnapshotType: 'manual' })) {
      for (const snapshot of page.DBSnapshots ?? []) {
        const tags = fromTagList(snapshot.TagList);
        if (!snapshot.DBSnapshotIdentifier || !ours(tags)) continue;
        snapshots.push(fromRdsSnapshot(snapshot, this.region));
      }
    }
    for await (const page of paginateDescribeDBClusterSnapshots({ client: this.rds, pageSize: 100 }, { SnapshotType: 'manual' })) {
      for (const snapshot of page.DBClusterSnapshots ?? []) {
        const tags = fromTagList(snapshot.TagList);
        if (!snapshot.DBClusterSnapshotIdentifier || !ours(tags)) continue;
        snapshots.push(fromRdsClusterSnapshot(snapshot, this.region));
      }
    }
    return snapshots;
  }
}
