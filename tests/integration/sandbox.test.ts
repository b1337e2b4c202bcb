import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/package-stack.js';

describe('the local sandbox (README command 1)', () => {
  it('runs a backup cycle against its own moto_server, shows that a duplicate delivery creates nothing, and exits 0', () => {
    const run = spawnSync('npx', ['tsx', 'sandbox/run.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, PLANS_FILE: '' } });

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('▶ Starting a local AWS (moto_server on 127.0.0.1)');
    expect(run.stdout).toMatch(/plan gold, slot \S+\n/);
    expect(run.stdout).toContain('15 resources: 8 created, 0 already done, 7 skipped, 0 failed');
    expect(run.stdout).toContain('2 resources: 2 created, 0 already done, 0 skipped, 0 failed');
    expect(run.stdout).toContain('0 created, 8 already done, 7 skipped, 0 failed');
    const summaries = JSON.parse(readFileSync(join(ROOT, 'sandbox-output', 'backup-cycle.json'), 'utf8')) as Array<{ planId: string }>;
    expect(summaries.map((summary) => summary.planId)).toEqual(['gold', 'silver']);
    expect(existsSync(join(ROOT, 'sandbox-output'))).toBe(true);
  });
});
