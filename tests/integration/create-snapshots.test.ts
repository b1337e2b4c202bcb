import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ActivityLog } from '../../shared/aws/activity-log.js';
import { DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  StopDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { Context } from 'aws-lambda';
import { scheduledRunInput } from '../../infra/stack-variables.js';
import type { Plan } from '../../shared/domain/plan-schema.js';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import type { CreateSnapshotsSummary } from '../../shared/use-cases/create-snapshots.js';
import { dynamodb, ec2, rds } from '../../sandbox/aws-clients.js';
import { createAuroraCluster, createDbInstance, createInstanceWithVolumes, createVolume, tagRecord } from '../../sandbox/estate.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { createStackTables } from '../../sandbox/stack-tables.js';

const REGION = 'eu-west-1';
const STACK = 'backup-orchestrator-test';
const PLANS = `
version: 1
primaryRegion: ${REGION}
plans:
  - id: gold
    selection:
      resourceTypes: [ebs-volume, ec2-instance, rds-instance, aurora-cluster]
    schedule: { expression: cron(0 */4 * * ? *), timezone: Europe/Paris }
    rpo: 8h
    rto: 1h
    snapshot: { copySourceTags: [Name] }
    retention: { count: 7 }
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
`;

type Handler = (event: unknown, context: Context) => Promise<CreateSnapshotsSummary>;

let moto: MotoServer;
let ec2Client: EC2Client;
let rdsClient: RDSClient;
let handler: Handler;
const estate: Record<string, string> = {};
let instanceVolumes: string[] = [];
let activityLog: ActivityLog;

/** The payload EventBridge Scheduler delivers: the deployed schedule's Input with its placeholders filled in. */
function schedulerEvent(planId: string, scheduledTime: string, attempt = 1): unknown {
  const input = scheduledRunInput({ id: planId } as Plan)
    .replace('<aws.scheduler.scheduled-time>', scheduledTime)
    .replace('<aws.scheduler.schedule-arn>', `arn:aws:scheduler:${REGION}:123456789012:schedule/default/${planId}`)
    .replace('<aws.scheduler.execution-id>', `exec-${Math.random().toString(16).slice(2)}`)
    .replace('<aws.scheduler.attempt-number>', String(attempt));
  return JSON.parse(input);
}

async function ebsSnapshots(): Promise<Array<{ id: string; volumeId: string; tags: Record<string, string> }>> {
  const result = await ec2Client.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAG.stack}`, Values: [STACK] }] }));
  return (result.Snapshots ?? []).map((snapshot) => ({ id: snapshot.SnapshotId ?? '', volumeId: snapshot.VolumeId ?? '', tags: tagRecord(snapshot.Tags) }));
}

async function dbSnapshotIds(): Promise<string[]> {
  const instances = await rdsClient.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }));
  const clusters = await rdsClient.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }));
  return [
    ...(instances.DBSnapshots ?? []).map((snapshot) => snapshot.DBSnapshotIdentifier ?? ''),
    ...(clusters.DBClusterSnapshots ?? []).map((snapshot) => snapshot.DBClusterSnapshotIdentifier ?? ''),
  ].sort();
}

beforeAll(async () => {
  moto = await startMotoServer();
  ec2Client = ec2(moto.endpoint, REGION);
  rdsClient = rds(moto.endpoint, REGION);
  const tables = await createStackTables(dynamodb(moto.endpoint, REGION), 'test');
  const az = `${REGION}a`;
  estate.web = (await createVolume(ec2Client, { az, sizeGiB: 10, tags: { 'backup:plan': 'gold', Name: 'web-data', team: 'web' } })).volumeId;
  estate.logs = (await createVolume(ec2Client, { az, sizeGiB: 5, tags: { 'backup:plan': 'gold' } })).volumeId;
  estate.silverVolume = (await createVolume(ec2Client, { az, sizeGiB: 5, tags: { 'backup:plan': 'silver' } })).volumeId;
  estate.untagged = (await createVolume(ec2Client, { az, sizeGiB: 5 })).volumeId;
  const instance = await createInstanceWithVolumes(ec2Client, { az, extraVolumes: 2, tags: { 'backup:plan': 'gold', Name: 'app-1' } });
  estate.instance = instance.instanceId;
  instanceVolumes = instance.volumeIds;
  estate.orders = (await createDbInstance(rdsClient, { id: 'orders', tags: { 'backup:plan': 'gold' } })).dbInstanceIdentifier;
  estate.stopped = (await createDbInstance(rdsClient, { id: 'reporting', tags: { 'backup:plan': 'gold' } })).dbInstanceIdentifier;
  await rdsClient.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'reporting' }));
  await createDbInstance(rdsClient, { id: 'scratch' });
  estate.aurora = (await createAuroraCluster(rdsClient, { id: 'ledger', tags: { 'backup:plan': 'gold' } })).dbClusterIdentifier;

  useHandlerEnvironment({ endpoint: moto.endpoint, region: REGION, plansYaml: PLANS, extra: { IDEMPOTENCY_TABLE: tables.idempotencyTable, ACTIVITY_TABLE: tables.activityTable } });
  activityLog = new ActivityLog(DynamoDBDocumentClient.from(dynamodb(moto.endpoint, REGION)), tables.activityTable);
  ({ handler } = (await import('../../functions/create-snapshots.js')) as unknown as { handler: Handler });
});

afterAll(async () => {
  await moto?.stop();
});

describe('create-snapshots handler against moto', () => {
  let first: CreateSnapshotsSummary;

  beforeAll(async () => {
    first = await handler(schedulerEvent('gold', '2026-11-26T11:00:00Z'), lambdaContext('create-snapshots'));
  });

  it("tags every snapshot of an instance's point with how many volume snapshots make the point whole", async () => {
    const instanceSnapshots = (await ebsSnapshots()).filter((snapshot) => snapshot.tags[TAG.resourceId] === estate.instance);

    expect(instanceSnapshots.map((snapshot) => snapshot.tags[TAG.pointSize])).toEqual(instanceVolumes.map(() => String(instanceVolumes.length)));
  });

  it('snapshots every volume, instance, RDS instance and Aurora cluster of the plan, and nothing else', async () => {
    const snapshots = await ebsSnapshots();

    expect(snapshots.filter((snapshot) => snapshot.tags[TAG.resourceId] === estate.web)).toHaveLength(1);
    expect(snapshots.filter((snapshot) => snapshot.tags[TAG.resourceId] === estate.logs)).toHaveLength(1);
    expect(snapshots.filter((snapshot) => snapshot.tags[TAG.resourceId] === estate.instance).map((s) => s.volumeId).sort()).toEqual(
      [...instanceVolumes].sort(),
    );
    expect(snapshots.map((snapshot) => snapshot.volumeId)).not.toContain(estate.untagged);
    expect(snapshots.map((snapshot) => snapshot.volumeId)).not.toContain(estate.silverVolume);
    expect(await dbSnapshotIds()).toEqual(['bo-gold-ledger-20261126-1100', 'bo-gold-orders-20261126-1100']);
  });

  it('tags each snapshot on create with ownership, plan, source, slot and the selected source tags only', async () => {
    const web = (await ebsSnapshots()).find((snapshot) => snapshot.tags[TAG.resourceId] === estate.web);

    expect(web?.tags).toEqual({
      Name: 'web-data',
      [TAG.stack]: STACK,
      [TAG.plan]: 'gold',
      [TAG.resourceId]: estate.web,
      [TAG.resourceType]: 'ebs-volume',
      [TAG.slot]: '2026-11-26T11:00Z',
    });
  });

  it('skips volumes of an instance and members of a cluster it snapshots whole, and records the stopped RDS instance as failed without stopping the rest', () => {
    const byResource = Object.fromEntries(first.outcomes.map((outcome) => [outcome.resourceId, outcome]));

    for (const volumeId of instanceVolumes) expect(byResource[volumeId]).toMatchObject({ status: 'skipped' });
    expect(byResource['ledger-instance-1']).toMatchObject({ status: 'skipped', reason: 'covered by aurora-cluster ledger of the same plan' });
    expect(byResource.reporting).toMatchObject({ status: 'failed', errorName: 'ResourceNotReady', reason: 'RDS instance is stopped, not available' });
    expect(first).toMatchObject({ planId: 'gold', slot: '2026-11-26T11:00Z', created: 5, failed: 1, alreadyDone: 0 });
  });

  it('records the run in the activity log for the daily report: what it created and what failed, at the slot time', async () => {
    const records = await activityLog.list(new Date('2026-11-26T00:00:00Z'), new Date('2026-11-27T00:00:00Z'));
    const first = records.find((record) => record.at.toISOString() === '2026-11-26T11:00:00.000Z');

    expect(first).toEqual({
      at: new Date('2026-11-26T11:00:00Z'),
      kind: 'snapshot',
      source: 'create-snapshots',
      planId: 'gold',
      region: REGION,
      created: 5,
      failures: [{ resourceId: 'reporting', errorName: 'ResourceNotReady', reason: 'RDS instance is stopped, not available' }],
    });
  });

  it('creates nothing extra when the same schedule event is delivered three more times, twice concurrently', async () => {
    const ebsBefore = (await ebsSnapshots()).length;
    const dbBefore = await dbSnapshotIds();

    const retry = await handler(schedulerEvent('gold', '2026-11-26T11:00:00Z', 2), lambdaContext('create-snapshots'));
    const concurrent = await Promise.all([
      handler(schedulerEvent('gold', '2026-11-26T11:00:00Z', 3), lambdaContext('create-snapshots')),
      handler(schedulerEvent('gold', '2026-11-26T11:00:00Z', 3), lambdaContext('create-snapshots')),
    ]);

    expect((await ebsSnapshots()).length).toBe(ebsBefore);
    expect(await dbSnapshotIds()).toEqual(dbBefore);
    expect(retry).toMatchObject({ created: 0, alreadyDone: 5 });
    for (const summary of concurrent) expect(summary.created + summary.alreadyDone + summary.skipped).toBeGreaterThanOrEqual(5);
  });

  it('puts a scheduled time inside a slot into that slot, and takes new snapshots in the next slot', async () => {
    const late = await handler(schedulerEvent('gold', '2026-11-26T11:03:27Z'), lambdaContext('create-snapshots'));
    const next = await handler(schedulerEvent('gold', '2026-11-26T15:00:00Z'), lambdaContext('create-snapshots'));

    expect(late).toMatchObject({ slot: '2026-11-26T11:00Z', created: 0, alreadyDone: 5 });
    expect(next).toMatchObject({ slot: '2026-11-26T15:00Z', created: 5 });
    expect(await dbSnapshotIds()).toEqual([
      'bo-gold-ledger-20261126-1100',
      'bo-gold-ledger-20261126-1500',
      'bo-gold-orders-20261126-1100',
      'bo-gold-orders-20261126-1500',
    ]);
  });

  it('rejects a payload of the wrong shape precisely and creates nothing', async () => {
    const before = (await ebsSnapshots()).length;

    await expect(handler({ planId: 'gold', scheduledTime: 'yesterday' }, lambdaContext('create-snapshots'))).rejects.toThrow(
      /create-snapshots received a payload that is not a scheduled run: scheduledTime must be an ISO-8601 timestamp/,
    );
    await expect(handler({ plan: 'gold' }, lambdaContext('create-snapshots'))).rejects.toMatchObject({ name: 'BadInputError' });
    expect((await ebsSnapshots()).length).toBe(before);
  });

  it('rejects an unknown plan id, naming the plans it knows, and creates nothing', async () => {
    const before = (await ebsSnapshots()).length;

    await expect(handler(schedulerEvent('platinum', '2026-11-26T11:00:00Z'), lambdaContext('create-snapshots'))).rejects.toThrow(
      'no plan "platinum" in the backup plans (known plans: gold, silver)',
    );
    expect((await ebsSnapshots()).length).toBe(before);
  });

  it('takes a dry run without creating anything', async () => {
    const before = (await ebsSnapshots()).length;

    const dry = await handler({ ...(schedulerEvent('silver', '2026-11-27T00:00:00Z') as object), dryRun: true }, lambdaContext('create-snapshots'));

    expect(dry).toMatchObject({ dryRun: true, created: 0, skipped: 1 });
    expect((await ebsSnapshots()).length).toBe(before);
  });

  it('reports an RDS instance that is not available but already has our snapshot of the slot as already done, not failed', async () => {
    // As during a duplicate delivery while our own snapshot runs (RDS says backing-up); moto finishes at once, so a stopped instance stands in.
    await rdsClient.send(
      new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'bo-gold-reporting-20261126-1900', DBInstanceIdentifier: 'reporting', Tags: [{ Key: TAG.stack, Value: STACK }] }),
    );

    const run = await handler(schedulerEvent('gold', '2026-11-26T19:00:00Z'), lambdaContext('create-snapshots'));

    expect(run.outcomes.find((outcome) => outcome.resourceId === 'reporting')).toEqual({
      resourceId: 'reporting',
      type: 'rds-instance',
      status: 'already-done',
      snapshotIds: ['bo-gold-reporting-20261126-1900'],
    });
    expect(run).toMatchObject({ created: 5, alreadyDone: 1, failed: 0 });
  });
});
