import { describe, expect, it } from '@jest/globals';
import { PlanValidationError } from '../../../shared/domain/errors.js';
import { bundlePlans, plansFromBundle, plansFromData, timeZoneDataCovers } from '../../../shared/domain/plans-data.js';

/** The plans file's data, as the YAML reader gives it. */
const data = (plan: Record<string, unknown> = {}) => ({
  version: 1,
  primaryRegion: 'eu-west-1',
  plans: [{ id: 'gold', selection: { resourceTypes: ['ebs-volume'] }, schedule: { expression: 'cron(0 6 ? * MON *)' }, rpo: '8d', rto: '1h', retention: { count: 4 }, ...plan }],
});

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof PlanValidationError) return error.issues.map((issue) => `${issue.planId ?? ''}|${issue.path}|${issue.message}|${issue.line ?? 'no line'}`);
    throw error;
  }
  return [];
}

describe('plansFromData (the plans file\'s data, validated whole)', () => {
  it('returns the validated plans', () => {
    const config = plansFromData(data());

    expect(config.plans.map((plan) => plan.id)).toEqual(['gold']);
    expect(config.plans[0]?.schedule.expression.source).toBe('cron(0 6 ? * MON *)');
  });

  it('names the file, the plan and the field of each problem, without a line number it cannot know', () => {
    const problems = problemsOf(() => plansFromData(data({ selection: { resourceTypes: ['tape'] }, retention: { count: 0 } }), 'backup-plans.yml'));

    expect(problems).toHaveLength(2);
    expect(problems.find((problem) => problem.startsWith('gold|selection.resourceTypes[0]|'))).toMatch(/unknown resource type "tape".*\|no line$/);
    expect(problems.find((problem) => problem.startsWith('gold|retention.count|'))).toMatch(/\|no line$/);
  });

  it('says an empty file is empty', () => {
    expect(problemsOf(() => plansFromData(null))).toEqual(['||the file is empty; it must declare version: 1, primaryRegion and plans|no line']);
  });

  it('checks the RPO against the longest gap between runs', () => {
    expect(problemsOf(() => plansFromData(data({ rpo: '1d' })))).toEqual([expect.stringMatching(/^gold\|rpo\|rpo 1 d is shorter than the longest gap between runs of cron\(0 6 \? \* MON \*\) \(7 d\)/)]);
  });
});

describe('plansFromBundle (the plans built into a Lambda bundle, checked at cold start)', () => {
  /** What esbuild's define puts in the bundle: the package step's validated plans, as JSON. */
  const built = (config = plansFromData(data({ drill: { schedule: { expression: 'rate(7 days)', timezone: 'Asia/Kolkata' } } }))) =>
    JSON.parse(JSON.stringify(bundlePlans(config))) as unknown;

  it('gives back exactly the plans the package step validated, every default applied', () => {
    const validated = plansFromData(data({ copies: [{ region: 'eu-central-1', encrypted: false }], drill: { region: 'dr' } }));

    expect(plansFromBundle(built(validated))).toEqual(validated);
  });

  /** A bundle whose zones no runtime knows, as if packaged with zone data `timeZoneData` (none: an older package step). */
  const withUnknownZones = (timeZoneData?: string) => {
    const bundled = JSON.parse(JSON.stringify(bundlePlans(plansFromData(data({ drill: { schedule: { expression: 'rate(7 days)', timezone: 'Asia/Kolkata' } } })), timeZoneData))) as {
      config: { plans: Array<{ schedule: { timezone: string }; drill: { schedule: { timezone: string } } }> };
    };
    const plan = bundled.config.plans[0]!;
    plan.schedule.timezone = 'Mars/Olympus_Mons';
    plan.drill.schedule.timezone = 'Mars/Jezero';
    if (!timeZoneData) delete (bundled as { timeZoneData?: string }).timeZoneData;
    return bundled;
  };

  it('refuses a time zone this runtime does not know when its zone data is older than the package step\'s, naming the file, the plan and the field', () => {
    const bundled = withUnknownZones('2026c');

    expect(problemsOf(() => plansFromBundle(bundled, 'staging-plans.yml', '2026b'))).toEqual([
      expect.stringMatching(/^gold\|schedule\.timezone\|unknown timezone "Mars\/Olympus_Mons" in this Lambda runtime's time zone data/),
      expect.stringMatching(/^gold\|drill\.schedule\.timezone\|unknown timezone "Mars\/Jezero"/),
    ]);
    expect(() => plansFromBundle(bundled, 'staging-plans.yml', '2026b')).toThrow('staging-plans.yml: plan "gold" schedule.timezone:');
  });

  it('checks every zone when the bundle does not say which zone data the package step used, or this runtime does not say its own', () => {
    expect(problemsOf(() => plansFromBundle(withUnknownZones(), 'staging-plans.yml', '2026c'))).toHaveLength(2);
    expect(problemsOf(() => plansFromBundle(withUnknownZones('2026c'), 'staging-plans.yml', ''))).toHaveLength(2);
  });

  it('takes the package step\'s zone check as it stands when this runtime has the same zone data release or a newer one', () => {
    // Zone names are never withdrawn, so such a runtime knows every zone the package step accepted.
    for (const runtime of ['2026c', '2026d', '2027a']) {
      expect(plansFromBundle(withUnknownZones('2026c'), 'staging-plans.yml', runtime).plans[0]?.schedule.timezone).toBe('Mars/Olympus_Mons');
    }
  });

  it('builds in the zone data release of the machine that packaged the plans', () => {
    expect(bundlePlans(plansFromData(data())).timeZoneData).toBe(process.versions.tz);
    expect(plansFromBundle(built(), 'staging-plans.yml', process.versions.tz)).toEqual(plansFromData(data({ drill: { schedule: { expression: 'rate(7 days)', timezone: 'Asia/Kolkata' } } })));
  });

  it('refuses anything built in that is not the package step\'s output, naming the file and how to build it', () => {
    for (const bundled of [data(), { format: 'validated-plans/0', config: data() }, null, undefined, 'plans']) {
      expect(problemsOf(() => plansFromBundle(bundled, 'staging-plans.yml'))).toEqual([
        "||the plans built into this function are not the package step's validated plans (validated-plans/1); package or deploy with osls (npx osls package), which validates staging-plans.yml and builds in the result|no line",
      ]);
    }
    expect(() => plansFromBundle(data(), 'staging-plans.yml')).toThrow(/^1 problem in the backup plans; nothing was changed:\n {2}- staging-plans.yml: /);
  });
});

describe('timeZoneDataCovers (is this runtime\'s zone data the packaged release or newer)', () => {
  it.each([
    ['2026c', '2026c', true],
    ['2026d', '2026c', true],
    ['2027a', '2026z', true],
    ['2026za', '2026z', true],
    ['2026b', '2026c', false],
    ['2025z', '2026a', false],
    ['2026z', '2026za', false],
    [undefined, '2026c', false],
    ['2026c', undefined, false],
    ['2026', '2026c', false],
    ['2026c', 'latest', false],
  ])('runtime %s, packaged %s: %s', (runtime, packaged, covers) => {
    expect(timeZoneDataCovers(runtime, packaged)).toBe(covers);
  });
});
