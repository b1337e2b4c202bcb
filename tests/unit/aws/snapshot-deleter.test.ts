import { beforeEach, describe, expect, it } from '@jest/globals';
import { DeleteSnapshotCommand, DescribeInstancesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteDBClusterSnapshotCommand, DeleteDBSnapshotCommand, DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSnapshotDeleter, DlmSnapshotRefusedError, NotOurSnapshotError } from '../../../shared/aws/snapshot-deleter.js';
import { AwsSourceInventory } from '../../../shared/aws/source-inventory.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';

const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const config = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const deleter = () => new AwsSnapshotDeleter(new EC2Client(config), new RDSClient(config), 'eu-west-1');

function stored(kind: StoredSnapshot['kind'], id: string, stack = 'prod', region = 'eu-west-1'): StoredSnapshot {
  return { kind, id, region, state: 'completed', status: 'completed', tags: { [TAG.stack]: stack } };
}

function serviceError(name: string, message = `${name} happened`): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
});

describe('AwsSnapshotDeleter', () => {
  it('deletes EBS, RDS instance and RDS cluster snapshots with the matching call', async () => {
    ec2Mock.on(DeleteSnapshotCommand).resolves({});
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
    rdsMock.on(DeleteDBClusterSnapshotCommand).resolves({});

    const results = [
      await deleter().delete(stored('ebs', 'snap-1'), 'prod'),
      await deleter().delete(stored('rds-instance', 'bo-gold-orders-1'), 'prod'),
      await deleter().delete(stored('rds-cluster', 'bo-gold-ledger-1'), 'prod'),
    ];

    expect(results).toEqual([{ status: 'deleted' }, { status: 'deleted' }, { status: 'deleted' }]);
    expect(ec2Mock.commandCalls(DeleteSnapshotCommand)[0]?.args[0].input).toEqual({ SnapshotId: 'snap-1' });
    expect(rdsMock.commandCalls(DeleteDBSnapshotCommand)[0]?.args[0].input).toEqual({ DBSnapshotIdentifier: 'bo-gold-orders-1' });
    expect(rdsMock.commandCalls(DeleteDBClusterSnapshotCommand)[0]?.args[0].input).toEqual({ DBClusterSnapshotIdentifier: 'bo-gold-ledger-1' });
  });

  it('refuses, without any call, a snapshot that does not carry our ownership tag or lives in another Region', async () => {
    await expect(deleter().delete(stored('ebs', 'snap-1', 'someone-else'), 'prod')).rejects.toThrow(NotOurSnapshotError);
    await expect(deleter().delete({ ...stored('ebs', 'snap-2'), tags: {} }, 'prod')).rejects.toThrow('refusing to delete snap-2');
    await expect(deleter().delete(stored('ebs', 'snap-3', ''), '')).rejects.toThrow(NotOurSnapshotError);
    await expect(deleter().delete(stored('ebs', 'snap-4', 'prod', 'eu-central-1'), 'prod')).rejects.toThrow('it is in eu-central-1');

    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('refuses, without any call, a snapshot of ours that Data Lifecycle Manager made, by its policy tag or our engine tag', async () => {
    ec2Mock.on(DeleteSnapshotCommand).resolves({});
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
    const byPolicy = { ...stored('ebs', 'snap-dlm-1'), tags: { [TAG.stack]: 'prod', 'aws:dlm:lifecycle-policy-id': 'policy-0abc' } };
    const byEngine = { ...stored('rds-instance', 'bo-dlm-2'), tags: { [TAG.stack]: 'prod', [TAG.engine]: 'dlm' } };

    await expect(deleter().delete(byPolicy, 'prod')).rejects.toThrow(DlmSnapshotRefusedError);
    await expect(deleter().delete(byEngine, 'prod')).rejects.toThrow('refusing to delete bo-dlm-2: Data Lifecycle Manager made it');

    expect(ec2Mock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('reports a snapshot an AMI uses as in use, one already gone as already gone, and throws anything else', async () => {
    ec2Mock
      .on(DeleteSnapshotCommand, { SnapshotId: 'snap-ami' })
      .rejects(serviceError('InvalidSnapshot.InUse', 'The snapshot snap-ami is currently in use by ami-123'))
      .on(DeleteSnapshotCommand, { SnapshotId: 'snap-gone' })
      .rejects(serviceError('InvalidSnapshot.NotFound'))
      .on(DeleteSnapshotCommand, { SnapshotId: 'snap-denied' })
      .rejects(serviceError('UnauthorizedOperation'));
    rdsMock.on(DeleteDBSnapshotCommand).rejects(serviceError('DBSnapshotNotFoundFault'));
    rdsMock.on(DeleteDBClusterSnapshotCommand).rejects(serviceError('InvalidDBClusterSnapshotStateFault'));

    expect(await deleter().delete(stored('ebs', 'snap-ami'), 'prod')).toEqual({ status: 'in-use', reason: 'The snapshot snap-ami is currently in use by ami-123' });
    expect(await deleter().delete(stored('ebs', 'snap-gone'), 'prod')).toEqual({ status: 'already-gone' });
    expect(await deleter().delete(stored('rds-instance', 'bo-x'), 'prod')).toEqual({ status: 'already-gone' });
    await expect(deleter().delete(stored('ebs', 'snap-denied'), 'prod')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(deleter().delete(stored('rds-cluster', 'bo-y'), 'prod')).rejects.toMatchObject({ name: 'InvalidDBClusterSnapshotStateFault' });
  });
});

describe('AwsSourceInventory', () => {
  it('finds which volumes, live instances, DB instances and clusters still exist, across pages, and trusts unknown types to exist', async () => {
    ec2Mock.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-1' }] });
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }] });
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'other', DBInstanceStatus: 'available' }], Marker: 'm2' })
      .resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'orders', DBInstanceStatus: 'available' }, { DBInstanceIdentifier: 'leaving', DBInstanceStatus: 'deleting' }] });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'ledger', Status: 'available' }] });

    const found = await new AwsSourceInventory(new EC2Client(config), new RDSClient(config)).existing([
      { type: 'ebs-volume', id: 'vol-1' },
      { type: 'ebs-volume', id: 'vol-gone' },
      { type: 'ec2-instance', id: 'i-1' },
      { type: 'ec2-instance', id: 'i-terminated' },
      { type: 'rds-instance', id: 'orders' },
      { type: 'rds-instance', id: 'leaving' },
      { type: 'aurora-cluster', id: 'ledger' },
      { type: 'aurora-cluster', id: 'dropped' },
      { type: undefined, id: 'mystery' },
    ]);

    expect([...found].sort()).toEqual([':mystery', 'aurora-cluster:ledger', 'ebs-volume:vol-1', 'ec2-instance:i-1', 'rds-instance:orders']);
    expect(ec2Mock.commandCalls(DescribeVolumesCommand)[0]?.args[0].input.Filters).toEqual([{ Name: 'volume-id', Values: ['vol-1', 'vol-gone'] }]);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'instance-id', Values: ['i-1', 'i-terminated'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ]);
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(2);
  });

  it('asks nothing when there is nothing to look up', async () => {
    const found = await new AwsSourceInventory(new EC2Client(config), new RDSClient(config)).existing([]);

    expect(found.size).toBe(0);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(rdsMock.calls()).toHaveLength(0);
  });
});
