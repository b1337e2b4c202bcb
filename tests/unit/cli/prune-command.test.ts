import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';

const EXAMPLE = join(import.meta.dirname, '../../../backup-plans.yml');

describe('backup-orchestrator prune', () => {
  it('lists prune in the help', async () => {
    const result = await runCli(['--help']);

    expect(result.stdout).toContain('backup-orchestrator prune');
    expect(result.stdout).toContain('[--region <r>]');
  });

  it('rejects bad arguments precisely, before any AWS call, with exit code 2', async () => {
    const region = await runCli(['prune', '--plans', EXAMPLE, '--region', 'mars-1', '--dry-run']);
    const at = await runCli(['prune', '--plans', EXAMPLE, '--at', 'yesterday']);
    const sub = await runCli(['prune', 'everything', '--plans', EXAMPLE]);

    expect([region.code, at.code, sub.code]).toEqual([2, 2, 2]);
    expect(region.stderr).toBe('error: --region "mars-1" is not an AWS Region: e.g. eu-west-1');
    expect(at.stderr).toBe('error: --at "yesterday" is not a time: use ISO-8601, e.g. 2026-11-26T15:00:00Z');
    expect(sub.stderr).toBe('error: unknown command "prune everything": use "prune [--region <r>] [--dry-run]"; see --help');
  });
});
