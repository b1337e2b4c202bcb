import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateSnapshotCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import { clientConfig, dynamodb, ec2 } from '../../sandbox/aws-clients.js';
import { createVolume, tagRecord } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { createStackTables } from '../../sandbox/stack-tables.js';
import { FaultInjector, seededRandom } from '../support/fault-injection.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';

/**
 * A backup cycle over 300 volumes with 30% of EC2 calls failing transiently (RequestLimitExceeded,
 * InternalError and ServiceUnavailable at random) while EC2's per-API buckets, simulated on a clock 20 times
 * faster, also answer RequestLimitExceeded to any call over the limit (the handlers' client-side buckets and
 * retry waits run on the same scaled clock, RETRY_DELAY_SCALE): create (queued for the workers), copy, a
 * second slot, prune. At that failure rate the SDK's retry quota runs dry, so the orchestrator's own retries (work
 * items back to the queue, the scheduler re-running a failed run, the reconciler) must finish the job.
 * moto says what really exists afterwards.
 */
const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const STACK = 'backup-orchestrator-test';
const VOLUMES = 300;
const PLANS = `
version: 1
primaryRegion: ${PRIMARY}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 * * * ? *) }
    rpo: 2h
    rto: 1h
    retention: { count: 1 }
    copies:
      - region: ${DR}
        encrypted: false
`;

type Handler<E> = (event: E, context: Context) => Promise<unknown>;

let moto: MotoServer;
let primary: EC2Client;
let dr: EC2Client;
let sqs: SQSClient;
let workQueueUrl: string;
let foreignSnapshot: string;
const volumeIds: string[] = [];
// Seeded: every run draws the same failures, so a result never depends on luck.
const faults = new FaultInjector({ failureRate: 0.3, errors: ['RequestLimitExceeded', 'InternalError', 'ServiceUnavailable'], throttle: { share: 20, overrides: {} }, random: seededRandom(30) });
let createSnapshots: Handler<unknown>;
let worker: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let copySnapshot: Handler<unknown>;
let reconcile: Handler<unknown>;
let prune: Handler<unknown>;

async function ours(client: EC2Client, filters: Record<string, string> = {}) {
  const Filters = Object.entries({ [TAG.stack]: STACK, ...filters }).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));
  const result = await client.send(new DescribeSnapshotsCommand({ Filters }));
  return (result.Snapshots ?? []).map((snapshot) => ({ id: snapshot.SnapshotId ?? '', tags: tagRecord(snapshot.Tags) }));
}

const countBy = (values: string[]) => values.reduce((counts, value) => counts.set(value, (counts.get(value) ?? 0) + 1), new Map<string, number>());

/** Lambda's SQS event source, by hand: batches of 10, failed items back after the visibility timeout, until the queue is empty. */
async function drainWorkQueue(): Promise<void> {
  for (let round = 0; round < 500; round += 1) {
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: workQueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'], VisibilityTimeout: 1 }),
    );
    const messages = received.Messages ?? [];
    if (!messages.length) {
      const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: workQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      if (Number(attributes.Attributes?.ApproximateNumberOfMessages) + Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      continue;
    }
    const event = {
      Records: messages.map((message) => ({
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1' },
      })),
    } as unknown as SQSEvent;
    const response = await worker(event, lambdaContext('create-snapshots-worker'));
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    if (done.length) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: workQueueUrl, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })) }));
    }
  }
}

function completionEvent(snapshotId: string): unknown {
  const event = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/events/ebs-create-snapshot-succeeded.json'), 'utf8'));
  const arn = `arn:aws:ec2::${PRIMARY}:snapshot/${snapshotId}`;
  return { ...event, id: `event-${snapshotId}`, resources: [arn], detail: { ...event.detail, snapshot_id: arn } };
}

/** The completion events as the copy-completion queue hands them to copy-snapshot: one SQS record each. */
const completionBatch = (snapshotIds: readonly string[]): SQSEvent =>
  ({ Records: snapshotIds.map((id) => ({ messageId: `message-${id}`, body: JSON.stringify(completionEvent(id)), attributes: { ApproximateReceiveCount: '1' } })) }) as unknown as SQSEvent;

/** One completion event per snapshot reaches copy-snapshot, in batches of 100; what a delivery fails is left to the reconciler. */
async function deliverCompletionEvents(snapshotIds: readonly string[]): Promise<void> {
  for (let start = 0; start < snapshotIds.length; start += 100) {
    await copySnapshot(completionBatch(snapshotIds.slice(start, start + 100)), lambdaContext('copy-snapshot')).catch(() => undefined);
  }
}

const scheduled = (scheduledTime: string, extra: Record<string, unknown> = {}) => ({ scheduledTime, scheduleArn: 'arn', executionId: 'x', attempt: '1', ...extra });

/**
 * Runs a scheduled function until what it must achieve is there, as the scheduler's retries and its next
 * scheduled runs would (a run that throws is an invocation that failed); answers how many runs it took.
 */
async function untilDone(runs: number, run: () => Promise<unknown>, done: () => Promise<boolean>): Promise<number> {
  for (let attempt = 1; attempt <= runs; attempt += 1) {
    await run().catch(() => undefined);
    if (await done()) return attempt;
  }
  return runs + 1;
}

/** Every volume has its snapshot of ours in the slot. */
async function allSnapshotted(slot: string): Promise<boolean> {
  return new Set((await ours(primary, { [TAG.slot]: slot })).map((snapshot) => snapshot.tags[TAG.resourceId])).size === VOLUMES;
}

/** Every snapshot of ours in the slot has its copy in the DR Region. */
async function allCopied(slot: string): Promise<boolean> {
  const sources = new Set((await ours(primary, { [TAG.slot]: slot })).map((snapshot) => snapshot.id));
  const copied = new Set((await ours(dr, { [TAG.slot]: slot })).map((copy) => copy.tags[TAG.sourceSnapshotId]));
  return sources.size > 0 && [...sources].every((id) => copied.has(id));
}

/** The scheduled run queues the slot (re-run when it fails, as the scheduler does); the workers drain the queue. */
async function snapshotSlot(time: string, slot: string): Promise<number> {
  return untilDone(5, async () => {
    await createSnapshots(scheduled(time, { planId: 'gold' }), lambdaContext('create-snapshots'));
    await drainWorkQueue();
  }, () => allSnapshotted(slot));
}

beforeAll(async () => {
  // moto's tag look-up made O(1) (as in the sandbox): same answers, without DescribeSnapshots growing quadratic.
  moto = await startMotoServer({ pythonPath: [join(import.meta.dirname, '../../sandbox/moto-speedups')] });
  primary = ec2(moto.endpoint, PRIMARY);
  dr = ec2(moto.endpoint, DR);
  sqs = new SQSClient(clientConfig(moto.endpoint, PRIMARY));
  const tables = await createStackTables(dynamodb(moto.endpoint, PRIMARY), 'resilience');
  workQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'snapshot-work' }))).QueueUrl ?? '';
  const backlogUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'copy-backlog' }))).QueueUrl ?? '';
  for (let index = 0; index < VOLUMES; index += 1) {
    volumeIds.push((await createVolume(primary, { az: `${PRIMARY}a`, sizeGiB: 1, tags: { 'backup:plan': 'gold' } })).volumeId);
  }
  // Someone else's snapshot, tagged with our plan but not our stack: must survive everything.
  foreignSnapshot =
    (await primary.send(new CreateSnapshotCommand({ VolumeId: volumeIds[0], TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: TAG.plan, Value: 'gold' }] }] }))).SnapshotId ?? '';

  useHandlerEnvironment({
    endpoint: moto.endpoint,
    region: PRIMARY,
    plansYaml: PLANS,
    extra: {
      IDEMPOTENCY_TABLE: tables.idempotencyTable,
      ACTIVITY_TABLE: tables.activityTable,
      SNAPSHOT_WORK_QUEUE_URL: workQueueUrl,
      COPY_BACKLOG_QUEUE_URL: backlogUrl,
      // EC2's limits on a clock 20 times faster, 95% of them for us: the same shape, in a twentieth of the time.
      API_RATE_SHARE: '19',
      // Every wait before a retry (the SDK's backoff, the orchestrator's own) on the same faster clock.
      RETRY_DELAY_SCALE: '0.05',
      // moto completes copies at once: no copy stays in flight, so the reconciler may start them all in one run.
      MAX_COPIES_IN_FLIGHT: '1000',
    },
  });
  const { onClientCreated } = await import('../../shared/aws/clients.js');
  onClientCreated((client, { region }) => faults.attach(client, region));
  ({ handler: createSnapshots } = (await import('../../functions/create-snapshots.js')) as unknown as { handler: Handler<unknown> });
  ({ handler: worker } = (await import('../../functions/create-snapshots-worker.js')) as unknown as { handler: typeof worker });
  ({ handler: copySnapshot } = (await import('../../functions/copy-snapshot.js')) as unknown as { handler: Handler<unknown> });
  ({ handler: reconcile } = (await import('../../functions/reconcile.js')) as unknown as { handler: Handler<unknown> });
  ({ handler: prune } = (await import('../../functions/prune.js')) as unknown as { handler: Handler<unknown> });
}, 300_000);

afterAll(async () => {
  await moto?.stop();
});

describe('a backup cycle over 300 volumes with 30% of EC2 calls failing transiently', () => {
  let firstSlot: Awaited<ReturnType<typeof ours>>;
  const runs: Record<string, number> = {};

  beforeAll(async () => {
    // Slot 10:00: queued, drained, and the completion events copy it in batches of 100; the reconciler repairs the rest.
    runs.snapshot = await snapshotSlot('2026-11-26T10:00:00Z', '2026-11-26T10:00Z');
    firstSlot = await ours(primary, { [TAG.slot]: '2026-11-26T10:00Z' });
    await deliverCompletionEvents(firstSlot.map((snapshot) => snapshot.id));
    runs.copy = await untilDone(10, () => reconcile(scheduled('2026-11-26T10:15:00Z'), lambdaContext('reconcile')), () => allCopied('2026-11-26T10:00Z'));
  }, 900_000);

  it('snapshots every volume exactly once in the slot, though about 30% of the calls failed', () => {
    const perVolume = countBy(firstSlot.map((snapshot) => snapshot.tags[TAG.resourceId] ?? ''));

    expect(runs.snapshot).toBeLessThanOrEqual(5);
    expect(new Set(perVolume.keys())).toEqual(new Set(volumeIds));
    expect([...perVolume.values()].every((count) => count === 1)).toBe(true);
    expect(faults.stats.failed).toBeGreaterThan(100);
  });

  it('copies every snapshot of the slot to the DR Region exactly once', async () => {
    const copies = await ours(dr, { [TAG.slot]: '2026-11-26T10:00Z' });
    const perSource = countBy(copies.map((copy) => copy.tags[TAG.sourceSnapshotId] ?? ''));

    expect(runs.copy).toBeLessThanOrEqual(10);
    expect(new Set(perSource.keys())).toEqual(new Set(firstSlot.map((snapshot) => snapshot.id)));
    expect([...perSource.values()].every((count) => count === 1)).toBe(true);
  });

  it('after the next slot (its events lost) and prune, keeps exactly the newest point of every volume in both Regions and deletes nothing else', async () => {
    const snapshotRuns = await snapshotSlot('2026-11-26T11:00:00Z', '2026-11-26T11:00Z');
    const copyRuns = await untilDone(10, () => reconcile(scheduled('2026-11-26T11:15:00Z'), lambdaContext('reconcile')), () => allCopied('2026-11-26T11:00Z'));
    const pruneRuns = await untilDone(10, () => prune(scheduled('2026-11-26T11:30:00Z', { budget: 10_000 }), lambdaContext('prune')), async () =>
      [...(await ours(primary)), ...(await ours(dr))].every((snapshot) => snapshot.tags[TAG.slot] === '2026-11-26T11:00Z'),
    );

    const primaryLeft = await ours(primary);
    const drLeft = await ours(dr);
    expect({ snapshotRuns: snapshotRuns <= 5, copyRuns: copyRuns <= 10, pruneRuns: pruneRuns <= 10 }).toEqual({ snapshotRuns: true, copyRuns: true, pruneRuns: true });
    expect(primaryLeft.map((snapshot) => snapshot.tags[TAG.slot])).toEqual(Array(VOLUMES).fill('2026-11-26T11:00Z'));
    expect(new Set(primaryLeft.map((snapshot) => snapshot.tags[TAG.resourceId]))).toEqual(new Set(volumeIds));
    expect(drLeft.map((copy) => copy.tags[TAG.slot])).toEqual(Array(VOLUMES).fill('2026-11-26T11:00Z'));
    expect(new Set(drLeft.map((copy) => copy.tags[TAG.sourceSnapshotId]))).toEqual(new Set(primaryLeft.map((snapshot) => snapshot.id)));
    const foreign = await primary.send(new DescribeSnapshotsCommand({ SnapshotIds: [foreignSnapshot] }));
    expect(foreign.Snapshots).toHaveLength(1);
  }, 900_000);
});
