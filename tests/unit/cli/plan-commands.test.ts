import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';

const EXAMPLE = join(import.meta.dirname, '../../../backup-plans.yml');

function writePlans(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bo-cli-')), 'plans.yml');
  writeFileSync(file, text);
  return file;
}

describe('backup-orchestrator plan validate', () => {
  it('confirms a valid file with its plan ids and exits 0', async () => {
    const result = await runCli(['plan', 'validate', EXAMPLE]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`✓ ${EXAMPLE}: 2 plans valid (gold, silver)`);
  });

  it('prints JSON for scripts', async () => {
    const result = await runCli(['plan', 'validate', EXAMPLE, '--json']);

    expect(JSON.parse(result.stdout)).toEqual({ file: EXAMPLE, valid: true, plans: ['gold', 'silver'] });
  });

  it('lists every problem with file, line, plan and field, and exits 2', async () => {
    const file = writePlans(
      'version: 1\nprimaryRegion: eu-west-1\nplans:\n  - id: gold\n    selection: { resourceTypes: [ebs-volume] }\n    schedule: { expression: rate(4 hours) }\n    rpo: 1 hour\n    rto: 1h\n    retention: { count: 0 }\n',
    );

    const result = await runCli(['plan', 'validate', file]);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('2 problems in the backup plans; nothing was changed');
    expect(result.stderr).toContain(`${file}:7:10: plan "gold" rpo: "1 hour" is not a duration such as 30m, 8h, 1d12h or 2w`);
    expect(result.stderr).toContain(`${file}:9:25: plan "gold" retention.count: must be at least 1`);
  });

  it('reads PLANS_FILE when no file is given', async () => {
    const result = await runCli(['plan', 'validate'], { PLANS_FILE: EXAMPLE });

    expect(result.code).toBe(0);
  });

  it('says which file it cannot read, and exits 2', async () => {
    const result = await runCli(['plan', 'validate', '/nonexistent/plans.yml']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: cannot read the plans file \/nonexistent\/plans.yml: ENOENT/);
  });
});

describe('backup-orchestrator plan show', () => {
  it('shows what each plan selects, when it next runs in its timezone, what it keeps and where it copies', async () => {
    const result = await runCli(['plan', 'show', EXAMPLE]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('selects     ebs-volume, ec2-instance, rds-instance, aurora-cluster tagged backup:plan=gold in eu-west-1');
    // 15:30Z is 16:30 in Paris; every 4 hours Paris time next fires at 20:00 Paris = 19:00Z.
    expect(result.stdout).toContain('runs        cron(0 */4 * * ? *) (Europe/Paris); next: 2026-11-26T19:00:00Z, 2026-11-26T23:00:00Z, 2026-11-27T03:00:00Z');
    expect(result.stdout).toContain('keeps       12 hourly + 7 daily + 4 weekly + 12 monthly + 3 yearly; always at least 3');
    expect(result.stdout).toContain('copies to   eu-central-1 encrypted with alias/backup-dr; keeps 7 daily + 4 weekly; always at least 2');
    expect(result.stdout).toContain('copies to   (no DR copies)');
  });
});

describe('backup-orchestrator arguments', () => {
  it.each([
    [['frobnicate'], 'error: unknown command "frobnicate": commands: plan validate, plan show, backup run, prune, reconcile, dlm sync, drill start, drill status, report; see --help'],
    [['plan', 'delete'], 'error: unknown command "plan delete": use "plan validate" or "plan show"; see --help'],
    [['backup', 'run'], 'error: backup run needs --plan <id>'],
    [['backup', 'run', '--plan', 'platinum', '--plans', EXAMPLE], 'error: no plan "platinum" in the backup plans (known plans: gold, silver)'],
    [['backup', 'run', '--plan', 'gold', '--plans', EXAMPLE, '--at', 'teatime'], 'error: --at "teatime" is not a time: use ISO-8601, e.g. 2026-11-26T15:00:00Z'],
    [['plan', 'validate', '--colour'], "error: Unknown option '--colour'"],
    [['backup', 'run', '--plan', 'gold', '--plans', EXAMPLE, '--region', 'eu-middle-9'], 'error: --region "eu-middle-9" is not an AWS Region: e.g. eu-west-1'],
    [['backup', 'run', '--plan', 'gold', '--plans', EXAMPLE, '--endpoint', '127.0.0.1:5000'], 'error: --endpoint "127.0.0.1:5000" is not an http(s) URL'],
    [['reconcile', '--plans', EXAMPLE, '--at', 'noon'], 'error: --at "noon" is not a time: use ISO-8601, e.g. 2026-11-26T15:00:00Z'],
    [['plan', 'show', '--plans', '/nonexistent/plans.yml'], 'error: cannot read the plans file /nonexistent/plans.yml: ENOENT'],
    [['backup', 'run', '--plan', 'gold', '--plans', EXAMPLE, '--at'], "error: Option '--at <value>' argument missing"],
  ])('rejects %j with a precise message and exit code 2', async (argv, message) => {
    const result = await runCli(argv);

    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
  });

  it('prints help that lists every command and the exit codes', async () => {
    const result = await runCli(['--help']);

    expect(result.code).toBe(0);
    for (const text of ['plan validate', 'plan show', 'backup run --plan <id>', 'prune', 'reconcile', 'dlm sync', 'drill start --plan <id>', 'drill status <execution>', 'report', '--dry-run', '--json', '--endpoint', '--profile', 'Exit codes: 0 all good, 1 problems found', 'Examples:', 'npm run sandbox']) {
      expect(result.stdout).toContain(text);
    }
  });

  it('prints help and exits 2 when given no command', async () => {
    const result = await runCli([]);

    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Usage:');
  });
});
