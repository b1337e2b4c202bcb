import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { dlmClient, ec2Client, rdsClient } from '../shared/aws/clients.js';
import { AwsDlmPolicyStore } from '../shared/aws/dlm-policy-store.js';
import { snapshotBackends } from '../shared/aws/snapshot-backends.js';
import { SnapshotCatalog } from '../shared/aws/snapshot-catalog.js';
import { AwsSnapshotDeleter } from '../shared/aws/snapshot-deleter.js';
import { AwsSourceInventory } from '../shared/aws/source-inventory.js';
import { BadInputError, PlanValidationError, UnknownPlanError } from '../shared/domain/errors.js';
import type { PlansConfig } from '../shared/domain/plan-schema.js';
import { DEFAULT_PLANS_FILE, parsePlansFile } from '../shared/domain/plans-file.js';
import { isKnownRegion } from '../shared/domain/regions.js';
import { isCalendarDay } from '../shared/domain/zoned-time.js';
import { slotFor } from '../shared/domain/schedule-slot.js';
import { ConfigurationError } from '../shared/runtime/environment.js';
import { findPlan } from '../shared/runtime/plans.js';
import { CREATE_SNAPSHOTS_DEFAULTS, createSnapshots } from '../shared/use-cases/create-snapshots.js';
import { PRUNE_DEFAULTS, pruneEveryRegion, pruneRegionsOf, type SnapshotOutcome } from '../shared/use-cases/prune-recovery-points.js';
import { drillCommand } from './drill-commands.js';
import { renderOutcome, renderPlan, renderSummary } from './render.js';
import { renderPruneRun } from './render-prune.js';
import { reconcileFoundProblems, renderReconcile, runReconcile } from './reconcile-command.js';
import { renderDlmSync } from './render-dlm.js';
import { runReport, sendReport } from './report-command.js';
import { SYNC_DLM_DEFAULTS, syncDlmPolicies } from '../shared/use-cases/sync-dlm.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** How `drill start --wait` waits between polls (tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>;
}

/** Exit codes a script can rely on. */
export const EXIT = { ok: 0, problems: 1, badInput: 2 } as const;

const HELP = `backup-orchestrator — scheduled EBS/RDS/Aurora snapshots, DR copies, retention, restore drills and reports

Usage:
  backup-orchestrator plan validate [file]        check a plans file (default ${DEFAULT_PLANS_FILE})
  backup-orchestrator plan show [file]            what each plan selects, when it runs, what it keeps, where it copies
  backup-orchestrator backup run --plan <id>      take the plan's snapshots for the current slot now
        [--at <ISO time>]                         the scheduled time to run for (default: now; a later one only with --dry-run)
        [--dry-run]                               list what would be snapshotted; create nothing
  backup-orchestrator prune                       delete the recovery points the plans no longer keep
        [--region <r>]                            only this Region (default: primary and every DR Region)
        [--at <ISO time>] [--dry-run]             the time to plan for (default: now; a later one only with --dry-run); print the plan, delete nothing
  backup-orchestrator reconcile                   start missing DR copies, redo errored ones, report stuck ones
        [--at <ISO time>]                         the time to reconcile as of (default: now; a later one only with --dry-run)
        [--dry-run]                               say what it would start or redo; change nothing
  backup-orchestrator dlm sync                    make the Data Lifecycle Manager policies match the engine: dlm plans
        [--execution-role <arn>]                  role DLM runs them with (default $DLM_EXECUTION_ROLE_ARN; stack output DlmExecutionRoleArn)
        [--dry-run]                               print what would change, field by field; change nothing
  backup-orchestrator drill start --plan <id>     restore the latest good recovery point, prove it usable, measure
                                                  RTO and RPO, clean up and email the verdict (Step Functions)
        [--resource <id>]                         the resource to drill (default: the one with the newest point)
        [--region primary|dr|<region>]            where to restore (default: the plan's drill.region)
        [--wait]                                  follow the drill; exit 0 on PASS, 1 on FAIL, 2 on bad input
        [--state-machine <arn>]                   default: $DRILL_STATE_MACHINE_ARN, else <stack>-restore-drill
  backup-orchestrator drill status <execution>    a drill's progress or verdict, from the execution ARN drill start printed
  backup-orchestrator report                      the daily report, now: each resource's newest good recovery point in
                                                  every Region against its RPO, coverage, last 24 hours, drills, storage
        [--at <ISO time>]                         the time to report as of (default: now)
        [--send]                                  also publish it to the notifications topic (email text + JSON form)
        [--topic <arn>]                           the topic for --send (default: $NOTIFICATION_TOPIC_ARN)
        [--activity-table <name>]                 the run log (default: $ACTIVITY_TABLE, else <stack>-ActivityTable-…; stack output ActivityTableName)

Options for commands that call AWS:
  --plans <file>       plans file (default: $PLANS_FILE or ${DEFAULT_PLANS_FILE})
  --region <region>    AWS Region, for backup run, prune and dlm sync (default: the plans file's primaryRegion)
  --profile <name>     credentials profile (default: the standard AWS credential chain)
  --endpoint <url>     send every AWS call to this endpoint (the local sandbox's moto_server)
  --stack <name>       value of the ownership tag (default: $STACK_NAME or backup-orchestrator-prod)
  --json               machine-readable output
  -h, --help           this help

A command refuses an option it does not take (exit 2), rather than ignore it.

Exit codes: 0 all good, 1 problems found (e.g. a snapshot failed, a drill failed, the report lists problems),
2 bad input (arguments, plans file or an environment setting; nothing was changed).

Examples:
  backup-orchestrator plan validate                                 check backup-plans.yml before a deploy
  backup-orchestrator backup run --plan gold --dry-run              what the next gold run would snapshot
  backup-orchestrator prune --region eu-central-1 --dry-run         what retention would delete in the DR Region
  backup-orchestrator drill start --plan gold --region dr --wait    restore from the DR Region and wait for the verdict
  backup-orchestrator report --json > report.json                   the daily report for a script

New here? \`npm run sandbox\` plays a week of backup-plans.yml on a local AWS (no account needed); see README.md.
`;

const OPTIONS = {
  plans: { type: 'string' },
  plan: { type: 'string' },
  resource: { type: 'string' },
  wait: { type: 'boolean' },
  'state-machine': { type: 'string' },
  at: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  stack: { type: 'string' },
  'execution-role': { type: 'string' },
  send: { type: 'boolean' },
  topic: { type: 'string' },
  'activity-table': { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type Options = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/**
 * The options each command reads. Any other is refused before anything runs: an option a command ignored
 * would do something else than asked (`drill start --dry-run` would start a drill, `prune --plan gold` prune
 * every plan).
 */
const COMMAND_OPTIONS: Record<string, ReadonlyArray<keyof typeof OPTIONS>> = {
  'plan validate': ['plans', 'json'],
  'plan show': ['plans', 'json'],
  'backup run': ['plans', 'plan', 'at', 'dry-run', 'region', 'profile', 'endpoint', 'stack', 'json'],
  reconcile: ['plans', 'at', 'dry-run', 'profile', 'endpoint', 'stack', 'json'],
  prune: ['plans', 'at', 'dry-run', 'region', 'profile', 'endpoint', 'stack', 'json'],
  report: ['plans', 'at', 'send', 'topic', 'activity-table', 'profile', 'endpoint', 'stack', 'json'],
  'dlm sync': ['plans', 'execution-role', 'dry-run', 'region', 'profile', 'endpoint', 'stack', 'json'],
  'drill start': ['plans', 'plan', 'resource', 'region', 'wait', 'state-machine', 'profile', 'endpoint', 'stack', 'json'],
  'drill status': ['profile', 'endpoint', 'json'],
};

/** Refuses an option the command does not read, naming it and what the command takes. */
function checkCommandOptions(command: string, sub: string | undefined, options: Options): void {
  const key = COMMAND_OPTIONS[`${command} ${sub ?? ''}`] ? `${command} ${sub ?? ''}` : command;
  const allowed = COMMAND_OPTIONS[key];
  // An unknown command or subcommand is refused by its own handler, with what it takes.
  if (!allowed) return;
  const refused = Object.keys(options).filter((name) => name !== 'help' && !allowed.includes(name as keyof typeof OPTIONS));
  if (refused.length) {
    throw new BadInputError(`${refused.map((name) => `--${name}`).join(', ')} ${refused.length === 1 ? 'is not an option' : 'are not options'} of "${key}"; nothing was done`, [
      `"${key}" takes ${allowed.map((name) => `--${name}`).join(', ')}`,
    ]);
  }
}

/** The DR Regions of the plans' copy rules. */
function copyRegionsOf(config: PlansConfig): string[] {
  return [...new Set(config.plans.flatMap((plan) => plan.copies.map((copy) => copy.region)))];
}

/** Options every command reads the same way, checked before anything is read or called. */
function checkCommonOptions(command: string, options: Options): void {
  // drill start takes primary|dr as well; it checks its Region against the plan itself.
  if (options.region && command !== 'drill' && !isKnownRegion(options.region)) throw new BadInputError(`--region "${options.region}" is not an AWS Region`, ['e.g. eu-west-1']);
  if (options.endpoint !== undefined && !isHttpUrl(options.endpoint)) {
    throw new BadInputError(`--endpoint "${options.endpoint}" is not an http(s) URL`, ['e.g. http://127.0.0.1:5000 for a local moto_server']);
  }
}

/** A URL the SDK can send to: http or https, and parseable whole (a port that is a number, no spaces). */
function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !/\s/.test(text);
  } catch {
    return false;
  }
}

/** An ISO-8601 time with its zone, as --at takes it (Date would also read "12" as December 2001). */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** True for an ISO_TIME whose day exists (Date would roll 30 February over into March). */
function isIsoTime(text: string): boolean {
  const match = ISO_TIME.exec(text);
  return Boolean(match) && isCalendarDay(Number(match?.[1]), Number(match?.[2]), Number(match?.[3]));
}

/**
 * --at as a time, or now. A run that creates or deletes refuses a time that has not come, to the second: an
 * operator's --at is read as typed, with no skew to allow for (a backup for the 16:00 slot at 15:30 would be
 * taken as that slot's, and the scheduler's 16:00 run would skip it). A dry run may preview one.
 */
function timeOf(options: Options, io: CliIo, changes = false): Date {
  const at = options.at ? new Date(options.at) : io.now();
  if (options.at !== undefined && (!isIsoTime(options.at) || Number.isNaN(at.getTime()))) {
    throw new BadInputError(`--at "${options.at}" is not a time`, ['use ISO-8601, e.g. 2026-11-26T15:00:00Z']);
  }
  if (changes && !options['dry-run'] && at.getTime() > io.now().getTime()) {
    throw new BadInputError(`--at "${options.at}" has not come yet (it is ${io.now().toISOString()})`, ['a run that creates or deletes acts only for a time that has come; add --dry-run to preview that time']);
  }
  return at;
}

function loadPlansFile(file: string): PlansConfig {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read the plans file ${file}`, [(error as Error).message]);
  }
  return parsePlansFile(source, file);
}

async function planCommand(sub: string | undefined, positionals: string[], options: Options, io: CliIo): Promise<number> {
  const file = positionals[0] ?? options.plans ?? io.env.PLANS_FILE ?? DEFAULT_PLANS_FILE;
  if (sub === 'validate') {
    const config = loadPlansFile(file);
    const ids = config.plans.map((plan) => plan.id);
    if (options.json) io.stdout(JSON.stringify({ file, valid: true, plans: ids }));
    else io.stdout(`✓ ${file}: ${ids.length} plan${ids.length === 1 ? '' : 's'} valid (${ids.join(', ')})`);
    return EXIT.ok;
  }
  if (sub === 'show') {
    const config = loadPlansFile(file);
    if (options.json) io.stdout(JSON.stringify(config, (key, value) => (key === 'expression' ? value.source : value), 2));
    else io.stdout(config.plans.map((plan) => renderPlan(plan, config.primaryRegion, io.now())).join('\n\n'));
    return EXIT.ok;
  }
  throw new BadInputError(`unknown command "plan ${sub ?? ''}"`.trim(), ['use "plan validate" or "plan show"; see --help']);
}

async function backupCommand(sub: string | undefined, options: Options, io: CliIo): Promise<number> {
  if (sub !== 'run') throw new BadInputError(`unknown command "backup ${sub ?? ''}"`.trim(), ['use "backup run --plan <id>"; see --help']);
  if (!options.plan) throw new BadInputError('backup run needs --plan <id>');
  const config = loadPlansFile(options.plans ?? io.env.PLANS_FILE ?? DEFAULT_PLANS_FILE);
  const plan = findPlan(config, options.plan);
  if (plan.engine === 'dlm') throw new BadInputError(`plan ${plan.id} runs on Data Lifecycle Manager`, ['DLM takes its snapshots itself']);
  const at = timeOf(options, io, true);
  if (options.profile) io.env.AWS_PROFILE = options.profile;
  const region = options.region ?? config.primaryRegion;
  const summary = await createSnapshots(
    { plan, slot: slotFor(plan, at), dryRun: Boolean(options['dry-run']) },
    {
      ...CREATE_SNAPSHOTS_DEFAULTS,
      stack: options.stack ?? io.env.STACK_NAME ?? 'backup-orchestrator-prod',
      backends: snapshotBackends({ region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) }),
      ...(options.json ? {} : { onProgress: (outcome) => io.stderr(renderOutcome(outcome)) }),
    },
  );
  io.stdout(options.json ? JSON.stringify(summary) : renderSummary(summary));
  return summary.failed > 0 ? EXIT.problems : EXIT.ok;
}

async function reconcileCommand(sub: string | undefined, options: Options, io: CliIo): Promise<number> {
  if (sub !== undefined) throw new BadInputError(`unknown command "reconcile ${sub}"`, ['use "reconcile [--dry-run] [--json]"; see --help']);
  const config = loadPlansFile(options.plans ?? io.env.PLANS_FILE ?? DEFAULT_PLANS_FILE);
  if (options.profile) io.env.AWS_PROFILE = options.profile;
  const stack = options.stack ?? io.env.STACK_NAME ?? 'backup-orchestrator-prod';
  const now = timeOf(options, io, true);
  if (!options.json) io.stderr(`reconciling the DR copies of ${stack} in ${copyRegionsOf(config).join(', ') || 'no DR Region'}…`);
  const summary = await runReconcile({ config, stack, now, seenAt: () => io.now(), dryRun: Boolean(options['dry-run']), env: io.env, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  io.stdout(options.json ? JSON.stringify(summary) : renderReconcile(summary));
  return reconcileFoundProblems(summary) ? EXIT.problems : EXIT.ok;
}

async function pruneCommand(sub: string | undefined, options: Options, io: CliIo): Promise<number> {
  if (sub !== undefined) throw new BadInputError(`unknown command "prune ${sub}"`, ['use "prune [--region <r>] [--dry-run]"; see --help']);
  const config = loadPlansFile(options.plans ?? io.env.PLANS_FILE ?? DEFAULT_PLANS_FILE);
  const now = timeOf(options, io, true);
  if (options.profile) io.env.AWS_PROFILE = options.profile;
  const settings = (region: string) => ({ region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  const stack = options.stack ?? io.env.STACK_NAME ?? 'backup-orchestrator-prod';
  const sources = new AwsSourceInventory(ec2Client(settings(config.primaryRegion)), rdsClient(settings(config.primaryRegion)));
  const summary = await pruneEveryRegion(
    { config, regions: options.region ? [options.region] : pruneRegionsOf(config), now, dryRun: Boolean(options['dry-run']), budget: PRUNE_DEFAULTS.budget },
    (region) => {
      if (!options.json) io.stderr(`pruning ${region}${options['dry-run'] ? ' (dry run)' : ''}…`);
      return {
        stack,
        catalog: new SnapshotCatalog(ec2Client(settings(region)), rdsClient(settings(region)), region),
        sources,
        deleter: new AwsSnapshotDeleter(ec2Client(settings(region)), rdsClient(settings(region)), region),
        ...(options.json ? {} : { onOutcome: (outcome: SnapshotOutcome) => io.stderr(`  ${outcome.snapshotId}: ${outcome.status}`) }),
      };
    },
  );
  io.stdout(options.json ? JSON.stringify(summary) : renderPruneRun(summary));
  return summary.failures > 0 ? EXIT.problems : EXIT.ok;
}

async function reportCommand(sub: string | undefined, options: Options, io: CliIo): Promise<number> {
  if (sub !== undefined) throw new BadInputError(`unknown command "report ${sub}"`, ['use "report [--send] [--json]"; see --help']);
  const topicArn = options.topic ?? io.env.NOTIFICATION_TOPIC_ARN;
  if (options.topic && !options.send) throw new BadInputError('--topic is only used with --send', ['add --send to publish the report, or leave --topic out to print it']);
  if (options.send && !topicArn) throw new BadInputError('report --send needs the topic to publish to', ['pass --topic <arn> or set NOTIFICATION_TOPIC_ARN (the stack output NotificationsTopicArn)']);
  if (topicArn && options.send && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/.test(topicArn)) {
    throw new BadInputError(`"${topicArn}" is not an SNS topic ARN`, ['e.g. arn:aws:sns:eu-west-1:123456789012:backup-orchestrator-prod-notifications']);
  }
  const config = loadPlansFile(options.plans ?? io.env.PLANS_FILE ?? DEFAULT_PLANS_FILE);
  const now = timeOf(options, io);
  if (options.profile) io.env.AWS_PROFILE = options.profile;
  const stack = options.stack ?? io.env.STACK_NAME ?? 'backup-orchestrator-prod';
  const activityTable = options['activity-table'] ?? io.env.ACTIVITY_TABLE;
  const { report } = await runReport({
    config,
    stack,
    now,
    env: io.env,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(activityTable ? { activityTable } : {}),
    ...(options.json ? {} : { progress: io.stderr }),
  });
  io.stdout(options.json ? report.json : report.text);
  if (options.send && topicArn) {
    const region = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):/.exec(topicArn)?.[1] ?? config.primaryRegion;
    const messageId = await sendReport(report, topicArn, { region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    if (!options.json) io.stderr(`sent to ${topicArn} (message ${messageId ?? 'without id'})`);
  }
  return report.problems > 0 ? EXIT.problems : EXIT.ok;
}

async function dlmCommand(sub: string | undefined, options: Options, io: CliIo): Promise<number> {
  if (sub !== 'sync') throw new BadInputError(`unknown command "dlm ${sub ?? ''}"`.trim(), ['use "dlm sync [--dry-run]"; see --help']);
  const executionRoleArn = options['execution-role'] ?? io.env.DLM_EXECUTION_ROLE_ARN;
  if (!executionRoleArn) {
    throw new BadInputError('dlm sync needs the role Data Lifecycle Manager runs the policies with', [
      'pass --execution-role <arn> or set DLM_EXECUTION_ROLE_ARN (the stack output DlmExecutionRoleArn)',
    ]);
  }
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(executionRoleArn)) {
    throw new BadInputError(`"${executionRoleArn}" is not an IAM role ARN`, ['e.g. arn:aws:iam::123456789012:role/backup-orchestrator-prod-DlmExecutionRole (the stack output DlmExecutionRoleArn)']);
  }
  const config = loadPlansFile(options.plans ?? io.env.PLANS_FILE ?? DEFAULT_PLANS_FILE);
  if (options.profile) io.env.AWS_PROFILE = options.profile;
  // DLM policies live in the Region of the resources they snapshot: the primary Region.
  const region = options.region ?? config.primaryRegion;
  const summary = await syncDlmPolicies(
    { config, dryRun: Boolean(options['dry-run']) },
    {
      ...SYNC_DLM_DEFAULTS,
      stack: options.stack ?? io.env.STACK_NAME ?? 'backup-orchestrator-prod',
      executionRoleArn,
      store: new AwsDlmPolicyStore(dlmClient({ region, maxAttempts: 1, ...(options.endpoint ? { endpoint: options.endpoint } : {}) })),
    },
  );
  io.stdout(options.json ? JSON.stringify(summary) : renderDlmSync(summary));
  return summary.failed > 0 ? EXIT.problems : EXIT.ok;
}

/** Runs one CLI command; returns the exit code instead of exiting, so tests can drive it. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    const options = values as Options;
    const [command, sub, ...rest] = positionals;
    if (options.help || !command) {
      io.stdout(HELP);
      return command || options.help ? EXIT.ok : EXIT.badInput;
    }
    checkCommonOptions(command, options);
    checkCommandOptions(command, sub, options);
    if (command === 'plan') return await planCommand(sub, rest, options, io);
    if (command === 'backup') return await backupCommand(sub, options, io);
    if (command === 'prune') return await pruneCommand(sub, options, io);
    if (command === 'dlm') return await dlmCommand(sub, options, io);
    if (command === 'reconcile') return await reconcileCommand(sub, options, io);
    if (command === 'drill') return await drillCommand(sub, rest, () => loadPlansFile(options.plans ?? io.env.PLANS_FILE ?? DEFAULT_PLANS_FILE), options, io);
    if (command === 'report') return await reportCommand(sub, options, io);
    throw new BadInputError(`unknown command "${command}"`, ['commands: plan validate, plan show, backup run, prune, reconcile, dlm sync, drill start, drill status, report; see --help']);
  } catch (error) {
    // A ConfigurationError is a variable of the environment that cannot be read (API_RATE_SHARE=half): bad input too.
    if (error instanceof PlanValidationError || error instanceof BadInputError || error instanceof UnknownPlanError || error instanceof ConfigurationError) {
      io.stderr(`error: ${error.message}`);
      return EXIT.badInput;
    }
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`error: ${(error as Error).message}\nRun with --help for usage.`);
      return EXIT.badInput;
    }
    io.stderr(`error: ${(error as Error).name}: ${(error as Error).message}`);
    return EXIT.problems;
  }
}
