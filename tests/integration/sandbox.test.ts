/**
 * The local sandbox, run exactly as README command 1 does (`npm run sandbox`), twice: its outcome is what the
 * plans of sandbox/backup-plans.yml say a week must be, and the second run starts from nothing.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../support/package-stack.js';

const OUTPUT = join(ROOT, 'sandbox-output');
const STALE = join(OUTPUT, 'emails', '00-left-from-an-earlier-run.txt');

interface Week {
  slots: Record<string, number>;
  recoveryPointsCreated: Record<string, number>;
  snapshotsCreated: Record<string, number>;
  failedResources: number;
  retry: { created: number; alreadyDone: number };
  eventsDelivered: number;
  eventsDropped: Array<{ what: string }>;
  copiesStartedOnEvents: number;
  reconcile: { runs: number; started: number; repaired: string[]; problems: number };
  prune: { runs: number; pointsDeleted: Record<string, number>; failures: number };
  failureEvents: Array<{ notified: number }>;
  drills: Array<{ status: string; path: string[]; result: { verdict: string; region: string; regionRole: string; rpo: { achievedSeconds: number }; cleanup: { complete: boolean } } }>;
  report: { subject: string; headline: string; problems: number };
  emails: Array<{ subject: string; file: string }>;
  problems: string[];
  wallSeconds: number;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  week: Week;
  /** sandbox-output/emails/ right after the run: file name → content. */
  files: Record<string, string>;
}

function runSandbox(): Run {
  const run = spawnSync('npm', ['run', 'sandbox'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000, env: { ...process.env } });
  const week = JSON.parse(readFileSync(join(OUTPUT, 'week.json'), 'utf8')) as Week;
  const folder = join(OUTPUT, 'emails');
  const files = Object.fromEntries(readdirSync(folder).map((name) => [`emails/${name}`, readFileSync(join(folder, name), 'utf8')]));
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, week, files };
}

/** The numbers of a run without what differs between runs (ids, wall time). */
function numbers(week: Week) {
  const { slots, recoveryPointsCreated, snapshotsCreated, copiesStartedOnEvents, eventsDelivered, prune, report } = week;
  return { slots, recoveryPointsCreated, snapshotsCreated, copiesStartedOnEvents, eventsDelivered, reconcile: week.reconcile.started, prune: prune.pointsDeleted, headline: report.headline };
}

let first: Run;
let second: Run;

beforeAll(() => {
  mkdirSync(join(OUTPUT, 'emails'), { recursive: true });
  writeFileSync(STALE, 'an email of an earlier run');
  first = runSandbox();
  second = runSandbox();
}, 500_000);

describe('the local sandbox (README command 1: npm run sandbox)', () => {
  it('exits 0 without a word on stderr, and says what it did step by step', () => {
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.week.problems).toEqual([]);
    for (const step of ['▶ Local AWS: starting moto_server', '▶ The stack backup-orchestrator-sandbox in eu-west-1', '▶ The estate in eu-west-1: 6 EBS volumes, 2 EC2 instances (4 volumes), 3 RDS instances, 1 Aurora cluster', '▶ The week ', '▶ Restore drill of plan gold from eu-central-1', '▶ The daily report at ', '▶ 3 emails sent to the topic', '▶ Done in ']) {
      expect(first.stdout).toContain(step);
    }
    // One line per simulated day, not one per call.
    expect(first.stdout.split('\n').length).toBeLessThan(400);
    expect(first.stdout.match(/^ {2}(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d \w{3} {2}/gm)).toHaveLength(8);
  });

  it('runs every slot of the week: gold every 6 hours (4 a day × 7 = 28), silver daily (7)', () => {
    expect(first.week.slots).toEqual({ gold: 28, silver: 7 });
    // gold selects 2 volumes, 2 instances, 2 RDS instances and 1 Aurora cluster: 7 recovery points a slot,
    // 9 snapshots (an instance's point is one snapshot per volume, 2 each); silver 2 volumes.
    expect(first.week.recoveryPointsCreated).toEqual({ gold: 28 * 7, silver: 7 * 2 });
    expect(first.week.snapshotsCreated).toEqual({ gold: 28 * 9, silver: 7 * 2 });
    expect(first.week.failedResources).toBe(0);
  });

  it('creates nothing when the scheduler delivers a slot twice', () => {
    expect(first.week.retry).toEqual({ created: 0, alreadyDone: 7 });
    expect(first.stdout).toMatch(/↻ Tue \d\d:\d\d {2}the scheduler delivers gold's slot a second time \(attempt 2\): 0 created, 7 already done/);
  });

  it('copies every gold snapshot to the DR Region on its completion event, and reconcile repairs the one event lost on purpose', () => {
    // 252 gold snapshots: one event lost (its copy started by reconcile) and one snapshot failed (never copied).
    expect(first.week.copiesStartedOnEvents).toBe(28 * 9 - 2);
    expect(first.week.eventsDropped).toHaveLength(1);
    expect(first.week.reconcile).toMatchObject({ runs: 21, started: 1, problems: 0 });
    expect(first.week.reconcile.repaired).toEqual([first.week.eventsDropped[0]?.what.split(' ').at(-1)]);
    // Every gold event minus the lost one (the failed one goes to notify-failure), and silver's, which copy-snapshot ignores.
    expect(first.week.eventsDelivered).toBe(28 * 7 - 1 + 7 * 2);
    expect(first.stdout).toMatch(/✓ Wed \d\d:\d\d {2}reconcile finds bo-gold-billing-db-\d{8}-\d{4} without a copy in eu-central-1 and starts one/);
  });

  it('prunes once a day in both Regions, deleting what the retention no longer keeps and failing nothing', () => {
    expect(first.week.prune.runs).toBe(7);
    expect(first.week.prune.failures).toBe(0);
    expect(first.week.prune.pointsDeleted['eu-west-1']).toBeGreaterThan(0);
    expect(first.week.prune.pointsDeleted['eu-central-1']).toBeGreaterThan(0);
  });

  it('runs the scheduled restore drill of gold from the DR Region through the real state machine definition, and it passes', () => {
    const [drill, ...more] = first.week.drills;

    expect(more).toEqual([]);
    expect(drill).toMatchObject({ status: 'SUCCEEDED', result: { verdict: 'PASS', region: 'eu-central-1', regionRole: 'dr', cleanup: { complete: true } } });
    expect(drill?.path.at(-1)).toBe('DrillPassed');
    // The drill starts at Monday 06:00, the DR Region's newest copy is of the 00:00 slot: 6 hours.
    expect(drill?.result.rpo.achievedSeconds).toBe(6 * 3600);
    expect(first.stdout).toMatch(/\n {2}PASS: RTO objective 1 h, measured \d+ s — PASS; RPO objective 8 h, achieved 6 h — PASS\n/);
  });

  it('ends with the daily report: the failed snapshot and silver, which is never drilled', () => {
    expect(first.week.report).toMatchObject({ headline: '2 problems: 1 failure group, 1 stale drill', problems: 2 });
    expect(first.stdout).toContain('▶ The daily report at Mon ');
    expect(first.stdout).toContain('(Europe/Paris): 2 problems: 1 failure group, 1 stale drill');
  });

  it('prints the three emails as an email subscriber gets them, and writes them with the form queues receive', () => {
    const subjects = first.week.emails.map((email) => email.subject);

    expect(first.week.failureEvents).toEqual([expect.objectContaining({ notified: 1 })]);
    expect(subjects).toEqual([
      '[backup-orchestrator-sandbox] backup failed: plan gold, createSnapshot in eu-west-1',
      expect.stringMatching(/^Restore drill PASS: plan gold, [a-z0-9-]+ \S+ in eu-central-1$/),
      '[backup-orchestrator-sandbox] 2 problems: 1 failure group, 1 stale drill',
    ]);
    expect(Object.keys(first.files)).toHaveLength(6);
    for (const email of first.week.emails) {
      const text = first.files[email.file] ?? '';
      const queued = JSON.parse(first.files[email.file.replace(/\.txt$/, '.json')] ?? '{}') as { Subject: string; Message: string };
      expect(text.startsWith(`Subject: ${email.subject}\n\n`)).toBe(true);
      expect(first.stdout).toContain(text);
      expect(queued.Subject).toBe(email.subject);
    }
    // The report's email is its text form; the queue received the JSON form of the same message.
    const report = first.week.emails[2] as { file: string };
    expect(first.files[report.file]).toContain('\n2 problems: 1 failure group, 1 stale drill\n');
    expect(JSON.parse((JSON.parse(first.files[report.file.replace(/\.txt$/, '.json')] ?? '{}') as { Message: string }).Message)).toMatchObject({ problems: 2 });
  });

  it('starts clean the second time: a fresh moto_server, the output folder emptied, the same week', () => {
    expect(second.status).toBe(0);
    expect(second.stderr).toBe('');
    expect(existsSync(STALE)).toBe(false);
    expect(numbers(second.week)).toEqual(numbers(first.week));
    expect(Object.keys(second.files)).toHaveLength(6);
    // The closing line points at the functions' log: it is there even when no function warned.
    expect(existsSync(join(OUTPUT, 'functions.log'))).toBe(true);
  });

  it('says exactly how to install moto_server when it is missing, exits 1 and leaves the last output alone', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'sandbox/run.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: dirname(process.execPath) } });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('sandbox failed: moto_server was not found on PATH.');
    expect(run.stderr).toContain('Install it with:  pipx install "moto[server]==5.2.1"');
    expect(existsSync(join(OUTPUT, 'week.json'))).toBe(true);
  });
});
