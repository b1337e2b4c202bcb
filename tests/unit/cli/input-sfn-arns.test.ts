/**
 * `drill start --state-machine` / $DRILL_STATE_MACHINE_ARN and `drill status <execution-arn>` take every ARN Step
 * Functions issues: StartExecution takes a state machine version or alias ARN (…:stateMachine:<name>:<version|alias>),
 * and names may hold any character but white space, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : / and control characters.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { cliWithPlans } from '../../support/cli.js';

const sfnMock = mockClient(SFNClient);
const START = new Date('2026-11-26T15:30:00Z');
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:backup-orchestrator-prod-restore-drill:drill-gold-20261126T153000Z-abcdef';

const cli = cliWithPlans(
  `version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
`,
  START,
);

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: START });
  sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'RUNNING', startDate: START });
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
});

describe('drill start --state-machine with an ARN Step Functions accepts', () => {
  it.each([
    ['a version ARN', 'arn:aws:states:eu-west-1:123456789012:stateMachine:backup-orchestrator-prod-restore-drill:3'],
    ['an alias ARN', 'arn:aws:states:eu-west-1:123456789012:stateMachine:backup-orchestrator-prod-restore-drill:live'],
    ['a name with a period', 'arn:aws:states:eu-west-1:123456789012:stateMachine:restore-drill.v2'],
  ])('starts the drill on %s', async (_what, arn) => {
    const run = await cli(['drill', 'start', '--plan', 'gold', '--state-machine', arn]);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.stateMachineArn)).toEqual([arn]);
  });
});

describe('drill status with an execution ARN Step Functions issued', () => {
  it.each([
    ['an execution named in the console with a period', 'arn:aws:states:eu-west-1:123456789012:execution:backup-orchestrator-prod-restore-drill:manual.drill-2026-11-26'],
    ['an execution name with @ and +', 'arn:aws:states:eu-west-1:123456789012:execution:backup-orchestrator-prod-restore-drill:ops@night+1'],
  ])('asks Step Functions about %s', async (_what, arn) => {
    const run = await cli(['drill', 'status', arn]);

    expect(run.stderr).not.toContain('is not a Step Functions execution ARN');
    expect(sfnMock.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input.executionArn)).toEqual([arn]);
  });
});
