/**
 * --at: a time to come only with --dry-run, and a time that is not one (not ISO-8601 with its zone, or a day the
 * calendar lacks, which Date would roll into the next month) refused with exit 2 before any AWS call.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { CreateSnapshotCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { cliWithPlans } from '../../support/cli.js';

// Every AWS client is mocked: nothing in this file can reach AWS.
const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const NOW = new Date('2026-11-26T15:30:00Z');

const awsCalls = () => [...ec2Mock.calls(), ...rdsMock.calls()].map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);

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
  NOW,
);

beforeEach(() => {
  ec2Mock.reset();
  rdsMock.reset();
  ec2Mock.onAnyCommand().resolves({});
  rdsMock.onAnyCommand().resolves({});
});

describe('a time to come only with --dry-run', () => {
  it('backup run refuses --at 16:00 at 15:30 (slot 16:00 has not come) without --dry-run, before any AWS call', async () => {
    const run = await cli(['backup', 'run', '--plan', 'gold', '--at', '2026-11-26T16:00:00Z']);

    expect(awsCalls()).toEqual([]);
    expect(run.code).toBe(2);
  });

  it('prune refuses an --at 59 minutes from now without --dry-run, before any AWS call', async () => {
    const run = await cli(['prune', '--at', '2026-11-26T16:29:00Z']);

    expect(awsCalls()).toEqual([]);
    expect(run.code).toBe(2);
  });
});

describe('a time to come only with --dry-run (the consequence)', () => {
  it('backup run takes no snapshot at 15:30 for the 16:00 slot, so the scheduler\'s own 16:00 run is not skipped as done', async () => {
    ec2Mock.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-0123456789abcdef0', State: 'in-use', Tags: [{ Key: 'backup:plan', Value: 'gold' }] }] });
    ec2Mock.on(CreateSnapshotCommand).resolves({ SnapshotId: 'snap-0123456789abcdef0', State: 'pending' });

    await cli(['backup', 'run', '--plan', 'gold', '--at', '2026-11-26T16:00:00Z']);

    // At 15:30 no 16:00 point may exist: the scheduler's 16:00 delivery would find it "already done" and skip.
    const slots = ec2Mock.commandCalls(CreateSnapshotCommand).map((call) => call.args[0].input.TagSpecifications?.[0]?.Tags?.find((tag) => tag.Key === 'backup-orchestrator:slot')?.Value);
    expect(slots).toEqual([]);
  });
});

describe('a time that is not one is exit 2', () => {
  it('backup run --dry-run refuses --at "12" (not ISO-8601; Date reads it as 2001-12-01)', async () => {
    const run = await cli(['backup', 'run', '--plan', 'gold', '--dry-run', '--at', '12']);

    expect(run.code).toBe(2);
  });
});

describe('--at with a calendar date that does not exist', () => {
  it.each([['2026-02-30T12:00:00Z'], ['2026-02-31T00:00Z'], ['2026-04-31T08:00:00+02:00']])(
    'refuses %s as not a time, before any AWS call (not read as a day of the next month)',
    async (at) => {
      const run = await cli(['backup', 'run', '--plan', 'gold', '--at', at]);

      expect({ code: run.code, awsCalls: awsCalls().length }).toEqual({ code: 2, awsCalls: 0 });
      expect(run.stderr).toContain(`--at "${at}" is not a time`);
    },
  );
});
