import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/package-stack.js';

/** Runs the installed executable (bin/backup-orchestrator.js) as a shell would, and returns what it printed and its exit code. */
function run(args: string[]) {
  const result = spawnSync(process.execPath, ['bin/backup-orchestrator.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PLANS_FILE: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the backup-orchestrator executable', () => {
  it('prints the help on stdout and exits 0', () => {
    const result = run(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage:');
    expect(result.stderr).toBe('');
  });

  it('passes the exit code of a command through: 0 for a valid plans file, with JSON on stdout', () => {
    const result = run(['plan', 'validate', 'backup-plans.yml', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ file: 'backup-plans.yml', valid: true, plans: ['gold', 'silver'] });
  });

  it('exits 2 with the error on stderr and nothing on stdout for bad input', () => {
    const result = run(['backup', 'run']);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('error: backup run needs --plan <id>\n');
  });
});
