/**
 * README "Operator CLI" (README.md:410-411, 430-433): "`--json` prints one JSON document for scripts and no
 * progress" and exit code 2 for "a plan, Region, time, ARN or URL that is not one ... refused before any AWS
 * call, so nothing was changed".
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DLMClient } from '@aws-sdk/client-dlm';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { main, type CliIo } from '../../../cli/main.js';

const sfnMock = mockClient(SFNClient);
const dlmMock = mockClient(DLMClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:backup-orchestrator-prod-restore-drill';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:backup-orchestrator-prod-restore-drill:drill-gold-20261126T153000Z-abcdef';
const START = new Date('2026-11-26T15:30:00Z');
let folder: string;
let plansFile: string;

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    env: { PLANS_FILE: plansFile, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...env },
    now: () => START,
    sleep: async () => undefined,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'bo-readme-cli-'));
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
  - id: bronze
    engine: dlm
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 2 * * ? *) }
    rpo: 26h
    rto: 4h
    retention: { count: 7 }
`,
  );
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

beforeEach(() => {
  sfnMock.reset();
  dlmMock.reset();
  sfnMock.on(ListStateMachinesCommand).resolves({ stateMachines: [{ name: 'backup-orchestrator-prod-restore-drill', stateMachineArn: MACHINE, type: 'STANDARD', creationDate: START }] });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: START });
});

describe('exit 2 for an ARN that is not one, refused before any AWS call', () => {
  it('drill status refuses an execution "ARN" that is not an ARN without calling Step Functions', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Invalid Arn'), { name: 'InvalidArn' }));

    const run = await cli(['drill', 'status', 'drill-gold-20261126T153000Z-abcdef']);

    expect(sfnMock.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name)).toEqual([]);
    expect(run.code).toBe(2);
  });

  it('dlm sync refuses an --execution-role that is not an IAM role ARN without calling DLM', async () => {
    dlmMock.onAnyCommand().resolves({ Policies: [] });

    const run = await cli(['dlm', 'sync', '--execution-role', 'DlmExecutionRole']);

    expect(dlmMock.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name)).toEqual([]);
    expect(run.code).toBe(2);
  });
});

describe('--json prints one JSON document and no progress', () => {
  it('drill start --wait --json writes nothing to stderr', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, stateMachineArn: MACHINE, status: 'SUCCEEDED', startDate: START, output: JSON.stringify({ verdict: 'PASS' }) });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 1, type: 'TaskStateEntered', timestamp: START, stateEnteredEventDetails: { name: 'ValidateInput' } }] });

    const run = await cli(['drill', 'start', '--plan', 'gold', '--wait', '--json']);

    expect(run.stdout).toHaveLength(1);
    expect(() => JSON.parse(run.stdout[0] ?? '')).not.toThrow();
    expect(run.stderr).toEqual([]);
  });
});
