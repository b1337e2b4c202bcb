/**
 * Golden-file tests of the daily report. The rendered forms are compared exactly with the files under
 * golden/daily-report/. After an intended change to the rendering, regenerate them and review the diff:
 *   UPDATE_GOLDEN=1 NODE_OPTIONS=--experimental-vm-modules npx jest tests/unit/domain/daily-report.test.ts
 */
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAILY_REPORT_DEFAULTS, renderDailyReport, rpoMetrics, type DailyReport } from '../../../shared/domain/daily-report.js';
import type { ResourceType } from '../../../shared/domain/plan-schema.js';
import type {
  DrillStatus,
  FailureGroup,
  PlanStatus,
  RegionRecoveryStatus,
  ReportInput,
  ResourceStatus,
  StorageEstimate,
} from '../../../shared/domain/report-model.js';

const GOLDEN_DIR = join(import.meta.dirname, 'golden', 'daily-report');
const NOW = new Date('2024-05-14T07:00:00.000Z');
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const GIB = 1024 ** 3;

function expectGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** What SNS counts: the form as a JSON string inside the message envelope. */
function sentBytes(form: string): number {
  return Buffer.byteLength(JSON.stringify(form), 'utf8');
}

/** Joins wrapped continuation lines, to search the text for a phrase wherever it was wrapped. */
function unwrapped(text: string): string {
  return text.replace(/\n {4,}/g, ' ');
}

function ago(ms: number): Date {
  return new Date(NOW.getTime() - ms);
}

/** A Region whose newest good point is `ageMs` old, judged against the plan's RPO. */
function good(region: string, ageMs: number, rpoMs: number, copyLagMs?: number): RegionRecoveryStatus {
  return {
    region,
    latestGoodAt: ago(ageMs),
    ageMs,
    compliant: ageMs <= rpoMs,
    ...(copyLagMs !== undefined ? { copyLagMs } : {}),
  };
}

/** A Region without any good recovery point: a breach. */
function noPoint(region: string): RegionRecoveryStatus {
  return { region, compliant: false };
}

function resource(
  resourceId: string,
  type: ResourceType,
  regions: RegionRecoveryStatus[],
  extra: Partial<ResourceStatus> = {},
): ResourceStatus {
  return { resourceId, type, exists: true, regions, ...extra };
}

function plan(planId: string, overrides: Partial<PlanStatus> = {}): PlanStatus {
  return {
    planId,
    description: `${planId} plan`,
    engine: 'lambda',
    rpoMs: 8 * HOUR,
    rtoMs: HOUR,
    regions: [PRIMARY, DR],
    resources: [],
    ...overrides,
  };
}

function drill(planId: string, agoMs: number, overrides: Partial<NonNullable<DrillStatus['lastDrill']>> = {}, stale = false): DrillStatus {
  return {
    planId,
    stale,
    lastDrill: {
      at: ago(agoMs),
      passed: true,
      region: DR,
      resourceId: 'vol-0a1b2c3d4e5f60001',
      rtoMs: 14 * MINUTE + 32 * SECOND,
      rtoObjectiveMs: HOUR,
      achievedRpoMs: 3 * HOUR + 10 * MINUTE,
      rpoObjectiveMs: 8 * HOUR,
      ...overrides,
    },
  };
}

function storage(planId: string, region: string, snapshots: number, gib: number, basis: StorageEstimate['basis']): StorageEstimate {
  return { planId, region, snapshots, bytes: Math.round(gib * GIB), basis };
}

function goldPlan(resources?: ResourceStatus[]): PlanStatus {
  const rpo = 8 * HOUR;
  return plan('gold', {
    description: 'Production databases and their volumes',
    rpoMs: rpo,
    rtoMs: HOUR,
    resources: resources ?? [
      resource('vol-0a1b2c3d4e5f60001', 'ebs-volume', [good(PRIMARY, 2 * HOUR, rpo), good(DR, 2 * HOUR + 5 * MINUTE, rpo, 41 * MINUTE)], {
        name: 'orders-db-data',
      }),
      resource('orders-primary', 'rds-instance', [good(PRIMARY, 2 * HOUR, rpo), good(DR, 2 * HOUR, rpo, 27 * MINUTE)]),
      resource('billing', 'aurora-cluster', [good(PRIMARY, 2 * HOUR, rpo), good(DR, 2 * HOUR + 12 * MINUTE, rpo, 1 * HOUR + 3 * MINUTE)]),
    ],
  });
}

function silverPlan(resources?: ResourceStatus[]): PlanStatus {
  const rpo = DAY;
  return plan('silver', {
    description: 'Web tier, nightly (DLM)',
    engine: 'dlm',
    rpoMs: rpo,
    rtoMs: 4 * HOUR,
    regions: [PRIMARY],
    resources: resources ?? [
      resource('i-0123456789abcdef0', 'ec2-instance', [good(PRIMARY, 6 * HOUR + 58 * MINUTE, rpo)], { name: 'web-1' }),
      resource('vol-0fedcba9876543210', 'ebs-volume', [good(PRIMARY, 6 * HOUR + 58 * MINUTE, rpo)], { name: 'web-logs' }),
    ],
  });
}

/** A small healthy estate: two plans, fresh points everywhere, passing drills. Cases change what they test. */
function reportInput(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    generatedAt: NOW,
    stack: 'prod',
    primaryRegion: PRIMARY,
    timezone: 'Europe/Paris',
    plans: [goldPlan(), silverPlan()],
    unprotected: [],
    activity: { created: 14, copied: 6, pruned: 11, failures: [] },
    drills: [drill('gold', 2 * DAY + 4 * HOUR), drill('silver', 5 * DAY, { region: PRIMARY, resourceId: 'i-0123456789abcdef0' })],
    storage: [
      storage('gold', PRIMARY, 412, 1_350.4, 'measured'),
      storage('gold', DR, 206, 701.25, 'measured'),
      storage('silver', PRIMARY, 62, 240, 'upper-bound'),
    ],
    warnings: [],
    settings: { drillStaleDays: 30, pricePerGbMonth: 0.05, currency: 'USD' },
    ...overrides,
  };
}

function rpoBreachInput(): ReportInput {
  const rpo = 8 * HOUR;
  return reportInput({
    plans: [
      goldPlan([
        resource('orders-primary', 'rds-instance', [good(PRIMARY, 2 * HOUR, rpo), good(DR, 2 * HOUR, rpo, 27 * MINUTE)]),
        // The DR copy is stuck: the primary is fresh but the newest copy in eu-central-1 is 9 h 12 min old.
        resource('vol-0a1b2c3d4e5f60001', 'ebs-volume', [good(PRIMARY, 2 * HOUR, rpo), good(DR, 9 * HOUR + 12 * MINUTE, rpo, 44 * MINUTE)], {
          name: 'orders-db-data',
        }),
        // Joined the plan but was never backed up.
        resource('reports', 'rds-instance', [noPoint(PRIMARY), noPoint(DR)], { name: 'reporting replica' }),
        resource('billing', 'aurora-cluster', [good(PRIMARY, 2 * HOUR, rpo), good(DR, 2 * HOUR + 12 * MINUTE, rpo, HOUR + 3 * MINUTE)]),
      ]),
      silverPlan([
        resource('i-0123456789abcdef0', 'ec2-instance', [good(PRIMARY, 6 * HOUR + 58 * MINUTE, DAY)], { name: 'web-1' }),
        // Deleted last week: its last point is kept and shown, but it cannot breach the RPO any more.
        resource('vol-0dead0000000beef0', 'ebs-volume', [good(PRIMARY, 8 * DAY + 3 * HOUR, DAY)], { name: 'web-old', exists: false }),
      ]),
    ],
  });
}

function unprotectedInput(): ReportInput {
  return reportInput({
    plans: [
      goldPlan(),
      silverPlan(),
      // Selects Backup=bronze, but the volumes below are tagged Backup=Bronze.
      plan('bronze', { description: 'Scratch and build volumes', rpoMs: 7 * DAY, rtoMs: DAY, regions: [PRIMARY] }),
    ],
    unprotected: [
      { type: 'rds-instance', id: 'analytics-tmp' },
      { type: 'ebs-volume', id: 'vol-0b0000000000000002', name: 'build-cache' },
      { type: 'aurora-cluster', id: 'search-index' },
      { type: 'ebs-volume', id: 'vol-0b0000000000000001', name: 'scratch' },
      { type: 'ec2-instance', id: 'i-0b00000000000000a', name: 'bastion' },
    ],
    drills: [
      drill('gold', 2 * DAY + 4 * HOUR),
      drill('silver', 5 * DAY, { region: PRIMARY, resourceId: 'i-0123456789abcdef0' }),
      { planId: 'bronze', stale: false },
    ],
  });
}

function volumeIds(count: number, prefix = 'vol-0c'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(15, '0')}`);
}

function copyFailuresInput(): ReportInput {
  const throttled: FailureGroup = {
    kind: 'copy',
    planId: 'gold',
    errorName: 'ResourceLimitExceeded',
    reason: 'Too many snapshot copies in progress. The limit is 20 for this destination region.',
    count: 40,
    resourceIds: volumeIds(40),
  };
  const wrongState: FailureGroup = {
    kind: 'snapshot',
    planId: 'silver',
    errorName: 'IncorrectState',
    reason: "The volume 'vol-0fedcba9876543210' is not in the 'in-use' or 'available' state.",
    count: 1,
    resourceIds: ['vol-0fedcba9876543210'],
  };
  return reportInput({ activity: { created: 44, copied: 2, pruned: 11, failures: [wrongState, throttled] } });
}

function drillsInput(): ReportInput {
  return reportInput({
    drills: [
      drill('gold', DAY + 5 * HOUR + 17 * MINUTE, {
        passed: false,
        rtoMs: HOUR + 20 * MINUTE + 4 * SECOND,
        cause: 'restored volume vol-0e9f8a7b6c5d40321 was not available within the 1 h RTO (still "creating")',
      }),
      drill('silver', 45 * DAY, { region: PRIMARY, resourceId: 'i-0123456789abcdef0' }, true),
    ],
  });
}

/** 20 plans × 500 resources (every 50th in breach), 5,000 unprotected volumes, 2,000 throttled ids. */
function hugeInput(): ReportInput {
  const plans = Array.from({ length: 20 }, (_, planIndex) => {
    const planId = `tier-${String(planIndex + 1).padStart(2, '0')}`;
    const resources = volumeIds(500, `vol-${String(planIndex).padStart(2, '0')}`).map((id, index) =>
      resource(id, 'ebs-volume', [good(PRIMARY, index % 50 === 0 ? 9 * HOUR : HOUR, 8 * HOUR), good(DR, 2 * HOUR, 8 * HOUR, 30 * MINUTE)], {
        name: `data-${planIndex}-${index}`,
      }),
    );
    return plan(planId, { description: `Tier ${planIndex + 1} of the fleet`, resources });
  });
  return reportInput({
    plans,
    unprotected: volumeIds(5_000, 'vol-0u').map((id) => ({ type: 'ebs-volume' as const, id, name: 'unlabelled' })),
    activity: {
      created: 10_000,
      copied: 9_998,
      pruned: 9_500,
      failures: [
        {
          kind: 'snapshot',
          planId: 'tier-03',
          errorName: 'SnapshotCreationPerVolumeRateExceeded',
          reason: 'The maximum per volume CreateSnapshot request rate has been exceeded.',
          count: 2_000,
          resourceIds: volumeIds(2_000, 'vol-02'),
        },
      ],
    },
    drills: plans.map((item) => drill(item.planId, 3 * DAY)),
    storage: plans.flatMap((item) => [storage(item.planId, PRIMARY, 5_000, 9_000, 'measured'), storage(item.planId, DR, 2_500, 4_500, 'mixed')]),
  });
}

const CASES: ReadonlyArray<[string, () => ReportInput]> = [
  ['all-compliant', () => reportInput()],
  ['rpo-breach', rpoBreachInput],
  ['unprotected', unprotectedInput],
  ['copy-failures', copyFailuresInput],
  ['drills', drillsInput],
  ['huge-estate', hugeInput],
];

function renderCase(name: string): DailyReport {
  const build = CASES.find(([caseName]) => caseName === name)?.[1];
  if (!build) throw new Error(`no case ${name}`);
  return renderDailyReport(build());
}

describe('renderDailyReport', () => {
  describe('golden files', () => {
    it.each(['all-compliant', 'rpo-breach', 'unprotected', 'copy-failures', 'drills'])(
      'renders the %s case exactly as its golden text',
      (name) => {
        const report = renderCase(name);

        expectGolden(`${name}.txt`, report.text);
      },
    );

    it('renders the JSON form of the RPO-breach case exactly as its golden file', () => {
      const report = renderCase('rpo-breach');

      expectGolden('rpo-breach.json', `${JSON.stringify(JSON.parse(report.json), null, 2)}\n`);
    });

    it('renders the outline of the huge estate (headline, problems, section titles, cut lines) as its golden text', () => {
      const report = renderCase('huge-estate');

      const outline = report.text
        .split('\n')
        .filter((line, index) => index < 30 || /^[A-Z0-9 ()]+$/.test(line) || line.includes('… and'))
        .join('\n');
      expectGolden('huge-estate-outline.txt', `${outline}\n`);
    });
  });

  describe('headline and problem counts', () => {
    it('says every plan is compliant when nothing is wrong, and counts no problem', () => {
      const report = renderCase('all-compliant');

      expect(report.headline).toBe('all 2 plans compliant');
      expect(report.problems).toBe(0);
      expect(report.text.split('\n')[0]).toBe(report.headline);
      expect(report.subject).toBe('[prod] all 2 plans compliant');
    });

    it('counts each resource × Region out of its RPO, including Regions with no good point, but not deleted resources', () => {
      const report = renderCase('rpo-breach');

      expect(report.headline).toBe('3 problems: 3 RPO breaches');
      expect(report.problems).toBe(3);
    });

    it('lists unprotected resources without counting them, but counts a plan that protects nothing', () => {
      const report = renderCase('unprotected');

      expect(report.headline).toBe('1 problem: 1 plan with no resources');
      expect(report.text).toContain('5 resources in eu-west-1 match no plan and no DLM policy');
    });

    it('counts failures per group, so 40 throttled copies are one problem on one line', () => {
      const report = renderCase('copy-failures');

      expect(report.headline).toBe('2 problems: 2 failure groups');
      const lines = report.text.split('\n').filter((line) => line.includes('ResourceLimitExceeded ×40'));
      expect(lines).toHaveLength(2); // once in PROBLEMS, once (wrapped) in LAST 24 HOURS
      expect(unwrapped(report.text)).toContain('vol-0c000000000000005 … and 35 more resources — Too many snapshot copies');
    });

    it('counts a failed latest drill and a stale drill', () => {
      const report = renderCase('drills');

      expect(report.headline).toBe('2 problems: 1 failed drill, 1 stale drill');
    });

    it('counts a failed drill once even when it is also stale', () => {
      const input = reportInput({
        drills: [drill('gold', 40 * DAY, { passed: false }, true), drill('silver', DAY)],
      });

      const report = renderDailyReport(input);

      expect(report.headline).toBe('1 problem: 1 failed drill');
    });

    it('says when a compliant report could not read everything', () => {
      const report = renderDailyReport(reportInput({ warnings: ['DLM policies could not be read: AccessDeniedException'] }));

      expect(report.headline).toBe('all 2 plans compliant (1 warning)');
      expect(report.problems).toBe(0);
    });

    it('falls back to UTC with a warning when the timezone is not an IANA zone', () => {
      const report = renderDailyReport(reportInput({ timezone: 'Mars/Olympus_Mons' }));

      expect(report.text).toContain('Generated 2024-05-14 07:00 UTC; all times below are in UTC.');
      expect(report.text).toContain('timezone "Mars/Olympus_Mons" is not an IANA zone; times are in UTC');
    });
  });

  describe('subject', () => {
    it('is printable ASCII without line breaks and at most 100 characters in every case', () => {
      for (const [name] of CASES) {
        const { subject } = renderCase(name);

        expect(subject).toMatch(/^[\x20-\x7e]{1,100}$/);
      }
    });

    it('stays within the SNS rules for an odd stack name and every kind of problem at once', () => {
      const input = hugeInput();
      input.stack = 'prod\tεuro\nstack-with-a-very-long-name-that-goes-on-and-on-and-on';
      input.drills = input.plans.map((item, index) =>
        index % 2 ? drill(item.planId, 50 * DAY, {}, true) : drill(item.planId, DAY, { passed: false }),
      );
      input.plans.push(plan('empty-1'), plan('empty-2'));

      const report = renderDailyReport(input);

      expect(report.subject).toMatch(/^[\x20-\x7e]{1,100}$/);
      expect(report.subject).toContain(`${report.problems.toLocaleString('en-US')} problems`);
    });
  });

  describe('text form', () => {
    it('keeps every line within 100 characters, with no tabs and no HTML, in every case', () => {
      for (const [name] of CASES) {
        const { text } = renderCase(name);

        for (const line of text.split('\n')) expect([...line].length).toBeLessThanOrEqual(DAILY_REPORT_DEFAULTS.lineWidth);
        expect(text).not.toMatch(/\t|<\/?[a-z][^>]*>/i);
      }
    });

    it('sorts by plan order, breaches first then id, and unprotected by type then id, whatever the input order', () => {
      const input = unprotectedInput();
      const shuffled: ReportInput = {
        ...rpoBreachInput(),
        unprotected: [...input.unprotected].reverse(),
      };
      const reversed: ReportInput = {
        ...shuffled,
        plans: shuffled.plans.map((item) => ({ ...item, resources: [...item.resources].reverse() })),
        unprotected: [...input.unprotected],
        storage: [...shuffled.storage].reverse(),
      };

      expect(renderDailyReport(reversed).text).toBe(renderDailyReport(shuffled).text);
      expect(renderDailyReport(reversed).json).toBe(renderDailyReport(shuffled).json);
    });

    it('renders the same input to the same bytes every time', () => {
      const first = renderCase('huge-estate');
      const second = renderCase('huge-estate');

      expect(second).toEqual(first);
    });
  });

  describe('JSON form', () => {
    it('parses and carries the same counts as the text form', () => {
      for (const [name] of CASES) {
        const report = renderCase(name);

        const parsed = JSON.parse(report.json) as {
          schemaVersion: number;
          headline: string;
          problems: number;
          problemCounts: Record<string, number>;
        };

        expect(parsed.schemaVersion).toBe(1);
        expect(parsed.headline).toBe(report.headline);
        expect(parsed.problems).toBe(report.problems);
        expect(Object.values(parsed.problemCounts).reduce((total, count) => total + count, 0)).toBe(report.problems);
      }
    });

    it('says in seconds and ISO dates what the text says in words', () => {
      const parsed = JSON.parse(renderCase('rpo-breach').json) as {
        generatedAt: string;
        plans: Array<{ rpoSeconds: number; resources: Array<{ resourceId: string; regions: Array<Record<string, unknown>> }> }>;
      };

      expect(parsed.generatedAt).toBe('2024-05-14T07:00:00.000Z');
      expect(parsed.plans[0]?.rpoSeconds).toBe(8 * 3600);
      const volume = parsed.plans[0]?.resources.find((item) => item.resourceId === 'vol-0a1b2c3d4e5f60001');
      expect(volume?.regions[1]).toEqual({
        region: DR,
        role: 'dr',
        status: 'breach',
        latestGoodAt: '2024-05-13T21:48:00.000Z',
        ageSeconds: 9 * 3600 + 12 * 60,
        copyLagSeconds: 44 * 60,
        scope: 'resource',
      });
    });
  });

  describe('size limits', () => {
    it('cuts a huge estate to fit both budgets, ending cut lists with "and N more", with exact counts', () => {
      const input = hugeInput();

      const report = renderDailyReport(input);

      expect(sentBytes(report.text)).toBeLessThanOrEqual(DAILY_REPORT_DEFAULTS.maxTextBytes);
      expect(sentBytes(report.json)).toBeLessThanOrEqual(DAILY_REPORT_DEFAULTS.maxJsonBytes);
      // Both forms fit one SNS message (256 KiB) with room for the envelope.
      expect(sentBytes(report.text) + sentBytes(report.json) + 100).toBeLessThanOrEqual(256 * 1024);
      expect(report.truncated).toBe(true);
      expect(report.headline).toBe('201 problems: 200 RPO breaches, 1 failure group');
      expect(report.text).toMatch(/^ {2}… and [\d,]+ more resources, none in breach \(see the JSON form \/ CLI `backup-orchestrator report`\)$/m);
      expect(report.text).toMatch(/^ {4}… and [\d,]+ more resources \(see the JSON form/m);
      expect(report.text).toContain('This email was shortened to fit the SNS size limit');
    });

    it('says in the JSON form how many entries it left out, and shown + omitted add up to the estate', () => {
      const input = hugeInput();

      const parsed = JSON.parse(renderDailyReport(input).json) as {
        plans: Array<{ resourceCount: number; resources: unknown[]; resourcesOmitted: number }>;
        unprotected: { count: number; resources: unknown[]; omitted: number };
        activity: { failures: Array<{ count: number; resourceIds: string[]; resourceIdsOmitted: number }> };
        truncated: { json: boolean; text: boolean; resourcesOmitted: number; unprotectedOmitted: number };
      };

      expect(parsed.truncated.json).toBe(true);
      expect(parsed.truncated.text).toBe(true);
      for (const item of parsed.plans) expect(item.resources.length + item.resourcesOmitted).toBe(500);
      expect(parsed.plans.reduce((total, item) => total + item.resourcesOmitted, 0)).toBe(parsed.truncated.resourcesOmitted);
      expect(parsed.truncated.resourcesOmitted).toBeGreaterThan(0);
      expect(parsed.unprotected.count).toBe(5_000);
      expect(parsed.unprotected.resources.length + parsed.unprotected.omitted).toBe(5_000);
      expect(parsed.unprotected.omitted).toBe(parsed.truncated.unprotectedOmitted);
      const [group] = parsed.activity.failures;
      expect(group?.count).toBe(2_000);
      expect((group?.resourceIds.length ?? 0) + (group?.resourceIdsOmitted ?? 0)).toBe(2_000);
    });

    it('keeps breaches ahead of compliant resources when it cuts a plan', () => {
      const report = renderCase('huge-estate');

      const parsed = JSON.parse(report.json) as { plans: Array<{ resources: Array<{ rpoBreaches: number }> }> };
      for (const item of parsed.plans) {
        const breaches = item.resources.map((entry) => entry.rpoBreaches > 0);
        expect(breaches.indexOf(false) === -1 || breaches.lastIndexOf(true) < breaches.indexOf(false)).toBe(true);
      }
    });

    it('says how many breaches a cut plan hides', () => {
      const input = reportInput({
        plans: [goldPlan(volumeIds(300).map((id) => resource(id, 'ebs-volume', [noPoint(PRIMARY), good(DR, HOUR, 8 * HOUR)])))],
      });

      const report = renderDailyReport(input, { maxTextBytes: 20_000 });

      expect(report.headline).toBe('300 problems: 300 RPO breaches');
      expect(unwrapped(report.text)).toMatch(/… and [\d,]+ more resources, [\d,]+ in BREACH \(see the JSON form/);
    });

    it('honours small custom limits and still fits them when the lists alone cannot', () => {
      const input = hugeInput();

      const report = renderDailyReport(input, { maxTextBytes: 4_000, maxJsonBytes: 3_000 });

      expect(sentBytes(report.text)).toBeLessThanOrEqual(4_000);
      expect(sentBytes(report.json)).toBeLessThanOrEqual(3_000);
      expect(report.text.split('\n')[0]).toBe(report.headline);
      expect((JSON.parse(report.json) as { problems: number }).problems).toBe(report.problems);
    });

    it('leaves a report that fits untouched', () => {
      const report = renderCase('rpo-breach');

      expect(report.truncated).toBe(false);
      expect(report.text).not.toContain('… and');
    });
  });
});

describe('renderDailyReport: pending, plan-level and scheduled-drill states', () => {
  it('shows a new resource without a point as pending, not a breach, in the primary and the DR Region', () => {
    const input = reportInput({ plans: [goldPlan([resource('vol-new', 'ebs-volume', [{ region: PRIMARY, compliant: true }, { region: DR, compliant: true }])])] });

    const report = renderDailyReport(input);

    expect(report.headline).toBe('1 plan compliant');
    expect(report.text).toContain('no recovery point yet, still within the RPO');
    expect(report.text).toContain('no copy yet, still within the RPO and time for a first copy');
    const form = JSON.parse(report.json) as { plans: Array<{ resources: Array<{ regions: Array<{ status: string }> }> }> };
    expect(form.plans[0]?.resources[0]?.regions.map((region) => region.status)).toEqual(['pending', 'pending']);
  });

  it('labels a Region judged for the whole plan as plan-level, in the text and the JSON form', () => {
    const planLevel = { ...good(DR, HOUR, DAY), scope: 'plan' as const };
    const input = reportInput({ plans: [goldPlan([resource('vol-data', 'ebs-volume', [good(PRIMARY, 2 * HOUR, DAY), planLevel])])] });

    const report = renderDailyReport(input);

    expect(unwrapped(report.text)).toContain('(plan-level: newest copy of any volume of the plan; DLM copies are not tracked per volume)');
    const form = JSON.parse(report.json) as { plans: Array<{ resources: Array<{ regions: Array<{ scope: string }> }> }> };
    expect(form.plans[0]?.resources[0]?.regions.map((region) => region.scope)).toEqual(['resource', 'plan']);
  });

  it('says which scheduled drill a stale plan missed, and says plainly when the run log is too short to tell', () => {
    const due = ago(3 * DAY);
    const input = reportInput({
      drills: [
        { ...drill('gold', 20 * DAY, {}, true), dueAt: due },
        { planId: 'silver', stale: false, dueAt: ago(56 * DAY), beyondRunLog: true },
      ],
    });

    const report = renderDailyReport(input);

    expect(report.headline).toBe('1 problem: 1 stale drill');
    expect(unwrapped(report.text)).toContain('gold: STALE, no drill since the one scheduled for');
    expect(unwrapped(report.text)).toContain('silver: NOT KNOWN: the drill scheduled for');
    expect(unwrapped(report.text)).toContain('is older than the run log keeps and no drill since is in it');
    const form = JSON.parse(report.json) as { drills: Array<{ planId: string; status: string; dueAt: string | null }> };
    expect(form.drills.map((item) => [item.planId, item.status, item.dueAt])).toEqual([
      ['gold', 'stale', due.toISOString()],
      ['silver', 'unknown', ago(56 * DAY).toISOString()],
    ]);
  });
});

describe('rpoMetrics', () => {
  it('counts breaches as the email does: not for deleted resources, nor for new ones still pending', () => {
    const input = reportInput({
      plans: [
        goldPlan([
          resource('vol-gone', 'ebs-volume', [good(PRIMARY, 72 * HOUR, 8 * HOUR), noPoint(DR)], { exists: false }),
          resource('vol-new', 'ebs-volume', [{ region: PRIMARY, compliant: true }, { region: DR, compliant: true }]),
          resource('vol-late', 'ebs-volume', [good(PRIMARY, 9 * HOUR, 8 * HOUR), good(DR, 2 * HOUR, 8 * HOUR)]),
          resource('vol-ok', 'ebs-volume', [good(PRIMARY, 2 * HOUR, 8 * HOUR), good(DR, 2 * HOUR, 8 * HOUR)]),
        ]),
      ],
    });

    const metrics = rpoMetrics(input);

    expect(metrics).toEqual([{ planId: 'gold', breaches: 1, oldestPrimaryAgeMs: 9 * HOUR }]);
    expect(renderDailyReport(input).headline).toMatch(/^\d+ problems?: 1 RPO breach/);
  });

  it('leaves out the oldest age when an existing resource has no good point at all, and reports 0 for a plan with none', () => {
    const input = reportInput({
      plans: [goldPlan([resource('vol-never', 'ebs-volume', [noPoint(PRIMARY), noPoint(DR)])]), silverPlan([])],
    });

    expect(rpoMetrics(input)).toEqual([
      { planId: 'gold', breaches: 2 },
      { planId: 'silver', breaches: 0, oldestPrimaryAgeMs: 0 },
    ]);
  });
});
