import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityLog } from '../../shared/aws/activity-log.js';
import { clientConfig, dynamodb, ec2, sns } from '../../sandbox/aws-clients.js';
import { createVolume } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { createStackTables } from '../../sandbox/stack-tables.js';
import { runCli } from '../support/cli.js';

const REGION = 'eu-west-1';
const STACK = 'backup-orchestrator-cli';
/** The name CloudFormation gives the stack's unnamed ActivityTable. */
const ACTIVITY_TABLE = `${STACK}-ActivityTable-1A2B3C4D5E6F`;
const NOW = new Date('2026-11-26T15:30:00Z');
const env = { STACK_NAME: STACK };
let moto: MotoServer;
let plansFile: string;
let topicArn: string;
let queueUrl: string;
let sqs: SQSClient;

async function delivered(): Promise<Array<{ Subject: string; Message: string }>> {
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (received.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}') as { Subject: string; Message: string });
}

beforeAll(async () => {
  // The SDK's credential chain reads the process environment: fake keys, and every call goes to moto.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  moto = await startMotoServer();
  plansFile = join(mkdtempSync(join(tmpdir(), 'bo-cli-report-')), 'plans.yml');
  writeFileSync(
    plansFile,
    `version: 1\nprimaryRegion: ${REGION}\nplans:\n  - id: gold\n    selection: { resourceTypes: [ebs-volume] }\n    schedule: { expression: cron(0 */4 * * ? *) }\n    rpo: 8h\n    rto: 1h\n    retention: { count: 3 }\n`,
  );
  await createVolume(ec2(moto.endpoint, REGION), { az: `${REGION}a`, sizeGiB: 8, tags: { 'backup:plan': 'gold', Name: 'orders' } });
  await createVolume(ec2(moto.endpoint, REGION), { az: `${REGION}a`, sizeGiB: 8, tags: { Name: 'scratch' } });
  await createStackTables(dynamodb(moto.endpoint, REGION), STACK, { activityTable: ACTIVITY_TABLE });
  ({ TopicArn: topicArn = '' } = await sns(moto.endpoint, REGION).send(new CreateTopicCommand({ Name: `${STACK}-notifications` })));
  sqs = new SQSClient(clientConfig(moto.endpoint, REGION));
  ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'inbox' })));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns(moto.endpoint, REGION).send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
});

afterAll(async () => {
  await moto?.stop();
});

describe('backup-orchestrator report against a local endpoint', () => {
  it('prints the report, finds the run log by its CloudFormation name, shows progress and exits 1 on problems', async () => {
    const result = await runCli(['report', '--plans', plansFile, '--endpoint', moto.endpoint], env, NOW);

    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('2 problems: 1 RPO breach, 1 stale drill');
    expect(result.stdout).toContain('"orders"');
    expect(result.stdout).toContain('"scratch"');
    expect(result.stderr).toBe(`reading the recovery points of ${STACK} in ${REGION} and the run log ${ACTIVITY_TABLE}…`);
    expect(await delivered()).toEqual([]);
  });

  it('prints the JSON form with --json, and nothing on stderr', async () => {
    const result = await runCli(['report', '--plans', plansFile, '--endpoint', moto.endpoint, '--json'], env, NOW);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ schemaVersion: 1, stack: STACK, problems: 2 });
  });

  it('says in the report that the run log was not found, rather than guessing', async () => {
    const result = await runCli(['report', '--plans', plansFile, '--endpoint', moto.endpoint, '--stack', 'another-stack'], env, NOW);

    expect(result.stdout).toContain('the run log (DynamoDB table another-stack-ActivityTable-…) was not found');
    expect(result.stderr).toBe(`reading the recovery points of another-stack in ${REGION}…`);
  });

  it('exits 0 once every resource has a recovery point within its RPO and every plan a recent drill', async () => {
    await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', '2026-11-26T12:00:00Z'], env, NOW);
    const log = new ActivityLog(DynamoDBDocumentClient.from(dynamodb(moto.endpoint, REGION)), ACTIVITY_TABLE);
    await log.record({
      at: new Date('2026-11-23T06:10:00Z'),
      kind: 'drill',
      source: 'restore-drill',
      planId: 'gold',
      failures: [],
      drill: { at: new Date('2026-11-23T06:00:00Z'), passed: true, region: REGION, resourceId: 'orders', rtoMs: 600_000, rtoObjectiveMs: 3_600_000, achievedRpoMs: 7_200_000, rpoObjectiveMs: 28_800_000 },
    });

    const result = await runCli(['report', '--plans', plansFile, '--endpoint', moto.endpoint, '--activity-table', ACTIVITY_TABLE, '--json'], env, NOW);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ problems: 0 });
  });

  it('publishes both forms to the topic with --send and says so', async () => {
    const result = await runCli(['report', '--plans', plansFile, '--endpoint', moto.endpoint, '--send'], { ...env, NOTIFICATION_TOPIC_ARN: topicArn }, NOW);
    const [message, ...more] = await delivered();

    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').at(-1)).toMatch(new RegExp(`^sent to ${topicArn} \\(message [0-9a-f-]+\\)$`));
    expect(more).toEqual([]);
    expect(message?.Subject).toMatch(new RegExp(`^\\[${STACK}\\] `));
    // The queue receives the JSON form; an email subscriber would receive the text printed above.
    expect(JSON.parse(message?.Message ?? '{}')).toMatchObject({ schemaVersion: 1, problems: 0 });
  });
});
