/**
 * --at is strict ISO-8601 with a zone, refused before any AWS call when it is not a time (exit 2). A calendar date
 * that does not exist has the right shape, and JavaScript's Date would silently roll it over into the next month,
 * so a backup run would be taken for another day's slot.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { cliWithPlans } from '../../support/cli.js';

const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
const NOW = new Date('2026-11-26T15:30:00Z');

const awsCalls = () => [...ec2Mock.calls(), ...rdsMock.calls()].length;

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

describe('--at with a calendar date that does not exist', () => {
  it.each([['2026-02-30T12:00:00Z'], ['2026-02-31T00:00Z'], ['2026-04-31T08:00:00+02:00']])(
    'refuses %s as not a time, before any AWS call (not read as a day of the next month)',
    async (at) => {
      const run = await cli(['backup', 'run', '--plan', 'gold', '--at', at]);

      expect({ code: run.code, awsCalls: awsCalls() }).toEqual({ code: 2, awsCalls: 0 });
      expect(run.stderr).toContain(`--at "${at}" is not a time`);
    },
  );
});
