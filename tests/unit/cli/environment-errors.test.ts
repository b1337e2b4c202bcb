import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../../support/cli.js';

// Mocked clients: nothing here reaches AWS. The client factory reads its settings from process.env.
const ec2Mock = mockClient(EC2Client);
const rdsMock = mockClient(RDSClient);
ec2Mock.onAnyCommand().resolves({});
rdsMock.onAnyCommand().resolves({});
const EXAMPLE = join(import.meta.dirname, '../../../backup-plans.yml');

afterEach(() => {
  delete process.env.RETRY_DELAY_SCALE;
  delete process.env.API_RATE_SHARE;
});

describe('the CLI with a bad client setting in the environment', () => {
  it('answers RETRY_DELAY_SCALE=fast as bad input (exit code 2), like every other bad input', async () => {
    process.env.RETRY_DELAY_SCALE = 'fast';

    const run = await runCli(['prune', '--plans', EXAMPLE, '--dry-run']);

    expect(run.stderr).toContain('RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "fast"');
    expect(run.code).toBe(2);
  });

  it('answers API_RATE_SHARE=half as bad input (exit code 2), like every other bad input', async () => {
    process.env.API_RATE_SHARE = 'half';

    const run = await runCli(['prune', '--plans', EXAMPLE, '--dry-run']);

    expect(run.stderr).toContain('API_RATE_SHARE must be a number above 0, such as 0.95, not "half"');
    expect(run.code).toBe(2);
  });
});
