import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CopySnapshotCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, InvalidArnException, KMSClient, KMSInternalException, NotFoundException } from '@aws-sdk/client-kms';
import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DBSnapshotAlreadyExistsFault,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsCopyBackend, CopyIdentifierConflictError } from '../../../shared/aws/copy-backend.js';
import { KmsKeyInspector } from '../../../shared/aws/kms-key-inspector.js';
import { copyLag, copyTags } from '../../../shared/domain/copies.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import { awsError, sourceSnapshot, STACK } from '../../support/copy-fakes.js';

const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const kmsMock = mockClient(KMSClient);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555';

/** Clients per Region, remembering which Regions were asked for. */
function regionalClients() {
  const asked: string[] = [];
  return {
    asked,
    ec2: (region: string) => {
      asked.push(`ec2:${region}`);
      return new EC2Client({ region, credentials });
    },
    rds: (region: string) => {
      asked.push(`rds:${region}`);
      return new RDSClient({ region, credentials });
    },
  };
}

function copyRequest(source: StoredSnapshot, overrides: Partial<{ encrypted: boolean; kmsKeyArn: string; attempt: number }> = {}) {
  const attempt = overrides.attempt ?? 1;
  return {
    source,
    region: 'eu-central-1',
    encrypted: overrides.encrypted ?? true,
    ...(overrides.encrypted === false ? {} : { kmsKeyArn: overrides.kmsKeyArn ?? KEY_ARN }),
    tags: copyTags({ source, attempt, startedAt: new Date('2026-11-26T11:05:00Z') }),
    attempt,
  };
}

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
  kmsMock.reset();
});

describe('AwsCopyBackend.startCopy', () => {
  it('copies an EBS snapshot with a client in the destination Region: SourceRegion, the key, and the tags on create', async () => {
    ec2Mock.on(CopySnapshotCommand).resolves({ SnapshotId: 'snap-0c0c0c0c0c0c0c0c0' });
    const clients = regionalClients();
    const source = sourceSnapshot({ id: 'snap-0a1b2c3d4e5f60718' });

    const started = await new AwsCopyBackend(clients).startCopy(copyRequest(source));

    expect(started).toEqual({ copyId: 'snap-0c0c0c0c0c0c0c0c0', existed: false });
    expect(clients.asked).toEqual(['ec2:eu-central-1']);
    const input = ec2Mock.commandCalls(CopySnapshotCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ SourceRegion: 'eu-west-1', SourceSnapshotId: 'snap-0a1b2c3d4e5f60718', Encrypted: true, KmsKeyId: KEY_ARN });
    expect(input?.TagSpecifications).toEqual([{ ResourceType: 'snapshot', Tags: expect.arrayContaining([{ Key: TAG.sourceSnapshotId, Value: 'snap-0a1b2c3d4e5f60718' }, { Key: TAG.stack, Value: STACK }]) }]);
  });

  it('leaves Encrypted and KmsKeyId out for a copy rule with encrypted: false', async () => {
    ec2Mock.on(CopySnapshotCommand).resolves({ SnapshotId: 'snap-0c0c0c0c0c0c0c0c0' });

    await new AwsCopyBackend(regionalClients()).startCopy(copyRequest(sourceSnapshot({}), { encrypted: false }));

    const input = ec2Mock.commandCalls(CopySnapshotCommand)[0]?.args[0].input;
    expect(input?.Encrypted).toBeUndefined();
    expect(input?.KmsKeyId).toBeUndefined();
  });

  it('copies an RDS snapshot from its source ARN under a deterministic identifier, with the key, SourceRegion and tags', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-orders-20261126-1100', OptionGroupName: 'default:postgres-16' }] });
    rdsMock.on(CopyDBSnapshotCommand).resolves({});
    const source = sourceSnapshot({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' });

    const started = await new AwsCopyBackend(regionalClients()).startCopy(copyRequest(source, { attempt: 2 }));

    expect(started).toEqual({ copyId: 'bo-gold-orders-20261126-1100-r2', existed: false });
    const input = rdsMock.commandCalls(CopyDBSnapshotCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      SourceDBSnapshotIdentifier: 'arn:aws:rds:eu-west-1:123456789012:snapshot:bo-gold-orders-20261126-1100',
      TargetDBSnapshotIdentifier: 'bo-gold-orders-20261126-1100-r2',
      KmsKeyId: KEY_ARN,
      SourceRegion: 'eu-west-1',
      CopyTags: false,
    });
    expect(input?.OptionGroupName).toBeUndefined();
    expect(input?.Tags).toContainEqual({ Key: TAG.copyAttempt, Value: '2' });
  });

  it('names the same option group in the destination when the source uses a non-default one (e.g. Oracle TDE)', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-erp-20261126-1100', OptionGroupName: 'oracle-ee-19-tde' }] });
    rdsMock.on(CopyDBSnapshotCommand).resolves({});

    await new AwsCopyBackend(regionalClients()).startCopy(copyRequest(sourceSnapshot({ kind: 'rds-instance', id: 'bo-gold-erp-20261126-1100' })));

    expect(rdsMock.commandCalls(CopyDBSnapshotCommand)[0]?.args[0].input.OptionGroupName).toBe('oracle-ee-19-tde');
  });

  it('copies an Aurora cluster snapshot from its source ARN', async () => {
    rdsMock.on(CopyDBClusterSnapshotCommand).resolves({});
    const source = sourceSnapshot({ kind: 'rds-cluster', id: 'bo-gold-ledger-20261126-1100' });

    await new AwsCopyBackend(regionalClients()).startCopy(copyRequest(source));

    expect(rdsMock.commandCalls(CopyDBClusterSnapshotCommand)[0]?.args[0].input).toMatchObject({
      SourceDBClusterSnapshotIdentifier: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:bo-gold-ledger-20261126-1100',
      TargetDBClusterSnapshotIdentifier: 'bo-gold-ledger-20261126-1100',
      KmsKeyId: KEY_ARN,
      SourceRegion: 'eu-west-1',
    });
  });

  it('treats *AlreadyExists as done when the existing copy is ours, of this source', async () => {
    const source = sourceSnapshot({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' });
    rdsMock.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: source.id }).resolves({ DBSnapshots: [{ OptionGroupName: 'default:postgres-16' }] });
    rdsMock.on(CopyDBSnapshotCommand).rejects(new DBSnapshotAlreadyExistsFault({ message: 'exists', $metadata: {} }));
    rdsMock.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: source.id }).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: source.id, Status: 'copying', TagList: [{ Key: TAG.stack, Value: STACK }, { Key: TAG.sourceSnapshotId, Value: source.id }] }],
    });

    const started = await new AwsCopyBackend(regionalClients()).startCopy(copyRequest(source));

    expect(started).toEqual({ copyId: source.id, existed: true });
  });

  it('refuses to treat an identifier taken by something else as a copy', async () => {
    const source = sourceSnapshot({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' });
    rdsMock.on(CopyDBSnapshotCommand).rejects(new DBSnapshotAlreadyExistsFault({ message: 'exists', $metadata: {} }));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ DBSnapshotIdentifier: source.id, TagList: [{ Key: 'team', Value: 'db' }] }] });

    await expect(new AwsCopyBackend(regionalClients()).startCopy(copyRequest(source))).rejects.toThrow(CopyIdentifierConflictError);
  });
});

describe('AwsCopyBackend reads, deletes and tags', () => {
  it('describes a snapshot that is gone as undefined, in EBS and RDS alike', async () => {
    ec2Mock.on(DescribeSnapshotsCommand).rejects(Object.assign(new Error('not found'), { name: 'InvalidSnapshot.NotFound' }));
    rdsMock.on(DescribeDBClusterSnapshotsCommand).rejects(Object.assign(new Error('not found'), { name: 'DBClusterSnapshotNotFoundFault' }));
    const backend = new AwsCopyBackend(regionalClients());

    expect(await backend.describe('eu-west-1', { kind: 'ebs', id: 'snap-0a1b2c3d4e5f60718' })).toBeUndefined();
    expect(await backend.describe('eu-west-1', { kind: 'rds-cluster', id: 'bo-gold-ledger-20261126-1100' })).toBeUndefined();
  });

  it('describes an EBS snapshot with its tags and state', async () => {
    ec2Mock.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [{ SnapshotId: 'snap-0a1b2c3d4e5f60718', State: 'completed', Encrypted: true, Tags: [{ Key: TAG.stack, Value: STACK }] }],
    });

    expect(await new AwsCopyBackend(regionalClients()).describe('eu-west-1', { kind: 'ebs', id: 'snap-0a1b2c3d4e5f60718' })).toEqual({
      kind: 'ebs',
      id: 'snap-0a1b2c3d4e5f60718',
      region: 'eu-west-1',
      state: 'completed',
      status: 'completed',
      encrypted: true,
      tags: { [TAG.stack]: STACK },
    });
  });

  it('reads when EBS says a snapshot completed (CompletionTime), which gives a copy its lag without any tag', async () => {
    ec2Mock.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [{
        SnapshotId: 'snap-0c0c0c0c0c0c0c0c0',
        State: 'completed',
        StartTime: new Date('2026-11-26T11:05:00Z'),
        CompletionTime: new Date('2026-11-26T11:41:30Z'),
        Tags: [{ Key: TAG.stack, Value: STACK }, { Key: TAG.sourceSnapshotId, Value: 'snap-0a1b2c3d4e5f60718' }, { Key: TAG.sourceTime, Value: '2026-11-26T11:00Z' }],
      }],
    });

    const copy = await new AwsCopyBackend(regionalClients()).describe('eu-central-1', { kind: 'ebs', id: 'snap-0c0c0c0c0c0c0c0c0' });

    expect(copy?.completedAt).toEqual(new Date('2026-11-26T11:41:30Z'));
    expect(copyLag(copy as StoredSnapshot)).toEqual({ sourceTime: new Date('2026-11-26T11:00:00Z'), completedAt: new Date('2026-11-26T11:41:30Z'), lagMs: 41.5 * 60_000 });
  });

  it('looks up a batch of EBS snapshots by snapshot-id filter, 200 to a call and every page, and RDS snapshots one by one', async () => {
    const ids = Array.from({ length: 450 }, (_, index) => `snap-${index.toString(16).padStart(17, '0')}`);
    const calls: Array<{ values: string[]; token?: string }> = [];
    ec2Mock.on(DescribeSnapshotsCommand).callsFake((input: { Filters: Array<{ Values: string[] }>; NextToken?: string }) => {
      const values = input.Filters[0]?.Values ?? [];
      calls.push({ values: [...values], ...(input.NextToken ? { token: input.NextToken } : {}) });
      // The first chunk comes in two pages; the snapshot ending in 1 is gone (no error, just absent).
      const page = input.NextToken ? values.slice(100) : values.length === 200 && values[0] === ids[0] ? values.slice(0, 100) : values;
      return {
        Snapshots: page.filter((id) => id !== ids[1]).map((SnapshotId) => ({ SnapshotId, State: 'completed' })),
        ...(!input.NextToken && values[0] === ids[0] ? { NextToken: 'page-2' } : {}),
      };
    });
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ DBSnapshotIdentifier: 'bo-gold-orders-20261126-1100', Status: 'available' }] });

    const found = await new AwsCopyBackend(regionalClients()).describeMany('eu-west-1', [
      ...ids.map((id) => ({ kind: 'ebs' as const, id })),
      { kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' },
    ]);

    expect(calls.map((call) => [call.values.length, call.token])).toEqual([[200, undefined], [200, 'page-2'], [200, undefined], [50, undefined]]);
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)[0]?.args[0].input).toMatchObject({ OwnerIds: ['self'], MaxResults: 1000 });
    expect(found.map((snapshot) => snapshot.id)).toEqual([...ids.filter((id) => id !== ids[1]), 'bo-gold-orders-20261126-1100']);
  });

  it('finds the copies of RDS sources by their source tag, whatever attempt made them, and only ours', async () => {
    const instance = sourceSnapshot({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' });
    const cluster = sourceSnapshot({ kind: 'rds-cluster', id: 'bo-gold-ledger-20261126-1100' });
    const tagged = (source: string, stack = STACK) => [
      { Key: TAG.stack, Value: stack },
      { Key: TAG.sourceSnapshotId, Value: source },
    ];
    const instanceSnapshots = [
      // Attempt 1 errored and was deleted; attempt 2 completed under its own identifier.
      { DBSnapshotIdentifier: 'bo-gold-orders-20261126-1100-r2', Status: 'available', TagList: tagged(instance.id) },
      { DBSnapshotIdentifier: 'someone-elses-copy', Status: 'available', TagList: tagged(instance.id, 'another-stack') },
      { DBSnapshotIdentifier: 'bo-gold-billing-20261126-1100', Status: 'available', TagList: tagged('bo-gold-billing-20261126-1000') },
    ];
    const clusterSnapshots = [{ DBClusterSnapshotIdentifier: 'bo-gold-ledger-20261126-1100', Status: 'creating', TagList: tagged(cluster.id) }];
    // As RDS answers: one snapshot when asked by identifier (an error when there is none), else the list.
    rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => {
      if (!input.DBSnapshotIdentifier) return { DBSnapshots: instanceSnapshots };
      const found = instanceSnapshots.filter((snapshot) => snapshot.DBSnapshotIdentifier === input.DBSnapshotIdentifier);
      if (!found.length) throw Object.assign(new Error(`DBSnapshot ${input.DBSnapshotIdentifier} not found`), { name: 'DBSnapshotNotFoundFault' });
      return { DBSnapshots: found };
    });
    rdsMock.on(DescribeDBClusterSnapshotsCommand).callsFake((input: { DBClusterSnapshotIdentifier?: string }) => {
      if (!input.DBClusterSnapshotIdentifier) return { DBClusterSnapshots: clusterSnapshots };
      const found = clusterSnapshots.filter((snapshot) => snapshot.DBClusterSnapshotIdentifier === input.DBClusterSnapshotIdentifier);
      if (!found.length) throw Object.assign(new Error(`DBClusterSnapshot ${input.DBClusterSnapshotIdentifier} not found`), { name: 'DBClusterSnapshotNotFoundFault' });
      return { DBClusterSnapshots: found };
    });

    const copies = await new AwsCopyBackend(regionalClients()).listCopiesOf('eu-central-1', STACK, [instance, cluster]);

    expect(copies.map((copy) => [copy.id, copy.state])).toEqual([
      ['bo-gold-orders-20261126-1100-r2', 'completed'],
      ['bo-gold-ledger-20261126-1100', 'pending'],
    ]);
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)).toHaveLength(0);
  });

  it('gives a copy batch the in-flight copies and the copies of its sources, listing RDS once and each snapshot once', async () => {
    const volume = sourceSnapshot({ id: 'snap-0a0a0a0a0a0a0a0a0' });
    const database = sourceSnapshot({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' });
    const tagged = (source: string, stack = STACK) => [
      { Key: TAG.stack, Value: stack },
      { Key: TAG.sourceSnapshotId, Value: source },
    ];
    // Pending: a copy of another volume's snapshot, and the copy of this batch's volume (found by both filters).
    const otherEbsInFlight = { SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', State: 'pending', Tags: tagged('snap-0f0f0f0f0f0f0f0f0') };
    const volumeCopy = { SnapshotId: 'snap-0c0c0c0c0c0c0c0c0', State: 'pending', Tags: tagged(volume.id) };
    ec2Mock.on(DescribeSnapshotsCommand).callsFake((input: { Filters: Array<{ Name: string; Values: string[] }> }) => {
      const pendingOnly = input.Filters.some((filter) => filter.Name === 'status');
      return { Snapshots: pendingOnly ? [otherEbsInFlight, volumeCopy] : [volumeCopy] };
    });
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: 'bo-gold-orders-20261126-1100', Status: 'available', TagList: tagged(database.id) },
        { DBSnapshotIdentifier: 'bo-gold-billing-20261126-1100', Status: 'creating', TagList: tagged('bo-gold-billing-20261126-1000') },
        { DBSnapshotIdentifier: 'bo-gold-billing-20261126-1000', Status: 'available', TagList: tagged('bo-gold-billing-20261126-0900') },
        { DBSnapshotIdentifier: 'someone-elses-copy', Status: 'creating', TagList: tagged(database.id, 'another-stack') },
      ],
    });
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });

    const found = await new AwsCopyBackend(regionalClients()).listDestination('eu-central-1', STACK, [volume, database]);

    expect(found.map((copy) => [copy.id, copy.state]).sort()).toEqual([
      ['bo-gold-billing-20261126-1100', 'pending'],
      ['bo-gold-orders-20261126-1100', 'completed'],
      ['snap-0b0b0b0b0b0b0b0b0', 'pending'],
      ['snap-0c0c0c0c0c0c0c0c0', 'pending'],
    ]);
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(1);
    expect(rdsMock.commandCalls(DescribeDBClusterSnapshotsCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)).toHaveLength(2);
  });

  it('does not list RDS for a batch of EBS snapshots', async () => {
    ec2Mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });

    expect(await new AwsCopyBackend(regionalClients()).listDestination('eu-central-1', STACK, [sourceSnapshot({})])).toEqual([]);
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(DescribeDBClusterSnapshotsCommand)).toHaveLength(0);
  });

  it('deletes and tags each kind of copy with the call of its service, in the copy Region', async () => {
    const clients = regionalClients();
    const backend = new AwsCopyBackend(clients);
    const ebsCopy = { ...sourceSnapshot({ id: 'snap-0c0c0c0c0c0c0c0c0' }), region: 'eu-central-1' };
    const clusterCopy = { ...sourceSnapshot({ kind: 'rds-cluster', id: 'bo-gold-ledger-20261126-1100' }), region: 'eu-central-1', arn: 'arn:aws:rds:eu-central-1:123456789012:cluster-snapshot:bo-gold-ledger-20261126-1100' };

    await backend.deleteCopy(ebsCopy);
    await backend.deleteCopy(clusterCopy);
    await backend.tagCopy(ebsCopy, { [TAG.copyCompletedAt]: '2026-11-26T15:15:00Z' });
    await backend.tagCopy(clusterCopy, { [TAG.copyCompletedAt]: '2026-11-26T15:15:00Z' });

    expect(ec2Mock.commandCalls(DeleteSnapshotCommand)[0]?.args[0].input).toEqual({ SnapshotId: 'snap-0c0c0c0c0c0c0c0c0' });
    expect(rdsMock.commandCalls(DeleteDBClusterSnapshotCommand)[0]?.args[0].input).toEqual({ DBClusterSnapshotIdentifier: 'bo-gold-ledger-20261126-1100' });
    expect(ec2Mock.commandCalls(CreateTagsCommand)[0]?.args[0].input).toEqual({ Resources: ['snap-0c0c0c0c0c0c0c0c0'], Tags: [{ Key: TAG.copyCompletedAt, Value: '2026-11-26T15:15:00Z' }] });
    expect(rdsMock.commandCalls(AddTagsToResourceCommand)[0]?.args[0].input.ResourceName).toBe(clusterCopy.arn);
    expect(new Set(clients.asked)).toEqual(new Set(['ec2:eu-central-1', 'rds:eu-central-1']));
  });
});

describe('KmsKeyInspector', () => {
  const inspector = new KmsKeyInspector((region) => new KMSClient({ region, credentials }));

  it('returns the key ARN, state, usage and spec of a key found by alias', async () => {
    kmsMock.on(DescribeKeyCommand, { KeyId: 'alias/backup-dr' }).resolves({
      KeyMetadata: { KeyId: '11111111-2222-3333-4444-555555555555', Arn: KEY_ARN, KeyState: 'Disabled', Enabled: false, KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' },
    });

    expect(await inspector.describeKey('eu-central-1', 'alias/backup-dr')).toEqual({
      found: true,
      arn: KEY_ARN,
      keyState: 'Disabled',
      keyUsage: 'ENCRYPT_DECRYPT',
      keySpec: 'SYMMETRIC_DEFAULT',
    });
  });

  it('says a missing key does not exist, and passes on why KMS refused access to it', async () => {
    kmsMock.on(DescribeKeyCommand, { KeyId: 'alias/missing' }).rejects(new NotFoundException({ message: 'Alias is not found.', $metadata: {} }));
    kmsMock.on(DescribeKeyCommand, { KeyId: 'alias/locked' }).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    expect(await inspector.describeKey('eu-central-1', 'alias/missing')).toEqual({ found: false, reason: 'it does not exist in eu-central-1' });
    expect(await inspector.describeKey('eu-central-1', 'alias/locked')).toEqual({
      found: false,
      reason: 'DescribeKey in eu-central-1 failed with AccessDeniedException: not authorized',
    });
  });

  it('calls the key unusable, and says why, when the Region refuses the credentials: a permanent refusal is reported, not retried for ever', async () => {
    kmsMock.on(DescribeKeyCommand).rejects(awsError('UnrecognizedClientException', 400));

    expect(await inspector.describeKey('eu-central-1', 'alias/backup-dr')).toEqual({
      found: false,
      reason: 'DescribeKey in eu-central-1 failed with UnrecognizedClientException: UnrecognizedClientException happened',
    });
  });

  it('calls a malformed key id unusable, as the copy would be refused for it too', async () => {
    kmsMock.on(DescribeKeyCommand, { KeyId: 'arn:aws:kms:eu-central-1:key' }).rejects(new InvalidArnException({ message: 'Invalid arn eu-central-1', $metadata: { httpStatusCode: 400 } }));
    kmsMock.on(DescribeKeyCommand, { KeyId: '' }).rejects(awsError('ValidationException'));

    expect(await inspector.describeKey('eu-central-1', 'arn:aws:kms:eu-central-1:key')).toEqual({
      found: false,
      reason: 'DescribeKey in eu-central-1 failed with InvalidArnException: Invalid arn eu-central-1',
    });
    expect(await inspector.describeKey('eu-central-1', '')).toEqual({ found: false, reason: 'DescribeKey in eu-central-1 failed with ValidationException: ValidationException happened' });
  });

  it.each([
    ['a throttle', awsError('ThrottlingException', 400)],
    ['a KMS 5xx', new KMSInternalException({ message: 'internal error', $metadata: { httpStatusCode: 500 } })],
    ['a lost connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('throws %s instead of calling the key unusable: it says nothing about the key', async (_what, error) => {
    kmsMock.on(DescribeKeyCommand).rejects(error);

    await expect(inspector.describeKey('eu-central-1', 'alias/backup-dr')).rejects.toBe(error);
  });
});
