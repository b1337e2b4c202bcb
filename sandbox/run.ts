/**
 * The local sandbox: no AWS account needed. Starts moto_server on loopback, builds a small realistic estate,
 * and runs the real create-snapshots handler for every plan's current slot, as EventBridge Scheduler would,
 * then delivers one schedule again to show that a duplicate creates nothing.
 */
import type { Context } from 'aws-lambda';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderSummary } from '../cli/render.js';
import { scheduledRunInput } from '../infra/stack-variables.js';
import { parsePlansFile } from '../shared/domain/plans-file.js';
import { previousOccurrence } from '../shared/domain/schedule-expression.js';
import type { Plan } from '../shared/domain/plan-schema.js';
import type { CreateSnapshotsSummary } from '../shared/use-cases/create-snapshots.js';
import { dynamodb, ec2, rds } from './aws-clients.js';
import { createAuroraCluster, createDbInstance, createInstanceWithVolumes, createVolume } from './estate.js';
import { startMotoServer } from './moto-server.js';
import { createStackTables } from './stack-tables.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUTPUT = join(ROOT, 'sandbox-output');
const STACK = 'backup-orchestrator-sandbox';
const plansFile = process.env.PLANS_FILE || join(ROOT, 'backup-plans.yml');

const step = (text: string) => process.stdout.write(`\n▶ ${text}\n`);
const detail = (text: string) => process.stdout.write(`  ${text}\n`);

function context(): Context {
  const deadline = Date.now() + 900_000;
  return {
    functionName: `${STACK}-createSnapshots`,
    awsRequestId: `sandbox-${Date.now()}`,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context;
}

function schedulerEvent(plan: Plan, scheduledTime: Date, attempt: number): unknown {
  return JSON.parse(
    scheduledRunInput(plan)
      .replace('<aws.scheduler.scheduled-time>', scheduledTime.toISOString())
      .replace('<aws.scheduler.schedule-arn>', `arn:aws:scheduler:local:000000000000:schedule/default/${plan.id}`)
      .replace('<aws.scheduler.execution-id>', `sandbox-${plan.id}-${attempt}`)
      .replace('<aws.scheduler.attempt-number>', String(attempt)),
  );
}

async function main(): Promise<void> {
  const config = parsePlansFile(readFileSync(plansFile, 'utf8'), plansFile);
  const region = config.primaryRegion;
  const az = `${region}a`;

  step('Starting a local AWS (moto_server on 127.0.0.1)');
  const moto = await startMotoServer();
  detail(`endpoint ${moto.endpoint}`);
  try {
    const ec2Client = ec2(moto.endpoint, region);
    const rdsClient = rds(moto.endpoint, region);

    step(`Building an estate in ${region}`);
    const gold = { 'backup:plan': 'gold' };
    for (const [name, size] of [['orders-data', 100], ['search-index', 50], ['uploads', 200]] as const) {
      const { volumeId } = await createVolume(ec2Client, { az, sizeGiB: size, tags: { ...gold, Name: name, team: 'shop' } });
      detail(`volume ${volumeId} ${name} (${size} GiB) → plan gold`);
    }
    for (const name of ['build-cache', 'artifacts']) {
      const { volumeId } = await createVolume(ec2Client, { az, sizeGiB: 30, tags: { 'backup:plan': 'silver', Name: name } });
      detail(`volume ${volumeId} ${name} → plan silver`);
    }
    const { volumeId: scratch } = await createVolume(ec2Client, { az, sizeGiB: 10, tags: { Name: 'scratch' } });
    detail(`volume ${scratch} scratch → no plan (unprotected)`);
    for (const name of ['app-1', 'app-2']) {
      const instance = await createInstanceWithVolumes(ec2Client, { az, extraVolumes: 2, tags: { ...gold, Name: name } });
      detail(`instance ${instance.instanceId} ${name} with volumes ${instance.volumeIds.join(', ')} → plan gold`);
    }
    for (const id of ['orders-db', 'billing-db']) {
      await createDbInstance(rdsClient, { id, tags: gold });
      detail(`RDS instance ${id} → plan gold`);
    }
    await createDbInstance(rdsClient, { id: 'analytics-scratch' });
    detail('RDS instance analytics-scratch → no plan (unprotected)');
    await createAuroraCluster(rdsClient, { id: 'ledger', tags: gold });
    detail('Aurora cluster ledger → plan gold');
    const tables = await createStackTables(dynamodb(moto.endpoint, region), STACK);

    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      STACK_NAME: STACK,
      PLANS_FILE: plansFile,
      IDEMPOTENCY_TABLE: tables.idempotencyTable,
      ACTIVITY_TABLE: tables.activityTable,
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const { handler } = (await import('../functions/create-snapshots.js')) as unknown as {
      handler: (event: unknown, context: Context) => Promise<CreateSnapshotsSummary>;
    };

    const now = new Date();
    const summaries: CreateSnapshotsSummary[] = [];
    for (const plan of config.plans.filter((candidate) => candidate.engine === 'lambda')) {
      const scheduledTime = previousOccurrence(plan.schedule.expression, now, plan.schedule.timezone) ?? now;
      step(`EventBridge Scheduler fires plan ${plan.id} (${plan.schedule.expression.source}, ${plan.schedule.timezone}) for ${scheduledTime.toISOString()}`);
      const summary = await handler(schedulerEvent(plan, scheduledTime, 1), context());
      summaries.push(summary);
      detail(renderSummary(summary).split('\n').join('\n  '));
    }

    const first = config.plans.find((plan) => plan.engine === 'lambda');
    if (first) {
      const scheduledTime = previousOccurrence(first.schedule.expression, now, first.schedule.timezone) ?? now;
      step(`The same schedule for plan ${first.id} is delivered again (a retry): nothing new may be created`);
      const again = await handler(schedulerEvent(first, scheduledTime, 2), context());
      detail(`${again.created} created, ${again.alreadyDone} already done, ${again.skipped} skipped, ${again.failed} failed`);
      if (again.created !== 0) throw new Error('a duplicate delivery created snapshots: idempotency is broken');
    }

    mkdirSync(OUTPUT, { recursive: true });
    writeFileSync(join(OUTPUT, 'backup-cycle.json'), `${JSON.stringify(summaries, null, 2)}\n`);
    step(`Done. Summaries written to ${join('sandbox-output', 'backup-cycle.json')}`);
    const failed = summaries.reduce((total, summary) => total + summary.failed, 0);
    if (failed) process.exitCode = 1;
  } finally {
    await moto.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nsandbox failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
