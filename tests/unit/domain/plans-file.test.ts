import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PlanValidationError, type PlanIssue } from '../../../shared/domain/errors.js';
import type { PlansConfig } from '../../../shared/domain/plan-schema.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';

const FILE = 'plans.yml';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EXAMPLE_FILE = fileURLToPath(new URL('../../../backup-plans.yml', import.meta.url));

/** A small valid plans file; every test changes one thing in it, as text, so line numbers are real. */
const BASE = `version: 1
primaryRegion: eu-west-1
defaults:
  timezone: UTC
plans:
  - id: gold
    selection:
      resourceTypes: [ebs-volume, rds-instance]
    schedule:
      expression: cron(0 */4 * * ? *)
    rpo: 8h
    rto: 1h
    retention:
      count: 7
    copies:
      - region: eu-central-1
        kmsKeyId: alias/backup-dr
    drill:
      region: dr
      instanceClass: db.t3.medium
`;

/** A second valid plan, appended to the base file where a test needs two plans. */
const SILVER = `  - id: silver
    selection:
      resourceTypes: [ebs-volume]
    schedule:
      expression: rate(1 day)
    rpo: 36h
    rto: 4h
    retention:
      count: 14
`;

/** Replaces `find`, which must occur exactly once, in `source`. */
function change(source: string, find: string, replacement: string): string {
  const occurrences = source.split(find).length - 1;
  if (occurrences !== 1) throw new Error(`test setup: "${find}" occurs ${occurrences} times, expected once`);
  return source.replace(find, () => replacement);
}

/** The base file with each [find, replacement] applied in turn. */
function plansYaml(...changes: Array<[find: string, replacement: string]>): string {
  return changes.reduce((source, [find, replacement]) => change(source, find, replacement), BASE);
}

/** 1-based number of the line holding `text` (the nth such line; the only one when nth is omitted). */
function lineOf(source: string, text: string, nth?: number): number {
  const lines = source
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.includes(text));
  if (nth === undefined && lines.length !== 1)
    throw new Error(`test setup: "${text}" is on ${lines.length} lines, expected one`);
  const found = lines[(nth ?? 1) - 1];
  if (!found) throw new Error(`test setup: no line #${nth ?? 1} holds "${text}"`);
  return found.number;
}

function rejection(source: string): PlanValidationError {
  try {
    parsePlansFile(source, FILE);
  } catch (error) {
    if (error instanceof PlanValidationError) return error;
    throw error;
  }
  throw new Error('expected the plans file to be rejected, but it was accepted');
}

function onlyIssue(source: string): PlanIssue {
  const { issues } = rejection(source);
  expect(issues).toHaveLength(1);
  return issues[0] as PlanIssue;
}

/** The parts of an issue that say where it is. */
function whereOf(issue: PlanIssue): Pick<PlanIssue, 'file' | 'planId' | 'path' | 'line'> {
  return { file: issue.file, planId: issue.planId, path: issue.path, line: issue.line };
}

describe('parsePlansFile', () => {
  describe('the example backup-plans.yml', () => {
    function parseExample(): PlansConfig {
      return parsePlansFile(readFileSync(EXAMPLE_FILE, 'utf8'));
    }

    it('parses into both plans with the file-level settings', () => {
      // Prepare + Act
      const config = parseExample();

      // Assess
      expect(config.version).toBe(1);
      expect(config.primaryRegion).toBe('eu-west-1');
      expect(config.plans.map((plan) => plan.id)).toEqual(['gold', 'silver']);
    });

    it('applies the selection defaults: the default tag key and the plan id as the only tag value', () => {
      // Act
      const [gold, silver] = parseExample().plans;

      // Assess
      expect(gold?.selection).toEqual({
        resourceTypes: ['ebs-volume', 'ec2-instance', 'rds-instance', 'aurora-cluster'],
        tagKey: 'backup:plan',
        tagValues: ['gold'],
      });
      expect(silver?.selection).toEqual({
        resourceTypes: ['ebs-volume'],
        tagKey: 'backup:plan',
        tagValues: ['silver'],
      });
    });

    it('gives every schedule and retention policy the default timezone and every plan the lambda engine', () => {
      // Act
      const [gold, silver] = parseExample().plans;

      // Assess
      for (const plan of [gold, silver]) {
        expect(plan?.engine).toBe('lambda');
        expect(plan?.schedule.timezone).toBe('Europe/Paris');
        expect(plan?.retention.timezone).toBe('Europe/Paris');
      }
      expect(gold?.drill?.schedule?.timezone).toBe('Europe/Paris');
      expect(gold?.copies[0]?.retention.timezone).toBe('Europe/Paris');
    });

    it('normalises the gold plan: durations in milliseconds, tiers, copy with its own retention, drill from dr', () => {
      // Act
      const gold = parseExample().plans[0];

      // Assess
      expect(gold?.description).toBe('Production databases and application servers');
      expect(gold?.schedule.expression).toMatchObject({
        kind: 'cron',
        source: 'cron(0 */4 * * ? *)',
        hours: [0, 4, 8, 12, 16, 20],
      });
      expect(gold?.rpoMs).toBe(8 * HOUR);
      expect(gold?.rtoMs).toBe(HOUR);
      expect(gold?.snapshot).toEqual({ copySourceTags: ['Name', 'team'] });
      expect(gold?.retention).toEqual({
        tiers: { hourly: 12, daily: 7, weekly: 4, monthly: 12, yearly: 3 },
        minKeep: 3,
        keepLastWhenSourceGone: true,
        errorGraceMs: DAY,
        timezone: 'Europe/Paris',
      });
      expect(gold?.copies).toEqual([
        {
          region: 'eu-central-1',
          kmsKeyId: 'alias/backup-dr',
          encrypted: true,
          retention: {
            tiers: { daily: 7, weekly: 4 },
            minKeep: 2,
            keepLastWhenSourceGone: true,
            errorGraceMs: DAY,
            timezone: 'Europe/Paris',
          },
        },
      ]);
      expect(gold?.drill).toEqual({
        schedule: {
          expression: expect.objectContaining({ kind: 'cron', source: 'cron(0 6 ? * MON *)' }),
          timezone: 'Europe/Paris',
        },
        region: 'dr',
        instanceClass: 'db.t3.medium',
        securityGroupIds: [],
      });
    });

    it('normalises the silver plan: minKeep 1, errorGrace 1 day, no copies and no drill by default', () => {
      // Act
      const silver = parseExample().plans[1];

      // Assess
      expect(silver?.schedule.expression).toMatchObject({
        kind: 'rate',
        value: 1,
        unit: 'day',
        intervalMs: DAY,
      });
      expect(silver?.rpoMs).toBe(36 * HOUR);
      expect(silver?.rtoMs).toBe(4 * HOUR);
      expect(silver?.snapshot).toEqual({ copySourceTags: [] });
      expect(silver?.retention).toEqual({
        count: 14,
        maxAgeMs: 30 * DAY,
        minKeep: 1,
        keepLastWhenSourceGone: true,
        errorGraceMs: DAY,
        timezone: 'Europe/Paris',
      });
      expect(silver?.copies).toEqual([]);
      expect(silver?.drill).toBeUndefined();
    });
  });

  describe('defaults of a valid file', () => {
    it('gives a copy without its own retention the plan retention', () => {
      // Prepare
      const source = BASE;

      // Act
      const plan = parsePlansFile(source, FILE).plans[0];

      // Assess
      expect(plan?.copies[0]?.retention).toEqual(plan?.retention);
      expect(plan?.retention).toEqual({
        count: 7,
        minKeep: 1,
        keepLastWhenSourceGone: true,
        errorGraceMs: DAY,
        timezone: 'UTC',
      });
    });

    it('normalises a drill in the primary Region named by its Region name to "primary"', () => {
      // Prepare
      const source = plansYaml(['      region: dr', '      region: eu-west-1']);

      // Act
      const plan = parsePlansFile(source, FILE).plans[0];

      // Assess
      expect(plan?.drill?.region).toBe('primary');
    });

    it('drills in the primary Region when the drill names no Region, and keeps a copy Region as written', () => {
      // Prepare
      const withoutRegion = plansYaml(['      region: dr\n', '']);
      const inCopyRegion = plansYaml(['      region: dr', '      region: eu-central-1']);

      // Act
      const defaulted = parsePlansFile(withoutRegion, FILE).plans[0];
      const copyRegion = parsePlansFile(inCopyRegion, FILE).plans[0];

      // Assess
      expect(defaulted?.drill?.region).toBe('primary');
      expect(copyRegion?.drill?.region).toBe('eu-central-1');
    });

    it('uses a plan schedule timezone over the default one, for the retention and the drill schedule too', () => {
      // Prepare
      const source = plansYaml(
        [
          '      expression: cron(0 */4 * * ? *)',
          '      expression: cron(0 */4 * * ? *)\n      timezone: America/New_York',
        ],
        ['      region: dr', '      region: dr\n      schedule: { expression: cron(0 6 ? * MON *) }'],
      );

      // Act
      const plan = parsePlansFile(source, FILE).plans[0];

      // Assess
      expect(plan?.schedule.timezone).toBe('America/New_York');
      expect(plan?.retention.timezone).toBe('America/New_York');
      expect(plan?.drill?.schedule?.timezone).toBe('America/New_York');
    });

    it('falls back to UTC and the backup:plan tag key when the file has no defaults', () => {
      // Prepare
      const source = plansYaml(['defaults:\n  timezone: UTC\n', '']);

      // Act
      const plan = parsePlansFile(source, FILE).plans[0];

      // Assess
      expect(plan?.schedule.timezone).toBe('UTC');
      expect(plan?.selection.tagKey).toBe('backup:plan');
    });

    it('uses the default tag key of the file and explicit tag values of the plan', () => {
      // Prepare
      const source = plansYaml(
        ['  timezone: UTC', '  timezone: UTC\n  tagKey: team:backup'],
        [
          '      resourceTypes: [ebs-volume, rds-instance]',
          '      resourceTypes: [ebs-volume, rds-instance]\n      tagValues: [gold, platinum]',
        ],
      );

      // Act
      const plan = parsePlansFile(source, FILE).plans[0];

      // Assess
      expect(plan?.selection.tagKey).toBe('team:backup');
      expect(plan?.selection.tagValues).toEqual(['gold', 'platinum']);
    });

    it('accepts an unencrypted copy without a KMS key', () => {
      // Prepare
      const source = plansYaml(['        kmsKeyId: alias/backup-dr', '        encrypted: false']);

      // Act
      const copy = parsePlansFile(source, FILE).plans[0]?.copies[0];

      // Assess
      expect(copy).toEqual({
        region: 'eu-central-1',
        encrypted: false,
        retention: expect.objectContaining({ count: 7 }),
      });
    });

    it('accepts a weekday-only cron when the rpo covers the 3-day weekend gap', () => {
      // Prepare
      const source = plansYaml(
        ['cron(0 */4 * * ? *)', 'cron(0 2 ? * MON-FRI *)'],
        ['    rpo: 8h', '    rpo: 3d'],
      );

      // Act
      const plan = parsePlansFile(source, FILE).plans[0];

      // Assess
      expect(plan?.rpoMs).toBe(3 * DAY);
    });
  });

  describe('selection', () => {
    it('rejects an unknown resource type, naming it and listing the allowed types', () => {
      // Prepare
      const source = plansYaml(['[ebs-volume, rds-instance]', '[ebs-volume, efs-filesystem]']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'selection.resourceTypes[1]',
        line: lineOf(source, 'efs-filesystem'),
      });
      expect(issue.column).toBe((source.split('\n')[7]?.indexOf('efs-filesystem') as number) + 1);
      expect(issue.message).toContain('unknown resource type "efs-filesystem"');
      expect(issue.message).toContain('allowed: ebs-volume, ec2-instance, rds-instance, aurora-cluster');
    });

    it('rejects a selection tag key starting with aws:, which AWS reserves', () => {
      // Prepare
      const source = plansYaml([
        '      resourceTypes: [ebs-volume, rds-instance]',
        '      resourceTypes: [ebs-volume, rds-instance]\n      tagKey: aws:backup',
      ]);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'selection.tagKey',
        line: lineOf(source, 'tagKey: aws:backup'),
      });
      expect(issue.message).toContain('starting with "aws:" are reserved by AWS');
      expect(issue.message).toContain('use a key of your own such as backup:plan');
    });

    it('rejects engine dlm for a plan that selects RDS instances, suggesting engine: lambda', () => {
      // Prepare
      const source = plansYaml(['  - id: gold\n', '  - id: gold\n    engine: dlm\n']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'selection.resourceTypes[1]',
        line: lineOf(source, 'rds-instance'),
      });
      expect(issue.message).toContain('Data Lifecycle Manager cannot back up rds-instance');
      expect(issue.message).toContain('only ebs-volume and ec2-instance');
      expect(issue.message).toContain('use engine: lambda');
    });
  });

  describe('schedule', () => {
    it('rejects a cron with 5 fields, saying how many it needs and which', () => {
      // Prepare
      const source = plansYaml(['cron(0 */4 * * ? *)', 'cron(0 */4 * * ?)']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'schedule.expression',
        line: lineOf(source, 'expression:'),
      });
      expect(issue.message).toContain('got 5');
      expect(issue.message).toContain('exactly 6 fields (minutes hours day-of-month month day-of-week year)');
    });

    it('rejects a cron minute out of range, naming the value and the range', () => {
      // Prepare
      const source = plansYaml(['cron(0 */4 * * ? *)', 'cron(60 */4 * * ? *)']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'schedule.expression',
        line: lineOf(source, 'expression:'),
      });
      expect(issue.message).toContain("minutes field '60' is out of range");
      expect(issue.message).toContain('0-59');
    });

    it('rejects a cron with ? in both day fields, asking for one of them to be set', () => {
      // Prepare
      const source = plansYaml(['cron(0 */4 * * ? *)', 'cron(0 */4 ? * ? *)']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'schedule.expression',
        line: lineOf(source, 'expression:'),
      });
      expect(issue.message).toContain("day-of-month and day-of-week cannot both be '?'");
      expect(issue.message).toContain('set one of them');
    });

    it('rejects a plural rate unit with the value 1, giving the singular form', () => {
      // Prepare
      const source = plansYaml(['cron(0 */4 * * ? *)', 'rate(1 hours)']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'schedule.expression',
        line: lineOf(source, 'rate(1 hours)'),
      });
      expect(issue.message).toContain('not rate(1 hours)');
      expect(issue.message).toContain('use the singular unit when the value is 1: rate(1 hour)');
    });

    it('rejects a singular rate unit with a value above 1, giving the plural form', () => {
      // Prepare
      const source = plansYaml(['cron(0 */4 * * ? *)', 'rate(4 hour)']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'schedule.expression',
        line: lineOf(source, 'rate(4 hour)'),
      });
      expect(issue.message).toContain('not rate(4 hour)');
      expect(issue.message).toContain('use the plural unit when the value is not 1: rate(4 hours)');
    });

    it('rejects a one-time at() schedule, asking for a recurring cron() or rate()', () => {
      // Prepare
      const source = plansYaml(['cron(0 */4 * * ? *)', 'at(2026-03-01T02:00:00)']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'schedule.expression',
        line: lineOf(source, 'at(2026'),
      });
      expect(issue.message).toContain('at() is a one-time schedule');
      expect(issue.message).toContain('recurring cron() or rate() expression');
    });

    it('rejects an rpo shorter than the interval between runs, giving both', () => {
      // Prepare
      const source = plansYaml(['    rpo: 8h', '    rpo: 2h']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'rpo',
        line: lineOf(source, 'rpo: 2h'),
      });
      expect(issue.message).toContain(
        'rpo 2 h is shorter than the longest gap between runs of cron(0 */4 * * ? *) (4 h)',
      );
      expect(issue.message).toContain('schedule more often or raise the rpo');
    });

    it('rejects a 1-day rpo for a weekday-only cron, whose weekend gap is 3 days', () => {
      // Prepare
      const source = plansYaml(
        ['cron(0 */4 * * ? *)', 'cron(0 2 ? * MON-FRI *)'],
        ['    rpo: 8h', '    rpo: 1d'],
      );

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'rpo',
        line: lineOf(source, 'rpo: 1d'),
      });
      expect(issue.message).toContain(
        'rpo 1 d is shorter than the longest gap between runs of cron(0 2 ? * MON-FRI *) (3 d)',
      );
      expect(issue.message).toContain('schedule more often or raise the rpo');
    });

    it('rejects an unknown plan timezone, naming it and giving examples of valid names', () => {
      // Prepare
      const source = plansYaml([
        '      expression: cron(0 */4 * * ? *)',
        '      expression: cron(0 */4 * * ? *)\n      timezone: Europe/Pariss',
      ]);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'schedule.timezone',
        line: lineOf(source, 'Europe/Pariss'),
      });
      expect(issue.message).toContain('unknown timezone "Europe/Pariss"');
      expect(issue.message).toContain('expected an IANA name such as UTC or Europe/Paris');
    });

    it('rejects an unknown default timezone as a file-level issue', () => {
      // Prepare
      const source = plansYaml(['  timezone: UTC', '  timezone: Mars/Olympus']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({ file: FILE, planId: undefined, path: 'defaults.timezone', line: 4 });
      expect(issue.message).toContain('unknown timezone "Mars/Olympus"');
      expect(issue.message).toContain('expected an IANA name');
    });

    it.each([
      ['europe/paris', 'write it as IANA writes it: "Europe/Paris"'],
      ['Europe/PARIS', 'write it as IANA writes it: "Europe/Paris"'],
      ['utc', 'write it as IANA writes it: "UTC"'],
      // Links and old names, which Intl resolves to another name: no exact spelling to give, but still refused.
      ['us/pacific', 'write it as IANA writes it, each part with its capital (e.g. Asia/Kolkata, US/Pacific, UTC); Intl knows it as "America/Los_Angeles"'],
      ['gmt', 'write it as IANA writes it, each part with its capital (e.g. Asia/Kolkata, US/Pacific, UTC); Intl knows it as "UTC"'],
      ['etc/utc', 'write it as IANA writes it, each part with its capital (e.g. Asia/Kolkata, US/Pacific, UTC); Intl knows it as "UTC"'],
    ])('rejects timezone %s written otherwise than IANA writes it, saying how to write it', (written, how) => {
      // Prepare
      const source = plansYaml(['  timezone: UTC', `  timezone: ${written}`]);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({ file: FILE, planId: undefined, path: 'defaults.timezone', line: 4 });
      expect(issue.message).toBe(`timezone "${written}": ${how} (EventBridge Scheduler takes the name as written)`);
    });

    it.each(['US/Pacific', 'Asia/Kolkata', 'Europe/Kyiv', 'GMT', 'Etc/UTC', 'Etc/GMT+5', 'America/Argentina/ComodRivadavia', 'America/Port-au-Prince'])(
      'accepts %s, written as IANA writes it',
      (zone) => {
        expect(parsePlansFile(plansYaml(['  timezone: UTC', `  timezone: ${zone}`]), FILE).plans[0]?.schedule.timezone).toBe(zone);
      },
    );

    it('rejects more source tags to copy than a snapshot can hold beside the stack\'s own, and takes 38', () => {
      const keys = (count: number) => Array.from({ length: count }, (_, index) => `k${index}`).join(', ');
      const withKeys = (count: number) => plansYaml(['    rto: 1h\n', `    rto: 1h\n    snapshot:\n      copySourceTags: [${keys(count)}]\n`]);

      const issue = onlyIssue(withKeys(39));

      expect(whereOf(issue)).toMatchObject({ file: FILE, planId: 'gold', path: 'snapshot.copySourceTags' });
      expect(issue.message).toBe(
        'must list at most 38 tag keys: EBS and RDS keep at most 50 tags on a snapshot, and the stack writes up to 12 of its own (ownership, plan, slot and, on copies, the copy\'s)',
      );
      expect(parsePlansFile(withKeys(38), FILE).plans[0]?.snapshot.copySourceTags).toHaveLength(38);
    });

    it('rejects a duration written in words, showing the accepted format', () => {
      // Prepare
      const source = plansYaml(['    rpo: 8h', '    rpo: 8 hours']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'rpo',
        line: lineOf(source, 'rpo: 8 hours'),
      });
      expect(issue.message).toContain('"8 hours" is not a duration');
      expect(issue.message).toContain('such as 30m, 8h, 1d12h or 2w (units m, h, d, w)');
    });
  });

  describe('Regions and copies', () => {
    it('rejects an unknown Region in a copy, naming it', () => {
      // Prepare
      const source = plansYaml(['region: eu-central-1', 'region: eu-centrall-1']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'copies[0].region',
        line: lineOf(source, 'eu-centrall-1'),
      });
      expect(issue.message).toContain('unknown Region "eu-centrall-1"');
      expect(issue.message).toContain('expected an AWS Region name such as eu-west-1');
    });

    it('rejects an unknown primaryRegion as a file-level issue', () => {
      // Prepare
      const source = plansYaml(['primaryRegion: eu-west-1', 'primaryRegion: europe-west1']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({ file: FILE, planId: undefined, path: 'primaryRegion', line: 2 });
      expect(issue.column).toBe('primaryRegion: '.length + 1);
      expect(issue.message).toContain('unknown Region "europe-west1"');
      expect(issue.message).toContain('expected an AWS Region name such as eu-west-1');
    });

    it('rejects a copy to the primary Region', () => {
      // Prepare
      const source = plansYaml(['region: eu-central-1', 'region: eu-west-1']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'copies[0].region',
        line: lineOf(source, '- region: eu-west-1'),
      });
      expect(issue.message).toContain('copies must go to another Region than the primary Region eu-west-1');
    });

    it('rejects a second copy rule for the same Region, pointing at the second', () => {
      // Prepare
      const source = plansYaml([
        '        kmsKeyId: alias/backup-dr\n',
        '        kmsKeyId: alias/backup-dr\n      - region: eu-central-1\n        kmsKeyId: alias/backup-dr-2\n',
      ]);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'copies[1].region',
        line: lineOf(source, '- region: eu-central-1', 2),
      });
      expect(issue.message).toContain('eu-central-1 is listed twice');
      expect(issue.message).toContain('one copy rule per Region');
    });

    it.each([
      ['cn-north-1', 'aws-cn'],
      ['us-gov-west-1', 'aws-us-gov'],
    ])('rejects a copy to %s, in another AWS partition than the primary Region, pointing at the copy rule', (region, partition) => {
      // Prepare
      const source = plansYaml(['- region: eu-central-1', `- region: ${region}`]);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({ file: FILE, planId: 'gold', path: 'copies[0].region', line: lineOf(source, `- region: ${region}`) });
      expect(issue.message).toBe(
        `${region} is in AWS partition ${partition} and the primary Region eu-west-1 in aws; snapshots cannot be copied between partitions (an account lives in one), so copy to a Region of aws`,
      );
    });

    it('rejects an encrypted copy without a KMS key, pointing at the copy rule', () => {
      // Prepare
      const source = plansYaml(['        kmsKeyId: alias/backup-dr\n', '']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'copies[0].kmsKeyId',
        line: lineOf(source, '- region: eu-central-1'),
      });
      expect(issue.message).toContain('an encrypted copy to eu-central-1 needs the KMS key');
      expect(issue.message).toContain('(kmsKeyId), or encrypted: false');
    });

    it('rejects a KMS key ARN in another Region than the copy', () => {
      // Prepare
      const arn = 'arn:aws:kms:eu-west-3:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const source = plansYaml(['kmsKeyId: alias/backup-dr', `kmsKeyId: ${arn}`]);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'copies[0].kmsKeyId',
        line: lineOf(source, arn),
      });
      expect(issue.message).toContain('the key ARN is in eu-west-3 but the copy goes to eu-central-1');
      expect(issue.message).toContain('KMS keys are Regional');
    });
  });

  describe('retention', () => {
    it('rejects a zero count, asking for at least 1', () => {
      // Prepare
      const source = plansYaml(['count: 7', 'count: 0']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'retention.count',
        line: lineOf(source, 'count: 0'),
      });
      expect(issue.message).toContain('must be at least 1');
      expect(issue.message).toContain('how many newest points to keep');
    });

    it('rejects a negative count, asking for at least 1', () => {
      // Prepare
      const source = plansYaml(['count: 7', 'count: -3']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'retention.count',
        line: lineOf(source, 'count: -3'),
      });
      expect(issue.message).toContain('must be at least 1');
    });

    it('rejects a GFS tier written without a count (YAML null), asking for a whole number', () => {
      // Prepare
      const source = plansYaml(['      count: 7', '      tiers:\n        daily:']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'retention.tiers.daily',
        line: lineOf(source, 'daily:'),
      });
      expect(issue.message).toContain('tier "daily" needs a count');
      expect(issue.message).toContain('a whole number ≥ 1');
    });

    it('rejects a retention that keeps nothing, listing what it may keep', () => {
      // Prepare
      const source = plansYaml(['count: 7', 'minKeep: 3']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'retention',
        line: lineOf(source, 'retention:'),
      });
      expect(issue.message).toContain('must say what to keep');
      expect(issue.message).toContain('at least one of count, maxAge or tiers');
    });
  });

  describe('drill', () => {
    it('rejects a drill Region that holds no copies of the plan, listing the Regions that do', () => {
      // Prepare
      const source = plansYaml(['      region: dr', '      region: us-east-1']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'drill.region',
        line: lineOf(source, 'region: us-east-1'),
      });
      expect(issue.message).toContain('"us-east-1" holds no recovery points of this plan');
      expect(issue.message).toContain('allowed: primary, dr, eu-west-1, eu-central-1');
    });

    it('rejects a drill from dr in a plan without copy rules', () => {
      // Prepare
      const source = plansYaml([
        '    copies:\n      - region: eu-central-1\n        kmsKeyId: alias/backup-dr\n',
        '',
      ]);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'drill.region',
        line: lineOf(source, 'region: dr'),
      });
      expect(issue.message).toContain('a drill from the DR Region needs at least one copy rule');
      expect(issue.message).toContain('add copies, or drill in region: primary');
    });

    it('rejects a drill restoring databases without an instance class, pointing at the drill', () => {
      // Prepare
      const source = plansYaml(['      instanceClass: db.t3.medium\n', '']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'drill.instanceClass',
        line: lineOf(source, 'drill:'),
      });
      expect(issue.message).toContain('drills that restore RDS or Aurora need the instance class');
      expect(issue.message).toContain('e.g. db.t3.medium');
    });
  });

  describe('plan ids', () => {
    it('rejects a second plan with the same id, pointing at the second', () => {
      // Prepare
      const source = BASE + change(SILVER, 'id: silver', 'id: gold');

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'id',
        line: lineOf(source, 'id: gold', 2),
      });
      expect(issue.message).toContain('duplicate plan id "gold" (already used by plan #1)');
      expect(issue.message).toContain('plan ids must be unique');
    });

    it('rejects a plan id that gives the same CloudFormation names as another (db-1 and db1), pointing at the second', () => {
      // Prepare
      const source = change(BASE, 'id: gold', 'id: db-1') + change(SILVER, 'id: silver', 'id: db1');

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({ file: FILE, planId: 'db1', path: 'id', line: lineOf(source, 'id: db1') });
      expect(issue.message).toBe(
        'plan id "db1" gives the same CloudFormation resource names as plan "db-1" (BackupScheduleDb1), so one plan would lose its schedule and alarms; rename one of them',
      );
      expect(() => parsePlansFile(change(BASE, 'id: gold', 'id: db-1') + change(SILVER, 'id: silver', 'id: db-2'), FILE)).not.toThrow();
    });

    it('rejects an upper-case plan id, naming the plan by its position', () => {
      // Prepare
      const source = plansYaml(['id: gold', 'id: Gold']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: '#1',
        path: 'id',
        line: lineOf(source, 'id: Gold'),
      });
      expect(issue.message).toContain('"Gold" is not a valid plan id');
      expect(issue.message).toContain(
        'lower-case letters, digits and single hyphens, starting with a letter',
      );
    });

    it('rejects a plan id with spaces', () => {
      // Prepare
      const source = plansYaml(['id: gold', 'id: gold tier']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: '#1',
        path: 'id',
        line: lineOf(source, 'id: gold tier'),
      });
      expect(issue.message).toContain('"gold tier" is not a valid plan id');
      expect(issue.message).toContain('(e.g. gold, prod-db)');
    });

    it('refers to a plan whose id is invalid by its position (#2) in all of its issues', () => {
      // Prepare
      const source =
        BASE + change(change(SILVER, 'id: silver', 'id: Silver Plan'), 'rpo: 36h', 'rpo: 36 hours');

      // Act
      const { issues } = rejection(source);

      // Assess
      expect(issues.map(whereOf)).toEqual([
        { file: FILE, planId: '#2', path: 'id', line: lineOf(source, 'id: Silver Plan') },
        { file: FILE, planId: '#2', path: 'rpo', line: lineOf(source, 'rpo: 36 hours') },
      ]);
    });

    it('refers to a plan without an id by its position, saying the id is required', () => {
      // Prepare
      const source = BASE + change(SILVER, '  - id: silver\n    selection:', '  - selection:');

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: '#2',
        path: 'id',
        line: lineOf(source, '- selection:'),
      });
      expect(issue.message).toBe('is required');
    });
  });

  describe('YAML and file structure', () => {
    it('reports a YAML syntax error with its line number', () => {
      // Prepare
      const source = plansYaml(['    rto: 1h', '\trto: 1h']);

      // Act
      const { issues } = rejection(source);

      // Assess
      expect(issues.length).toBeGreaterThanOrEqual(1);
      expect(whereOf(issues[0] as PlanIssue)).toEqual({
        file: FILE,
        planId: undefined,
        path: '',
        line: lineOf(source, '\trto: 1h'),
      });
      expect(issues[0]?.column).toBe(1);
      expect(issues[0]?.message).toBe('YAML syntax error: Tabs are not allowed as indentation');
      for (const issue of issues) expect(issue.line).toEqual(expect.any(Number));
    });

    it('reports a duplicate YAML key at its second occurrence, naming the key', () => {
      // Prepare
      const source = plansYaml(['    rto: 1h', '    rto: 1h\n    rpo: 12h']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({
        file: FILE,
        planId: undefined,
        path: '',
        line: lineOf(source, 'rpo: 12h'),
      });
      expect(issue.message).toContain('the key "rpo" appears twice in the same mapping');
      expect(issue.message).toContain('give each field once');
    });

    it('rejects a misspelt field, naming it at its line and listing the fields allowed there', () => {
      // Prepare
      const source = plansYaml(['    retention:', '    retension:']);

      // Act
      const { issues } = rejection(source);

      // Assess
      const unknown = issues.find((issue) => issue.message.startsWith('unknown field'));
      expect(whereOf(unknown as PlanIssue)).toEqual({
        file: FILE,
        planId: 'gold',
        path: 'retension',
        line: lineOf(source, 'retension:'),
      });
      expect(unknown?.message).toContain('unknown field "retension"');
      expect(unknown?.message).toContain(
        'allowed here: id, description, engine, selection, schedule, rpo, rto, snapshot, retention, copies, drill',
      );
      const missing = issues.find((issue) => issue.path === 'retention');
      expect(missing?.message).toBe('is required');
      expect(issues).toHaveLength(2);
    });

    it('rejects a version other than 1', () => {
      // Prepare
      const source = plansYaml(['version: 1', 'version: 2']);

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({ file: FILE, planId: undefined, path: 'version', line: 1 });
      expect(issue.message).toBe('must be 1 (the only plans file version)');
    });

    it('rejects an empty file, saying what it must declare', () => {
      // Prepare
      const sources = ['', '# only a comment\n'];

      // Act
      const issues = sources.map(onlyIssue);

      // Assess
      for (const issue of issues) {
        expect(issue).toEqual({
          file: FILE,
          path: '',
          message: 'the file is empty; it must declare version: 1, primaryRegion and plans',
        });
      }
    });

    it('rejects an empty plans list', () => {
      // Prepare
      const source = 'version: 1\nprimaryRegion: eu-west-1\nplans: []\n';

      // Act
      const issue = onlyIssue(source);

      // Assess
      expect(whereOf(issue)).toEqual({ file: FILE, planId: undefined, path: 'plans', line: 3 });
      expect(issue.message).toBe('must declare at least one plan');
    });
  });

  describe('several problems at once', () => {
    it('reports every shape problem of the file, in every plan, not just the first', () => {
      // Prepare
      const source =
        plansYaml(
          ['version: 1', 'version: 2'],
          ['    rpo: 8h', '    rpo: 8 hours'],
          ['count: 7', 'count: 0'],
        ) + change(SILVER, '[ebs-volume]', '[ebs-volume, floppy]');

      // Act
      const { issues } = rejection(source);

      // Assess
      expect(issues.map(whereOf)).toHaveLength(4);
      expect(issues.map(whereOf)).toEqual(
        expect.arrayContaining([
          { file: FILE, planId: undefined, path: 'version', line: 1 },
          { file: FILE, planId: 'gold', path: 'rpo', line: lineOf(source, 'rpo: 8 hours') },
          { file: FILE, planId: 'gold', path: 'retention.count', line: lineOf(source, 'count: 0') },
          {
            file: FILE,
            planId: 'silver',
            path: 'selection.resourceTypes[1]',
            line: lineOf(source, 'floppy'),
          },
        ]),
      );
    });

    it('reports every cross-field problem of a plan, not just the first', () => {
      // Prepare
      const source = plansYaml(
        ['    rpo: 8h', '    rpo: 2h'],
        ['region: eu-central-1', 'region: eu-west-1'],
        ['      instanceClass: db.t3.medium\n', ''],
      );

      // Act
      const { issues } = rejection(source);

      // Assess
      expect(issues.map(whereOf)).toEqual([
        { file: FILE, planId: 'gold', path: 'rpo', line: lineOf(source, 'rpo: 2h') },
        { file: FILE, planId: 'gold', path: 'copies[0].region', line: lineOf(source, '- region: eu-west-1') },
        { file: FILE, planId: 'gold', path: 'drill.instanceClass', line: lineOf(source, 'drill:') },
      ]);
    });

    it('lists each problem in the error message as file:line:col: plan "id" field.path: message', () => {
      // Prepare
      const source = plansYaml(
        ['primaryRegion: eu-west-1', 'primaryRegion: mars-1'],
        ['    rpo: 8h', '    rpo: 8 hours'],
        ['count: 7', 'count: 0'],
      );

      // Act
      const error = rejection(source);

      // Assess
      expect(error.name).toBe('PlanValidationError');
      expect(error.message.split('\n')).toEqual([
        '3 problems in the backup plans; nothing was changed:',
        `  - ${FILE}:2:16: primaryRegion: unknown Region "mars-1" (expected an AWS Region name such as eu-west-1)`,
        `  - ${FILE}:${lineOf(source, 'rpo: 8 hours')}:10: plan "gold" rpo: "8 hours" is not a duration such as 30m, 8h, 1d12h or 2w (units m, h, d, w) (the recovery point objective)`,
        `  - ${FILE}:${lineOf(source, 'count: 0')}:14: plan "gold" retention.count: must be at least 1 (how many newest points to keep)`,
      ]);
    });
  });
});

describe('parsePlansFile for engine: dlm plans', () => {
  /** A plan Data Lifecycle Manager can run; every test changes one thing in it, as text, so line numbers are real. */
  const DLM_BASE = `version: 1
primaryRegion: eu-west-1
plans:
  - id: bronze
    engine: dlm
    selection:
      resourceTypes: [ec2-instance]
    schedule:
      expression: cron(0 */4 * * ? *)
      timezone: UTC
    rpo: 8h
    rto: 4h
    retention:
      count: 6
      tiers:
        daily: 7
        weekly: 4
    copies:
      - region: eu-central-1
        kmsKeyId: arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
        retention:
          maxAge: 30d
`;
  const dlmYaml = (...changes: Array<[find: string, replacement: string]>) => changes.reduce((source, [find, replacement]) => change(source, find, replacement), DLM_BASE);

  it('accepts a plan DLM can express: every 4 hours, daily and weekly tiers, one encrypted copy kept by age', () => {
    // Act
    const config = parsePlansFile(DLM_BASE, FILE);

    // Assess
    expect(config.plans[0]).toMatchObject({ id: 'bronze', engine: 'dlm' });
  });

  it.each<[string, Array<[string, string]>, string, string, string]>([
    ['an interval DLM does not run', [['cron(0 */4 * * ? *)', 'rate(5 hours)']], 'schedule.expression', 'rate(5 hours)', 'every 1, 2, 3, 4, 6, 8, 12 or 24 hours'],
    ['a 30-minute interval', [['cron(0 */4 * * ? *)', 'rate(30 minutes)'], ['rpo: 8h', 'rpo: 1h']], 'schedule.expression', 'rate(30 minutes)', 'rate(30 minutes) is none of those'],
    ['a cron in a zone with daylight saving time', [['timezone: UTC', 'timezone: Europe/Paris']], 'schedule.timezone', 'timezone: Europe/Paris', 'suggest'],
    ['more schedules than a policy holds', [['        weekly: 4\n', '        weekly: 4\n        monthly: 12\n        yearly: 3\n']], 'retention.tiers', 'tiers:', 'needs 5 Data Lifecycle Manager schedules'],
    [
      'more than 3 copy Regions',
      [['        retention:\n          maxAge: 30d\n', '        retention:\n          maxAge: 30d\n' + ['us-east-1', 'us-west-2', 'ap-south-1'].map((region) => `      - region: ${region}\n        encrypted: false\n        retention: { maxAge: 30d }\n`).join('')]],
      'copies',
      'copies:',
      'at most 3 Regions',
    ],
    ['volumes and instances in one plan', [['[ec2-instance]', '[ebs-volume, ec2-instance]']], 'selection.resourceTypes', 'resourceTypes: [ebs-volume, ec2-instance]', 'one resource type'],
    ['a copy kept by count', [['          maxAge: 30d', '          count: 30']], 'copies[0].retention', '        retention:', 'by age only'],
    ['a copy key given as an alias', [['arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'alias/backup-dr']], 'copies[0].kmsKeyId', 'alias/backup-dr', "full ARN"],
  ])('rejects %s at the field, saying why and suggesting engine: lambda', (_, changes, path, lineText, why) => {
    // Prepare
    const source = dlmYaml(...changes);

    // Act
    const issue = onlyIssue(source);

    // Assess
    expect(whereOf(issue)).toEqual({ file: FILE, planId: 'bronze', path, line: lineOf(source, lineText) });
    if (why !== 'suggest') expect(issue.message).toContain(why);
    expect(issue.message).toContain('Data Lifecycle Manager');
    expect(issue.message).toContain('engine: lambda');
  });

  it('suggests writing a daylight-saving zone schedule in UTC', () => {
    const issue = onlyIssue(dlmYaml(['timezone: UTC', 'timezone: Europe/Paris']));

    expect(issue.message).toContain('Europe/Paris changes its UTC offset (daylight saving time)');
    expect(issue.message).toContain('timezone: UTC');
  });

  it('still reports RDS under engine dlm once, without the DLM translation repeating it', () => {
    const { issues } = rejection(dlmYaml(['[ec2-instance]', '[ec2-instance, rds-instance]']));

    expect(issues.map((issue) => issue.path)).toEqual(['selection.resourceTypes[1]']);
  });
});
