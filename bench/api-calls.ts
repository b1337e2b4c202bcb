/**
 * API calls per resource per full cycle: a plan of N volumes with one DR Region, run through the real
 * handlers against moto — the scheduled run queues the slot, the workers create, the completion events
 * copy in the batches their queue hands over (20 per DR Region at once), the copy pump starts the rest
 * minute by minute, the reconciler runs, prune deletes the previous slot in both Regions. Every EC2 and RDS
 * call of the second cycle is counted (SQS and DynamoDB calls are not: they are not EC2's buckets).
 * The minimum: one create, one copy and two deletes per resource, plus the listings at full pages.
 */
import { DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAG } from '../shared/domain/recovery-point-tags.js';
import { clientConfig, dynamodb, ec2 } from '../sandbox/aws-clients.js';
import { queueBatch } from '../sandbox/completion-events.js';
import { createVolume } from '../sandbox/estate.js';
import { startMotoServer } from '../sandbox/moto-server.js';
import { createStackTables } from '../sandbox/stack-tables.js';
import { apiNameOf, serviceOfClient } from '../shared/aws/api-rate-limiter.js';

export interface ApiCallsFigure {
  resources: number;
  perResource: number;
  minimumPerResource: number;
  ratio: number;
  byApi: Record<string, number>;
}

const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';

type Handler<E, T> = (event: E, context: Context) => Promise<T>;

function context(name: string): Context {
  return { functionName: name, awsRequestId: `bench-${Math.random()}`, getRemainingTimeInMillis: () => 900_000 } as unknown as Context;
}

export async function benchApiCalls(resources = 200): Promise<ApiCallsFigure> {
  const moto = await startMotoServer();
  try {
    const primary: EC2Client = ec2(moto.endpoint, PRIMARY);
    const sqs = new SQSClient(clientConfig(moto.endpoint, PRIMARY));
    const tables = await createStackTables(dynamodb(moto.endpoint, PRIMARY), 'bench');
    const workQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'snapshot-work' }))).QueueUrl ?? '';
    // A copy the pump cannot start yet is offered again on its next run (the stack's queue: 50 s, under the pump's minute).
    const backlogUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'copy-backlog', Attributes: { VisibilityTimeout: '0' } }))).QueueUrl ?? '';
    const backlogWaiting = async () =>
      Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: backlogUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages ?? '0');
    for (let index = 0; index < resources; index += 1) await createVolume(primary, { az: `${PRIMARY}a`, sizeGiB: 1, tags: { 'backup:plan': 'gold' } });

    const folder = mkdtempSync(join(tmpdir(), 'bo-bench-'));
    writeFileSync(
      join(folder, 'plans.yml'),
      `version: 1\nprimaryRegion: ${PRIMARY}\nplans:\n  - id: gold\n    selection: { resourceTypes: [ebs-volume] }\n    schedule: { expression: cron(0 * * * ? *) }\n    rpo: 2h\n    rto: 1h\n    retention: { count: 1 }\n    copies:\n      - region: ${DR}\n        encrypted: false\n`,
    );
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: PRIMARY,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      STACK_NAME: 'backup-orchestrator-bench',
      PLANS_FILE: join(folder, 'plans.yml'),
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      IDEMPOTENCY_TABLE: tables.idempotencyTable,
      ACTIVITY_TABLE: tables.activityTable,
      SNAPSHOT_WORK_QUEUE_URL: workQueueUrl,
      COPY_BACKLOG_QUEUE_URL: backlogUrl,
      API_RATE_SHARE: '100',
    });
    const counts = new Map<string, number>();
    let counting = false;
    const { onClientCreated } = await import('../shared/aws/clients.js');
    onClientCreated((client) => {
      client.middlewareStack.add(
        (next, ctx) => async (args) => {
          const service = serviceOfClient(ctx.clientName);
          if (counting && (service === 'ec2' || service === 'rds')) counts.set(`${service}:${apiNameOf(ctx.commandName)}`, (counts.get(`${service}:${apiNameOf(ctx.commandName)}`) ?? 0) + 1);
          return next(args);
        },
        { step: 'finalizeRequest', name: 'benchCallCount' },
      );
    });
    const load = async <E, T>(file: string) => ((await import(file)) as { handler: Handler<E, T> }).handler;
    const createSnapshots = await load<unknown, unknown>('../functions/create-snapshots.js');
    const worker = await load<SQSEvent, SQSBatchResponse>('../functions/create-snapshots-worker.js');
    const copySnapshot = await load<SQSEvent, SQSBatchResponse>('../functions/copy-snapshot.js');
    const copyPump = await load<unknown, unknown>('../functions/copy-pump.js');
    const reconcile = await load<unknown, unknown>('../functions/reconcile.js');
    const prune = await load<unknown, unknown>('../functions/prune.js');
    const scheduled = (scheduledTime: string, extra: Record<string, unknown> = {}) => ({ scheduledTime, ...extra });

    const cycle = async (slot: string) => {
      await createSnapshots(scheduled(`${slot}:00Z`, { planId: 'gold' }), context('create-snapshots'));
      for (;;) {
        const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: workQueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages ?? [];
        if (!messages.length) break;
        const event = { Records: messages.map((message) => ({ messageId: message.MessageId, body: message.Body, attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1' } })) } as unknown as SQSEvent;
        await worker(event, context('create-snapshots-worker'));
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: workQueueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })) }));
      }
      // What EventBridge puts in the copy-completion queue for each completed snapshot, handed over as the
      // queue's event source does: batches of up to 100 (infra/functions/copy-snapshot.yml).
      const created = (await primary.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAG.slot}`, Values: [`${slot}Z`] }] }))).Snapshots ?? [];
      const events = created.map((snapshot) => {
        const arn = `arn:aws:ec2::${PRIMARY}:snapshot/${snapshot.SnapshotId}`;
        return { version: '0', id: `event-${snapshot.SnapshotId}`, 'detail-type': 'EBS Snapshot Notification', source: 'aws.ec2', account: '123456789012', time: `${slot}:04Z`, region: PRIMARY, resources: [arn], detail: { event: 'createSnapshot', result: 'succeeded', cause: '', 'request-id': '', snapshot_id: arn, source: `arn:aws:ec2::${PRIMARY}:volume/vol-0`, startTime: `${slot}:00Z`, endTime: `${slot}:04Z` } };
      });
      for (let start = 0; start < events.length; start += 100) {
        const response = await copySnapshot(queueBatch(events.slice(start, start + 100), { region: PRIMARY }), context('copy-snapshot'));
        if (response.batchItemFailures.length) throw new Error(`copy-snapshot asked for ${response.batchItemFailures.length} event(s) again`);
      }
      // A batch starts at most 20 copies per DR Region (AWS's in-flight limit); the pump, every minute, the rest.
      for (let minute = 5; minute < 15; minute += 1) {
        await copyPump(scheduled(`${slot}:${String(minute).padStart(2, '0')}Z`), context('copy-pump'));
        if (!(await backlogWaiting())) break;
      }
      await reconcile(scheduled(`${slot}:15Z`), context('reconcile'));
      await prune(scheduled(`${slot}:30Z`), context('prune'));
    };

    await cycle('2026-11-26T10:00');
    counting = true;
    await cycle('2026-11-26T11:00');
    counting = false;

    const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
    const pages = (items: number, size: number) => Math.ceil(items / size);
    // Create, copy, delete in both Regions; list the volumes, the slot, and each Region's two points per resource.
    const minimum = 4 * resources + pages(resources, 500) + pages(resources, 1000) + 2 * pages(2 * resources, 1000);
    return { resources, perResource: total / resources, minimumPerResource: minimum / resources, ratio: total / minimum, byApi: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])) };
  } finally {
    await moto.stop();
  }
}
