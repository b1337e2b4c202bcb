/**
 * The local sandbox (README command 1): no AWS account needed. Starts a fresh moto_server on loopback, the
 * stack's tables and topic, a small realistic estate in the primary and DR Regions, then plays one week of
 * sandbox/backup-plans.yml (the example plans, gold every 6 hours) in seconds with the real functions
 * (sandbox/week.ts): every slot, completion events and copies, reconcile, prune, the scheduled restore drill
 * from the real state machine definition, and the daily report. Prints every email the topic sent and writes
 * them, with the week's numbers, to sandbox-output/. Exits 0 when the week went as the plans say, 1 otherwise.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportResult } from '../functions/report.js';
import { drillActivity, objectivesLine } from '../shared/domain/drill-report.js';
import { parsePlansFile } from '../shared/domain/plans-file.js';
import { parseScheduleExpression, previousOccurrence } from '../shared/domain/schedule-expression.js';
import { localToInstant, offsetMinutesAt } from '../shared/domain/zoned-time.js';
import { ec2, kms, rds } from './aws-clients.js';
import { buildDemoEstate } from './demo-estate.js';
import { startLocalStack } from './local-stack.js';
import type { Email } from './mailbox.js';
import { MOTO_VERSION, startMotoServer } from './moto-server.js';
import { fillScheduleInput, ROOT, scheduleInput } from './stack-definition.js';
import { playWeek, SANDBOX_SCHEDULES, showLocal, type WeekOutcome } from './week.js';

const STACK = 'backup-orchestrator-sandbox';
const PLANS_FILE = join(ROOT, 'sandbox/backup-plans.yml');
const OUTPUT = join(ROOT, 'sandbox-output');
/** The week ends with the daily report at 07:00 on a Monday, in the plans' timezone: the last such Monday. */
const WEEK_ENDS = 'cron(0 7 ? * MON *)';

// The terminal is the sandbox's; what the functions print (their CloudWatch Logs in AWS) goes to a file.
const terminal = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
const say = (line = '') => terminal.out(`${line}\n`);
const step = (line: string) => say(`\n▶ ${line}`);
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
const sum = (values: Record<string, number>) => Object.values(values).reduce((total, value) => total + value, 0);

function sendFunctionOutputTo(file: string): void {
  // Created up front: the closing line points at it even when no function warned.
  writeFileSync(file, '');
  const toFile = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    appendFileSync(file, chunk);
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = toFile;
  process.stderr.write = toFile;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/** Exactly what an email subscriber receives: the subject and the email form of the message. */
function renderEmail(email: Email): string {
  return `Subject: ${email.subject}\n\n${email.text.endsWith('\n') ? email.text : `${email.text}\n`}`;
}

/** What must hold after a week of these plans; anything else is a problem the run exits 1 for. */
function checkWeek(week: WeekOutcome, emails: Email[], report: ReportResult): string[] {
  const problems: string[] = [];
  if (week.failedResources) problems.push(`${week.failedResources} snapshot(s) failed`);
  if (week.retry.created) problems.push(`a repeated schedule delivery created ${week.retry.created} snapshot(s)`);
  if (week.reconcile.repaired.length !== week.eventsDropped.length) problems.push(`reconcile repaired ${week.reconcile.repaired.length} copies, ${week.eventsDropped.length} event(s) were dropped`);
  if (week.prune.failures) problems.push(`prune had ${week.prune.failures} failure(s)`);
  for (const drill of week.drills) if (drill.result?.verdict !== 'PASS') problems.push(`the restore drill did not pass: ${drill.status} ${drill.cause ?? ''}`.trim());
  if (!report.messageId) problems.push('the daily report was not sent');
  if (emails.length !== week.failureEvents.length + week.drills.length + 1) problems.push(`${emails.length} emails sent, expected ${week.failureEvents.length + week.drills.length + 1}`);
  return problems;
}

async function main(): Promise<number> {
  const began = performance.now();
  const config = parsePlansFile(readFileSync(PLANS_FILE, 'utf8'), PLANS_FILE);
  const primary = config.primaryRegion;
  const lambdaPlans = config.plans.filter((plan) => plan.engine === 'lambda');
  const timezone = lambdaPlans[0]?.schedule.timezone ?? 'UTC';
  const copyRegions = [...new Set(config.plans.flatMap((plan) => plan.copies.map((copy) => copy.region)))];

  say(`backup-orchestrator sandbox: one week of sandbox/backup-plans.yml on a local AWS, in seconds (no AWS account)`);
  step(`Local AWS: starting moto_server ${MOTO_VERSION} on 127.0.0.1`);
  const moto = await startMotoServer({ pythonPath: [join(ROOT, 'sandbox/moto-speedups')] });
  try {
    // A second run starts clean: a fresh moto_server (above) and an empty output folder.
    rmSync(OUTPUT, { recursive: true, force: true });
    mkdirSync(join(OUTPUT, 'emails'), { recursive: true });
    sendFunctionOutputTo(join(OUTPUT, 'functions.log'));
    say(`  ${moto.endpoint}, empty: nothing from an earlier run`);
    const local = await startLocalStack({ endpoint: moto.endpoint, region: primary, stack: STACK, plansFile: PLANS_FILE, timezone });
    step(`The stack ${STACK} in ${primary}: its DynamoDB tables, the notifications topic, an SQS queue subscribed to it (the inbox)`);
    say('  the functions run in this process, invoked as Lambda would; moto has no Data Lifecycle Manager, so it answers "no policies"');

    const ec2Client = ec2(moto.endpoint, primary);
    const estate = await buildDemoEstate(config, { ec2: ec2Client, rds: rds(moto.endpoint, primary), kms: (region) => kms(moto.endpoint, region) });
    const { counts } = estate;
    step(
      `The estate in ${primary}: ${plural(counts.volumes, 'EBS volume')}, ${plural(counts.instances, 'EC2 instance')} (${counts.instanceVolumes} volumes), ` +
        `${plural(counts.dbInstances, 'RDS instance')}, ${plural(counts.auroraClusters, 'Aurora cluster')}; KMS keys ${counts.keys.join(', ')}`,
    );
    for (const [planId, resources] of Object.entries(estate.byPlan)) say(`  ${planId.padEnd(8)}${resources.join(', ')}`);
    say(`  ${'no plan'.padEnd(8)}${estate.unprotected.join(', ')}`);

    const now = new Date();
    const end = previousOccurrence(parseScheduleExpression(WEEK_ENDS), now, timezone) ?? now;
    // Seven days earlier on the local clock: a week with a DST change is not 7 × 24 hours.
    const endWallClock = end.getTime() + offsetMinutesAt(timezone, end.getTime()) * 60_000;
    const start = new Date(localToInstant(timezone, endWallClock - 7 * 86_400_000));
    const show = (time: Date) => showLocal(time, timezone, 'full');
    step(`The week ${show(start)} → ${show(end)} (${timezone}), played in simulated time`);
    for (const plan of lambdaPlans) say(`  ${plan.id.padEnd(8)}${plan.schedule.expression.source} ${plan.schedule.timezone}${plan.copies.length ? `, copies to ${plan.copies.map((copy) => copy.region).join(', ')}` : ''}${plan.drill?.schedule ? `, drill ${plan.drill.schedule.expression.source} from ${plan.drill.region}` : ''}`);
    say(`  reconcile ${SANDBOX_SCHEDULES.reconcile} UTC, prune ${SANDBOX_SCHEDULES.prune} ${timezone} in ${[primary, ...copyRegions].join(' and ')}; the report at 07:00`);
    const week = await playWeek({ config, local, estate, endpoint: moto.endpoint, ec2: ec2Client, start, end, timezone, say });
    say(
      `  week: ${Object.entries(week.slots).map(([plan, count]) => `${count} ${plan} slots`).join(', ')} → ${sum(week.recoveryPointsCreated)} recovery points ` +
        `(${sum(week.snapshotsCreated)} snapshots); ${week.copiesStartedOnEvents + week.reconcile.started} copies to ${copyRegions.join(', ')} ` +
        `(${week.copiesStartedOnEvents} on completion events, ${week.reconcile.started} by reconcile); ` +
        `pruned ${Object.entries(week.prune.pointsDeleted).map(([region, count]) => `${count} points in ${region}`).join(', ')}`,
    );

    for (const drill of week.drills) {
      const result = drill.result;
      step(`Restore drill of plan ${result?.planId ?? '?'} from ${result?.region ?? '?'} at ${show(new Date(result?.startedAt ?? end))}: statemachines/restore-drill.asl.json on aws-local-stepfunctions`);
      const activities = [...new Set(drill.path.map(drillActivity).filter((activity) => !activity.startsWith('in ')))];
      say(`  ${activities.join(' → ')}`);
      if (result?.recoveryPoint) say(`  restored ${result.resourceType} ${result.resourceId} from ${result.recoveryPoint.snapshotIds.join(', ')} (slot ${result.recoveryPoint.slot}); cleanup ${result.cleanup.complete ? 'complete' : 'INCOMPLETE'}`);
      say(`  ${result ? `${result.verdict}: ${objectivesLine(result) ?? ''}` : `FAIL: ${drill.error ?? ''} ${drill.cause ?? ''}`}`);
      say('  (moto restores at once: the measured RTO is how long the drill itself took here)');
    }

    const report = await local.invoke<ReportResult>('report', fillScheduleInput(scheduleInput('infra/resources/report-schedule.yml', 'ReportSchedule'), { time: end, scheduleName: `${STACK}-report` }));
    step(`The daily report at ${show(end)} (${timezone}): ${report.headline}`);

    const emails = await local.mailbox.collect();
    const files = emails.map((email, index) => `${String(index + 1).padStart(2, '0')}-${slug(email.subject)}`);
    emails.forEach((email, index) => {
      writeFileSync(join(OUTPUT, 'emails', `${files[index]}.txt`), renderEmail(email));
      writeFileSync(join(OUTPUT, 'emails', `${files[index]}.json`), `${JSON.stringify(email.envelope, null, 2)}\n`);
    });
    step(`${plural(emails.length, 'email')} sent to the topic, as an email subscriber receives them (also in sandbox-output/emails/, with the form queues receive)`);
    emails.forEach((email, index) => {
      say(`\n──── ${index + 1}/${emails.length} ${'─'.repeat(60)}`);
      terminal.out(renderEmail(email));
    });
    say(`──── end of emails ${'─'.repeat(55)}`);

    const problems = checkWeek(week, emails, report);
    const seconds = (performance.now() - began) / 1000;
    const summary = {
      stack: STACK,
      plansFile: 'sandbox/backup-plans.yml',
      window: { start: start.toISOString(), end: end.toISOString(), timezone },
      ...week,
      drills: week.drills.map((drill) => ({ executionArn: drill.executionArn, status: drill.status, path: drill.path, result: drill.result ?? null, error: drill.error ?? null, cause: drill.cause ?? null })),
      report: { subject: report.subject, headline: report.headline, problems: report.problems },
      emails: emails.map((email, index) => ({ subject: email.subject, file: `emails/${files[index]}.txt` })),
      problems,
      wallSeconds: Math.round(seconds * 10) / 10,
    };
    writeFileSync(join(OUTPUT, 'week.json'), `${JSON.stringify(summary, null, 2)}\n`);
    if (problems.length) {
      step('The week did not go as the plans say:');
      for (const problem of problems) say(`  ✗ ${problem}`);
      return 1;
    }
    step(`Done in ${seconds.toFixed(1)} s. The week's numbers: sandbox-output/week.json; what the functions logged (warnings and errors; empty if none): sandbox-output/functions.log`);
    say('  next: npx backup-orchestrator --help (the operator CLI), README.md (deploying it)');
    return 0;
  } finally {
    await moto.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const logged = existsSync(join(OUTPUT, 'functions.log')) ? '\n(what the functions logged: sandbox-output/functions.log)' : '';
    terminal.err(`\nsandbox failed: ${error instanceof Error ? error.message : String(error)}${logged}\n`);
    process.exitCode = 1;
  },
);
