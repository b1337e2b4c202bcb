import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeSnapshotsCommand, EC2Client, type DescribeSnapshotsCommandInput } from '@aws-sdk/client-ec2';
import { DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { SnapshotCatalog } from '../../../shared/aws/snapshot-catalog.js';
import { DLM_TAG, TAG } from '../../../shared/domain/recovery-point-tags.js';
import { groupRecoveryPoints } from '../../../shared/domain/recovery-points.js';

const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const config = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** EC2 answering DescribeSnapshots like the service: only snapshots matching every tag filter. */
function ec2Holding(snapshots: Array<{ SnapshotId: string; VolumeId: string; StartTime: Date; Tags: Record<string, string> }>) {
  ec2Mock.on(DescribeSnapshotsCommand).callsFake((input: DescribeSnapshotsCommandInput) => ({
    Snapshots: snapshots
      .filter((snapshot) => (input.Filters ?? []).every((filter) => filter.Values?.includes(snapshot.Tags[(filter.Name ?? '').replace(/^tag:/, '')] ?? '')))
      .map((snapshot) => ({ ...snapshot, State: 'completed' as const, Tags: tagList(snapshot.Tags) })),
  }));
}

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
  rdsMock.on(DescribeDBSnapshotsCommand).resolves({});
  rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({});
});

describe('SnapshotCatalog.listOurs with Data Lifecycle Manager snapshots', () => {
  it("lists the snapshots a DLM policy of ours made, found by the ownership tag the policy adds, and never another policy's", async () => {
    // Prepare: sync-dlm's policies add our ownership and plan tags (TagsToAdd) next to DLM's own tags.
    const dlmMade = { [DLM_TAG.policyId]: 'policy-0abc', [DLM_TAG.scheduleName]: 'schedule', [TAG.stack]: 'prod', [TAG.plan]: 'bronze', [TAG.engine]: 'dlm' };
    ec2Holding([
      { SnapshotId: 'snap-ours', VolumeId: 'vol-1', StartTime: new Date('2026-11-26T02:00:10Z'), Tags: { ...dlmMade, [TAG.resourceType]: 'ebs-volume' } },
      { SnapshotId: 'snap-user-dlm', VolumeId: 'vol-2', StartTime: new Date('2026-11-26T02:00:10Z'), Tags: { [DLM_TAG.policyId]: 'policy-user' } },
      { SnapshotId: 'snap-staging', VolumeId: 'vol-3', StartTime: new Date('2026-11-26T02:00:10Z'), Tags: { ...dlmMade, [TAG.stack]: 'staging' } },
    ]);

    // Act
    const found = await new SnapshotCatalog(new EC2Client(config), new RDSClient(config), 'eu-west-1').listOurs({ stack: 'prod', planId: 'bronze' });
    const points = groupRecoveryPoints(found);

    // Assess
    expect(found.map((snapshot) => snapshot.id)).toEqual(['snap-ours']);
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: `tag:${TAG.stack}`, Values: ['prod'] },
      { Name: `tag:${TAG.plan}`, Values: ['bronze'] },
    ]);
    expect(points).toMatchObject([{ id: 'snap-ours', resourceId: 'vol-1', planId: 'bronze', slot: '2026-11-26T02:00Z', dlmPolicyId: 'policy-0abc' }]);
  });
});
