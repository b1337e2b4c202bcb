import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2SnapshotBackend } from '../../../shared/aws/ec2-snapshot-backend.js';
import { RdsSnapshotBackend, SnapshotIdentifierConflictError } from '../../../shared/aws/rds-snapshot-backend.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { createSnapshots } from '../../../shared/use-cases/create-snapshots.js';
import { planFixture } from '../../support/plans.js';

// moto ignores pagination, so page handling is proven here against mocked multi-page answers.
const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
});

describe('Ec2SnapshotBackend', () => {
  it('follows NextToken through every page of tagged volumes and filters by the plan tag', async () => {
    const pages = [
      { Volumes: [{ VolumeId: 'vol-1', Tags: [{ Key: 'backup:plan', Value: 'gold' }] }], NextToken: 'page-2' },
      { Volumes: [{ VolumeId: 'vol-2', Attachments: [{ InstanceId: 'i-9' }] }], NextToken: 'page-3' },
      { Volumes: [{ VolumeId: 'vol-3', State: 'error' as const }] },
    ];
    // The paginator reuses one input object, so record each request's token when it is sent.
    const tokens: Array<string | undefined> = [];
    ec2Mock.on(DescribeVolumesCommand).callsFake((input: { NextToken?: string }) => {
      tokens.push(input.NextToken);
      return pages.shift();
    });
    const backend = new Ec2SnapshotBackend(new EC2Client(region));

    const found = await backend.findResources(planFixture(), ['ebs-volume']);

    expect(found.map((resource) => resource.id)).toEqual(['vol-1', 'vol-2', 'vol-3']);
    expect(found[1]?.coveredBy).toEqual(['i-9']);
    expect(found[2]?.notReadyReason).toBe('volume is in state error');
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
    expect(ec2Mock.commandCalls(DescribeVolumesCommand)[0]?.args[0].input.Filters).toEqual([{ Name: 'tag:backup:plan', Values: ['gold'] }]);
  });

  it('never selects a drill restore, but selects a volume that carries our tags because it was restored from one of our snapshots', async () => {
    ec2Mock.on(DescribeVolumesCommand).resolves({
      Volumes: [
        { VolumeId: 'vol-user', Tags: [{ Key: 'backup:plan', Value: 'gold' }] },
        { VolumeId: 'vol-drill', Tags: [{ Key: 'backup:plan', Value: 'gold' }, { Key: TAG.stack, Value: 'any' }, { Key: TAG.drillId, Value: 'drill-20261126-1500-3f9a0c1d' }] },
        { VolumeId: 'vol-restored', Tags: [{ Key: 'backup:plan', Value: 'gold' }, { Key: TAG.stack, Value: 'any' }, { Key: TAG.slot, Value: '2026-11-26T12:00Z' }] },
      ],
    });

    const found = await new Ec2SnapshotBackend(new EC2Client(region)).findResources(planFixture(), ['ebs-volume']);

    expect(found.map((resource) => resource.id)).toEqual(['vol-user', 'vol-restored']);
  });

  it('pages through instances across reservations, marks pending ones not ready, and counts their EBS volumes', async () => {
    const ebs = (...volumeIds: string[]) => volumeIds.map((VolumeId, index) => ({ DeviceName: `/dev/sd${'abc'[index]}`, Ebs: { VolumeId } }));
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: 'running' }, BlockDeviceMappings: ebs('vol-1', 'vol-2', 'vol-3') }] }], NextToken: 'n' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-2', State: { Name: 'pending' } }, { InstanceId: 'i-3', State: { Name: 'stopped' }, BlockDeviceMappings: ebs('vol-4') }] }] });

    const found = await new Ec2SnapshotBackend(new EC2Client(region)).findResources(planFixture(), ['ec2-instance']);

    expect(found.map((resource) => [resource.id, resource.notReadyReason, resource.volumeCount])).toEqual([
      ['i-1', undefined, 3],
      ['i-2', 'instance is pending', undefined],
      ['i-3', undefined, 1],
    ]);
  });

  it('collects existing slot snapshots from every page, grouped by source resource', async () => {
    ec2Mock
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-a', Tags: [{ Key: TAG.resourceId, Value: 'i-1' }] }], NextToken: 't' })
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-b', Tags: [{ Key: TAG.resourceId, Value: 'i-1' }] }, { SnapshotId: 'snap-c', Tags: [{ Key: TAG.resourceId, Value: 'vol-1' }] }] });

    const found = await new Ec2SnapshotBackend(new EC2Client(region)).findSlotRecoveryPoints({ stack: 's', planId: 'gold', slot: '2026-11-26T12:00Z' });

    expect(Object.fromEntries(found)).toEqual({ 'i-1': ['snap-a', 'snap-b'], 'vol-1': ['snap-c'] });
    const filters = ec2Mock.commandCalls(DescribeSnapshotsCommand)[0]?.args[0].input.Filters;
    expect(filters).toEqual(
      expect.arrayContaining([
        { Name: `tag:${TAG.stack}`, Values: ['s'] },
        { Name: `tag:${TAG.slot}`, Values: ['2026-11-26T12:00Z'] },
        { Name: 'status', Values: ['pending', 'completed'] },
      ]),
    );
  });

  it('snapshots an instance crash-consistently with CreateSnapshots, tags on create', async () => {
    ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-1' }, { SnapshotId: 'snap-2' }] });

    const result = await new Ec2SnapshotBackend(new EC2Client(region)).createRecoveryPoint(
      { type: 'ec2-instance', id: 'i-1', tags: {} },
      { planId: 'gold', slot: new Date('2026-11-26T12:00:00Z'), tags: { [TAG.stack]: 's', [TAG.slot]: '2026-11-26T12:00Z' } },
    );

    expect(result).toEqual({ snapshotIds: ['snap-1', 'snap-2'], existed: false });
    const input = ec2Mock.commandCalls(CreateSnapshotsCommand)[0]?.args[0].input;
    expect(input?.InstanceSpecification).toEqual({ InstanceId: 'i-1', ExcludeBootVolume: false });
    expect(input?.TagSpecifications).toEqual([
      { ResourceType: 'snapshot', Tags: [{ Key: TAG.stack, Value: 's' }, { Key: TAG.slot, Value: '2026-11-26T12:00Z' }] },
    ]);
  });
});

describe('RdsSnapshotBackend', () => {
  it('follows Marker through every page and selects by TagList, refusing Aurora members and unavailable instances', async () => {
    const pages = [
      {
        DBInstances: [
          { DBInstanceIdentifier: 'orders', DBInstanceStatus: 'available', TagList: [{ Key: 'backup:plan', Value: 'gold' }] },
          { DBInstanceIdentifier: 'untagged', DBInstanceStatus: 'available', TagList: [] },
        ],
        Marker: 'm2',
      },
      {
        DBInstances: [
          { DBInstanceIdentifier: 'busy', DBInstanceStatus: 'modifying', TagList: [{ Key: 'backup:plan', Value: 'gold' }] },
          { DBInstanceIdentifier: 'member', DBClusterIdentifier: 'aurora-1', DBInstanceStatus: 'available', TagList: [{ Key: 'backup:plan', Value: 'gold' }] },
        ],
      },
    ];
    const markers: Array<string | undefined> = [];
    rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { Marker?: string }) => {
      markers.push(input.Marker);
      return pages.shift();
    });

    const found = await new RdsSnapshotBackend(new RDSClient(region)).findResources(planFixture(), ['rds-instance']);

    expect(found.map((resource) => [resource.id, resource.notReadyReason])).toEqual([
      ['orders', undefined],
      ['busy', 'RDS instance is modifying, not available'],
      ['member', 'member of DB cluster aurora-1: select the cluster as aurora-cluster instead'],
    ]);
    expect(markers).toEqual([undefined, 'm2']);
  });

  it('selects a database restored by hand from one of our snapshots (it may carry their tags), never a drill restore', async () => {
    const gold = { Key: 'backup:plan', Value: 'gold' };
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceIdentifier: 'orders-restored', DBInstanceStatus: 'available', TagList: [gold, { Key: TAG.stack, Value: 's' }, { Key: TAG.plan, Value: 'gold' }] },
        { DBInstanceIdentifier: 'bo-drill-20261126-1500-3f9a0c1d', DBInstanceStatus: 'available', TagList: [gold, { Key: TAG.stack, Value: 's' }, { Key: TAG.drillId, Value: 'drill-20261126-1500-3f9a0c1d' }] },
      ],
    });

    const found = await new RdsSnapshotBackend(new RDSClient(region)).findResources(planFixture(), ['rds-instance']);

    expect(found.map((resource) => resource.id)).toEqual(['orders-restored']);
  });

  it('pages through clusters', async () => {
    rdsMock
      .on(DescribeDBClustersCommand)
      .resolvesOnce({ DBClusters: [{ DBClusterIdentifier: 'c1', Status: 'available', TagList: [{ Key: 'backup:plan', Value: 'gold' }] }], Marker: 'x' })
      .resolvesOnce({ DBClusters: [{ DBClusterIdentifier: 'c2', Status: 'available', TagList: [{ Key: 'backup:plan', Value: 'gold' }] }] });

    const found = await new RdsSnapshotBackend(new RDSClient(region)).findResources(planFixture(), ['aurora-cluster']);

    expect(found.map((resource) => resource.id)).toEqual(['c1', 'c2']);
  });

  it('treats DBSnapshotAlreadyExists for our snapshot of the same source as already done', async () => {
    rdsMock.on(CreateDBSnapshotCommand).rejects(new DBSnapshotAlreadyExistsFault({ message: 'exists', $metadata: {} }));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-orders-20261126-1200', DBInstanceIdentifier: 'orders', TagList: [{ Key: TAG.stack, Value: 's' }] }],
    });

    const result = await new RdsSnapshotBackend(new RDSClient(region)).createRecoveryPoint(
      { type: 'rds-instance', id: 'orders', tags: {} },
      { planId: 'gold', slot: new Date('2026-11-26T12:00:00Z'), tags: { [TAG.stack]: 's' } },
    );

    expect(result).toEqual({ snapshotIds: ['bo-gold-orders-20261126-1200'], existed: true });
  });

  it('refuses to count a same-named snapshot of another stack as ours', async () => {
    rdsMock.on(CreateDBSnapshotCommand).rejects(new DBSnapshotAlreadyExistsFault({ message: 'exists', $metadata: {} }));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-orders-20261126-1200', DBInstanceIdentifier: 'orders', TagList: [{ Key: TAG.stack, Value: 'other-stack' }] }],
    });

    const attempt = new RdsSnapshotBackend(new RDSClient(region)).createRecoveryPoint(
      { type: 'rds-instance', id: 'orders', tags: {} },
      { planId: 'gold', slot: new Date('2026-11-26T12:00:00Z'), tags: { [TAG.stack]: 's' } },
    );

    await expect(attempt).rejects.toBeInstanceOf(SnapshotIdentifierConflictError);
  });

  it('snapshots a cluster whose name is too long for a 63-character snapshot name, and finds that snapshot again in a retry', async () => {
    const cluster = 'orders-aurora-postgresql-cluster-eu-west';
    const created: string[] = [];
    rdsMock.on(CreateDBClusterSnapshotCommand).callsFake((input: { DBClusterSnapshotIdentifier: string }) => {
      created.push(input.DBClusterSnapshotIdentifier);
      return {};
    });
    rdsMock.on(DescribeDBClusterSnapshotsCommand).callsFake((input: { DBClusterSnapshotIdentifier: string }) => ({
      DBClusterSnapshots: created.includes(input.DBClusterSnapshotIdentifier)
        ? [{ DBClusterSnapshotIdentifier: input.DBClusterSnapshotIdentifier, DBClusterIdentifier: cluster, TagList: [{ Key: TAG.stack, Value: 's' }] }]
        : [],
    }));
    const backend = new RdsSnapshotBackend(new RDSClient(region));

    const result = await backend.createRecoveryPoint({ type: 'aurora-cluster', id: cluster, tags: {} }, { planId: 'production-db', slot: new Date('2026-11-26T12:00:00Z'), tags: { [TAG.stack]: 's' } });
    const found = await backend.findSlotRecoveryPoint({ stack: 's', planId: 'production-db', slot: '2026-11-26T12:00Z', resourceId: cluster, type: 'aurora-cluster' });

    expect(created).toHaveLength(1);
    expect(created[0]!.length).toBeLessThanOrEqual(63);
    expect(result).toEqual({ snapshotIds: created, existed: false });
    expect(found).toEqual(created);
  });

  it('marks states that pass by themselves (backing-up, modifying) as transiently not ready, and stopped or Aurora members as permanently', async () => {
    const gold = [{ Key: 'backup:plan', Value: 'gold' }];
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceIdentifier: 'snapping', DBInstanceStatus: 'backing-up', TagList: gold },
        { DBInstanceIdentifier: 'busy', DBInstanceStatus: 'modifying', TagList: gold },
        { DBInstanceIdentifier: 'stopped', DBInstanceStatus: 'stopped', TagList: gold },
        { DBInstanceIdentifier: 'member', DBClusterIdentifier: 'aurora-1', DBInstanceStatus: 'backing-up', TagList: gold },
      ],
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'aurora-1', Status: 'backing-up', TagList: gold }] });

    const found = await new RdsSnapshotBackend(new RDSClient(region)).findResources(planFixture(), ['rds-instance', 'aurora-cluster']);

    expect(found.map((resource) => [resource.id, resource.notReadyKind])).toEqual([
      ['snapping', 'transient'],
      ['busy', 'transient'],
      ['stopped', 'permanent'],
      ['member', 'permanent'],
      ['aurora-1', 'transient'],
    ]);
  });

  it("finds this stack's snapshot of a resource in a slot by its deterministic identifier, and nothing for another stack's or a missing one", async () => {
    rdsMock.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'bo-gold-orders-20261126-1200' }).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-orders-20261126-1200', DBInstanceIdentifier: 'orders', TagList: [{ Key: TAG.stack, Value: 's' }] }],
    });
    rdsMock.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'bo-gold-orders-20261126-1600' }).rejects(new DBSnapshotNotFoundFault({ message: 'none', $metadata: {} }));
    rdsMock.on(DescribeDBClusterSnapshotsCommand, { DBClusterSnapshotIdentifier: 'bo-gold-ledger-20261126-1200' }).resolves({
      DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: 'bo-gold-ledger-20261126-1200', DBClusterIdentifier: 'ledger', TagList: [{ Key: TAG.stack, Value: 's' }] }],
    });
    const backend = new RdsSnapshotBackend(new RDSClient(region));
    const query = { stack: 's', planId: 'gold', slot: '2026-11-26T12:00Z' };

    expect(await backend.findSlotRecoveryPoint({ ...query, resourceId: 'orders', type: 'rds-instance' })).toEqual(['bo-gold-orders-20261126-1200']);
    expect(await backend.findSlotRecoveryPoint({ ...query, resourceId: 'ledger', type: 'aurora-cluster' })).toEqual(['bo-gold-ledger-20261126-1200']);
    expect(await backend.findSlotRecoveryPoint({ ...query, stack: 'other-stack', resourceId: 'orders', type: 'rds-instance' })).toEqual([]);
    expect(await backend.findSlotRecoveryPoint({ ...query, slot: '2026-11-26T16:00Z', resourceId: 'orders', type: 'rds-instance' })).toEqual([]);
  });
});

describe('createSnapshots with the RDS backend', () => {
  const deps = (backend: RdsSnapshotBackend) => ({
    stack: 's',
    backends: [backend],
    retry: { attempts: 2, baseDelayMs: 1, perVolumeRateDelayMs: 1 },
    concurrency: 2,
    sleep: async () => undefined,
    random: () => 0.5,
  });
  const backingUp = () =>
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceIdentifier: 'orders', DBInstanceStatus: 'backing-up', TagList: [{ Key: 'backup:plan', Value: 'gold' }] }],
    });

  it('reports an instance backing-up with our own snapshot of the slot (a duplicate delivery) as already done, not as a failure', async () => {
    backingUp();
    rdsMock.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'bo-gold-orders-20261126-1200' }).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-orders-20261126-1200', DBInstanceIdentifier: 'orders', Status: 'creating', TagList: [{ Key: TAG.stack, Value: 's' }] }],
    });

    const summary = await createSnapshots({ plan: planFixture({ resourceTypes: ['rds-instance'] }), slot: new Date('2026-11-26T12:00:00Z') }, deps(new RdsSnapshotBackend(new RDSClient(region))));

    expect(summary).toMatchObject({ alreadyDone: 1, failed: 0 });
    expect(summary.outcomes).toEqual([{ resourceId: 'orders', type: 'rds-instance', status: 'already-done', snapshotIds: ['bo-gold-orders-20261126-1200'] }]);
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });

  it('reports an instance backing-up for some other reason as a transient failure, creating nothing', async () => {
    backingUp();
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(new DBSnapshotNotFoundFault({ message: 'none', $metadata: {} }));

    const summary = await createSnapshots({ plan: planFixture({ resourceTypes: ['rds-instance'] }), slot: new Date('2026-11-26T12:00:00Z') }, deps(new RdsSnapshotBackend(new RDSClient(region))));

    expect(summary.outcomes).toEqual([
      { resourceId: 'orders', type: 'rds-instance', status: 'failed', kind: 'transient', errorName: 'ResourceNotReady', reason: 'RDS instance is backing-up, not available' },
    ]);
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });
});
