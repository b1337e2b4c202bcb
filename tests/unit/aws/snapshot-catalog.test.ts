import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { SnapshotCatalog } from '../../../shared/aws/snapshot-catalog.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';

// moto ignores pagination, so page handling is proven here against mocked multi-page answers.
const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const config = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const tags = (stack: string, extra: Record<string, string> = {}) => [{ Key: TAG.stack, Value: stack }, { Key: TAG.plan, Value: 'gold' }, ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value }))];

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
});

describe('SnapshotCatalog.listOurs', () => {
  it('follows NextToken through every page of EBS snapshots, filtering on our ownership tag server side', async () => {
    const pages = [
      { Snapshots: [{ SnapshotId: 'snap-1', State: 'completed' as const, VolumeId: 'vol-1', Tags: tags('prod') }], NextToken: 'p2' },
      { Snapshots: [{ SnapshotId: 'snap-2', State: 'pending' as const, Tags: tags('prod') }], NextToken: 'p3' },
      { Snapshots: [{ SnapshotId: 'snap-3', State: 'error' as const, Tags: tags('prod') }] },
    ];
    // The paginator reuses one input object, so record each request's token when it is sent.
    const tokens: Array<string | undefined> = [];
    ec2Mock.on(DescribeSnapshotsCommand).callsFake((input: { NextToken?: string }) => {
      tokens.push(input.NextToken);
      return pages.shift();
    });
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({});
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({});

    const found = await new SnapshotCatalog(new EC2Client(config), new RDSClient(config), 'eu-west-1').listOurs({ stack: 'prod' });

    expect(found.map((snapshot) => [snapshot.id, snapshot.state, snapshot.region])).toEqual([
      ['snap-1', 'completed', 'eu-west-1'],
      ['snap-2', 'pending', 'eu-west-1'],
      ['snap-3', 'error', 'eu-west-1'],
    ]);
    expect(found[0]).toMatchObject({ kind: 'ebs', sourceVolumeId: 'vol-1', tags: { [TAG.stack]: 'prod', [TAG.plan]: 'gold' } });
    expect(tokens).toEqual([undefined, 'p2', 'p3']);
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)[0]?.args[0].input).toMatchObject({
      OwnerIds: ['self'],
      Filters: [{ Name: `tag:${TAG.stack}`, Values: ['prod'] }],
    });
  });

  it('pages through manual RDS instance and cluster snapshots and keeps only those carrying our ownership tag', async () => {
    ec2Mock.on(DescribeSnapshotsCommand).resolves({});
    const instanceMarkers: Array<string | undefined> = [];
    const instancePages = [
      {
        DBSnapshots: [
          { DBSnapshotIdentifier: 'bo-gold-orders-1', DBSnapshotArn: 'arn:aws:rds:eu-west-1:1:snapshot:bo-gold-orders-1', Status: 'available', DBInstanceIdentifier: 'orders', TagList: tags('prod') },
          { DBSnapshotIdentifier: 'look-alike', Status: 'available', TagList: tags('staging') },
        ],
        Marker: 'm2',
      },
      { DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-orders-2', Status: 'creating', TagList: tags('prod') }, { DBSnapshotIdentifier: 'untagged', Status: 'available' }] },
    ];
    rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { Marker?: string }) => {
      instanceMarkers.push(input.Marker);
      return instancePages.shift();
    });
    rdsMock
      .on(DescribeDBClusterSnapshotsCommand)
      .resolvesOnce({ DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: 'bo-gold-ledger-1', Status: 'failed', DBClusterIdentifier: 'ledger', TagList: tags('prod') }], Marker: 'c2' })
      .resolvesOnce({ DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: 'bo-gold-ledger-2', Status: 'available', TagList: tags('prod') }] });

    const found = await new SnapshotCatalog(new EC2Client(config), new RDSClient(config), 'eu-west-1').listOurs({ stack: 'prod' });

    expect(found.map((snapshot) => [snapshot.kind, snapshot.id, snapshot.state])).toEqual([
      ['rds-instance', 'bo-gold-orders-1', 'completed'],
      ['rds-instance', 'bo-gold-orders-2', 'pending'],
      ['rds-cluster', 'bo-gold-ledger-1', 'error'],
      ['rds-cluster', 'bo-gold-ledger-2', 'completed'],
    ]);
    expect(found[0]).toMatchObject({ arn: 'arn:aws:rds:eu-west-1:1:snapshot:bo-gold-orders-1', sourceVolumeId: 'orders' });
    expect(instanceMarkers).toEqual([undefined, 'm2']);
    expect(rdsMock.commandCalls(DescribeDBClusterSnapshotsCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ SnapshotType: 'manual' }),
      expect.objectContaining({ SnapshotType: 'manual', Marker: 'c2' }),
    ]);
  });
});
