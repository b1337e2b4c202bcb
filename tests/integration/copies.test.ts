import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateSnapshotCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DisableKeyCommand } from '@aws-sdk/client-kms';
import { CreateDBClusterCommand, DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActivityLog } from '../../shared/aws/activity-log.js';
import { copyLag } from '../../shared/domain/copies.js';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import type { CreateSnapshotsSummary } from '../../shared/use-cases/create-snapshots.js';
import type { ReconcileSummary } from '../../shared/use-cases/reconcile-copies.js';
import { useClock } from '../../shared/runtime/clock.js';
import { dynamodb, ec2, kms, rds } from '../../sandbox/aws-clients.js';
import { queueBatch } from '../../sandbox/completion-events.js';
import { createInstanceWithVolumes, createKmsKey, createVolume, createDbInstance, tagRecord, toRdsTags } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { createStackTables } from '../../sandbox/stack-tables.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';

const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const STACK = 'backup-orchestrator-test';
const PLANS = `
version: 1
primaryRegion: ${PRIMARY}
plans:
  - id: gold
    selection:
      resourceTypes: [ebs-volume, ec2-instance, rds-instance, aurora-cluster]
    schedule: { expression: cron(0 * * * ? *) }
    rpo: 8h
    rto: 1h
    snapshot: { copySourceTags: [Name] }
    retention: { count: 7 }
    copies:
      - region: ${DR}
        kmsKeyId: alias/backup-dr
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 * * * ? *) }
    rpo: 8h
    rto: 4h
    retention: { count: 7 }
    copies:
      - region: eu-north-1
        kmsKeyId: alias/disabled-dr
      - region: us-west-2
        kmsKeyId: alias/missing-dr
`;

type Handler<T> = (event: unknown, context: Context) => Promise<T>;
type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let moto: MotoServer;
let primaryEc2: EC2Client;
let primaryRds: RDSClient;
let drEc2: EC2Client;
let drRds: RDSClient;
let drKeyArn: string;
let activityLog: ActivityLog;
let createSnapshots: Handler<CreateSnapshotsSummary>;
let copySnapshot: SqsHandler;
let reconcile: Handler<ReconcileSummary>;
const estate: Record<string, string> = {};

function fixture(name: string): Record<string, unknown> & { detail: Record<string, unknown>; resources: string[] } {
  return JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/events', `${name}.json`), 'utf8'));
}

/** The documented createSnapshot event, for one of our snapshots. */
function ebsEvent(snapshotId: string): unknown {
  const event = fixture('ebs-create-snapshot-succeeded');
  const arn = `arn:aws:ec2::${PRIMARY}:snapshot/${snapshotId}`;
  return { ...event, id: `event-${snapshotId}`, resources: [arn], detail: { ...event.detail, snapshot_id: arn } };
}

/** The documented createSnapshots event, for the snapshots of one multi-volume set. */
function multiVolumeEvent(snapshotIds: string[]): unknown {
  const event = fixture('ebs-create-snapshots-succeeded');
  const arns = snapshotIds.map((id) => `arn:aws:ec2::${PRIMARY}:snapshot/${id}`);
  return { ...event, resources: arns, detail: { ...event.detail, snapshots: arns.map((arn) => ({ snapshot_id: arn, source: 'arn:aws:ec2::eu-west-1:volume/vol-0', status: 'completed' })) } };
}

function scheduled(planId: string, scheduledTime: string): unknown {
  return { planId, scheduledTime, scheduleArn: 'arn', executionId: 'x', attempt: '1' };
}

async function ourSnapshots(client: EC2Client, filters: Record<string, string> = {}): Promise<Array<{ id: string; encrypted?: boolean; kmsKeyId?: string; tags: Record<string, string> }>> {
  const Filters = Object.entries({ [TAG.stack]: STACK, ...filters }).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));
  const result = await client.send(new DescribeSnapshotsCommand({ Filters }));
  return (result.Snapshots ?? []).map((snapshot) => ({
    id: snapshot.SnapshotId ?? '',
    ...(snapshot.Encrypted !== undefined ? { encrypted: snapshot.Encrypted } : {}),
    ...(snapshot.KmsKeyId ? { kmsKeyId: snapshot.KmsKeyId } : {}),
    tags: tagRecord(snapshot.Tags),
  }));
}

async function slotSnapshots(slot: string, resourceId: string): Promise<string[]> {
  return (await ourSnapshots(primaryEc2, { [TAG.slot]: slot, [TAG.resourceId]: resourceId })).map((snapshot) => snapshot.id).sort();
}

async function drCopiesOf(sourceId: string) {
  return ourSnapshots(drEc2, { [TAG.sourceSnapshotId]: sourceId });
}

async function drDatabaseCopies() {
  const instances = (await drRds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }))).DBSnapshots ?? [];
  const clusters = (await drRds.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }))).DBClusterSnapshots ?? [];
  return [
    ...instances.map((snapshot) => ({ id: snapshot.DBSnapshotIdentifier ?? '', encrypted: snapshot.Encrypted, kmsKeyId: snapshot.KmsKeyId, tags: tagRecord(snapshot.TagList) })),
    ...clusters.map((snapshot) => ({ id: snapshot.DBClusterSnapshotIdentifier ?? '', encrypted: snapshot.StorageEncrypted, kmsKeyId: snapshot.KmsKeyId, tags: tagRecord(snapshot.TagList) })),
  ].sort((a, b) => a.id.localeCompare(b.id));
}

beforeAll(async () => {
  moto = await startMotoServer();
  primaryEc2 = ec2(moto.endpoint, PRIMARY);
  primaryRds = rds(moto.endpoint, PRIMARY);
  drEc2 = ec2(moto.endpoint, DR);
  drRds = rds(moto.endpoint, DR);
  const tables = await createStackTables(dynamodb(moto.endpoint, PRIMARY), 'copies');
  activityLog = new ActivityLog(DynamoDBDocumentClient.from(dynamodb(moto.endpoint, PRIMARY)), tables.activityTable);

  drKeyArn = (await createKmsKey(kms(moto.endpoint, DR), { alias: 'backup-dr' })).keyArn;
  const disabled = await createKmsKey(kms(moto.endpoint, 'eu-north-1'), { alias: 'disabled-dr' });
  await kms(moto.endpoint, 'eu-north-1').send(new DisableKeyCommand({ KeyId: disabled.keyId }));
  const primaryKey = await createKmsKey(kms(moto.endpoint, PRIMARY), { alias: 'ledger' });

  const az = `${PRIMARY}a`;
  estate.web = (await createVolume(primaryEc2, { az, sizeGiB: 10, tags: { 'backup:plan': 'gold', Name: 'web-data' } })).volumeId;
  estate.silver = (await createVolume(primaryEc2, { az, sizeGiB: 5, tags: { 'backup:plan': 'silver' } })).volumeId;
  estate.untagged = (await createVolume(primaryEc2, { az, sizeGiB: 5 })).volumeId;
  estate.instance = (await createInstanceWithVolumes(primaryEc2, { az, extraVolumes: 1, tags: { 'backup:plan': 'gold', Name: 'app-1' } })).instanceId;
  await createDbInstance(primaryRds, { id: 'orders', tags: { 'backup:plan': 'gold' } });
  // An encrypted Aurora cluster: Aurora cannot encrypt a cluster snapshot while copying it.
  await primaryRds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: 'ledger',
      Engine: 'aurora-postgresql',
      MasterUsername: 'postgres',
      MasterUserPassword: 'not-a-secret-1',
      StorageEncrypted: true,
      KmsKeyId: primaryKey.keyArn,
      Tags: toRdsTags({ 'backup:plan': 'gold' }),
    }),
  );

  useHandlerEnvironment({ endpoint: moto.endpoint, region: PRIMARY, plansYaml: PLANS, extra: { IDEMPOTENCY_TABLE: tables.idempotencyTable, ACTIVITY_TABLE: tables.activityTable } });
  ({ handler: createSnapshots } = (await import('../../functions/create-snapshots.js')) as unknown as { handler: Handler<CreateSnapshotsSummary> });
  ({ handler: copySnapshot } = (await import('../../functions/copy-snapshot.js')) as unknown as { handler: SqsHandler });
  ({ handler: reconcile } = (await import('../../functions/reconcile.js')) as unknown as { handler: Handler<ReconcileSummary> });

  await createSnapshots(scheduled('gold', '2026-11-26T11:00:00Z'), lambdaContext('create-snapshots'));
  await createSnapshots(scheduled('silver', '2026-11-26T11:00:00Z'), lambdaContext('create-snapshots'));
});

afterAll(async () => {
  await moto?.stop();
});

describe('copy-snapshot on batches of snapshot-completion events from its queue, against moto', () => {
  const batch = (...events: unknown[]) => queueBatch(events, { region: PRIMARY });

  it('copies an EBS snapshot into the DR Region on its createSnapshot event, encrypted with the plan key and tagged', async () => {
    const [source] = await slotSnapshots('2026-11-26T11:00Z', estate.web as string);

    const response = await copySnapshot(batch(ebsEvent(source as string)), lambdaContext('copy-snapshot'));

    expect(response).toEqual({ batchItemFailures: [] });
    const copies = await drCopiesOf(source as string);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ encrypted: true, kmsKeyId: drKeyArn });
    expect(copies[0]?.tags).toMatchObject({
      Name: 'web-data',
      [TAG.stack]: STACK,
      [TAG.plan]: 'gold',
      [TAG.resourceId]: estate.web,
      [TAG.resourceType]: 'ebs-volume',
      [TAG.slot]: '2026-11-26T11:00Z',
      [TAG.sourceSnapshotId]: source,
      [TAG.sourceRegion]: PRIMARY,
      [TAG.sourceTime]: '2026-11-26T11:00Z',
      [TAG.copyAttempt]: '1',
    });
    expect(copies[0]?.tags[TAG.copyStartedAt]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('copies every volume snapshot of an instance, and the RDS and Aurora snapshots, from one batch of their events', async () => {
    const sources = await slotSnapshots('2026-11-26T11:00Z', estate.instance as string);

    const response = await copySnapshot(batch(multiVolumeEvent(sources), fixture('rds-db-snapshot-created'), fixture('rds-db-cluster-snapshot-created')), lambdaContext('copy-snapshot'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sources).toHaveLength(2);
    for (const source of sources) expect((await drCopiesOf(source)).map((copy) => copy.tags[TAG.resourceId])).toEqual([estate.instance]);
    const copies = await drDatabaseCopies();
    expect(copies.map(({ id, encrypted, kmsKeyId }) => ({ id, encrypted, kmsKeyId }))).toEqual([
      { id: 'bo-gold-ledger-20261126-1100', encrypted: true, kmsKeyId: drKeyArn },
      { id: 'bo-gold-orders-20261126-1100', encrypted: true, kmsKeyId: drKeyArn },
    ]);
    expect(copies[0]?.tags).toMatchObject({
      [TAG.stack]: STACK,
      [TAG.resourceType]: 'aurora-cluster',
      [TAG.sourceSnapshotId]: 'bo-gold-ledger-20261126-1100',
      [TAG.sourceRegion]: PRIMARY,
      [TAG.sourceTime]: '2026-11-26T11:00Z',
    });
  });

  it('creates no second copy when the same events come again, twice in one batch and in two batches at once', async () => {
    const [web] = await slotSnapshots('2026-11-26T11:00Z', estate.web as string);
    const before = (await ourSnapshots(drEc2)).length;

    const responses = [
      await copySnapshot(batch(ebsEvent(web as string), ebsEvent(web as string)), lambdaContext('copy-snapshot')),
      ...(await Promise.all([copySnapshot(batch(ebsEvent(web as string)), lambdaContext('copy-snapshot')), copySnapshot(batch(ebsEvent(web as string)), lambdaContext('copy-snapshot'))])),
      await copySnapshot(batch(fixture('rds-db-snapshot-created')), lambdaContext('copy-snapshot')),
    ];

    expect(responses).toEqual(Array.from({ length: 4 }, () => ({ batchItemFailures: [] })));
    expect(await drCopiesOf(web as string)).toHaveLength(1);
    expect((await ourSnapshots(drEc2)).length).toBe(before);
    expect((await drDatabaseCopies()).map((copy) => copy.id)).toEqual(['bo-gold-ledger-20261126-1100', 'bo-gold-orders-20261126-1100']);
  });

  it('ignores a snapshot that is not ours and copies nothing of it', async () => {
    const foreign = await primaryEc2.send(new CreateSnapshotCommand({ VolumeId: estate.untagged }));

    const response = await copySnapshot(batch(ebsEvent(foreign.SnapshotId as string)), lambdaContext('copy-snapshot'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await drEc2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAG.sourceSnapshotId}`, Values: [foreign.SnapshotId as string] }] }))).Snapshots).toEqual([]);
  });

  it('copies nothing into a Region whose key is disabled or missing, and does not ask for the event again (a key does not fix itself)', async () => {
    const [source] = await slotSnapshots('2026-11-26T11:00Z', estate.silver as string);

    const response = await copySnapshot(batch(ebsEvent(source as string)), lambdaContext('copy-snapshot'));

    expect(response).toEqual({ batchItemFailures: [] });
    for (const region of ['eu-north-1', 'us-west-2']) expect(await ourSnapshots(ec2(moto.endpoint, region))).toEqual([]);
  });

  it('drops a malformed event of a batch (it would never parse), asks for none of them again, and handles the rest', async () => {
    const [web] = await slotSnapshots('2026-11-26T11:00Z', estate.web as string);
    const malformed = fixture('ebs-create-snapshot-succeeded');
    delete malformed.detail.snapshot_id;
    const event = batch(malformed, ebsEvent(web as string));
    const notJson = { ...(event.Records[0] as SQSRecord), messageId: 'not-json', body: '{"detail-type": ' };
    const before = (await ourSnapshots(drEc2)).length;

    const response = await copySnapshot({ Records: [...event.Records, notJson] }, lambdaContext('copy-snapshot'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await drCopiesOf(web as string)).toHaveLength(1);
    expect((await ourSnapshots(drEc2)).length).toBe(before);
  });
});

describe('reconcile against moto', () => {
  it('repairs lost events: copies the snapshots of a slot no event announced, and only those', async () => {
    await createSnapshots(scheduled('gold', '2026-11-26T15:00:00Z'), lambdaContext('create-snapshots'));
    const lost = [...(await slotSnapshots('2026-11-26T15:00Z', estate.web as string)), ...(await slotSnapshots('2026-11-26T15:00Z', estate.instance as string))];
    const before = (await ourSnapshots(drEc2)).length;

    const dry = await reconcile({ scheduledTime: '2026-11-26T15:10:00Z', dryRun: true }, lambdaContext('reconcile'));
    const afterDryRun = (await ourSnapshots(drEc2)).length;
    const summary = await reconcile({ scheduledTime: '2026-11-26T15:10:00Z' }, lambdaContext('reconcile'));

    expect(dry).toMatchObject({ dryRun: true, started: 0, skipped: 5 });
    expect(afterDryRun).toBe(before);
    expect(summary).toMatchObject({ started: 5, failed: 0, exhausted: [], stuck: [] });
    for (const source of lost) expect(await drCopiesOf(source)).toHaveLength(1);
    expect((await drDatabaseCopies()).map((copy) => copy.id)).toEqual([
      'bo-gold-ledger-20261126-1100',
      'bo-gold-ledger-20261126-1500',
      'bo-gold-orders-20261126-1100',
      'bo-gold-orders-20261126-1500',
    ]);
  });

  it('records when its clock saw each RDS copy completed, so the copy lag reads from the copy, tags no EBS copy, and starts nothing more', async () => {
    // The 15:25 run, delivered at 15:27: the completion it saw is the clock's time, not the run's.
    const restore = useClock(() => new Date('2026-11-26T15:27:00Z'));
    let summary: ReconcileSummary;
    try {
      summary = await reconcile({ scheduledTime: '2026-11-26T15:25:00Z' }, lambdaContext('reconcile'));
    } finally {
      restore();
    }

    expect(summary).toMatchObject({ started: 0, copied: 10, completionsRecorded: 2 });
    const orders = (await drDatabaseCopies()).find((copy) => copy.id === 'bo-gold-orders-20261126-1500');
    expect(copyLag(orders as { tags: Record<string, string> })).toEqual({
      sourceTime: new Date('2026-11-26T15:00:00Z'),
      completedAt: new Date('2026-11-26T15:27:00Z'),
      lagMs: 27 * 60_000,
    });
    expect((await drDatabaseCopies()).every((copy) => copy.tags[TAG.copyCompletedAt])).toBe(true);
    // EBS reports each copy's CompletionTime itself (moto 5.2.1 leaves it out, so the lag stays unknown here).
    const [web] = await slotSnapshots('2026-11-26T15:00Z', estate.web as string);
    const [copy] = await drCopiesOf(web as string);
    expect(copy?.tags[TAG.copyCompletedAt]).toBeUndefined();
  });

  it('keeps reporting the unusable keys of the silver plan, once per Region, while its snapshots wait for their copies', async () => {
    const summary = await reconcile({ scheduledTime: '2026-11-26T15:40:00Z' }, lambdaContext('reconcile'));

    expect(summary.problems.map((problem) => `${problem.planId} ${problem.region}`)).toEqual(['silver eu-north-1', 'silver us-west-2']);
    expect(summary.blocked).toBe(2);
  });

  it('records what the copy runs did for the daily report', async () => {
    // Reconcile runs at their scheduled times; copy-snapshot at the real clock.
    const day = 86_400_000;
    const from = new Date(Math.min(Date.parse('2026-11-26T00:00:00Z'), Date.now() - day));
    const to = new Date(Math.max(Date.parse('2026-11-27T00:00:00Z'), Date.now() + day));
    const records = await activityLog.list(from, to);
    const copies = records.filter((record) => record.kind === 'copy');

    expect(copies.reduce((sum, record) => sum + (record.copied ?? 0), 0)).toBe(10);
    expect(copies.flatMap((record) => record.failures.map((failure) => failure.errorName))).toContain('CopyKeyUnusable');
  });
});
