/**
 * `drill start` and `drill status`: start the restore-drill state machine and follow it. The drill itself runs
 * in Step Functions; the CLI checks the request against the plans file first, so a typo never starts anything.
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  paginateListStateMachines,
  StartExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { sfnClient } from '../shared/aws/clients.js';
import { resolveDrillRegion } from '../shared/domain/drill.js';
import { drillActivity, objectivesLine, type DrillResult } from '../shared/domain/drill-report.js';
import { formatDuration } from '../shared/domain/durations.js';
import { BadInputError } from '../shared/domain/errors.js';
import type { PlansConfig } from '../shared/domain/plan-schema.js';
import { findPlan } from '../shared/runtime/plans.js';
import type { CliIo } from './main.js';

export interface DrillOptions {
  plan?: string;
  resource?: string;
  region?: string;
  wait?: boolean;
  'state-machine'?: string;
  endpoint?: string;
  profile?: string;
  stack?: string;
  json?: boolean;
}

const EXIT = { ok: 0, problems: 1, badInput: 2 } as const;
const POLL_MS = 10_000;
/** A Step Functions name: up to 80 characters, none of white space, brackets, wildcards, punctuation Step Functions refuses. */
const NAME = '[^\\s<>{}\\[\\]?*"#%\\\\^|~`$&,;:/]{1,80}';
/** A state machine ARN, of a version or an alias too (`…:stateMachine:<name>:3`, `…:live`). */
const STATE_MACHINE_ARN = new RegExp(`^arn:aws[a-z-]*:states:[a-z0-9-]+:\\d{12}:stateMachine:${NAME}(?::${NAME})?$`);
const EXECUTION_ARN = new RegExp(`^arn:aws[a-z-]*:states:([a-z0-9-]+):\\d{12}:execution:${NAME}:${NAME}$`);
const DONE = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** The state machine: --state-machine, else $DRILL_STATE_MACHINE_ARN, else the stack's `<stack>-restore-drill`. */
async function stateMachineArn(sfn: SFNClient, options: DrillOptions, io: CliIo, region: string): Promise<string> {
  const given = options['state-machine'] ?? io.env.DRILL_STATE_MACHINE_ARN;
  if (given) {
    if (!STATE_MACHINE_ARN.test(given)) throw new BadInputError(`"${given}" is not a Step Functions state machine ARN`, ['e.g. arn:aws:states:eu-west-1:123456789012:stateMachine:backup-orchestrator-prod-restore-drill']);
    return given;
  }
  const name = `${options.stack ?? io.env.STACK_NAME ?? 'backup-orchestrator-prod'}-restore-drill`;
  for await (const page of paginateListStateMachines({ client: sfn }, {})) {
    const found = page.stateMachines?.find((machine) => machine.name === name);
    if (found?.stateMachineArn) return found.stateMachineArn;
  }
  throw new BadInputError(`no state machine named ${name} in ${region}`, ['deploy the stack, or pass --state-machine <arn> (or --stack <name>)']);
}

/** A unique, readable execution name (Step Functions keeps names for 90 days): `drill-gold-20261126T153000Z-1a2b3c`. */
function executionName(planId: string, now: Date): string {
  return `drill-${planId}-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}-${randomBytes(3).toString('hex')}`;
}

interface Finished {
  status: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** Prints the outcome of a finished execution and returns the exit code: PASS 0, FAIL 1, bad input 2. */
function reportFinished(executionArn: string, finished: Finished, options: DrillOptions, io: CliIo): number {
  let result: DrillResult | undefined;
  try {
    result = finished.output ? (JSON.parse(finished.output) as DrillResult) : undefined;
  } catch {
    result = undefined;
  }
  const verdict = finished.status === 'SUCCEEDED' ? (result?.verdict ?? 'PASS') : finished.error === 'BadInput' ? 'BAD_INPUT' : 'FAIL';
  if (options.json) {
    io.stdout(JSON.stringify({ executionArn, status: finished.status, verdict, ...(result ? { result } : { error: finished.error ?? null, cause: finished.cause ?? null }) }));
  } else if (finished.status === 'SUCCEEDED' && result) {
    io.stdout(`${result.verdict}: ${objectivesLine(result) ?? ''}`);
  } else if (verdict === 'BAD_INPUT') {
    io.stdout(`not started (bad input): ${finished.cause ?? finished.error ?? ''}`);
  } else {
    io.stdout(finished.error === 'DrillFailed' ? (finished.cause ?? 'FAIL') : `FAIL: execution ${finished.status.toLowerCase()}${finished.error ? ` (${finished.error}: ${finished.cause ?? ''})` : ''}`);
  }
  if (verdict === 'PASS') return EXIT.ok;
  return verdict === 'BAD_INPUT' ? EXIT.badInput : EXIT.problems;
}

/** Follows an execution until it ends, telling `progress` each time the drill moves on to another activity. */
async function follow(sfn: SFNClient, executionArn: string, io: CliIo, progress: (line: string) => void): Promise<Finished> {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const seen = new Set<number>();
  let lastActivity = '';
  let startedAt: Date | undefined;
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    startedAt ??= described.startDate ? new Date(described.startDate) : undefined;
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    for (const event of events) {
      if (event.id === undefined || seen.has(event.id)) continue;
      seen.add(event.id);
      const state = event.stateEnteredEventDetails?.name;
      if (!state) continue;
      const activity = drillActivity(state);
      if (activity === lastActivity) continue;
      lastActivity = activity;
      const elapsed = startedAt && event.timestamp ? `+${formatDuration(new Date(event.timestamp).getTime() - startedAt.getTime())}` : '';
      progress(`  ${elapsed.padEnd(14)}${activity}`);
    }
    if (DONE.has(described.status ?? '')) {
      return {
        status: described.status as string,
        ...(described.output ? { output: described.output } : {}),
        ...(described.error ? { error: described.error } : {}),
        ...(described.cause ? { cause: described.cause } : {}),
      };
    }
    await sleep(POLL_MS);
  }
}

async function drillStart(config: PlansConfig, options: DrillOptions, io: CliIo): Promise<number> {
  if (!options.plan) throw new BadInputError('drill start needs --plan <id>');
  const plan = findPlan(config, options.plan);
  // Refuse a Region the plan has no points in before anything starts; the state machine checks again.
  resolveDrillRegion(config, plan, options.region);
  if (options.profile) io.env.AWS_PROFILE = options.profile;
  const region = config.primaryRegion;
  const sfn = sfnClient({ region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  const arn = await stateMachineArn(sfn, options, io, region);
  const input = { planId: plan.id, ...(options.resource ? { resourceId: options.resource } : {}), ...(options.region ? { region: options.region } : {}), trigger: 'cli' };
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: executionName(plan.id, io.now()), input: JSON.stringify(input) }));
  const executionArn = started.executionArn as string;
  if (!options.wait) {
    io.stdout(options.json ? JSON.stringify({ executionArn, status: 'RUNNING' }) : executionArn);
    return EXIT.ok;
  }
  // --json prints one document and no progress.
  const progress = options.json ? () => undefined : io.stderr;
  if (!options.json) io.stdout(executionArn);
  progress(`restore drill of plan ${plan.id} started; following it (Ctrl-C stops following, not the drill)`);
  return reportFinished(executionArn, await follow(sfn, executionArn, io, progress), options, io);
}

async function drillStatus(executionArn: string | undefined, options: DrillOptions, io: CliIo): Promise<number> {
  if (!executionArn) throw new BadInputError('drill status needs the execution ARN that drill start printed');
  const region = EXECUTION_ARN.exec(executionArn)?.[1];
  if (!region) throw new BadInputError(`"${executionArn}" is not a Step Functions execution ARN`, ['pass the execution ARN drill start printed, e.g. arn:aws:states:eu-west-1:123456789012:execution:backup-orchestrator-prod-restore-drill:drill-gold-20261126T153000Z-1a2b3c']);
  if (options.profile) io.env.AWS_PROFILE = options.profile;
  const sfn = sfnClient({ region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (!DONE.has(described.status ?? '')) {
    io.stdout(options.json ? JSON.stringify({ executionArn, status: described.status }) : `RUNNING since ${described.startDate ? new Date(described.startDate).toISOString() : '?'}`);
    return EXIT.ok;
  }
  return reportFinished(
    executionArn,
    {
      status: described.status as string,
      ...(described.output ? { output: described.output } : {}),
      ...(described.error ? { error: described.error } : {}),
      ...(described.cause ? { cause: described.cause } : {}),
    },
    options,
    io,
  );
}

/** `drill start` / `drill status`. */
export async function drillCommand(sub: string | undefined, positionals: string[], config: () => PlansConfig, options: DrillOptions, io: CliIo): Promise<number> {
  if (sub === 'start') return drillStart(config(), options, io);
  if (sub === 'status') return drillStatus(positionals[0], options, io);
  throw new BadInputError(`unknown command "drill ${sub ?? ''}"`.trim(), ['use "drill start --plan <id>" or "drill status <execution-arn>"; see --help']);
}
