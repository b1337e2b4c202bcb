/**
 * The real statemachines/restore-drill.asl.json, validated with asl-validator and executed with
 * aws-local-stepfunctions: Lambda Tasks run the real handlers in-process, aws-sdk Tasks the same SDK calls
 * against moto. The plan's validation function (a Lambda moto cannot run) is answered by aws-sdk-client-mock.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ListMetricsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  StopDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { ec2Client } from '../../shared/aws/clients.js';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import type { DrillResult } from '../../shared/domain/drill-report.js';
import { clientConfig, ec2, rds, sns } from '../../sandbox/aws-clients.js';
import { createAuroraCluster, createDbInstance, createInstanceWithVolumes, createVolume, toEc2Tags, toRdsTags } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';
import { ROOT } from '../support/package-stack.js';
import { bindDefinition, runExecution, taskHandlers, withExecutionStart, type LambdaHandler, type TaskHandler } from '../../sandbox/step-functions.js';

const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const STACK = 'backup-orchestrator-test';
const ACCOUNT = '123456789012';
const ASL_FILE = join(ROOT, 'statemachines/restore-drill.asl.json');
/**
 * The drill's clock: start (the scheduled time a schedule sends), its execution's start a moment later, and the
 * moment the restore is validated (the states' entered time).
 */
const STARTED_AT = '2026-01-15T11:10:00Z';
const EXECUTION_STARTED_AT = '2026-01-15T11:10:02Z';
const VALIDATED_AT = '2026-01-15T11:24:32Z';
const PLANS = `
version: 1
primaryRegion: ${PRIMARY}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, ec2-instance, rds-instance, aurora-cluster] }
    schedule: { expression: cron(0 */4 * * ? *), timezone: UTC }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    copies:
      - { region: ${DR}, encrypted: false }
    drill:
      region: primary
      instanceClass: db.t3.medium
      validationFunction: gold-smoke-test
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
`;
const FUNCTIONS = {
  DrillValidateInputFunctionArn: ['drillValidateInput', 'drill-validate-input'],
  DrillSelectRecoveryPointFunctionArn: ['drillSelectRecoveryPoint', 'drill-select-recovery-point'],
  DrillRestoreFunctionArn: ['drillRestore', 'drill-restore'],
  DrillCheckRestoreFunctionArn: ['drillCheckRestore', 'drill-check-restore'],
  DrillValidateRestoreFunctionArn: ['drillValidateRestore', 'drill-validate-restore'],
  DrillCleanupFunctionArn: ['drillCleanup', 'drill-cleanup'],
  DrillReportFunctionArn: ['drillReport', 'drill-report'],
} as const;
const functionArn = (name: string) => `arn:aws:lambda:${PRIMARY}:${ACCOUNT}:function:${STACK}-${name}`;

interface Email {
  subject: string;
  body: string;
  verdict: string;
  result: DrillResult;
}

let moto: MotoServer;
let definition: StateMachineDefinition;
let machine: StateMachine;
let tasks: Record<string, TaskHandler>;
let queueUrl: string;
let janitor: LambdaHandler;
const clients: { ec2: Record<string, EC2Client>; rds: Record<string, RDSClient>; sqs?: SQSClient } = { ec2: {}, rds: {} };
const lambdaMock = mockClient(LambdaClient);
const estate = { volume: '', instance: '', instanceVolumes: [] as string[] };
let executions = 0;

function pointTags(resourceId: string, resourceType: string, slot: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [TAG.stack]: STACK, [TAG.plan]: 'gold', [TAG.resourceId]: resourceId, [TAG.resourceType]: resourceType, [TAG.slot]: slot, ...extra };
}

/** Recovery points as create-snapshots (primary) and copy-snapshot (DR, with the source's time) leave them. */
async function buildEstate(): Promise<void> {
  const primary = { ec2: clients.ec2[PRIMARY] as EC2Client, rds: clients.rds[PRIMARY] as RDSClient };
  const dr = { ec2: clients.ec2[DR] as EC2Client, rds: clients.rds[DR] as RDSClient };
  estate.volume = (await createVolume(primary.ec2, { az: `${PRIMARY}a`, sizeGiB: 10, tags: { 'backup:plan': 'gold' } })).volumeId;
  for (const slot of ['2026-01-15T04:00Z', '2026-01-15T08:00Z']) {
    await primary.ec2.send(new CreateSnapshotCommand({ VolumeId: estate.volume, TagSpecifications: [{ ResourceType: 'snapshot', Tags: toEc2Tags(pointTags(estate.volume, 'ebs-volume', slot)) }] }));
  }
  const instance = await createInstanceWithVolumes(primary.ec2, { az: `${PRIMARY}a`, extraVolumes: 1, extraVolumeSizeGiB: 5, tags: { 'backup:plan': 'gold' } });
  estate.instance = instance.instanceId;
  estate.instanceVolumes = instance.volumeIds;
  await primary.ec2.send(
    new CreateSnapshotsCommand({
      InstanceSpecification: { InstanceId: instance.instanceId },
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: toEc2Tags(pointTags(instance.instanceId, 'ec2-instance', '2026-01-15T08:00Z')) }],
    }),
  );
  await createDbInstance(primary.rds, { id: 'orders', tags: { 'backup:plan': 'gold' } });
  await primary.rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'bo-gold-orders-20260115-0800', DBInstanceIdentifier: 'orders', Tags: toRdsTags(pointTags('orders', 'rds-instance', '2026-01-15T08:00Z')) }));
  await createAuroraCluster(primary.rds, { id: 'ledger', tags: { 'backup:plan': 'gold' } });
  await primary.rds.send(
    new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'bo-gold-ledger-20260115-0800', DBClusterIdentifier: 'ledger', Tags: toRdsTags(pointTags('ledger', 'aurora-cluster', '2026-01-15T08:00Z')) }),
  );

  // DR copies lag: the 08:00 points are not copied yet, so the DR Region's latest holds data from 04:00:37.
  const copy = (resourceId: string, type: string) =>
    pointTags(resourceId, type, '2026-01-15T04:00Z', { [TAG.sourceRegion]: PRIMARY, [TAG.sourceTime]: '2026-01-15T04:00:37Z', [TAG.sourceSnapshotId]: 'snap-source' });
  const drVolume = (await createVolume(dr.ec2, { az: `${DR}a`, sizeGiB: 10 })).volumeId;
  await dr.ec2.send(new CreateSnapshotCommand({ VolumeId: drVolume, TagSpecifications: [{ ResourceType: 'snapshot', Tags: toEc2Tags(copy(estate.volume, 'ebs-volume')) }] }));
  await dr.ec2.send(new DeleteVolumeCommand({ VolumeId: drVolume }));
  await createDbInstance(dr.rds, { id: 'orders' });
  await dr.rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'bo-gold-orders-20260115-0400', DBInstanceIdentifier: 'orders', Tags: toRdsTags(copy('orders', 'rds-instance')) }));
  await dr.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders', SkipFinalSnapshot: true }));
  const drCluster = await createAuroraCluster(dr.rds, { id: 'ledger' });
  await dr.rds.send(new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: 'bo-gold-ledger-20260115-0400', DBClusterIdentifier: 'ledger', Tags: toRdsTags(copy('ledger', 'aurora-cluster')) }));
  for (const id of drCluster.instanceIds) await dr.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id }));
  await dr.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'ledger', SkipFinalSnapshot: true }));
}

/** Every drill resource still in moto, in both Regions: volumes by our drill tags, databases by their bo-drill- names. */
async function drillLeftovers(): Promise<string[]> {
  const left: string[] = [];
  for (const region of [PRIMARY, DR]) {
    const volumes = await (clients.ec2[region] as EC2Client).send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: [TAG.drillId] }] }));
    left.push(...(volumes.Volumes ?? []).filter((volume) => volume.State !== 'deleting').map((volume) => `${region} volume ${volume.VolumeId}`));
    const instances = await (clients.rds[region] as RDSClient).send(new DescribeDBInstancesCommand({}));
    left.push(...(instances.DBInstances ?? []).filter((db) => db.DBInstanceIdentifier?.startsWith('bo-drill-') && db.DBInstanceStatus !== 'deleting').map((db) => `${region} db ${db.DBInstanceIdentifier}`));
    const clusters = await (clients.rds[region] as RDSClient).send(new DescribeDBClustersCommand({}));
    left.push(...(clusters.DBClusters ?? []).filter((db) => db.DBClusterIdentifier?.startsWith('bo-drill-') && db.Status !== 'deleting').map((db) => `${region} cluster ${db.DBClusterIdentifier}`));
  }
  return left;
}

async function volumeCount(): Promise<number> {
  let count = 0;
  for (const region of [PRIMARY, DR]) count += (await (clients.ec2[region] as EC2Client).send(new DescribeVolumesCommand({}))).Volumes?.length ?? 0;
  return count;
}

/** The emails published since the last call, read from the SQS queue subscribed to the topic. */
async function takeEmails(): Promise<Email[]> {
  const sqs = clients.sqs as SQSClient;
  const emails: Email[] = [];
  for (;;) {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!received.Messages?.length) break;
    for (const message of received.Messages) {
      const envelope = JSON.parse(message.Body ?? '{}') as { Subject: string; Message: string; MessageAttributes?: Record<string, { Value: string }> };
      const json = envelope.Message.split('--- machine-readable result ---\n')[1];
      emails.push({
        subject: envelope.Subject,
        body: envelope.Message,
        verdict: envelope.MessageAttributes?.verdict?.Value ?? '',
        result: json ? (JSON.parse(json) as DrillResult) : ({} as DrillResult),
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return emails;
}


/** Runs one drill; `now` is what `$$.State.EnteredTime` reads (the local runner has one clock per execution). */
async function drill(input: unknown, options: { now?: string; override?: Record<string, TaskHandler> } = {}) {
  executions += 1;
  const name = `drill-test-${executions}`;
  const run: RunOptions = {
    overrides: {
      taskResourceLocalHandlers: { ...tasks, ValidateInput: withExecutionStart(tasks.ValidateInput as TaskHandler, EXECUTION_STARTED_AT), ...options.override },
      waitTimeOverrides: { WaitForRestore: 0 },
      retryIntervalOverrides: Object.fromEntries(Object.keys(tasks).map((state) => [state, 0])),
    },
    context: {
      Execution: { Id: `arn:aws:states:${PRIMARY}:${ACCOUNT}:execution:${STACK}-restore-drill:${name}`, Name: name },
      State: { EnteredTime: options.now ?? VALIDATED_AT },
    },
  };
  return runExecution(machine, input, run);
}

const injected = (message = 'injected by the test') => Object.assign(new Error(message), { name: 'InjectedFailure' });

/** An AWS error as the SDK throws it: its name and HTTP status. */
const awsError = (name: string, status: number, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

let interceptions = 0;
/**
 * Answers calls of one command on the handlers' own (cached) EC2 client in `region` before they reach moto, and
 * before the SDK's own retry: `answer` returns an error to throw, an output to return, or undefined to let the
 * call through. Returns the function that removes it.
 */
function interceptEc2(region: string, commandName: string, answer: (input: Record<string, unknown>) => Error | Record<string, unknown> | undefined): () => void {
  const client = ec2Client({ region, endpoint: moto.endpoint });
  interceptions += 1;
  const name = `test-intercept-${interceptions}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      const answered = answer(args.input as Record<string, unknown>);
      if (answered instanceof Error) throw answered;
      return answered ? { output: { $metadata: {}, ...answered } as never, response: {} } : next(args);
    },
    { step: 'initialize', name },
  );
  return () => void client.middlewareStack.remove(name);
}

/** Deletes drill volumes a failed test left in moto, so the next test starts clean. */
async function removeDrillVolumes(): Promise<void> {
  for (const region of [PRIMARY, DR]) {
    const client = clients.ec2[region] as EC2Client;
    const volumes = await client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: [TAG.drillId] }] }));
    for (const volume of volumes.Volumes ?? []) await client.send(new DeleteVolumeCommand({ VolumeId: volume.VolumeId }));
  }
}

beforeAll(async () => {
  moto = await startMotoServer();
  for (const region of [PRIMARY, DR]) {
    clients.ec2[region] = ec2(moto.endpoint, region);
    clients.rds[region] = rds(moto.endpoint, region);
  }
  clients.sqs = new SQSClient(clientConfig(moto.endpoint, PRIMARY));
  const topic = await sns(moto.endpoint, PRIMARY).send(new CreateTopicCommand({ Name: `${STACK}-notifications` }));
  queueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'drill-emails' }))).QueueUrl as string;
  const queueArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  await sns(moto.endpoint, PRIMARY).send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: queueArn }));
  await buildEstate();

  useHandlerEnvironment({ endpoint: moto.endpoint, region: PRIMARY, plansYaml: PLANS });
  const lambdas: Record<string, LambdaHandler> = {};
  const substitutions: Record<string, string> = { NotificationsTopicArn: topic.TopicArn as string, MetricsNamespace: 'BackupOrchestrator' };
  for (const [placeholder, [name, file]] of Object.entries(FUNCTIONS)) {
    substitutions[placeholder] = functionArn(name);
    lambdas[functionArn(name)] = ((await import(`../../functions/${file}.js`)) as { handler: LambdaHandler }).handler;
  }
  ({ handler: janitor } = (await import('../../functions/drill-janitor.js')) as { handler: LambdaHandler });
  definition = bindDefinition(ASL_FILE, substitutions);
  machine = new StateMachine(definition);
  tasks = taskHandlers(definition, { endpoint: moto.endpoint, region: PRIMARY, lambdas });
}, 120_000);

beforeEach(() => {
  lambdaMock.reset();
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ passed: true, message: 'smoke test ok: 12 tables' })) as never });
});

afterEach(async () => {
  await takeEmails();
});

afterAll(async () => {
  lambdaMock.restore();
  await moto?.stop();
});

describe('restore-drill.asl.json', () => {
  it('passes asl-validator', () => {
    const require = createRequire(import.meta.url);
    const validate = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

    const result = validate(JSON.parse(readFileSync(ASL_FILE, 'utf8')));

    expect({ isValid: result.isValid, errors: result.errorsText('\n') }).toEqual({ isValid: true, errors: '' });
  });

  it('holds no null (the framework drops nulls when it packages, which would turn ResultPath: null into "replace the state")', () => {
    expect(readFileSync(ASL_FILE, 'utf8')).not.toMatch(/:\s*null/);
  });

  it('lets every Task retry transient errors and leads every Catch before Cleanup to Cleanup', () => {
    const states = definition.States as Record<string, { Type: string; Retry?: Array<{ ErrorEquals: string[] }>; Catch?: Array<{ Next: string }> }>;
    const taskStates = Object.entries(states).filter(([, state]) => state.Type === 'Task');

    for (const [name, state] of taskStates) {
      const retried = (state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals);
      expect([name, retried.some((error) => ['TransientAwsError', 'States.TaskFailed'].includes(error))]).toEqual([name, true]);
      expect([name, (state.Catch ?? []).length]).toEqual([name, 1]);
    }
    for (const name of ['ValidateInput', 'SelectRecoveryPoint', 'RestoreRecoveryPoint', 'CheckRestoreReady', 'ValidateRestore']) {
      expect(states[name]?.Catch?.[0]?.Next).toBe('Cleanup');
    }
  });
});

describe('a restore drill, happy paths', () => {
  it.each([
    ['ebs-volume', () => estate.volume, 'primary', PRIMARY],
    ['rds-instance', () => 'orders', 'primary', PRIMARY],
    ['aurora-cluster', () => 'ledger', 'primary', PRIMARY],
  ])('restores the latest %s point in the primary Region, validates it, measures RTO and RPO, cleans up and emails PASS', async (type, resource, region, restoredIn) => {
    const outcome = await drill({ planId: 'gold', resourceId: resource(), region, startedAt: STARTED_AT, trigger: 'cli' });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(outcome.path).toEqual([
      'NormaliseInput', 'ValidateInput', 'SelectRecoveryPoint', 'RestoreRecoveryPoint', 'CheckRestoreReady', 'IsRestoreReady',
      'ValidateRestore', 'MarkValidated', 'Cleanup', 'RenderReport', 'PublishReport', 'PutDrillMetrics', 'Verdict', 'DrillPassed',
    ]);
    const result = outcome.output as DrillResult;
    expect(result).toMatchObject({
      verdict: 'PASS',
      planId: 'gold',
      resourceId: resource(),
      resourceType: type,
      region: restoredIn,
      startedAt: '2026-01-15T11:10:00.000Z',
      validatedAt: '2026-01-15T11:24:32.000Z',
      rto: { objectiveSeconds: 3600, measuredSeconds: 872, passed: true },
      rpo: { objectiveSeconds: 28800, achievedSeconds: 11400, passed: true },
      cleanup: { complete: true, error: null },
    });
    expect(result.restored).toHaveLength(1);
    expect(result.recoveryPoint?.slot).toBe('2026-01-15T08:00Z');
    expect(await drillLeftovers()).toEqual([]);
    const [email, ...more] = await takeEmails();
    expect(more).toEqual([]);
    expect(email?.subject).toBe(`Restore drill PASS: plan gold, ${type} ${resource()} in ${restoredIn}`);
    expect(email?.verdict).toBe('PASS');
    expect(email?.body).toContain('RTO objective 1 h, measured 14 min 32 s — PASS; RPO objective 8 h, achieved 3 h 10 min — PASS');
    expect(email?.body).toContain('gold-smoke-test: passed — smoke test ok: 12 tables');
    expect(email?.result).toEqual(result);
  });

  it.each([
    ['ebs-volume', () => estate.volume],
    ['rds-instance', () => 'orders'],
    ['aurora-cluster', () => 'ledger'],
  ])('restores the latest %s copy in the DR Region, where copy lag counts against the RPO', async (type, resource) => {
    const outcome = await drill({ planId: 'gold', resourceId: resource(), region: 'dr', startedAt: STARTED_AT });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(outcome.output).toMatchObject({
      verdict: 'PASS',
      resourceType: type,
      region: DR,
      regionRole: 'dr',
      rto: { measuredSeconds: 872, passed: true },
      // 11:10:00 − 04:00:37 (the source's time), not − 04:00 (the copy's slot).
      rpo: { achievedSeconds: 25763, passed: true },
      recoveryPoint: { slot: '2026-01-15T04:00Z', dataTime: '2026-01-15T04:00:37.000Z', isCopy: true },
    });
    expect(await drillLeftovers()).toEqual([]);
    const [email] = await takeEmails();
    expect(email?.body).toContain('RPO objective 8 h, achieved 7 h 9 min — PASS');
    expect(email?.subject).toBe(`Restore drill PASS: plan gold, ${type} ${resource()} in ${DR}`);
  });

  it("restores every volume of an EC2 instance's point, each with the snapshot's size", async () => {
    const outcome = await drill({ planId: 'gold', resourceId: estate.instance, startedAt: STARTED_AT });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS', resourceType: 'ec2-instance' } });
    const result = outcome.output as DrillResult;
    expect(result.restored.map((resource) => resource.kind)).toEqual(['ebs-volume', 'ebs-volume']);
    expect(result.validation?.checks.map((check) => check.replace(/vol-\w+/, 'vol')).sort()).toEqual([
      "ebs-volume vol is available with the snapshot's size (5 GiB)",
      "ebs-volume vol is available with the snapshot's size (8 GiB)",
    ]);
    expect(await drillLeftovers()).toEqual([]);
  });

  it('restores for an execution started before the deploy that added the restore time to its input, timing it from the drill start', async () => {
    // Such an execution keeps its older definition, whose RestoreRecoveryPoint sends no `now`, but calls the new function.
    const restore = tasks.RestoreRecoveryPoint as TaskHandler;
    const olderInput: TaskHandler = async (input) => {
      const { Payload, ...parameters } = input as { Payload: Record<string, unknown> };
      const { now: _now, ...payload } = Payload;
      return restore({ ...parameters, Payload: payload } as never);
    };

    const outcome = await drill({ planId: 'gold', resourceId: estate.instance, startedAt: STARTED_AT }, { override: { RestoreRecoveryPoint: olderInput } });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS', resourceType: 'ec2-instance' } });
    expect(await drillLeftovers()).toEqual([]);
  });

  it('without a resource, drills the resource whose latest completed point is newest, in the plan\'s drill Region', async () => {
    const outcome = await drill({ planId: 'gold', startedAt: STARTED_AT });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS', region: PRIMARY } });
    expect(['ledger', 'orders', estate.volume, estate.instance]).toContain((outcome.output as DrillResult).resourceId);
    expect(await drillLeftovers()).toEqual([]);
  });

  it("hands the plan's validation function the restored resource, with its endpoint", async () => {
    await drill({ planId: 'gold', resourceId: 'orders', startedAt: STARTED_AT });

    const payload = JSON.parse(new TextDecoder().decode(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array));
    expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe('gold-smoke-test');
    expect(payload).toMatchObject({
      planId: 'gold',
      region: PRIMARY,
      resourceId: 'orders',
      resourceType: 'rds-instance',
      recoveryPoint: { slot: '2026-01-15T08:00Z', snapshotIds: ['bo-gold-orders-20260115-0800'] },
      restored: [{ kind: 'rds-instance', id: expect.stringMatching(/^bo-drill-20260115-1110-[0-9a-f]{8}$/), endpoint: expect.any(String) }],
    });
  });

  it('waits while the restore is not yet available, then validates it', async () => {
    let answers = 0;
    const notYet: TaskHandler = async (input) => {
      answers += 1;
      if (answers <= 2) return { Payload: { ready: false, nextCheckInSeconds: 15, statuses: [] }, StatusCode: 200 };
      return (tasks.CheckRestoreReady as TaskHandler)(input);
    };

    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: { CheckRestoreReady: notYet } });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS' } });
    expect(outcome.path.filter((state) => state === 'WaitForRestore')).toHaveLength(2);
    expect(outcome.path.filter((state) => state === 'CheckRestoreReady')).toHaveLength(3);
  });

  it('publishes the drill metrics: pass/fail, RTO seconds and achieved RPO seconds by plan', async () => {
    await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT });

    const metrics = await new CloudWatchClient(clientConfig(moto.endpoint, PRIMARY)).send(new ListMetricsCommand({ Namespace: 'BackupOrchestrator' }));
    const names = (metrics.Metrics ?? []).map((metric) => `${metric.MetricName} ${JSON.stringify(metric.Dimensions)}`);
    for (const name of ['DrillPassed', 'DrillFailed', 'DrillRtoSeconds', 'DrillAchievedRpoSeconds']) {
      expect(names).toContain(`${name} [{"Name":"plan","Value":"gold"}]`);
    }
  });
});

describe('a restore drill that fails', () => {
  const passThenFail = (state: string): TaskHandler => async (input) => {
    await (tasks[state] as TaskHandler)(input);
    throw injected();
  };
  const failAt = (state: string, mode: 'before' | 'after') => ({ [state]: mode === 'after' ? passThenFail(state) : async () => Promise.reject(injected()) });

  it.each([
    ['SelectRecoveryPoint', 'before', 'selecting the recovery point'],
    ['RestoreRecoveryPoint', 'after', 'restoring'],
    ['CheckRestoreReady', 'before', 'waiting for the restore to be available'],
    ['ValidateRestore', 'before', 'validating the restore'],
  ] as const)('cleans up, leaves nothing, and emails FAIL when %s fails', async (state, mode, activity) => {
    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: failAt(state, mode) });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(outcome.path).toContain('Cleanup');
    expect(outcome.path.slice(-6)).toEqual(['Cleanup', 'RenderReport', 'PublishReport', 'PutDrillMetrics', 'Verdict', 'DrillFailed']);
    expect(await drillLeftovers()).toEqual([]);
    const [email, ...more] = await takeEmails();
    expect(more).toEqual([]);
    expect(email?.verdict).toBe('FAIL');
    expect(email?.subject).toMatch(/^Restore drill FAIL: plan gold/);
    expect(email?.body).toContain(`Failed while ${activity}: injected by the test (InjectedFailure)`);
    expect(email?.body).toContain('RTO objective 1 h, not measured');
    expect(email?.result).toMatchObject({ verdict: 'FAIL', failure: { state, error: 'InjectedFailure' }, cleanup: { complete: true } });
  });

  it('emails FAIL (not bad input) when ValidateInput itself fails, having created nothing', async () => {
    const before = await volumeCount();

    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: failAt('ValidateInput', 'before') });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillFailed', cause: 'FAIL: injected by the test (InjectedFailure)' });
    expect(outcome.path.slice(0, 3)).toEqual(['NormaliseInput', 'ValidateInput', 'Cleanup']);
    expect(await volumeCount()).toBe(before);
    const [email] = await takeEmails();
    expect(email?.body).toContain('Failed while validating the input: injected by the test (InjectedFailure)');
    expect(email?.body).toContain('Cleanup         nothing to clean up: the drill stopped before it had a Region and an id, so it created nothing');
  });

  it.each([
    ['rds-instance', 'orders', 'primary'],
    ['aurora-cluster', 'ledger', 'primary'],
    ['rds-instance', 'orders', 'dr'],
    ['aurora-cluster', 'ledger', 'dr'],
  ])('deletes a restored %s (%s, %s Region) without a final snapshot when a later step fails', async (_type, resourceId, region) => {
    const outcome = await drill({ planId: 'gold', resourceId, region, startedAt: STARTED_AT }, { override: failAt('ValidateRestore', 'before') });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect((await takeEmails())[0]?.result.cleanup.deleted.length).toBeGreaterThan(0);
    expect(await drillLeftovers()).toEqual([]);
  });

  it('cleans up after a restore that is still not available at the deadline (twice the RTO)', async () => {
    // A stopped instance is neither available nor failed: exactly what a slow restore looks like.
    const slowRestore: TaskHandler = async (input) => {
      const result = (await (tasks.RestoreRecoveryPoint as TaskHandler)(input)) as { Payload: { resources: Array<{ id: string }> } };
      await (clients.rds[PRIMARY] as RDSClient).send(new StopDBInstanceCommand({ DBInstanceIdentifier: result.Payload.resources[0]?.id }));
      return result as never;
    };

    const outcome = await drill({ planId: 'gold', resourceId: 'orders', startedAt: STARTED_AT }, { now: '2026-01-15T13:10:00Z', override: { RestoreRecoveryPoint: slowRestore } });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(await drillLeftovers()).toEqual([]);
    const [email] = await takeEmails();
    expect(email?.result.failure).toMatchObject({ state: 'CheckRestoreReady', error: 'RestoreTimedOutError' });
    expect(email?.body).toMatch(/not available 2 h after the drill started \(the restore timeout: twice the RTO of 1 h, within 30 min–24 h\); last seen: rds-instance bo-drill-\S+ stopped/);
  });

  it("fails when the plan's validation function fails the restore, and still cleans up", async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ passed: false, message: 'table orders is empty' })) as never });

    const outcome = await drill({ planId: 'gold', resourceId: 'orders', startedAt: STARTED_AT });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(await drillLeftovers()).toEqual([]);
    const [email] = await takeEmails();
    expect(email?.body).toContain('Failed while validating the restore: validation function gold-smoke-test failed the restore: table orders is empty (UserValidationError)');
  });

  it('fails with NoRecoveryPointError when the DR Region has no completed point yet, creating nothing', async () => {
    const before = await volumeCount();

    const outcome = await drill({ planId: 'gold', resourceId: estate.instance, region: 'dr', startedAt: STARTED_AT });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    expect(await volumeCount()).toBe(before);
    const [email] = await takeEmails();
    expect(email?.result.failure).toMatchObject({ state: 'SelectRecoveryPoint', error: 'NoRecoveryPointError' });
  });

  it('retries a transient error and passes', async () => {
    let calls = 0;
    const flaky: TaskHandler = async (input) => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'TransientAwsError' });
      return (tasks.RestoreRecoveryPoint as TaskHandler)(input);
    };

    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: { RestoreRecoveryPoint: flaky } });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS' } });
    expect(calls).toBe(2);
  });

  it('emails an incomplete cleanup when Cleanup fails, and the drill janitor deletes what is left once it expires', async () => {
    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: { Cleanup: async () => Promise.reject(injected('cleanup crashed')) } });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillFailed' });
    const [email] = await takeEmails();
    expect(email?.body).toContain('Cleanup         INCOMPLETE: cleanup crashed');
    expect(email?.body).toContain('the drill janitor deletes what is left after 2026-01-15T16:10:00.000Z');
    expect(await drillLeftovers()).toHaveLength(1);

    const dryRun = (await janitor({ scheduledTime: '2026-01-15T17:00:00Z', dryRun: true }, lambdaContext('drill-janitor'))) as { outcomes: Array<{ status: string }> };
    expect(dryRun.outcomes.map((outcome) => outcome.status)).toEqual(['would-delete']);
    expect(await drillLeftovers()).toHaveLength(1);
    await expect(janitor({ scheduledTime: 'later' }, lambdaContext('drill-janitor'))).rejects.toThrow(
      'drill-janitor received a payload that is not a janitor run: scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z',
    );
    const early = (await janitor({ scheduledTime: '2026-01-15T16:00:00Z' }, lambdaContext('drill-janitor'))) as { deleted: number };
    expect(early.deleted).toBe(0);
    expect(await drillLeftovers()).toHaveLength(1);
    const late = (await janitor({ scheduledTime: '2026-01-15T17:00:00Z' }, lambdaContext('drill-janitor'))) as { deleted: number };
    expect(late.deleted).toBe(1);
    expect(await drillLeftovers()).toEqual([]);
  });

  it('still emails when the report cannot be written, and fails the execution', async () => {
    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: { RenderReport: async () => Promise.reject(injected('report crashed')) } });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillReportNotWritten', cause: 'report crashed' });
    expect(await drillLeftovers()).toEqual([]);
    const [email] = await takeEmails();
    expect(email?.subject).toBe('Restore drill FAIL: its report could not be written');
    expect(email?.body).toContain('ended, but its report could not be written (InjectedFailure: report crashed)');
  });

  it('fails the execution when the email cannot be published, after cleaning up', async () => {
    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: { PublishReport: async () => Promise.reject(injected('topic gone')) } });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DrillReportNotPublished', cause: 'topic gone' });
    expect(await drillLeftovers()).toEqual([]);
  });

  it('keeps its verdict when the metrics cannot be put', async () => {
    const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: { PutDrillMetrics: async () => Promise.reject(injected('no metrics')) } });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS' } });
    expect((await takeEmails())[0]?.verdict).toBe('PASS');
  });
});

describe('a restore drill meeting passing AWS failures and lags', () => {
  it.each([
    ['RequestLimitExceeded', 503],
    ['InternalError', 500],
  ])('retries Cleanup when the first DeleteVolume fails with %s, leaves nothing behind and passes', async (error, status) => {
    // Prepare: the first DeleteVolume of the drill fails as EC2 fails it when it throttles or errs.
    let deletes = 0;
    const release = interceptEc2(PRIMARY, 'DeleteVolumeCommand', () => (++deletes === 1 ? awsError(error, status, 'try again') : undefined));

    try {
      // Act
      const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT });

      // Assess
      expect({ leftovers: await drillLeftovers(), deletes, cleanups: outcome.path.filter((state) => state === 'Cleanup').length }).toEqual({ leftovers: [], deletes: 2, cleanups: 1 });
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS', cleanup: { complete: true, error: null } } });
    } finally {
      release();
      await removeDrillVolumes();
    }
  });

  it.each([
    ['Lambda.Unknown', 'the function crashed (out of memory)'],
    ['Sandbox.Timedout', 'the function timed out'],
    ['States.Timeout', 'the task timed out'],
  ])('retries a Cleanup invocation that failed with %s (%s), leaves nothing behind and passes', async (error) => {
    let invocations = 0;
    const crashOnce: TaskHandler = async (input) => {
      invocations += 1;
      if (invocations === 1) throw Object.assign(new Error('crashed'), { name: error });
      return (tasks.Cleanup as TaskHandler)(input);
    };

    try {
      const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT }, { override: { Cleanup: crashOnce } });

      expect({ leftovers: await drillLeftovers(), invocations }).toEqual({ leftovers: [], invocations: 2 });
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS', cleanup: { complete: true } } });
    } finally {
      await removeDrillVolumes();
    }
  });

  it('keeps waiting while EC2 does not show the volume it just created, then validates it and passes', async () => {
    // Prepare: the first DescribeVolumes by id after the restore answers as EC2 may right after CreateVolume.
    let described = 0;
    const release = interceptEc2(PRIMARY, 'DescribeVolumesCommand', (input) =>
      (input.VolumeIds as string[] | undefined)?.length && ++described === 1 ? awsError('InvalidVolume.NotFound', 400, 'The volume does not exist.') : undefined,
    );

    try {
      // Act
      const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT });

      // Assess
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS' } });
      expect(outcome.path.filter((state) => state === 'CheckRestoreReady')).toHaveLength(2);
      expect(await drillLeftovers()).toEqual([]);
    } finally {
      release();
      await removeDrillVolumes();
    }
  });

  it('deletes the volume the restore step made even when EC2 does not list it by its drill tag yet', async () => {
    // Prepare: every search by drill tag answers as EC2 may while a new volume's tags are not listed yet.
    const release = interceptEc2(PRIMARY, 'DescribeVolumesCommand', (input) =>
      (input.Filters as Array<{ Name: string }> | undefined)?.some((filter) => filter.Name === `tag:${TAG.drillId}`) ? { Volumes: [] } : undefined,
    );

    try {
      // Act
      const outcome = await drill({ planId: 'gold', resourceId: estate.volume, startedAt: STARTED_AT });

      // Assess
      release();
      expect(await drillLeftovers()).toEqual([]);
      expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { verdict: 'PASS', cleanup: { complete: true, deleted: [{ kind: 'ebs-volume', status: 'deleted' }] } } });
    } finally {
      release();
      await removeDrillVolumes();
    }
  });
});

describe('a restore drill with bad input', () => {
  it.each([
    [{ planId: 'platinum' }, 'no plan "platinum" in the backup plans (known plans: gold, silver)'],
    [{ planId: 'gold', resourceId: 'vol-0nothere' }, `resource "vol-0nothere" has no recovery points of plan "gold" in ${PRIMARY}: resources with recovery points of this plan: `],
    [{ planId: 'gold', region: 'us-east-1' }, `plan "gold" has no recovery points in "us-east-1": allowed regions: primary, dr, ${PRIMARY}, ${DR}`],
    [{ planId: 'silver', region: 'dr' }, 'plan "silver" has no DR Region: it copies its recovery points nowhere: drill in the primary Region (region "primary"), or add a copy rule to the plan'],
    [{ plan: 'gold' }, 'the restore drill input is not valid: planId is required: the id of the plan to drill, e.g. "gold"; unexpected field(s) plan (allowed: planId, resourceId, region, startedAt, trigger)'],
    ['gold', 'the restore drill input must be a JSON object: e.g. {"planId": "gold", "resourceId": "vol-0abc", "region": "dr"}'],
    [{ planId: 'gold', startedAt: '2099-01-01T00:00:00Z' }, 'startedAt 2099-01-01T00:00:00.000Z is after the execution started'],
    [
      { planId: 'gold', resourceId: 'orders', startedAt: '2026-01-14T11:10:00Z' },
      'startedAt 2026-01-14T11:10:00.000Z is more than 1 h 1 min before the execution started (2026-01-15T11:10:02.000Z): the earliest accepted startedAt is 2026-01-15T10:09:02.000Z',
    ],
  ])('ends in the BadInput Fail state with a precise cause, emails it, and creates nothing (%j)', async (input, cause) => {
    const before = await volumeCount();

    const outcome = await drill(input);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'BadInput' });
    expect(outcome.cause?.startsWith(cause)).toBe(true);
    expect(outcome.path).not.toContain('RestoreRecoveryPoint');
    expect(await volumeCount()).toBe(before);
    expect(await drillLeftovers()).toEqual([]);
    const [email, ...more] = await takeEmails();
    expect(more).toEqual([]);
    expect(email?.verdict).toBe('BAD_INPUT');
    expect(email?.subject).toMatch(/^Restore drill not started \(bad input\)/);
    expect(email?.body).toContain(cause);
    expect(email?.body).toContain('Nothing was restored, so there was nothing to clean up.');
  });
});
