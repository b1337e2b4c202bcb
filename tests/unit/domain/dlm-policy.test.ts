import { describe, expect, it } from '@jest/globals';
import {
  desiredDlmPolicy,
  diffDlmPolicies,
  dlmPlanIssues,
  dlmPolicyDescription,
  DlmPlanError,
  flattenDlmPolicy,
  needsNewDlmPolicy,
  type DlmPolicy,
  type DlmPolicyLike,
} from '../../../shared/domain/dlm-policy.js';
import type { Plan } from '../../../shared/domain/plan-schema.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';

const CONTEXT = { stack: 'bo-prod', primaryRegion: 'eu-west-1', executionRoleArn: 'arn:aws:iam::123456789012:role/bo-prod-dlm' };
const KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OURS = [
  { Key: 'backup-orchestrator:stack', Value: 'bo-prod' },
  { Key: 'backup-orchestrator:plan', Value: 'gold' },
  { Key: 'backup-orchestrator:resource-type', Value: 'ebs-volume' },
  { Key: 'backup-orchestrator:engine', Value: 'dlm' },
];

interface PlanText {
  engine?: 'dlm' | 'lambda';
  types?: string;
  tagValues?: string;
  expression?: string;
  timezone?: string;
  retention?: string;
  copies?: string;
  copySourceTags?: string;
}

/**
 * One plan from plans-file text. Rejection tests parse it with engine: lambda (which accepts what DLM cannot
 * express) and then ask the DLM translation; acceptance tests parse it with engine: dlm, so validation agrees.
 */
function plan(text: PlanText = {}): Plan {
  const source = [
    'version: 1',
    'primaryRegion: eu-west-1',
    'plans:',
    '  - id: gold',
    `    engine: ${text.engine ?? 'dlm'}`,
    '    selection:',
    `      resourceTypes: [${text.types ?? 'ebs-volume'}]`,
    ...(text.tagValues ? [`      tagValues: [${text.tagValues}]`] : []),
    '    schedule:',
    `      expression: ${text.expression ?? 'cron(0 2 * * ? *)'}`,
    `      timezone: ${text.timezone ?? 'UTC'}`,
    '    rpo: 400d',
    '    rto: 1h',
    ...(text.copySourceTags ? ['    snapshot:', `      copySourceTags: [${text.copySourceTags}]`] : []),
    '    retention:',
    ...(text.retention ?? 'count: 14').split('\n').map((line) => `      ${line}`),
    ...(text.copies ? ['    copies:', ...text.copies.split('\n').map((line) => `      ${line}`)] : []),
  ].join('\n');
  const parsed = parsePlansFile(source, 'plans.yml').plans[0];
  if (!parsed) throw new Error('test setup: no plan');
  return parsed;
}

const policyOf = (text: PlanText = {}) => desiredDlmPolicy(plan(text), CONTEXT);
const schedulesOf = (text: PlanText) => policyOf(text).PolicyDetails.Schedules;
/** The issues of a plan DLM cannot express, as `path: message`. */
const issuesOf = (text: PlanText) => dlmPlanIssues(plan({ ...text, engine: 'lambda' })).map((issue) => `${issue.path.join('.')}: ${issue.message}`);

describe('desiredDlmPolicy', () => {
  it('maps a volume plan to one enabled EBS snapshot policy: target, schedule, retention, tags, role and description', () => {
    // Act
    const policy = policyOf({ tagValues: 'gold, gold-db' });

    // Assess
    const expected: DlmPolicy = {
      Description: 'backup-orchestrator bo-prod plan gold',
      State: 'ENABLED',
      ExecutionRoleArn: CONTEXT.executionRoleArn,
      Tags: { 'backup-orchestrator:stack': 'bo-prod', 'backup-orchestrator:plan': 'gold' },
      PolicyDetails: {
        PolicyType: 'EBS_SNAPSHOT_MANAGEMENT',
        ResourceTypes: ['VOLUME'],
        ResourceLocations: ['CLOUD'],
        TargetTags: [
          { Key: 'backup:plan', Value: 'gold' },
          { Key: 'backup:plan', Value: 'gold-db' },
        ],
        Schedules: [
          {
            Name: 'schedule',
            CopyTags: false,
            TagsToAdd: OURS,
            VariableTags: [],
            CreateRule: { Location: 'CLOUD', CronExpression: 'cron(0 2 * * ? *)' },
            RetainRule: { Count: 14 },
            CrossRegionCopyRules: [],
          },
        ],
      },
    };
    expect(policy).toEqual(expected);
  });

  it('maps an instance plan to an INSTANCE policy that keeps the boot volume and tags each snapshot with its instance and run', () => {
    // Act
    const policy = policyOf({ types: 'ec2-instance' });

    // Assess
    expect(policy.PolicyDetails.ResourceTypes).toEqual(['INSTANCE']);
    expect(policy.PolicyDetails.Parameters).toEqual({ ExcludeBootVolume: false });
    expect(policy.PolicyDetails.Schedules[0]?.VariableTags).toEqual([
      { Key: 'backup-orchestrator:resource-id', Value: '$(instance-id)' },
      { Key: 'backup-orchestrator:dlm-run', Value: '$(timestamp)' },
    ]);
    expect(policy.PolicyDetails.Schedules[0]?.TagsToAdd).toContainEqual({ Key: 'backup-orchestrator:resource-type', Value: 'ec2-instance' });
  });

  it('copies the source tags onto the snapshots when the plan asks for any', () => {
    expect(schedulesOf({ copySourceTags: 'Name' })[0]?.CopyTags).toBe(true);
  });

  it.each([
    ['rate(4 hours)', 4],
    ['rate(1 hour)', 1],
    ['rate(60 minutes)', 1],
    ['rate(12 hours)', 12],
    ['rate(1 day)', 24],
  ])('runs %s as an interval of %i hours from midnight UTC', (expression, hours) => {
    expect(schedulesOf({ expression })[0]?.CreateRule).toEqual({ Location: 'CLOUD', Interval: hours, IntervalUnit: 'HOURS', Times: ['00:00'] });
  });

  it('starts an interval at local midnight in a zone with a constant offset, so runs line up with local days', () => {
    expect(schedulesOf({ expression: 'rate(6 hours)', timezone: 'Asia/Kolkata' })[0]?.CreateRule.Times).toEqual(['18:30']);
  });

  it('converts a cron in a zone with a constant offset to the same instants in UTC, across midnight when it runs every day', () => {
    // Act
    const everyFourHours = schedulesOf({ expression: 'cron(0 */4 * * ? *)', timezone: 'Asia/Kolkata' })[0]?.CreateRule;
    const weekdayMornings = schedulesOf({ expression: 'cron(0 9 ? * MON-FRI *)', timezone: 'Asia/Kolkata' })[0]?.CreateRule;
    const evenings = schedulesOf({ expression: 'cron(0 20 * * ? *)', timezone: 'America/Bogota' })[0]?.CreateRule;

    // Assess
    expect(everyFourHours).toEqual({ Location: 'CLOUD', CronExpression: 'cron(30 2,6,10,14,18,22 * * ? *)' });
    expect(weekdayMornings).toEqual({ Location: 'CLOUD', CronExpression: 'cron(30 3 ? * MON-FRI *)' });
    expect(evenings).toEqual({ Location: 'CLOUD', CronExpression: 'cron(0 1 * * ? *)' });
  });

  it('keeps count snapshots, never fewer than minKeep, or whole days for maxAge', () => {
    expect(schedulesOf({ retention: 'count: 3\nminKeep: 5' })[0]?.RetainRule).toEqual({ Count: 5 });
    expect(schedulesOf({ retention: 'maxAge: 2w' })[0]?.RetainRule).toEqual({ Interval: 14, IntervalUnit: 'DAYS' });
  });

  it('folds a tier into the schedule count when every run is the first of its period, and keeps the larger count', () => {
    // Act
    const daily = schedulesOf({ expression: 'cron(0 2 * * ? *)', retention: 'count: 3\ntiers: { daily: 7 }' });
    const hourly = schedulesOf({ expression: 'rate(1 hour)', retention: 'tiers: { hourly: 48 }' });
    const weeklyBase = schedulesOf({ expression: 'cron(0 2 ? * SUN *)', retention: 'tiers: { daily: 7, weekly: 4 }' });

    // Assess
    expect(daily.map((schedule) => [schedule.Name, schedule.RetainRule])).toEqual([['schedule', { Count: 7 }]]);
    expect(hourly.map((schedule) => [schedule.Name, schedule.RetainRule])).toEqual([['schedule', { Count: 48 }]]);
    expect(weeklyBase.map((schedule) => [schedule.Name, schedule.RetainRule])).toEqual([['schedule', { Count: 7 }]]);
  });

  it('drops a tier that maxAge already covers', () => {
    expect(schedulesOf({ expression: 'cron(0 2 * * ? *)', retention: 'maxAge: 30d\ntiers: { daily: 7 }' }).map((schedule) => schedule.Name)).toEqual(['schedule']);
  });

  it('gives each tier the schedule runs more often than its own schedule, a few minutes after the first run of the day, keeping the tier count', () => {
    // Act
    const schedules = schedulesOf({ expression: 'cron(15 */6 * * ? *)', retention: 'tiers: { daily: 7, weekly: 4, monthly: 12 }' });

    // Assess
    expect(schedules.map((schedule) => [schedule.Name, schedule.CreateRule, schedule.RetainRule])).toEqual([
      ['schedule', { Location: 'CLOUD', CronExpression: 'cron(15 */6 * * ? *)' }, { Count: 1 }],
      ['daily', { Location: 'CLOUD', Interval: 24, IntervalUnit: 'HOURS', Times: ['00:16'] }, { Count: 7 }],
      ['weekly', { Location: 'CLOUD', CronExpression: 'cron(17 0 ? * MON *)' }, { Count: 4 }],
      ['monthly', { Location: 'CLOUD', CronExpression: 'cron(18 0 1 * ? *)' }, { Count: 12 }],
    ]);
    expect(new Set(schedules.map((schedule) => schedule.TagsToAdd))).toEqual(new Set([OURS]));
  });

  it('moves tier schedules to the UTC day holding the local period start in zones east and west of UTC', () => {
    // Act
    const east = schedulesOf({ expression: 'rate(6 hours)', timezone: 'Asia/Kolkata', retention: 'tiers: { weekly: 4, monthly: 12, yearly: 3 }' });
    const west = schedulesOf({ expression: 'cron(0 20,23 * * ? *)', timezone: 'America/Bogota', retention: 'tiers: { weekly: 4, monthly: 12, yearly: 3 }' });

    // Assess: local Monday 00:02 in Kolkata is Sunday 18:32 UTC; local Monday 20:02 in Bogota is Tuesday 01:02 UTC.
    expect(east.slice(1).map((schedule) => schedule.CreateRule.CronExpression)).toEqual(['cron(32 18 ? * SUN *)', 'cron(33 18 L * ? *)', 'cron(34 18 31 12 ? *)']);
    expect(west.slice(1).map((schedule) => schedule.CreateRule.CronExpression)).toEqual(['cron(2 1 ? * TUE *)', 'cron(3 1 2 * ? *)', 'cron(4 1 2 1 ? *)']);
  });

  it('copies every schedule to each copy Region with its key, our tags and the copy retention in days', () => {
    // Act
    const schedules = schedulesOf({
      retention: 'maxAge: 7d\ntiers: { weekly: 4 }',
      copies: `- region: eu-central-1\n  kmsKeyId: ${KEY_ARN}\n  retention: { maxAge: 30d }\n- region: us-east-1\n  encrypted: false\n  retention: { maxAge: 2w }`,
    });

    // Assess
    expect(schedules.map((schedule) => schedule.Name)).toEqual(['schedule', 'weekly']);
    for (const schedule of schedules) {
      expect(schedule.CrossRegionCopyRules).toEqual([
        { Target: 'eu-central-1', Encrypted: true, CmkArn: KEY_ARN, CopyTags: true, RetainRule: { Interval: 30, IntervalUnit: 'DAYS' } },
        { Target: 'us-east-1', Encrypted: false, CopyTags: true, RetainRule: { Interval: 14, IntervalUnit: 'DAYS' } },
      ]);
    }
  });

  it('uses a copy rule that inherits a plan retention kept by age', () => {
    const rule = schedulesOf({ retention: 'maxAge: 10d', copies: `- region: eu-central-1\n  kmsKeyId: ${KEY_ARN}` })[0]?.CrossRegionCopyRules[0];
    expect(rule?.RetainRule).toEqual({ Interval: 10, IntervalUnit: 'DAYS' });
  });

  it('writes a description DLM accepts: only letters, digits, spaces, hyphens and underscores, at most 500 characters', () => {
    expect(dlmPolicyDescription('bo.prod/eu', 'gold')).toBe('backup-orchestrator bo-prod-eu plan gold');
    expect(dlmPolicyDescription('x'.repeat(600), 'gold')).toHaveLength(500);
  });

  it('throws DlmPlanError with every reason for a plan DLM cannot express', () => {
    // Prepare
    const rejected = plan({ engine: 'lambda', expression: 'rate(5 hours)', retention: 'count: 3\nmaxAge: 7d' });

    // Act
    const error = (() => {
      try {
        desiredDlmPolicy(rejected, CONTEXT);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();

    // Assess
    expect(error).toBeInstanceOf(DlmPlanError);
    expect(error).toMatchObject({ name: 'DlmPlanError', planId: 'gold' });
    expect((error as DlmPlanError).issues.map((issue) => issue.path.join('.'))).toEqual(['schedule.expression', 'retention']);
  });
});

describe('dlmPlanIssues', () => {
  it('accepts a plan DLM can express', () => {
    expect(issuesOf({})).toEqual([]);
  });

  it.each<[string, PlanText, string, string]>([
    ['RDS resources', { types: 'ebs-volume, rds-instance' }, 'selection.resourceTypes', 'cannot back up rds-instance'],
    ['volumes and instances in one plan', { types: 'ebs-volume, ec2-instance' }, 'selection.resourceTypes', 'split this plan into one plan for ebs-volume and one for ec2-instance'],
    ['more than 50 target tags', { tagValues: Array.from({ length: 51 }, (_, i) => `v${i}`).join(', ') }, 'selection.tagValues', 'at most 50 tags'],
    ['an interval DLM does not run (5 hours)', { expression: 'rate(5 hours)' }, 'schedule.expression', 'every 1, 2, 3, 4, 6, 8, 12 or 24 hours'],
    ['an interval DLM does not run (30 minutes)', { expression: 'rate(30 minutes)' }, 'schedule.expression', 'rate(30 minutes) is none of those'],
    ['an interval DLM does not run (2 days)', { expression: 'rate(2 days)' }, 'schedule.expression', 'rate(2 days) is none of those'],
    ['a cron less than an hour apart', { expression: 'cron(0,30 * * * ? *)' }, 'schedule.expression', 'at least 1 hour between runs'],
    ['a cron in a zone with daylight saving time', { expression: 'cron(0 2 * * ? *)', timezone: 'Europe/Paris' }, 'schedule.timezone', 'Europe/Paris changes its UTC offset (daylight saving time)'],
    [
      'a tier schedule in a zone with daylight saving time',
      { expression: 'rate(6 hours)', timezone: 'Europe/Paris', retention: 'tiers: { daily: 7 }' },
      'schedule.timezone',
      'so the daily tier schedule cannot be one fixed UTC schedule',
    ],
    [
      'a weekday cron that moves to another UTC day',
      { expression: 'cron(0 2 ? * MON-FRI *)', timezone: 'Asia/Kolkata' },
      'schedule.expression',
      'some of its runs fall on another day in UTC than in local time',
    ],
    ['count together with maxAge', { retention: 'count: 7\nmaxAge: 7d' }, 'retention', 'either by count or by age, not both'],
    ['a maxAge that is not whole days', { retention: 'maxAge: 36h' }, 'retention.maxAge', 'whole number of days'],
    ['a maxAge shorter than minKeep runs', { retention: 'maxAge: 1d' }, 'retention.maxAge', 'at least 1 d 1 h'],
    ['a tier maxAge does not cover', { retention: 'maxAge: 3d\ntiers: { daily: 7 }' }, 'retention.tiers.daily', 'cannot keep one schedule\'s snapshots by age and by count'],
    [
      'more than 4 schedules',
      { expression: 'cron(0 */6 * * ? *)', retention: 'tiers: { daily: 7, weekly: 4, monthly: 12, yearly: 3 }' },
      'retention.tiers',
      'needs 5 Data Lifecycle Manager schedules',
    ],
    ['more than 1000 snapshots', { retention: 'count: 1001' }, 'retention.count', 'at most 1000 snapshots per schedule'],
    [
      'more than 3 copy Regions',
      {
        retention: 'maxAge: 7d',
        copies: ['eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1'].map((region) => `- region: ${region}\n  encrypted: false`).join('\n'),
      },
      'copies',
      'at most 3 Regions',
    ],
    ['a copy inheriting a count retention', { copies: '- region: us-east-1\n  encrypted: false' }, 'copies.0', "inherits the plan's retention, which keeps by count or tiers"],
    ['a copy kept by count', { retention: 'maxAge: 7d', copies: '- region: us-east-1\n  encrypted: false\n  retention: { count: 3 }' }, 'copies.0.retention', 'copies by age only'],
    ['a copy maxAge that is not whole days', { retention: 'maxAge: 7d', copies: '- region: us-east-1\n  encrypted: false\n  retention: { maxAge: 60h }' }, 'copies.0.retention.maxAge', 'whole number of days'],
    ['a copy key given as an alias', { retention: 'maxAge: 7d', copies: '- region: eu-central-1\n  kmsKeyId: alias/backup-dr' }, 'copies.0.kmsKeyId', "needs the key's full ARN"],
  ])('rejects %s, saying why and suggesting engine: lambda', (_, text, path, why) => {
    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(`${path}: `);
    expect(issues[0]).toContain(why);
    expect(issues[0]).toContain('engine: lambda');
  });
});

describe('diffDlmPolicies', () => {
  const desired = () => policyOf({ retention: 'maxAge: 7d', copies: `- region: eu-central-1\n  kmsKeyId: ${KEY_ARN}` });
  /** A copy of the policy as DLM may return it: defaults left out. */
  function asReturnedByDlm(policy: DlmPolicy): DlmPolicyLike {
    const copy = structuredClone(policy) as DlmPolicyLike;
    delete copy.PolicyDetails?.ResourceLocations;
    for (const schedule of copy.PolicyDetails?.Schedules ?? []) {
      delete schedule.CreateRule?.Location;
      delete schedule.VariableTags;
      delete schedule.CopyTags;
    }
    return copy;
  }

  it('finds nothing to change in a live policy equal to the desired one, even when DLM leaves out defaults', () => {
    expect(diffDlmPolicies(desired(), asReturnedByDlm(desired()))).toEqual([]);
  });

  it('lists each drifted field with its live and desired values', () => {
    // Prepare
    const live = asReturnedByDlm(desired());
    const schedule = live.PolicyDetails?.Schedules?.[0];
    if (!schedule?.RetainRule || !schedule.CrossRegionCopyRules?.[0]) throw new Error('test setup');
    schedule.RetainRule.Interval = 3;
    schedule.CrossRegionCopyRules[0].Encrypted = false;
    live.State = 'DISABLED';
    live.PolicyDetails!.TargetTags = [{ Key: 'backup:plan', Value: 'silver' }];

    // Act
    const changes = diffDlmPolicies(desired(), live);

    // Assess
    expect(changes).toEqual([
      'State: DISABLED → ENABLED',
      'TargetTags: backup:plan=silver → backup:plan=gold',
      'Schedules[schedule].RetainRule.Interval: 3 → 7',
      'Schedules[schedule].CrossRegionCopyRules[eu-central-1].Encrypted: false → true',
    ]);
  });

  it('reports a schedule or copy rule present on one side only as one line', () => {
    // Prepare
    const live = asReturnedByDlm(desired());
    live.PolicyDetails!.Schedules!.push({ Name: 'hand-made', CreateRule: { CronExpression: 'cron(0 5 * * ? *)' }, RetainRule: { Count: 2 } });
    live.PolicyDetails!.Schedules![0]!.CrossRegionCopyRules = [];

    // Act
    const changes = diffDlmPolicies(desired(), live);

    // Assess
    expect(changes).toEqual([
      `Schedules[schedule].CrossRegionCopyRules[eu-central-1]: added (encrypted with ${KEY_ARN}, kept 7 days)`,
      'Schedules[hand-made]: removed (cron(0 5 * * ? *), keep 2)',
    ]);
  });

  it('treats settings this stack never makes, such as fast snapshot restore, as drift to remove', () => {
    const live = asReturnedByDlm(desired());
    live.PolicyDetails!.Schedules![0]!.FastRestoreRule = { Count: 1, AvailabilityZones: ['eu-west-1a'] };

    expect(diffDlmPolicies(desired(), live)).toEqual(['Schedules[schedule].FastRestoreRule: set → (none)']);
  });

  it('describes a whole new policy field by field, each schedule on one line', () => {
    expect(diffDlmPolicies(policyOf(), {})).toEqual([
      'Description: (none) → backup-orchestrator bo-prod plan gold',
      'State: (none) → ENABLED',
      `ExecutionRoleArn: (none) → ${CONTEXT.executionRoleArn}`,
      'ResourceTypes: (none) → VOLUME',
      'TargetTags: (none) → backup:plan=gold',
      'Schedules[schedule]: added (cron(0 2 * * ? *), keep 14)',
    ]);
  });

  it('says a change of resource type or from count to age retention needs a new policy, and other changes do not', () => {
    // Prepare
    const volumes = policyOf();
    const instances = policyOf({ types: 'ec2-instance' });

    // Act + Assess
    expect(needsNewDlmPolicy(instances, volumes)).toBe(true);
    expect(needsNewDlmPolicy(policyOf({ retention: 'maxAge: 7d' }), volumes)).toBe(true);
    expect(needsNewDlmPolicy(policyOf({ retention: 'count: 3' }), volumes)).toBe(false);
    expect(needsNewDlmPolicy(policyOf({ expression: 'cron(0 */6 * * ? *)', retention: 'count: 3\ntiers: { daily: 7 }' }), volumes)).toBe(false);
    expect(flattenDlmPolicy(instances).get('Parameters.ExcludeBootVolume')).toBe('false');
  });
});
