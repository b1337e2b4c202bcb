import { beforeEach, describe, expect, it } from '@jest/globals';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { cliWithPlans } from '../../support/cli.js';

// Every AWS client is mocked: nothing in this file can reach AWS.
const sfnMock = mockClient(SFNClient);
const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:backup-orchestrator-prod-restore-drill';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:backup-orchestrator-prod-restore-drill:drill-gold-x';

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
    copies: [{ region: eu-central-1, encrypted: false }]
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 1 }
`,
  new Date('2026-11-26T15:30:00Z'),
);

beforeEach(() => {
  sfnMock.reset();
  ec2Mock.reset();
  rdsMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  ec2Mock.onAnyCommand().resolves({});
  rdsMock.onAnyCommand().resolves({});
});

describe('options a command does not take', () => {
  it('drill start --dry-run is refused with exit code 2 and starts no drill (a restore that costs money)', async () => {
    const run = await cli(['drill', 'start', '--plan', 'gold', '--state-machine', MACHINE, '--dry-run']);

    expect({ code: run.code, drillsStarted: sfnMock.commandCalls(StartExecutionCommand).length }).toEqual({ code: 2, drillsStarted: 0 });
    expect(run.stderr).toContain('--dry-run');
  });

  it('prune --plan gold is refused with exit code 2 instead of pruning every plan', async () => {
    const run = await cli(['prune', '--plan', 'gold', '--dry-run']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--plan');
  });

  it('names the refused options and what the command takes, and still runs a command given only its own options', async () => {
    const refused = await cli(['reconcile', '--region', 'eu-central-1', '--plan', 'gold', '--dry-run']);
    const accepted = await cli(['drill', 'start', '--plan', 'gold', '--state-machine', MACHINE]);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'error: --region, --plan are not options of "reconcile"; nothing was done: "reconcile" takes --plans, --at, --dry-run, --profile, --endpoint, --stack, --json',
    );
    expect(accepted.code).toBe(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('backup run --resource <id> is refused with exit code 2 instead of snapshotting every resource of the plan', async () => {
    const run = await cli(['backup', 'run', '--plan', 'gold', '--resource', 'vol-1', '--dry-run']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--resource');
  });
});
