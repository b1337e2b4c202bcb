import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateSnapshotCommand } from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActivityLog } from '../../shared/aws/activity-log.js';
import { snsClient } from '../../shared/aws/clients.js';
import { summarizeActivity } from '../../shared/domain/activity.js';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import type { NotifyFailureResult } from '../../shared/use-cases/notify-failure.js';
import { clientConfig, dynamodb, ec2, sns as snsTestClient } from '../../sandbox/aws-clients.js';
import { createVolume } from '../../sandbox/estate.js';
import { Mailbox } from '../../sandbox/mailbox.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { createStackTables } from '../../sandbox/stack-tables.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';

const REGION = 'eu-west-1';
const STACK = 'backup-orchestrator-test';
const PLANS = `
version: 1
primaryRegion: ${REGION}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
`;

type Handler = (event: unknown, context: Context) => Promise<NotifyFailureResult>;

let moto: MotoServer;
let handler: Handler;
/** A mailbox per test (it keeps every publish it saw); the last one made watches the handler's client. */
let newMailbox: () => Mailbox;
let activityLog: ActivityLog;
let snapshotId: string;
/** Publishes SNS refuses before it accepts again, as a throttled or failing SNS does. */
let refusedPublishes = 0;

/** The failed-snapshot event AWS sends, about a snapshot in moto, with its own event id and time. */
function failedEvent(eventId: string, time: string): unknown {
  const event = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/events/ebs-create-snapshot-failed.json'), 'utf8')) as Record<string, unknown>;
  const arn = `arn:aws:ec2::${REGION}:snapshot/${snapshotId}`;
  return { ...event, id: eventId, time, resources: [arn], detail: { ...(event.detail as object), snapshot_id: arn } };
}

/** Lambda's asynchronous invocation: the same event again after a failed attempt, at most twice. */
async function invokeWithRetries(event: unknown): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      await handler(event, lambdaContext(`${STACK}-notifyFailure`));
      return;
    } catch {
      // the attempt failed: Lambda retries the event
    }
  }
}

beforeAll(async () => {
  moto = await startMotoServer();
  const tables = await createStackTables(dynamodb(moto.endpoint, REGION), STACK);
  const { TopicArn: topicArn } = await snsTestClient(moto.endpoint, REGION).send(new CreateTopicCommand({ Name: `${STACK}-notifications` }));
  const sqs = new SQSClient(clientConfig(moto.endpoint, REGION));
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${STACK}-inbox` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await snsTestClient(moto.endpoint, REGION).send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  useHandlerEnvironment({
    endpoint: moto.endpoint,
    region: REGION,
    plansYaml: PLANS,
    extra: { IDEMPOTENCY_TABLE: tables.idempotencyTable, ACTIVITY_TABLE: tables.activityTable, NOTIFICATION_TOPIC_ARN: topicArn ?? '' },
  });
  // The client the handler publishes with (cached per Region and endpoint): refusals before the mailbox sees them.
  const sns = snsClient({ region: REGION, endpoint: moto.endpoint });
  newMailbox = () => {
    const mailbox = new Mailbox(sqs, queueUrl ?? '');
    mailbox.watch(sns);
    return mailbox;
  };
  sns.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishCommand' && refusedPublishes > 0) {
        refusedPublishes -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'refusePublish', priority: 'high' },
  );

  const { volumeId } = await createVolume(ec2(moto.endpoint, REGION), { az: `${REGION}a`, sizeGiB: 1 });
  const snapshot = await ec2(moto.endpoint, REGION).send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: TAG.stack, Value: STACK },
            { Key: TAG.plan, Value: 'gold' },
            { Key: TAG.resourceId, Value: volumeId },
            { Key: TAG.resourceType, Value: 'ebs-volume' },
          ],
        },
      ],
    }),
  );
  snapshotId = snapshot.SnapshotId ?? '';

  ({ handler } = (await import('../../functions/notify-failure.js')) as { handler: Handler });
  activityLog = new ActivityLog(DynamoDBDocumentClient.from(dynamodb(moto.endpoint, REGION)), tables.activityTable);
}, 60_000);

afterAll(async () => {
  await moto.stop();
});

describe('notify-failure', () => {
  it('emails a failure once and counts it once when SNS refused the first attempt and EventBridge delivered the event again', async () => {
    refusedPublishes = 1;
    const mailbox = newMailbox();
    const event = failedEvent('event-1', '2026-11-26T11:02:40Z');

    await invokeWithRetries(event);
    await invokeWithRetries(event);

    const emails = await mailbox.collect();
    expect(emails.map((email) => email.subject)).toEqual([`[${STACK}] backup failed: plan gold, createSnapshot in ${REGION}`]);
    const records = await activityLog.list(new Date('2026-11-26T00:00:00Z'), new Date('2026-11-27T00:00:00Z'));
    expect(summarizeActivity(records).failures.map((group) => [group.planId, group.count])).toEqual([['gold', 1]]);
  });

  it('emails the next failure of the plan in the hour when SNS refused every attempt of the first one', async () => {
    refusedPublishes = 3;
    const mailbox = newMailbox();

    await invokeWithRetries(failedEvent('event-2', '2026-11-26T15:05:00Z'));
    await invokeWithRetries(failedEvent('event-3', '2026-11-26T15:40:00Z'));
    await invokeWithRetries(failedEvent('event-4', '2026-11-26T15:50:00Z'));

    const emails = await mailbox.collect();
    expect(emails.map((email) => JSON.parse(String(email.envelope.Message)) as { eventId: string }).map((notice) => notice.eventId)).toEqual(['event-3']);
    const records = await activityLog.list(new Date('2026-11-26T15:00:00Z'), new Date('2026-11-26T16:00:00Z'));
    expect(summarizeActivity(records).failures.map((group) => [group.planId, group.count])).toEqual([['gold', 3]]);
  });
});
