/**
 * Plan → Amazon Data Lifecycle Manager (DLM) lifecycle policy, as a pure function, plus the field-by-field
 * comparison sync-dlm uses to tell a live policy from the one a plan asks for. No SDK types here: the plain
 * shapes below mirror the CreateLifecyclePolicy / UpdateLifecyclePolicy fields this module sets, and
 * shared/aws/dlm-policy-store.ts maps them to and from @aws-sdk/client-dlm.
 *
 * One `engine: dlm` plan becomes one EBS snapshot policy (PolicyType EBS_SNAPSHOT_MANAGEMENT):
 * - Target: ResourceTypes [VOLUME] for ebs-volume or [INSTANCE] for ec2-instance (DLM takes exactly one type
 *   per policy, so a plan selecting both is rejected: split it in two plans); TargetTags = the plan's
 *   selection tag key with each of its values (DLM targets resources carrying any of them).
 * - Schedule `schedule`: the plan's schedule. rate(N hours) with N in 1, 2, 3, 4, 6, 8, 12, 24 (also rate(1 day)
 *   and rate(60 minutes)) → Interval N HOURS from local midnight; cron(...) → CronExpression in UTC, the only
 *   time zone DLM knows. A cron in another zone is converted exactly when the zone's UTC offset never changes
 *   (e.g. Asia/Kolkata) and no run moves to another day (or the cron runs every day); zones with daylight
 *   saving time cannot be one fixed UTC cron and are rejected (use timezone: UTC, or engine: lambda).
 * - Its retention: `count` → RetainRule Count (at least minKeep); `maxAge` → RetainRule Interval in DAYS (whole
 *   days only, and long enough that DLM always holds minKeep snapshots — a run may start up to 1 h late); with
 *   tiers only → Count minKeep. DLM keeps by count or by age per schedule, never both: count + maxAge is rejected.
 * - Tiers (grandfather-father-son): when the plan's schedule never runs twice in one hour/day/ISO week/month/
 *   year, every run is the first of its period, so tier N is "the newest N runs": it is merged into the count of
 *   `schedule` (or dropped when maxAge already keeps N runs). Otherwise the tier gets a schedule of its own
 *   (named after it) that snapshots once per period near the period's first run of the plan — daily: every 24 h;
 *   weekly: cron on Monday; monthly: on the 1st; yearly: on 1 January — retaining Count N. These schedules run
 *   1-4 minutes after the plan's first run of the day so no two schedules are due at the same time. A policy
 *   has at most 4 schedules; a plan needing more is rejected.
 * - Copies: one CrossRegionCopyRule per copy Region (at most 3) on every schedule, Encrypted with the copy's key
 *   (DLM needs a key ARN), CopyTags true (so copies carry our tags and are found as ours in the DR Region), and
 *   RetainRule by age: DLM keeps cross-Region copies by age only, so a copy's retention must be a maxAge.
 * - Tags: TagsToAdd = ownership, plan, resource type and `engine: dlm`; instance policies also get VariableTags
 *   resource-id = $(instance-id) and dlm-run = $(timestamp) (DLM allows variable tags on instance policies only),
 *   so the volume snapshots of one instance in one run form one recovery point. Schedule CopyTags carries the
 *   source's tags when the plan asks for any (DLM copies all of them, a superset of snapshot.copySourceTags).
 *   Policy tags: ownership + plan, which is how sync-dlm recognises its policies.
 * - Not mapped, because DLM handles them itself: errorGrace (DLM retries and reports its own failures) and
 *   keepLastWhenSourceGone (DLM keeps the last snapshot of a deleted source, as this stack does).
 */
import { DAY_MS, formatDuration, HOUR_MS } from './durations.js';
import type { CopyRule, Plan, ResourceType } from './plan-schema.js';
import { TAG } from './recovery-point-tags.js';
import type { RetentionPolicy, RetentionTiers } from './retention-planner.js';
import { occurrencesBetween, type CronExpression } from './schedule-expression.js';
import { isoWeekOf, isValidTimezone, localFields, offsetMinutesAt } from './zoned-time.js';

export type DlmResourceType = 'VOLUME' | 'INSTANCE';
export type DlmRetentionUnit = 'DAYS' | 'WEEKS' | 'MONTHS' | 'YEARS';

export interface DlmTag {
  Key: string;
  Value: string;
}

export interface DlmCreateRule {
  Location: 'CLOUD';
  Interval?: number;
  IntervalUnit?: 'HOURS';
  Times?: string[];
  CronExpression?: string;
}

export interface DlmRetainRule {
  Count?: number;
  Interval?: number;
  IntervalUnit?: DlmRetentionUnit;
}

export interface DlmCrossRegionCopyRule {
  Target: string;
  Encrypted: boolean;
  CmkArn?: string;
  CopyTags: boolean;
  RetainRule: { Interval: number; IntervalUnit: DlmRetentionUnit };
}

export interface DlmSchedule {
  Name: string;
  CopyTags: boolean;
  TagsToAdd: DlmTag[];
  /** Instance policies only (empty for volume policies). */
  VariableTags: DlmTag[];
  CreateRule: DlmCreateRule;
  RetainRule: DlmRetainRule;
  CrossRegionCopyRules: DlmCrossRegionCopyRule[];
}

export interface DlmPolicyDetails {
  PolicyType: 'EBS_SNAPSHOT_MANAGEMENT';
  ResourceTypes: [DlmResourceType];
  ResourceLocations: ['CLOUD'];
  TargetTags: DlmTag[];
  Schedules: DlmSchedule[];
  /** Instance policies only: the boot volume is part of the recovery point, as with engine: lambda. */
  Parameters?: { ExcludeBootVolume: boolean };
}

/** What CreateLifecyclePolicy (and, without Tags, UpdateLifecyclePolicy) receives for one plan. */
export interface DlmPolicy {
  Description: string;
  State: 'ENABLED';
  ExecutionRoleArn: string;
  PolicyDetails: DlmPolicyDetails;
  Tags: Record<string, string>;
}

/** A policy as read back from DLM: every field optional, unknown settings kept so drift is visible. */
export interface DlmPolicyLike {
  Description?: string;
  State?: string;
  ExecutionRoleArn?: string;
  PolicyDetails?: {
    PolicyType?: string;
    ResourceTypes?: string[];
    ResourceLocations?: string[];
    TargetTags?: DlmTag[];
    Parameters?: { ExcludeBootVolume?: boolean; ExcludeDataVolumeTags?: DlmTag[] };
    Schedules?: Array<{
      Name?: string;
      CopyTags?: boolean;
      TagsToAdd?: DlmTag[];
      VariableTags?: DlmTag[];
      CreateRule?: { Location?: string; Interval?: number; IntervalUnit?: string; Times?: string[]; CronExpression?: string; Scripts?: unknown[] };
      RetainRule?: { Count?: number; Interval?: number; IntervalUnit?: string };
      CrossRegionCopyRules?: Array<{
        Target?: string;
        TargetRegion?: string;
        Encrypted?: boolean;
        CmkArn?: string;
        CopyTags?: boolean;
        RetainRule?: { Interval?: number; IntervalUnit?: string };
        DeprecateRule?: unknown;
      }>;
      FastRestoreRule?: unknown;
      ShareRules?: unknown[];
      ArchiveRule?: unknown;
      DeprecateRule?: unknown;
    }>;
    /** Event-based policy settings: never part of ours. */
    EventSource?: unknown;
    Actions?: unknown[];
  };
}

/** One reason a plan cannot run on DLM; `path` is relative to the plan, like the plans-file issues. */
export interface DlmPlanIssue {
  path: (string | number)[];
  message: string;
}

/** A plan handed to desiredDlmPolicy that DLM cannot express (validation normally stops it earlier). */
export class DlmPlanError extends Error {
  override readonly name = 'DlmPlanError';
  constructor(
    readonly planId: string,
    readonly issues: readonly DlmPlanIssue[],
  ) {
    super(`plan ${planId} cannot run on Data Lifecycle Manager: ${issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
}

export interface DlmPolicyContext {
  /** Value of the ownership tag (STACK_NAME). */
  stack: string;
  primaryRegion: string;
  /** The IAM role DLM assumes to snapshot, copy and delete (infra/resources/sync-dlm-role.yml). */
  executionRoleArn: string;
}

/** Limits of the DLM API (botocore dlm 2018-01-12 model and the DLM API reference). */
export const DLM_LIMITS = {
  intervalHours: [1, 2, 3, 4, 6, 8, 12, 24],
  schedulesPerPolicy: 4,
  copyRegionsPerSchedule: 3,
  retainCount: 1000,
  retainDays: 36_500,
  targetTags: 50,
  descriptionLength: 500,
  cronExpressionLength: 106,
} as const;

const YEAR_MS = 366 * DAY_MS;
/** Interval schedules start "within a one-hour window following the specified time" (DLM API reference). */
const DLM_START_WINDOW_MS = HOUR_MS;
/** A fixed window to evaluate schedules in, so results never depend on the clock (as plan-schema does). */
const SAMPLE_FROM = new Date('2026-01-01T00:00:00Z');
const SAMPLE_DAYS = 800;
const OFFSET_SAMPLE_DAYS = 3_653;
const CRON_YEARS = 2199 - 1970 + 1;
const LAMBDA = 'or use engine: lambda for this plan';

type TierName = keyof RetentionTiers;
const TIERS: readonly TierName[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];
const TIER_PERIOD: Record<TierName, string> = { hourly: 'hour', daily: 'day', weekly: 'ISO week', monthly: 'month', yearly: 'year' };
/** Minutes after the plan's first run of the day at which a tier's own schedule runs: never at the same time as another. */
const TIER_OFFSET_MINUTES: Record<Exclude<TierName, 'hourly'>, number> = { daily: 1, weekly: 2, monthly: 3, yearly: 4 };

const RESOURCE_TYPE: Partial<Record<ResourceType, DlmResourceType>> = { 'ebs-volume': 'VOLUME', 'ec2-instance': 'INSTANCE' };
const KEY_ARN = /^arn:aws(-[a-z]{1,3}){0,2}:kms:([a-z]+-){2,3}\d:\d+:key\/.+$/;

const offsetCache = new Map<string, number | null>();

/**
 * The zone's UTC offset in minutes when it is the same every day of the next ten years (no daylight saving
 * time), else undefined: only then is a local time one fixed UTC time.
 */
export function constantUtcOffsetMinutes(timezone: string): number | undefined {
  if (!offsetCache.has(timezone)) {
    const first = isValidTimezone(timezone) ? offsetMinutesAt(timezone, SAMPLE_FROM.getTime()) : Number.NaN;
    let constant = !Number.isNaN(first);
    for (let day = 1; constant && day <= OFFSET_SAMPLE_DAYS; day++) constant = offsetMinutesAt(timezone, SAMPLE_FROM.getTime() + day * DAY_MS) === first;
    offsetCache.set(timezone, constant ? first : null);
  }
  return offsetCache.get(timezone) ?? undefined;
}

const mod = (value: number, by: number) => ((value % by) + by) % by;
const pad2 = (value: number) => String(value).padStart(2, '0');
const hhmm = (minuteOfDay: number) => `${pad2(Math.floor(mod(minuteOfDay, 1440) / 60))}:${pad2(mod(minuteOfDay, 60))}`;
const formatOffset = (minutes: number) => `UTC${minutes < 0 ? '-' : '+'}${pad2(Math.floor(Math.abs(minutes) / 60))}:${pad2(Math.abs(minutes) % 60)}`;

function cronFields(cron: CronExpression): string[] {
  return cron.source.trim().slice('cron('.length, -1).trim().split(/\s+/);
}

/** True when the cron fires on every calendar day (only its times of day are restricted). */
function runsEveryDay(cron: CronExpression): boolean {
  const everyDayOfMonth = cron.dayOfMonth.kind === 'days' && cron.dayOfMonth.days.length === 31 && cron.dayOfWeek.kind === 'any';
  const everyDayOfWeek = cron.dayOfWeek.kind === 'days' && cron.dayOfWeek.days.length === 7 && cron.dayOfMonth.kind === 'any';
  return (everyDayOfMonth || everyDayOfWeek) && cron.months.length === 12 && cron.years.length === CRON_YEARS;
}

/** The same schedule as a UTC cron, or why one cron cannot say it. */
function cronInUtc(cron: CronExpression, offsetMinutes: number): { expression: string } | { problem: string } {
  const [, , dayOfMonth = '', month = '', dayOfWeek = '', year = ''] = cronFields(cron);
  if (offsetMinutes === 0) return { expression: `cron(${cronFields(cron).join(' ')})` };
  const times = new Set<number>();
  let movesDay = false;
  for (const hour of cron.hours) {
    for (const minute of cron.minutes) {
      const utc = hour * 60 + minute - offsetMinutes;
      if (utc < 0 || utc >= 1440) movesDay = true;
      times.add(mod(utc, 1440));
    }
  }
  const minutes = [...new Set([...times].map((time) => time % 60))].sort((a, b) => a - b);
  const hours = [...new Set([...times].map((time) => Math.floor(time / 60)))].sort((a, b) => a - b);
  if (minutes.length * hours.length !== times.size) return { problem: 'its run times do not form one minutes × hours grid in UTC' };
  if (movesDay && !runsEveryDay(cron)) return { problem: 'some of its runs fall on another day in UTC than in local time' };
  return { expression: `cron(${minutes.join(',')} ${hours.join(',')} ${dayOfMonth} ${month} ${dayOfWeek} ${year})` };
}

/** The calendar period a run belongs to in the plan's zone (hours carry their offset: a repeated DST hour is another hour). */
function periodKey(ms: number, timezone: string, tier: TierName): string {
  const local = localFields(timezone, ms);
  switch (tier) {
    case 'hourly':
      return `${local.year}-${local.month}-${local.day}T${local.hour} ${local.offsetMinutes}`;
    case 'daily':
      return `${local.year}-${local.month}-${local.day}`;
    case 'weekly': {
      const { weekYear, week } = isoWeekOf(local);
      return `${weekYear}-W${week}`;
    }
    case 'monthly':
      return `${local.year}-${local.month}`;
    case 'yearly':
      return `${local.year}`;
  }
}

function runsAtMostOncePer(occurrences: readonly number[], timezone: string, tier: TierName): boolean {
  const seen = new Set<string>();
  for (const ms of occurrences) {
    const key = periodKey(ms, timezone, tier);
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/** A tier's own schedule: once per period, `offset` minutes after the plan's first run of the local day. */
function tierCreateRule(tier: Exclude<TierName, 'hourly'>, firstRunLocalMinute: number, offsetMinutes: number): DlmCreateRule {
  const utc = firstRunLocalMinute + TIER_OFFSET_MINUTES[tier] - offsetMinutes;
  const dayShift = Math.floor(utc / 1440);
  const minute = mod(utc, 60);
  const hour = Math.floor(mod(utc, 1440) / 60);
  switch (tier) {
    case 'daily':
      return { Location: 'CLOUD', Interval: 24, IntervalUnit: 'HOURS', Times: [hhmm(utc)] };
    case 'weekly':
      return { Location: 'CLOUD', CronExpression: `cron(${minute} ${hour} ? * ${['SUN', 'MON', 'TUE'][dayShift + 1]} *)` };
    case 'monthly':
      return { Location: 'CLOUD', CronExpression: `cron(${minute} ${hour} ${['L', '1', '2'][dayShift + 1]} * ? *)` };
    case 'yearly':
      return { Location: 'CLOUD', CronExpression: `cron(${minute} ${hour} ${['31 12', '1 1', '2 1'][dayShift + 1]} ? *)` };
  }
}

function wholeDays(ms: number): number | undefined {
  return ms % DAY_MS === 0 ? ms / DAY_MS : undefined;
}

function tagList(tags: Record<string, string>): DlmTag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** DLM descriptions allow only letters, digits, spaces, hyphens and underscores, up to 500 characters. */
export function dlmPolicyDescription(stack: string, planId: string): string {
  return `backup-orchestrator ${stack} plan ${planId}`.replace(/[^0-9A-Za-z _-]/g, '-').slice(0, DLM_LIMITS.descriptionLength);
}

interface Translation {
  issues: DlmPlanIssue[];
  policy?: DlmPolicy;
}

function translate(plan: Plan, context: DlmPolicyContext): Translation {
  const issues: DlmPlanIssue[] = [];
  const issue = (path: (string | number)[], message: string) => issues.push({ path, message });
  const { expression, timezone } = plan.schedule;

  // Target.
  const types = [...new Set(plan.selection.resourceTypes)];
  const unsupported = types.filter((type) => !RESOURCE_TYPE[type]);
  if (unsupported.length) {
    issue(['selection', 'resourceTypes'], `Data Lifecycle Manager cannot back up ${unsupported.join(', ')} (only ebs-volume and ec2-instance); ${LAMBDA}`);
  } else if (types.length > 1) {
    issue(
      ['selection', 'resourceTypes'],
      'a Data Lifecycle Manager policy targets one resource type (volumes or instances) and each plan becomes one policy: split this plan into one plan for ebs-volume and one for ec2-instance, ' +
        LAMBDA,
    );
  }
  const resourceType = types.length === 1 && types[0] ? RESOURCE_TYPE[types[0]] : undefined;
  if (plan.selection.tagValues.length > DLM_LIMITS.targetTags) {
    issue(['selection', 'tagValues'], `a Data Lifecycle Manager policy targets at most ${DLM_LIMITS.targetTags} tags, this plan selects ${plan.selection.tagValues.length} values; ${LAMBDA}`);
  }

  // The plan's schedule.
  const offset = constantUtcOffsetMinutes(timezone);
  const dstMessage = (what: string) =>
    `Data Lifecycle Manager runs schedules in UTC only, and ${timezone} changes its UTC offset (daylight saving time), so ${what} cannot be one fixed UTC schedule: write the schedule in UTC (timezone: UTC), ${LAMBDA}`;
  const occurrences = occurrencesBetween(expression, timezone, SAMPLE_FROM, new Date(SAMPLE_FROM.getTime() + SAMPLE_DAYS * DAY_MS)).map((date) => date.getTime());
  const gaps = occurrences.slice(1).map((time, index) => time - (occurrences[index] as number));
  const longestGap = gaps.length ? Math.max(...gaps) : Infinity;
  let scheduleRule: DlmCreateRule | undefined;
  let firstRunLocalMinute = 0;
  if (expression.kind === 'rate') {
    const hours = expression.intervalMs / HOUR_MS;
    if (!(DLM_LIMITS.intervalHours as readonly number[]).includes(hours)) {
      issue(
        ['schedule', 'expression'],
        `Data Lifecycle Manager runs every 1, 2, 3, 4, 6, 8, 12 or 24 hours or on a cron() schedule, and ${expression.source} is none of those: use one of those intervals or a cron() expression, ${LAMBDA}`,
      );
    } else {
      // Runs count from local midnight, so tiers line up with the plan's days.
      scheduleRule = { Location: 'CLOUD', Interval: hours, IntervalUnit: 'HOURS', Times: [hhmm(-(offset ?? 0))] };
    }
  } else {
    firstRunLocalMinute = (expression.hours[0] ?? 0) * 60 + (expression.minutes[0] ?? 0);
    const shortestGap = gaps.length ? Math.min(...gaps) : Infinity;
    if (offset === undefined) {
      issue(['schedule', 'timezone'], dstMessage(expression.source));
    } else {
      const converted = cronInUtc(expression, offset);
      if ('problem' in converted) {
        issue(
          ['schedule', 'expression'],
          `Data Lifecycle Manager runs cron schedules in UTC only, and in ${timezone} (${formatOffset(offset)}) ${expression.source} cannot be one UTC cron: ${converted.problem}; write the schedule in UTC (timezone: UTC), ${LAMBDA}`,
        );
      } else if (converted.expression.length > DLM_LIMITS.cronExpressionLength) {
        issue(['schedule', 'expression'], `in UTC this schedule is ${converted.expression}, longer than the ${DLM_LIMITS.cronExpressionLength} characters Data Lifecycle Manager accepts; ${LAMBDA}`);
      } else {
        scheduleRule = { Location: 'CLOUD', CronExpression: converted.expression };
      }
    }
    if (shortestGap < HOUR_MS) {
      issue(['schedule', 'expression'], `Data Lifecycle Manager needs at least 1 hour between runs, but ${expression.source} runs ${formatDuration(shortestGap)} apart; ${LAMBDA}`);
    } else if (longestGap > YEAR_MS && Number.isFinite(longestGap)) {
      issue(['schedule', 'expression'], `Data Lifecycle Manager needs a run at least once a year, but ${expression.source} leaves ${formatDuration(longestGap)} between runs; ${LAMBDA}`);
    }
  }

  // Retention of the plan's own schedule, and which tiers it serves.
  const retention = plan.retention;
  /** Age that always holds `keep` runs of the schedule, even when a run starts late. */
  const ageHolding = (keep: number) => keep * longestGap + DLM_START_WINDOW_MS;
  let ageDays: number | undefined;
  let scheduleCount = 0;
  const byAge = retention.maxAgeMs !== undefined;
  if (retention.count !== undefined && retention.maxAgeMs !== undefined) {
    issue(['retention'], `Data Lifecycle Manager keeps a schedule's snapshots either by count or by age, not both: keep only count or only maxAge (tiers may go with either), ${LAMBDA}`);
  } else if (retention.maxAgeMs !== undefined) {
    ageDays = wholeDays(retention.maxAgeMs);
    if (ageDays === undefined || ageDays > DLM_LIMITS.retainDays) {
      issue(['retention', 'maxAge'], `Data Lifecycle Manager keeps snapshots for a whole number of days (1 to ${DLM_LIMITS.retainDays}), and ${formatDuration(retention.maxAgeMs)} is not; ${LAMBDA}`);
    } else if (Number.isFinite(longestGap) && retention.maxAgeMs < ageHolding(retention.minKeep)) {
      issue(
        ['retention', 'maxAge'],
        `Data Lifecycle Manager keeps these snapshots by age only, so maxAge must cover minKeep (${retention.minKeep}) runs of ${expression.source} plus the hour a run may start late: at least ${formatDuration(ageHolding(retention.minKeep))}; raise maxAge, use count, ${LAMBDA}`,
      );
    }
  } else {
    scheduleCount = Math.max(retention.count ?? 0, retention.minKeep);
  }

  const tierSchedules: Array<{ tier: Exclude<TierName, 'hourly'>; count: number }> = [];
  for (const tier of TIERS) {
    const count = retention.tiers?.[tier];
    if (!count) continue;
    if (runsAtMostOncePer(occurrences, timezone, tier)) {
      // Every run is the first of its period: the tier keeps the newest `count` runs of the schedule itself.
      if (!byAge) scheduleCount = Math.max(scheduleCount, count);
      else if (retention.count === undefined && (retention.maxAgeMs as number) < ageHolding(count)) {
        issue(
          ['retention', 'tiers', tier],
          `every run of ${expression.source} is the first of its ${TIER_PERIOD[tier]}, so the ${tier} tier means "the newest ${count} runs", which maxAge ${formatDuration(retention.maxAgeMs as number)} does not cover; Data Lifecycle Manager cannot keep one schedule's snapshots by age and by count: drop maxAge or this tier, ${LAMBDA}`,
        );
      }
    } else if (tier !== 'hourly') {
      tierSchedules.push({ tier, count });
    } else {
      issue(['retention', 'tiers', tier], `${expression.source} runs more than once in some hour, and Data Lifecycle Manager cannot run an hourly tier of its own; ${LAMBDA}`);
    }
  }
  if (!byAge && scheduleCount > DLM_LIMITS.retainCount) {
    issue(['retention', retention.count === scheduleCount ? 'count' : 'tiers'], `Data Lifecycle Manager keeps at most ${DLM_LIMITS.retainCount} snapshots per schedule, this plan keeps ${scheduleCount}; ${LAMBDA}`);
  }
  for (const { tier, count } of tierSchedules) {
    if (count > DLM_LIMITS.retainCount) issue(['retention', 'tiers', tier], `Data Lifecycle Manager keeps at most ${DLM_LIMITS.retainCount} snapshots per schedule; ${LAMBDA}`);
  }
  if (tierSchedules.length && offset === undefined && !issues.some((found) => found.path.join('.') === 'schedule.timezone')) {
    issue(['schedule', 'timezone'], dstMessage(`the ${tierSchedules.map((entry) => entry.tier).join(', ')} tier schedule`));
  }
  if (1 + tierSchedules.length > DLM_LIMITS.schedulesPerPolicy) {
    issue(
      ['retention', 'tiers'],
      `this plan needs ${1 + tierSchedules.length} Data Lifecycle Manager schedules (its own, plus one each for the ${tierSchedules.map((entry) => entry.tier).join(', ')} tiers, which ${expression.source} runs more often than), but a policy holds at most ${DLM_LIMITS.schedulesPerPolicy}: drop a tier, ${LAMBDA}`,
    );
  }

  // Cross-Region copies.
  if (plan.copies.length > DLM_LIMITS.copyRegionsPerSchedule) {
    issue(['copies'], `Data Lifecycle Manager copies to at most ${DLM_LIMITS.copyRegionsPerSchedule} Regions, this plan copies to ${plan.copies.length}; ${LAMBDA}`);
  }
  const copyRules: DlmCrossRegionCopyRule[] = [];
  plan.copies.forEach((copy, index) => {
    const rule = copyRule(copy, index, plan.retention, longestGap, issue);
    if (rule) copyRules.push(rule);
  });

  if (issues.length || !scheduleRule || !resourceType) return { issues };

  const tagsToAdd = tagList({ [TAG.stack]: context.stack, [TAG.plan]: plan.id, [TAG.resourceType]: types[0] as string, [TAG.engine]: 'dlm' });
  const variableTags = resourceType === 'INSTANCE' ? tagList({ [TAG.resourceId]: '$(instance-id)', [TAG.dlmRun]: '$(timestamp)' }) : [];
  const schedule = (Name: string, CreateRule: DlmCreateRule, RetainRule: DlmRetainRule): DlmSchedule => ({
    Name,
    CopyTags: plan.snapshot.copySourceTags.length > 0,
    TagsToAdd: tagsToAdd,
    VariableTags: variableTags,
    CreateRule,
    RetainRule,
    CrossRegionCopyRules: copyRules,
  });
  const schedules = [
    schedule('schedule', scheduleRule, ageDays !== undefined ? { Interval: ageDays, IntervalUnit: 'DAYS' } : { Count: scheduleCount }),
    ...tierSchedules.map(({ tier, count }) => schedule(tier, tierCreateRule(tier, firstRunLocalMinute, offset ?? 0), { Count: count })),
  ];
  return {
    issues,
    policy: {
      Description: dlmPolicyDescription(context.stack, plan.id),
      State: 'ENABLED',
      ExecutionRoleArn: context.executionRoleArn,
      Tags: { [TAG.stack]: context.stack, [TAG.plan]: plan.id },
      PolicyDetails: {
        PolicyType: 'EBS_SNAPSHOT_MANAGEMENT',
        ResourceTypes: [resourceType],
        ResourceLocations: ['CLOUD'],
        TargetTags: plan.selection.tagValues.map((Value) => ({ Key: plan.selection.tagKey, Value })),
        Schedules: schedules,
        ...(resourceType === 'INSTANCE' ? { Parameters: { ExcludeBootVolume: false } } : {}),
      },
    },
  };
}

function copyRule(
  copy: CopyRule,
  index: number,
  planRetention: RetentionPolicy,
  longestGap: number,
  issue: (path: (string | number)[], message: string) => void,
): DlmCrossRegionCopyRule | undefined {
  const inherited = copy.retention === planRetention;
  const where = inherited ? ['copies', index] : ['copies', index, 'retention'];
  const { retention } = copy;
  let days: number | undefined;
  if (retention.count !== undefined || retention.tiers || retention.maxAgeMs === undefined) {
    const keepsBy = retention.maxAgeMs === undefined ? 'count or tiers' : 'maxAge together with count or tiers';
    issue(
      where,
      `Data Lifecycle Manager keeps cross-Region copies by age only, and this copy rule ${inherited ? "inherits the plan's retention, which keeps" : 'keeps'} by ${keepsBy}: give the copy rule its own retention: { maxAge: <whole days> }, ${LAMBDA}`,
    );
  } else {
    days = wholeDays(retention.maxAgeMs);
    if (days === undefined || days > DLM_LIMITS.retainDays) {
      issue([...where, 'maxAge'], `Data Lifecycle Manager keeps copies for a whole number of days (1 to ${DLM_LIMITS.retainDays}), and ${formatDuration(retention.maxAgeMs)} is not; ${LAMBDA}`);
      days = undefined;
    } else if (Number.isFinite(longestGap) && retention.maxAgeMs < retention.minKeep * longestGap + DLM_START_WINDOW_MS) {
      issue(
        [...where, 'maxAge'],
        `Data Lifecycle Manager keeps copies by age, so maxAge must cover minKeep (${retention.minKeep}) runs of the schedule plus the hour a run may start late: at least ${formatDuration(retention.minKeep * longestGap + DLM_START_WINDOW_MS)}; ${LAMBDA}`,
      );
      days = undefined;
    }
  }
  if (copy.encrypted && copy.kmsKeyId && !KEY_ARN.test(copy.kmsKeyId)) {
    issue(
      ['copies', index, 'kmsKeyId'],
      `Data Lifecycle Manager needs the key's full ARN (arn:aws:kms:${copy.region}:<account>:key/<key-id>), not an alias or key id; ${LAMBDA}`,
    );
    return undefined;
  }
  if (days === undefined) return undefined;
  return {
    Target: copy.region,
    Encrypted: copy.encrypted,
    ...(copy.encrypted && copy.kmsKeyId ? { CmkArn: copy.kmsKeyId } : {}),
    CopyTags: true,
    RetainRule: { Interval: days, IntervalUnit: 'DAYS' },
  };
}

/** Every reason the plan cannot run on DLM (empty when it can). Pure; used by plan validation. */
export function dlmPlanIssues(plan: Plan): DlmPlanIssue[] {
  return translate(plan, { stack: 'validation', primaryRegion: '', executionRoleArn: '' }).issues;
}

/**
 * The DLM lifecycle policy an `engine: dlm` plan stands for (see the module doc for the mapping); throws
 * DlmPlanError, listing every reason, for a plan DLM cannot express faithfully.
 */
export function desiredDlmPolicy(plan: Plan, context: DlmPolicyContext): DlmPolicy {
  const { issues, policy } = translate(plan, context);
  if (!policy) throw new DlmPlanError(plan.id, issues);
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

const NONE = '(none)';
const tagsText = (tags: readonly DlmTag[] | undefined) =>
  [...(tags ?? [])].map((tag) => `${tag.Key}=${tag.Value}`).sort().join(', ');

/**
 * The fields sync-dlm manages, flattened to `path → text` with DLM's defaults filled in, so a live policy that
 * omits a default compares equal. Settings this stack never sets (fast snapshot restore, sharing, archiving,
 * scripts, event sources) show as `set` so a hand-made addition is drift.
 */
export function flattenDlmPolicy(policy: DlmPolicyLike): Map<string, string> {
  const out = new Map<string, string>();
  const put = (key: string, value: unknown) => {
    if (value !== undefined && value !== '') out.set(key, String(value));
  };
  const details = policy.PolicyDetails ?? {};
  put('Description', policy.Description);
  put('State', policy.State);
  put('ExecutionRoleArn', policy.ExecutionRoleArn);
  put('PolicyType', details.PolicyType ?? 'EBS_SNAPSHOT_MANAGEMENT');
  put('ResourceTypes', (details.ResourceTypes ?? []).join(', '));
  put('ResourceLocations', (details.ResourceLocations ?? ['CLOUD']).join(', '));
  put('TargetTags', tagsText(details.TargetTags));
  if (details.ResourceTypes?.includes('INSTANCE')) put('Parameters.ExcludeBootVolume', details.Parameters?.ExcludeBootVolume ?? false);
  if (details.Parameters?.ExcludeDataVolumeTags?.length) put('Parameters.ExcludeDataVolumeTags', tagsText(details.Parameters.ExcludeDataVolumeTags));
  if (details.EventSource !== undefined) put('EventSource', 'set');
  if (details.Actions?.length) put('Actions', 'set');
  (details.Schedules ?? []).forEach((schedule, index) => {
    const at = `Schedules[${schedule.Name ?? `#${index + 1}`}]`;
    put(`${at}.CopyTags`, schedule.CopyTags ?? false);
    put(`${at}.TagsToAdd`, tagsText(schedule.TagsToAdd));
    put(`${at}.VariableTags`, tagsText(schedule.VariableTags));
    const create = schedule.CreateRule ?? {};
    put(`${at}.CreateRule.Location`, create.Location ?? 'CLOUD');
    put(`${at}.CreateRule.Interval`, create.Interval);
    put(`${at}.CreateRule.IntervalUnit`, create.IntervalUnit);
    put(`${at}.CreateRule.Times`, create.Times?.join(', '));
    put(`${at}.CreateRule.CronExpression`, create.CronExpression);
    if (create.Scripts?.length) put(`${at}.CreateRule.Scripts`, 'set');
    put(`${at}.RetainRule.Count`, schedule.RetainRule?.Count);
    put(`${at}.RetainRule.Interval`, schedule.RetainRule?.Interval);
    put(`${at}.RetainRule.IntervalUnit`, schedule.RetainRule?.IntervalUnit);
    if (schedule.FastRestoreRule !== undefined) put(`${at}.FastRestoreRule`, 'set');
    if (schedule.ShareRules?.length) put(`${at}.ShareRules`, 'set');
    if (schedule.ArchiveRule !== undefined) put(`${at}.ArchiveRule`, 'set');
    if (schedule.DeprecateRule !== undefined) put(`${at}.DeprecateRule`, 'set');
    for (const rule of schedule.CrossRegionCopyRules ?? []) {
      const copyAt = `${at}.CrossRegionCopyRules[${rule.Target ?? rule.TargetRegion ?? '?'}]`;
      put(`${copyAt}.Encrypted`, rule.Encrypted ?? false);
      put(`${copyAt}.CmkArn`, rule.CmkArn);
      put(`${copyAt}.CopyTags`, rule.CopyTags ?? false);
      put(`${copyAt}.RetainRule.Interval`, rule.RetainRule?.Interval);
      put(`${copyAt}.RetainRule.IntervalUnit`, rule.RetainRule?.IntervalUnit);
      if (rule.DeprecateRule !== undefined) put(`${copyAt}.DeprecateRule`, 'set');
    }
  });
  return out;
}

/** The schedule or copy rule a flattened key belongs to, so a whole one added or removed reads as one line. */
function groupOf(key: string): string | undefined {
  return /^Schedules\[[^\]]*\](?:\.CrossRegionCopyRules\[[^\]]*\])?/.exec(key)?.[0];
}

function describeGroup(group: string, fields: Map<string, string>): string {
  const get = (field: string) => fields.get(`${group}.${field}`);
  if (group.includes('.CrossRegionCopyRules[')) {
    return `${get('Encrypted') === 'true' ? `encrypted${get('CmkArn') ? ` with ${get('CmkArn')}` : ''}` : 'not encrypted'}, kept ${get('RetainRule.Interval') ?? '?'} ${(get('RetainRule.IntervalUnit') ?? '').toLowerCase()}`;
  }
  const when = get('CreateRule.CronExpression') ?? `every ${get('CreateRule.Interval') ?? '?'} h from ${get('CreateRule.Times') ?? '?'} UTC`;
  const keep = get('RetainRule.Count') ? `keep ${get('RetainRule.Count')}` : `keep ${get('RetainRule.Interval') ?? '?'} ${(get('RetainRule.IntervalUnit') ?? '').toLowerCase()}`;
  return `${when}, ${keep}`;
}

/**
 * What an update would change, one readable line per field (`path: live → desired`); a schedule or copy rule
 * present on one side only is one line. Empty when the live policy already matches.
 */
export function diffDlmPolicies(desired: DlmPolicyLike, live: DlmPolicyLike): string[] {
  const want = flattenDlmPolicy(desired);
  const have = flattenDlmPolicy(live);
  const groupsIn = (fields: Map<string, string>) => new Set([...fields.keys()].flatMap((key) => groupOf(key) ?? []));
  const wantGroups = groupsIn(want);
  const haveGroups = groupsIn(have);
  const lines: string[] = [];
  const reported = new Set<string>();
  for (const key of new Set([...want.keys(), ...have.keys()])) {
    const group = groupOf(key);
    const outer = group?.replace(/\.CrossRegionCopyRules\[.*$/, '');
    if (group && outer !== group && outer && wantGroups.has(outer) !== haveGroups.has(outer)) continue;
    if (group && wantGroups.has(group) !== haveGroups.has(group)) {
      if (reported.has(group)) continue;
      reported.add(group);
      lines.push(wantGroups.has(group) ? `${group}: added (${describeGroup(group, want)})` : `${group}: removed (${describeGroup(group, have)})`);
      continue;
    }
    const before = have.get(key) ?? NONE;
    const after = want.get(key) ?? NONE;
    if (before !== after) lines.push(`${key}: ${before} → ${after}`);
  }
  return lines;
}

/**
 * DLM cannot change a policy's type or resource type in place, nor turn a schedule's count-based retention into
 * an age-based one (or back): such a change needs a new policy.
 */
export function needsNewDlmPolicy(desired: DlmPolicyLike, live: DlmPolicyLike): boolean {
  const want = flattenDlmPolicy(desired);
  const have = flattenDlmPolicy(live);
  if (want.get('PolicyType') !== have.get('PolicyType') || want.get('ResourceTypes') !== have.get('ResourceTypes')) return true;
  const retainKind = (fields: Map<string, string>, schedule: string) =>
    fields.has(`${schedule}.RetainRule.Count`) ? 'count' : fields.has(`${schedule}.RetainRule.Interval`) ? 'age' : undefined;
  const schedules = new Set([...want.keys()].flatMap((key) => /^Schedules\[[^\]]*\]/.exec(key)?.[0] ?? []));
  return [...schedules].some((schedule) => {
    const before = retainKind(have, schedule);
    return before !== undefined && before !== retainKind(want, schedule);
  });
}
