import { beforeEach, describe, expect, it } from '@jest/globals';
import { CreateVolumeCommand, DeleteVolumeCommand, DescribeAvailabilityZonesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  DBInstanceAlreadyExistsFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsDrillBackend } from '../../../shared/aws/drill-backend.js';
import { functionRegion, LambdaValidationInvoker } from '../../../shared/aws/validation-function-invoker.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { DrillContext } from '../../../shared/domain/drill.js';
import { checkRestoreReady, type DrillResource } from '../../../shared/use-cases/restore-drill.js';

const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const config = { region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const TAGS = { [TAG.stack]: 'bo-test', [TAG.drillId]: 'drill-1', [TAG.expiresAt]: '2026-11-26T20:00:00.000Z' };
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

function backend() {
  return new AwsDrillBackend(new EC2Client(config), new RDSClient(config), 'eu-central-1');
}

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
});

describe('AwsDrillBackend restores', () => {
  it('creates a gp3 volume in the first available zone, with the ClientToken and our tags in the same call', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [{ ZoneName: 'eu-central-1b', ZoneType: 'availability-zone' }, { ZoneName: 'eu-central-1a', ZoneType: 'availability-zone' }, { ZoneName: 'eu-central-1-ham-1a', ZoneType: 'local-zone' }] });
    ec2Mock.on(CreateVolumeCommand).resolves({ VolumeId: 'vol-new' });

    const { volumeId } = await backend().restoreVolume({ snapshotId: 'snap-1', availabilityZone: null, clientToken: 'drill-1', tags: TAGS });

    expect(volumeId).toBe('vol-new');
    expect(ec2Mock.commandCalls(CreateVolumeCommand)[0]?.args[0].input).toEqual({
      SnapshotId: 'snap-1',
      AvailabilityZone: 'eu-central-1a',
      VolumeType: 'gp3',
      ClientToken: 'drill-1',
      TagSpecifications: [{ ResourceType: 'volume', Tags: tagList(TAGS) }],
    });
  });

  it('restores an RDS instance private, single-AZ, without backups, deletion protection or tag copies', async () => {
    rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});

    await backend().restoreDbInstance({ identifier: 'bo-drill-1', snapshotId: 'bo-gold-orders', instanceClass: 'db.t3.medium', subnetGroup: 'net', securityGroupIds: ['sg-1'], availabilityZone: null, tags: TAGS });

    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'bo-drill-1',
      DBSnapshotIdentifier: 'bo-gold-orders',
      DBInstanceClass: 'db.t3.medium',
      DBSubnetGroupName: 'net',
      VpcSecurityGroupIds: ['sg-1'],
      PubliclyAccessible: false,
      MultiAZ: false,
      DeletionProtection: false,
      AutoMinorVersionUpgrade: false,
      CopyTagsToSnapshot: false,
      BackupRetentionPeriod: 0,
      Tags: tagList(TAGS),
    });
  });

  it("accepts an identifier this drill already took (a retried restore), and refuses one that isn't its own", async () => {
    rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).rejects(new DBInstanceAlreadyExistsFault({ message: 'exists', $metadata: {} }));
    rdsMock.on(DescribeDBInstancesCommand).resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'bo-drill-1', TagList: tagList(TAGS) }] }).resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'bo-drill-1', TagList: [] }] });
    const request = { identifier: 'bo-drill-1', snapshotId: 's', instanceClass: 'db.t3.medium', subnetGroup: null, securityGroupIds: [], availabilityZone: null, tags: TAGS };

    await expect(backend().restoreDbInstance(request)).resolves.toBeUndefined();
    await expect(backend().restoreDbInstance(request)).rejects.toThrow('RDS instance bo-drill-1 exists and was not made by drill drill-1');
  });

  it("restores an Aurora cluster with the snapshot's engine, then one private instance in it", async () => {
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [{ Engine: 'aurora-postgresql', EngineVersion: '16.4' }] });
    rdsMock.on(RestoreDBClusterFromSnapshotCommand).resolves({});
    rdsMock.on(CreateDBInstanceCommand).resolves({});

    await backend().restoreAuroraCluster({ clusterIdentifier: 'bo-drill-1', instanceIdentifier: 'bo-drill-1-1', snapshotId: 'bo-gold-ledger', instanceClass: 'db.r6g.large', subnetGroup: null, securityGroupIds: [], tags: TAGS });

    expect(rdsMock.commandCalls(RestoreDBClusterFromSnapshotCommand)[0]?.args[0].input).toEqual({
      DBClusterIdentifier: 'bo-drill-1',
      SnapshotIdentifier: 'bo-gold-ledger',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      Tags: tagList(TAGS),
    });
    expect(rdsMock.commandCalls(CreateDBInstanceCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'bo-drill-1-1',
      DBClusterIdentifier: 'bo-drill-1',
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r6g.large',
      PubliclyAccessible: false,
      Tags: tagList(TAGS),
    });
  });
});

describe('AwsDrillBackend finds and deletes drill resources', () => {
  it('follows every page of volumes, instances and clusters, keeping only this drill of this stack', async () => {
    const tokens: Record<string, Array<string | undefined>> = { volumes: [], instances: [], clusters: [] };
    const volumePages = [{ Volumes: [{ VolumeId: 'vol-1', State: 'available' as const, Tags: tagList(TAGS) }], NextToken: 'v2' }, { Volumes: [{ VolumeId: 'vol-2', State: 'in-use' as const, Tags: tagList(TAGS) }] }];
    const instancePages = [
      { DBInstances: [{ DBInstanceIdentifier: 'bo-drill-1-1', DBInstanceStatus: 'available', DBClusterIdentifier: 'bo-drill-1', TagList: tagList(TAGS) }], Marker: 'i2' },
      { DBInstances: [{ DBInstanceIdentifier: 'orders', DBInstanceStatus: 'available', TagList: [] }, { DBInstanceIdentifier: 'bo-drill-9', TagList: tagList({ ...TAGS, [TAG.drillId]: 'drill-9' }) }] },
    ];
    const clusterPages = [{ DBClusters: [{ DBClusterIdentifier: 'bo-drill-1', Status: 'available', TagList: tagList(TAGS) }], Marker: 'c2' }, { DBClusters: [] }];
    ec2Mock.on(DescribeVolumesCommand).callsFake((input: { NextToken?: string }) => {
      tokens.volumes?.push(input.NextToken);
      return volumePages.shift();
    });
    rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { Marker?: string }) => {
      tokens.instances?.push(input.Marker);
      return instancePages.shift();
    });
    rdsMock.on(DescribeDBClustersCommand).callsFake((input: { Marker?: string }) => {
      tokens.clusters?.push(input.Marker);
      return clusterPages.shift();
    });

    const found = await backend().findDrillResources({ stack: 'bo-test', drillId: 'drill-1' });

    expect(found.map((resource) => `${resource.kind} ${resource.id} ${resource.status} ${resource.clusterId}`)).toEqual([
      'ebs-volume vol-1 available null',
      'ebs-volume vol-2 in-use null',
      'rds-instance bo-drill-1-1 available bo-drill-1',
      'aurora-cluster bo-drill-1 available null',
    ]);
    expect(tokens).toEqual({ volumes: [undefined, 'v2'], instances: [undefined, 'i2'], clusters: [undefined, 'c2'] });
    expect(ec2Mock.commandCalls(DescribeVolumesCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'tag:backup-orchestrator:stack', Values: ['bo-test'] },
      { Name: 'tag:backup-orchestrator:drill-id', Values: ['drill-1'] },
    ]);
  });

  const drillResource = (kind: DrillResource['kind'], id: string, clusterId: string | null = null): DrillResource => ({ kind, id, region: 'eu-central-1', status: 'available', tags: TAGS, clusterId });

  it('deletes without a final snapshot or retained backups (Aurora members: the cluster holds those)', async () => {
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    rdsMock.on(DeleteDBClusterCommand).resolves({});
    ec2Mock.on(DeleteVolumeCommand).resolves({});

    await backend().deleteDrillResource(drillResource('rds-instance', 'bo-drill-1'));
    await backend().deleteDrillResource(drillResource('rds-instance', 'bo-drill-2-1', 'bo-drill-2'));
    await backend().deleteDrillResource(drillResource('aurora-cluster', 'bo-drill-2'));
    await backend().deleteDrillResource(drillResource('ebs-volume', 'vol-1'));

    expect(rdsMock.commandCalls(DeleteDBInstanceCommand).map((call) => call.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'bo-drill-1', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
      { DBInstanceIdentifier: 'bo-drill-2-1' },
    ]);
    expect(rdsMock.commandCalls(DeleteDBClusterCommand)[0]?.args[0].input).toEqual({ DBClusterIdentifier: 'bo-drill-2', SkipFinalSnapshot: true, DeleteAutomatedBackups: true });
    expect(ec2Mock.commandCalls(DeleteVolumeCommand)[0]?.args[0].input).toEqual({ VolumeId: 'vol-1' });
  });

  it('turns "not in a deletable state" into CleanupPendingError, and an already gone resource into success', async () => {
    rdsMock.on(DeleteDBInstanceCommand).rejectsOnce(new InvalidDBInstanceStateFault({ message: 'creating', $metadata: {} })).rejectsOnce(Object.assign(new Error('gone'), { name: 'DBInstanceNotFoundFault' }));

    await expect(backend().deleteDrillResource(drillResource('rds-instance', 'bo-drill-1'))).rejects.toMatchObject({ name: 'CleanupPendingError' });
    await expect(backend().deleteDrillResource(drillResource('rds-instance', 'bo-drill-1'))).resolves.toBeUndefined();
  });

  it('refuses to delete anything without our drill tags, whatever it is asked', async () => {
    await expect(backend().deleteDrillResource({ ...drillResource('ebs-volume', 'vol-user'), tags: { [TAG.stack]: 'bo-test' } })).rejects.toThrow(
      'refusing to delete ebs-volume vol-user: it carries no drill tags of ours',
    );
    expect(ec2Mock.commandCalls(DeleteVolumeCommand)).toHaveLength(0);
  });
});

describe('checkRestoreReady over AwsDrillBackend, right after CreateVolume (EC2 describe calls are eventually consistent)', () => {
  const drill: DrillContext = {
    id: 'drill-20261126-1500-3f9a0c1d',
    executionArn: 'arn:aws:states:eu-central-1:123456789012:execution:sm:run',
    trigger: 'schedule',
    planId: 'gold',
    region: 'eu-central-1',
    regionRole: 'dr',
    resourceId: 'vol-1',
    startedAt: '2026-11-26T15:00:00.000Z',
    restoreDeadline: '2026-11-26T17:00:00.000Z',
    expiresAt: '2026-11-26T20:00:00.000Z',
    rpoMs: 28_800_000,
    rtoMs: 3_600_000,
    restoreTimeoutMs: 7_200_000,
    settings: { instanceClass: null, subnetGroup: null, securityGroupIds: [], availabilityZone: null, validationFunction: null, networkSettingsSkipped: false },
  };
  const restore = {
    resources: [{ kind: 'ebs-volume' as const, id: 'vol-new', region: 'eu-central-1', snapshotId: 'snap-1', expectedSizeGiB: 10, memberInstanceIds: [] }],
    requestedAt: '2026-11-26T15:00:02.000Z',
  };
  const notFound = () => Object.assign(new Error("The volume 'vol-new' does not exist."), { name: 'InvalidVolume.NotFound', $metadata: { httpStatusCode: 400 } });

  it('keeps waiting while EC2 answers InvalidVolume.NotFound for the volume it just created, then sees it available', async () => {
    ec2Mock.on(DescribeVolumesCommand).rejectsOnce(notFound()).resolves({ Volumes: [{ VolumeId: 'vol-new', State: 'available', Size: 10 }] });

    const first = await checkRestoreReady(drill, restore, new Date('2026-11-26T15:00:10Z'), { backend: backend() });
    const second = await checkRestoreReady(drill, restore, new Date('2026-11-26T15:00:25Z'), { backend: backend() });

    expect([first.ready, second.ready]).toEqual([false, true]);
  });

  it('fails the restore when EC2 still does not know the volume 5 min after the restore was requested', async () => {
    ec2Mock.on(DescribeVolumesCommand).rejects(notFound());

    await expect(checkRestoreReady(drill, restore, new Date('2026-11-26T15:05:02Z'), { backend: backend() })).rejects.toMatchObject({
      name: 'RestoreFailedError',
      message: 'the restore failed: ebs-volume vol-new gone',
    });
  });
});

describe('LambdaValidationInvoker', () => {
  const lambdaMock = mockClient(LambdaClient);

  beforeEach(() => {
    lambdaMock.reset();
  });

  it("invokes a function ARN in its own Region and a name in the stack's, returning the parsed answer", async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"passed":true}') as never });
    const regions: string[] = [];
    const invoker = new LambdaValidationInvoker((region) => {
      regions.push(region);
      return new LambdaClient({ ...config, region });
    }, 'eu-west-1');

    const answer = await invoker.invoke('arn:aws:lambda:eu-central-1:123456789012:function:check', { drillId: 'drill-1' });
    await invoker.invoke('check', {});

    expect(answer).toEqual({ functionError: null, payload: { passed: true } });
    expect(regions).toEqual(['eu-central-1', 'eu-west-1']);
    expect(functionRegion('check')).toBeUndefined();
    expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({ FunctionName: 'arn:aws:lambda:eu-central-1:123456789012:function:check', InvocationType: 'RequestResponse' });
  });

  it("reports the function's own error as its answer, not as an exception", async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{"errorType":"TypeError","errorMessage":"x is undefined"}') as never });

    const answer = await new LambdaValidationInvoker(() => new LambdaClient(config), 'eu-west-1').invoke('check', {});

    expect(answer.functionError).toBe('TypeError: x is undefined');
  });
});
