import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { main, type CliIo } from '../../../cli/main.js';
import type { DrillResult } from '../../../shared/domain/drill-report.js';

// moto's Step Functions executor is not what runs drills: the SFN API is mocked, the real execution is in tests/statemachines.
const sfnMock = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:backup-orchestrator-prod-restore-drill';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:backup-orchestrator-prod-restore-drill:drill-gold-20261126T153000Z-abcdef';
const START = new Date('2026-11-26T15:30:00Z');
let plansFile: string;

const RESULT: DrillResult = {
  schema: 'backup-orchestrator/drill-result@1',
  verdict: 'PASS',
  drillId: 'drill-20261126-1530-1a2b3c4d',
  executionArn: EXECUTION,
  planId: 'gold',
  resourceId: 'vol-1',
  resourceType: 'ebs-volume',
  region: 'eu-west-1',
  regionRole: 'primary',
  startedAt: '2026-11-26T15:30:00.000Z',
  validatedAt: '2026-11-26T15:44:32.000Z',
  rto: { objectiveSeconds: 3600, measuredSeconds: 872, passed: true },
  rpo: { objectiveSeconds: 28800, achievedSeconds: 11400, passed: true },
  recoveryPoint: { id: 'vol-1@2026-11-26T12:20Z', slot: '2026-11-26T12:20Z', dataTime: '2026-11-26T12:20:00.000Z', isCopy: false, snapshotIds: ['snap-1'] },
  restored: [{ kind: 'ebs-volume', id: 'vol-2', snapshotId: 'snap-1' }],
  validation: { checks: [], user: null },
  failure: null,
  cleanup: { complete: true, deleted: [], error: null },
};

function entered(id: number, name: string, seconds: number): HistoryEvent {
  return { id, type: 'TaskStateEntered', timestamp: new Date(START.getTime() + seconds * 1000), stateEnteredEventDetails: { name } };
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const slept: number[] = [];
  const io: CliIo = {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    env: { PLANS_FILE: plansFile, ...env },
    now: () => START,
    sleep: async (ms) => {
      slept.push(ms);
    },
  };
  const code = await main(argv, io);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), slept };
}

beforeAll(() => {
  const folder = mkdtempSync(join(tmpdir(), 'bo-drill-cli-'));
  plansFile = join(folder, 'plans.yml');
  writeFileSync(
    plansFile,
    `version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    copies: [{ region: eu-central-1, encrypted: false }]
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
`,
  );
});

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [{ name: 'backup-orchestrator-prod-restore-drill', stateMachineArn: MACHINE, type: 'STANDARD', creationDate: START }] });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: START });
});

describe('drill start', () => {
  it("starts the stack's restore-drill state machine with the drill request and prints the execution ARN", async () => {
    const run = await cli(['drill', 'start', '--plan', 'gold', '--resource', 'vol-1', '--region', 'dr']);

    expect(run).toMatchObject({ code: 0, stdout: EXECUTION });
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start?.stateMachineArn).toBe(MACHINE);
    expect(JSON.parse(start?.input ?? '{}')).toEqual({ planId: 'gold', resourceId: 'vol-1', region: 'dr', trigger: 'cli' });
    expect(start?.name).toMatch(/^drill-gold-20261126T153000Z-[0-9a-f]{6}$/);
  });

  it('finds the state machine on a later page of ListStateMachines, following nextToken', async () => {
    const tokens: Array<string | undefined> = [];
    const pages = [
      { stateMachines: [{ name: 'someone-else', stateMachineArn: 'arn:other', type: 'STANDARD' as const, creationDate: START }], nextToken: 'page-2' },
      { stateMachines: [{ name: 'backup-orchestrator-prod-restore-drill', stateMachineArn: MACHINE, type: 'STANDARD' as const, creationDate: START }] },
    ];
    sfnMock.on(ListStateMachinesCommand).callsFake((input: { nextToken?: string }) => {
      tokens.push(input.nextToken);
      return pages.shift();
    });

    const run = await cli(['drill', 'start', '--plan', 'gold']);

    expect(run.code).toBe(0);
    expect(tokens).toEqual([undefined, 'page-2']);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(MACHINE);
  });

  it('uses --state-machine (or $DRILL_STATE_MACHINE_ARN) without listing state machines, and refuses one that is not a state machine ARN', async () => {
    const givenArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:given';
    const envArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:from-env';
    const given = await cli(['drill', 'start', '--plan', 'silver', '--state-machine', givenArn]);
    const fromEnv = await cli(['drill', 'start', '--plan', 'silver'], { DRILL_STATE_MACHINE_ARN: envArn });
    const notArn = await cli(['drill', 'start', '--plan', 'silver', '--state-machine', 'backup-orchestrator-prod-restore-drill']);

    expect([given.code, fromEnv.code, notArn.code]).toEqual([0, 0, 2]);
    expect(notArn.stderr).toContain('"backup-orchestrator-prod-restore-drill" is not a Step Functions state machine ARN');
    expect(sfnMock.commandCalls(ListStateMachinesCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.stateMachineArn)).toEqual([givenArn, envArn]);
  });

  it('refuses an unknown plan or a Region the plan has no points in, before starting anything', async () => {
    const unknown = await cli(['drill', 'start', '--plan', 'platinum']);
    const noDr = await cli(['drill', 'start', '--plan', 'silver', '--region', 'dr']);
    const elsewhere = await cli(['drill', 'start', '--plan', 'gold', '--region', 'us-east-1']);
    const noPlan = await cli(['drill', 'start']);

    expect(unknown).toMatchObject({ code: 2, stderr: 'error: no plan "platinum" in the backup plans (known plans: gold, silver)' });
    expect(noDr.code).toBe(2);
    expect(noDr.stderr).toContain('plan "silver" has no DR Region');
    expect(elsewhere.stderr).toBe('error: plan "gold" has no recovery points in "us-east-1": allowed regions: primary, dr, eu-west-1, eu-central-1');
    expect(noPlan).toMatchObject({ code: 2, stderr: 'error: drill start needs --plan <id>' });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('says how to fix a missing state machine', async () => {
    sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [] });

    const run = await cli(['drill', 'start', '--plan', 'gold', '--stack', 'backup-orchestrator-staging']);

    expect(run).toMatchObject({
      code: 2,
      stderr: 'error: no state machine named backup-orchestrator-staging-restore-drill in eu-west-1: deploy the stack, or pass --state-machine <arn> (or --stack <name>)',
    });
  });
});

describe('drill start --wait', () => {
  it('follows the execution with a line per activity, prints the verdict and exits 0 on PASS', async () => {
    const history = [entered(2, 'NormaliseInput', 0), entered(3, 'ValidateInput', 1), entered(4, 'SelectRecoveryPoint', 2), entered(5, 'RestoreRecoveryPoint', 3)];
    const later = [...history, entered(6, 'CheckRestoreReady', 4), entered(7, 'WaitForRestore', 5), entered(8, 'CheckRestoreReady', 20), entered(9, 'ValidateRestore', 872), entered(10, 'Cleanup', 880)];
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE })
      .resolvesOnce({ status: 'SUCCEEDED', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE, output: JSON.stringify(RESULT) });
    sfnMock.on(GetExecutionHistoryCommand).resolvesOnce({ events: history }).resolvesOnce({ events: later });

    const run = await cli(['drill', 'start', '--plan', 'gold', '--wait']);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${EXECUTION}\nPASS: RTO objective 1 h, measured 14 min 32 s — PASS; RPO objective 8 h, achieved 3 h 10 min — PASS`);
    expect(run.stderr.split('\n')).toEqual([
      'restore drill of plan gold started; following it (Ctrl-C stops following, not the drill)',
      '  +0 s          validating the input',
      '  +2 s          selecting the recovery point',
      '  +3 s          restoring',
      '  +4 s          waiting for the restore to be available',
      '  +14 min 32 s  validating the restore',
      '  +14 min 40 s  cleaning up',
    ]);
    expect(run.slept).toEqual([10_000]);
  });

  it('exits 1 on FAIL with the cause, and 2 when the drill refused its input', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'FAILED', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE, error: 'DrillFailed', cause: 'FAIL: RTO objective 1 h, measured 1 h 20 min — FAIL; RPO objective 8 h, achieved 3 h — PASS' })
      .resolvesOnce({ status: 'FAILED', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE, error: 'BadInput', cause: 'resource "vol-9" has no recovery points of plan "gold" in eu-west-1' });

    const failed = await cli(['drill', 'start', '--plan', 'gold', '--wait']);
    const refused = await cli(['drill', 'start', '--plan', 'gold', '--resource', 'vol-9', '--wait']);

    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe(`${EXECUTION}\nFAIL: RTO objective 1 h, measured 1 h 20 min — FAIL; RPO objective 8 h, achieved 3 h — PASS`);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe(`${EXECUTION}\nnot started (bad input): resource "vol-9" has no recovery points of plan "gold" in eu-west-1`);
  });

  it('exits 1 when the execution timed out or was aborted', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE });

    const run = await cli(['drill', 'start', '--plan', 'gold', '--wait']);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${EXECUTION}\nFAIL: execution aborted`);
  });

  it('prints one JSON document with --json', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE, output: JSON.stringify(RESULT) });

    const run = await cli(['drill', 'start', '--plan', 'gold', '--wait', '--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ executionArn: EXECUTION, status: 'SUCCEEDED', verdict: 'PASS', result: RESULT });
  });
});

describe('drill status', () => {
  it('reports a running drill, then its verdict, asking the Region in the execution ARN', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE })
      .resolvesOnce({ status: 'SUCCEEDED', startDate: START, executionArn: EXECUTION, stateMachineArn: MACHINE, output: JSON.stringify({ ...RESULT, verdict: 'FAIL', rto: { ...RESULT.rto, passed: false } }) });

    const running = await cli(['drill', 'status', EXECUTION]);
    const done = await cli(['drill', 'status', EXECUTION]);

    expect(running).toMatchObject({ code: 0, stdout: 'RUNNING since 2026-11-26T15:30:00.000Z' });
    expect(done.code).toBe(1);
    expect(done.stdout).toBe('FAIL: RTO objective 1 h, measured 14 min 32 s — FAIL; RPO objective 8 h, achieved 3 h 10 min — PASS');
    expect(sfnMock.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXECUTION });
  });

  it('needs the execution ARN', async () => {
    const run = await cli(['drill', 'status']);

    expect(run).toMatchObject({ code: 2, stderr: 'error: drill status needs the execution ARN that drill start printed' });
  });
});
