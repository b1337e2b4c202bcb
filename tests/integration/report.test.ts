import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { clientConfig, dynamodb, ec2, sns } from '../../sandbox/aws-clients.js';
import { createVolume } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { createStackTables } from '../../sandbox/stack-tables.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';

const REGION = 'eu-west-1';
const PLANS = `
version: 1
primaryRegion: ${REGION}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
`;

type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;
let moto: MotoServer;
let sqs: SQSClient;
let queueUrl: string;
let createSnapshots: Handler;
let report: Handler;

/** Reads what the topic delivered to the subscribed queue: the SNS envelope around the JSON form. */
async function deliveredReports(): Promise<Array<{ subject: string; form: Record<string, unknown> }>> {
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (received.Messages ?? []).map((message) => {
    const envelope = JSON.parse(message.Body ?? '{}') as { Subject: string; Message: string };
    return { subject: envelope.Subject, form: JSON.parse(envelope.Message) as Record<string, unknown> };
  });
}

beforeAll(async () => {
  moto = await startMotoServer();
  const ec2Client = ec2(moto.endpoint, REGION);
  sqs = new SQSClient(clientConfig(moto.endpoint, REGION));
  const tables = await createStackTables(dynamodb(moto.endpoint, REGION), 'report');
  const { TopicArn } = await sns(moto.endpoint, REGION).send(new CreateTopicCommand({ Name: 'notifications' }));
  ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'inbox' })));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns(moto.endpoint, REGION).send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));

  await createVolume(ec2Client, { az: `${REGION}a`, sizeGiB: 100, tags: { 'backup:plan': 'gold', Name: 'orders' } });
  await createVolume(ec2Client, { az: `${REGION}a`, sizeGiB: 50, tags: { 'backup:plan': 'silver', Name: 'cache' } });
  await createVolume(ec2Client, { az: `${REGION}a`, sizeGiB: 10, tags: { Name: 'scratch' } });

  useHandlerEnvironment({
    endpoint: moto.endpoint,
    region: REGION,
    plansYaml: PLANS,
    extra: { IDEMPOTENCY_TABLE: tables.idempotencyTable, ACTIVITY_TABLE: tables.activityTable, NOTIFICATION_TOPIC_ARN: TopicArn ?? '', REPORT_TIMEZONE: 'Europe/Paris' },
  });
  ({ handler: createSnapshots } = (await import('../../functions/create-snapshots.js')) as unknown as { handler: Handler });
  ({ handler: report } = (await import('../../functions/report.js')) as unknown as { handler: Handler });
});

afterAll(async () => {
  await moto?.stop();
});

describe('report handler against moto', () => {
  it('emails a report after a backup cycle: the gold volume compliant, the silver one never backed up, the scratch volume unprotected', async () => {
    await createSnapshots({ planId: 'gold', scheduledTime: '2026-11-26T04:00:00Z' }, lambdaContext('create-snapshots'));

    const result = await report({ scheduledTime: '2026-11-26T07:00:00Z' }, lambdaContext('report'));
    const [delivered, ...more] = await deliveredReports();

    expect(more).toHaveLength(0);
    // One RPO breach (silver never ran) and two plans never drilled.
    expect(result.problems).toBe(3);
    expect(delivered?.subject).toBe(result.subject);
    expect(delivered?.subject).toContain('3 problems: 1 RPO breach, 2 stale drills');
    const form = delivered?.form as {
      problems: number;
      plans: Array<{ planId: string; resources: Array<{ name?: string; regions: Array<{ status: string; ageSeconds?: number }> }> }>;
      unprotected: { count: number; resources: Array<{ name?: string }> };
      activity: { created: number };
    };
    expect(form.problems).toBe(3);
    expect(form.plans.find((plan) => plan.planId === 'gold')?.resources[0]?.regions[0]).toMatchObject({ status: 'ok', ageSeconds: 3 * 3600 });
    expect(form.plans.find((plan) => plan.planId === 'silver')?.resources[0]?.regions[0]).toMatchObject({ status: 'none' });
    expect(form.unprotected.resources.map((resource) => resource.name)).toEqual(['scratch']);
    expect(form.activity.created).toBe(1);
  });

  it('says in the email text what an on-call person needs first: the problem, the plan and the resource', async () => {
    const result = (await report({ scheduledTime: '2026-11-26T07:00:00Z', send: false }, lambdaContext('report'))) as { report: { text: string } };

    expect(result.report.text.split('\n')[0]).toBe('3 problems: 1 RPO breach, 2 stale drills');
    expect(result.report.text).toContain('silver');
    expect(result.report.text).toContain('"cache"');
    expect(result.report.text).toContain('"scratch"');
    expect(await deliveredReports()).toHaveLength(0);
  });

  it('rejects a payload of the wrong shape and sends nothing', async () => {
    await expect(report({ scheduledTime: 'tomorrow morning' }, lambdaContext('report'))).rejects.toThrow(
      'report received a payload that is not a report run: scheduledTime must be an ISO-8601 timestamp',
    );
    expect(await deliveredReports()).toHaveLength(0);
  });
});
