import { describe, expect, it } from '@jest/globals';
import { PlanValidationError } from '../../../shared/domain/errors.js';
import { plansFromData } from '../../../shared/domain/plans-data.js';

/** The plans as the package step builds them into a bundle: the YAML file's data. */
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

describe('plansFromData (the plans built into a bundle, checked at cold start)', () => {
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

  it('checks the RPO against the longest gap between runs unless told the package step did', () => {
    const weeklyWithDailyRpo = data({ rpo: '1d' });

    expect(problemsOf(() => plansFromData(weeklyWithDailyRpo))).toEqual([expect.stringMatching(/^gold\|rpo\|rpo 1 d is shorter than the longest gap between runs of cron\(0 6 \? \* MON \*\) \(7 d\)/)]);
    expect(problemsOf(() => plansFromData(weeklyWithDailyRpo, 'backup-plans.yml', undefined, { scheduleGaps: false }))).toEqual([]);
  });
});
