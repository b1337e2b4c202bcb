import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { BadInputError } from './errors.js';
import type { Plan, PlansConfig, ResourceType } from './plan-schema.js';
import { TAG, type Tags } from './recovery-point-tags.js';
import type { SnapshotKind, StoredRecoveryPoint } from './recovery-points.js';
import { copyCompletedAtOf } from './copies.js';
import { formatDuration, HOUR_MS, MINUTE_MS } from './durations.js';

/** What a drill restores: a volume per EBS snapshot, one RDS instance, or one Aurora cluster with one instance. */
export type RestoreKind = 'ebs-volume' | 'rds-instance' | 'aurora-cluster';

/** Who started the drill, for the report. */
export const DRILL_TRIGGERS = ['cli', 'schedule', 'console'] as const;
export type DrillTrigger = (typeof DRILL_TRIGGERS)[number];


/**
 * Timing rules. The restore may take up to twice the RTO (so an over-RTO restore is still measured, and fails
 * on its number rather than on a timeout), never less than 30 min nor more than 24 h. Drill resources expire
 * 3 h after that deadline, which leaves time for validation and cleanup before the janitor may step in.
 */
export const DRILL_TIMING = {
  rtoTimeoutFactor: 2,
  minRestoreTimeoutMs: 30 * MINUTE_MS,
  maxRestoreTimeoutMs: 24 * HOUR_MS,
  expiryMarginMs: 3 * HOUR_MS,
  /** A `startedAt` in the input may be this much later than the execution's start (clock skew), no more. */
  startSkewMs: MINUTE_MS,
  /**
   * A `startedAt` may be at most this much earlier than the execution's start: EventBridge Scheduler gives up on
   * a drill schedule 1 h after its scheduled time (MaximumEventAgeInSeconds, infra/drill-schedules.ts), plus the
   * skew. An older start would put the restore's deadline and expiry in the past before it is even made.
   */
  maxStartDelayMs: HOUR_MS + MINUTE_MS,
  /**
   * EC2 describe calls are eventually consistent: a restored resource the service does not show yet is waited
   * for this long after the restore was requested, and counts as a failed restore after that.
   */
  notVisibleGraceMs: 5 * MINUTE_MS,
} as const;

const isoTime = (field: string) =>
  z.iso.datetime({ offset: true, error: `${field} must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z` });

const drillInputSchema = z.strictObject({
  planId: z
    .string({ error: (issue) => (issue.input === undefined ? 'planId is required: the id of the plan to drill, e.g. "gold"' : 'planId must be a plan id string') })
    .check(z.minLength(1, { error: 'planId must not be empty' })),
  resourceId: z.optional(
    z.string({ error: 'resourceId must be a resource id string such as vol-0abc or orders-db' }).check(z.minLength(1, { error: 'resourceId must not be empty' })),
  ),
  region: z.optional(z.string({ error: 'region must be "primary", "dr" or a Region name' }).check(z.minLength(1, { error: 'region must not be empty' }))),
  startedAt: z.optional(isoTime('startedAt')),
  trigger: z.optional(z.enum(DRILL_TRIGGERS, { error: `trigger must be one of ${DRILL_TRIGGERS.join(', ')}` })),
});

/** A drill as asked for by the execution input (CLI, console or schedule). */
export interface DrillRequest {
  planId: string;
  resourceId?: string;
  region?: string;
  startedAt?: Date;
  trigger: DrillTrigger;
}

/**
 * Parses the restore-drill execution input; anything else is a BadInputError naming every problem, so a typo
 * typed into the console (`plan` for `planId`) is answered precisely.
 */
export function parseDrillRequest(input: unknown): DrillRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BadInputError('the restore drill input must be a JSON object', ['e.g. {"planId": "gold", "resourceId": "vol-0abc", "region": "dr"}']);
  }
  const parsed = drillInputSchema.safeParse(input, { jitless: true });
  if (!parsed.success) {
    throw new BadInputError(
      'the restore drill input is not valid',
      parsed.error.issues.map((issue) =>
        issue.code === 'unrecognized_keys' ? `unexpected field(s) ${issue.keys.join(', ')} (allowed: ${Object.keys(drillInputSchema.shape).join(', ')})` : issue.message,
      ),
    );
  }
  const { planId, resourceId, region, startedAt, trigger } = parsed.data;
  return {
    planId,
    ...(resourceId ? { resourceId } : {}),
    ...(region ? { region } : {}),
    ...(startedAt ? { startedAt: new Date(startedAt) } : {}),
    trigger: trigger ?? 'console',
  };
}

/** The Step Functions execution running the drill, from the context object. */
export interface DrillExecution {
  id: string;
  name: string;
  startTime: string;
}

/** The plan's drill settings as one drill applies them; network settings only in the Region they were written for. */
export interface AppliedDrillSettings {
  instanceClass: string | null;
  subnetGroup: string | null;
  securityGroupIds: string[];
  availabilityZone: string | null;
  validationFunction: string | null;
  /** True when the plan has network settings for another Region than the drill's, so they were left out. */
  networkSettingsSkipped: boolean;
}

/** Everything later steps need to know about one drill; JSON-safe (it travels through the state machine). */
export interface DrillContext {
  id: string;
  executionArn: string;
  trigger: DrillTrigger;
  planId: string;
  /** Where the drill restores: the primary Region or a DR Region holding copies. */
  region: string;
  regionRole: 'primary' | 'dr';
  /** The resource to drill, or null to let the selection pick the one with the newest recovery point. */
  resourceId: string | null;
  startedAt: string;
  restoreDeadline: string;
  expiresAt: string;
  rpoMs: number;
  rtoMs: number;
  restoreTimeoutMs: number;
  settings: AppliedDrillSettings;
}

/**
 * Resolves `primary`, `dr` or a Region name to the Region to restore in. `dr` is the plan's first copy
 * Region; a named Region must be the primary Region or one the plan copies to (where its points are).
 */
export function resolveDrillRegion(config: PlansConfig, plan: Plan, requested: string | undefined): { region: string; role: 'primary' | 'dr' } {
  const wanted = requested ?? plan.drill?.region ?? 'primary';
  const copyRegions = plan.copies.map((copy) => copy.region);
  if (wanted === 'primary' || wanted === config.primaryRegion) return { region: config.primaryRegion, role: 'primary' };
  if (wanted === 'dr') {
    const first = copyRegions[0];
    if (!first) {
      throw new BadInputError(`plan "${plan.id}" has no DR Region: it copies its recovery points nowhere`, [
        'drill in the primary Region (region "primary"), or add a copy rule to the plan',
      ]);
    }
    return { region: first, role: 'dr' };
  }
  if (copyRegions.includes(wanted)) return { region: wanted, role: 'dr' };
  throw new BadInputError(`plan "${plan.id}" has no recovery points in "${wanted}"`, [
    `allowed regions: primary, ${copyRegions.length ? 'dr, ' : ''}${[config.primaryRegion, ...copyRegions].join(', ')}`,
  ]);
}

/** How long the restore may take before the drill gives up waiting (see DRILL_TIMING). */
export function restoreTimeoutMs(rtoMs: number): number {
  return Math.min(DRILL_TIMING.maxRestoreTimeoutMs, Math.max(DRILL_TIMING.minRestoreTimeoutMs, rtoMs * DRILL_TIMING.rtoTimeoutFactor));
}

/**
 * The drill id: start minute plus a hash of the execution ARN, e.g. `drill-20261126-1500-3f9a0c1d`. The same
 * execution always gets the same id, so a retried step finds what an earlier attempt created; short enough
 * for an EC2 ClientToken and, prefixed, an RDS identifier.
 */
export function drillIdFor(executionArn: string, startedAt: Date): string {
  const stamp = startedAt.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const hash = createHash('sha256').update(executionArn).digest('hex').slice(0, 8);
  return `drill-${stamp}-${hash}`;
}

/** RDS identifier of a drill's restored instance or cluster (`bo-drill-…`); IAM allows deletes only on these. */
export function drillDatabaseIdentifier(drillId: string, member?: number): string {
  return member === undefined ? `bo-${drillId}` : `bo-${drillId}-${member}`;
}

function applySettings(config: PlansConfig, plan: Plan, region: string): AppliedDrillSettings {
  const drill = plan.drill;
  const settingsRegion = drill?.region === 'dr' ? plan.copies[0]?.region : !drill || drill.region === 'primary' ? config.primaryRegion : drill.region;
  const applies = settingsRegion === region;
  const hasNetwork = Boolean(drill && (drill.subnetGroup || drill.securityGroupIds.length || drill.availabilityZone));
  return {
    instanceClass: drill?.instanceClass ?? null,
    subnetGroup: applies ? (drill?.subnetGroup ?? null) : null,
    securityGroupIds: applies ? (drill?.securityGroupIds ?? []) : [],
    availabilityZone: applies ? (drill?.availabilityZone ?? null) : null,
    validationFunction: drill?.validationFunction ?? null,
    networkSettingsSkipped: hasNetwork && !applies,
  };
}

/**
 * Turns a parsed request into the drill's context: plan, Region, clock and settings. The start is the
 * execution's start unless the input names an earlier one (the scheduler sends its scheduled time): a start
 * later than the execution's would understate the RTO, and one earlier than any schedule delivery
 * (DRILL_TIMING.maxStartDelayMs) would restore an old point already past its expiry, so both are refused.
 */
export function planDrill(config: PlansConfig, plan: Plan, request: DrillRequest, execution: DrillExecution): DrillContext {
  const { region, role } = resolveDrillRegion(config, plan, request.region);
  const executionStart = new Date(execution.startTime);
  if (Number.isNaN(executionStart.getTime())) throw new BadInputError(`the execution start time "${execution.startTime}" is not a time`);
  const startedAt = request.startedAt ?? executionStart;
  if (startedAt.getTime() > executionStart.getTime() + DRILL_TIMING.startSkewMs) {
    throw new BadInputError(`startedAt ${startedAt.toISOString()} is after the execution started (${executionStart.toISOString()})`, [
      'a drill cannot start after its execution; leave startedAt out to use the execution start',
    ]);
  }
  const earliest = new Date(executionStart.getTime() - DRILL_TIMING.maxStartDelayMs);
  if (startedAt.getTime() < earliest.getTime()) {
    throw new BadInputError(
      `startedAt ${startedAt.toISOString()} is more than ${formatDuration(DRILL_TIMING.maxStartDelayMs)} before the execution started (${executionStart.toISOString()})`,
      [
        `the earliest accepted startedAt is ${earliest.toISOString()}: a drill schedule starts its execution at most 1 h after its scheduled time, and a restore timed from an older start would be past its deadline and expiry before it was made`,
        'leave startedAt out to use the execution start',
      ],
    );
  }
  const timeoutMs = restoreTimeoutMs(plan.rtoMs);
  const deadline = new Date(startedAt.getTime() + timeoutMs);
  return {
    id: drillIdFor(execution.id, startedAt),
    executionArn: execution.id,
    trigger: request.trigger,
    planId: plan.id,
    region,
    regionRole: role,
    resourceId: request.resourceId ?? null,
    startedAt: startedAt.toISOString(),
    restoreDeadline: deadline.toISOString(),
    expiresAt: new Date(deadline.getTime() + DRILL_TIMING.expiryMarginMs).toISOString(),
    rpoMs: plan.rpoMs,
    rtoMs: plan.rtoMs,
    restoreTimeoutMs: timeoutMs,
    settings: applySettings(config, plan, region),
  };
}

/** Tags on every resource a drill creates: ownership (what IAM deletes are conditioned on), drill id and expiry. */
export function drillResourceTags(stack: string, drill: Pick<DrillContext, 'id' | 'planId' | 'expiresAt'>): Tags {
  return {
    Name: `restore ${drill.id}`,
    [TAG.stack]: stack,
    [TAG.plan]: drill.planId,
    [TAG.drillId]: drill.id,
    [TAG.expiresAt]: drill.expiresAt,
  };
}

/** When a drill resource may be deleted by the janitor; undefined when its tag is missing or unreadable. */
export function drillExpiry(tags: Tags): Date | undefined {
  const value = tags[TAG.expiresAt];
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * The time a recovery point holds data from: a DR copy's source time (so copy lag counts against the RPO),
 * else its slot.
 */
export function recoveryPointDataTime(point: StoredRecoveryPoint): Date {
  const source = point.tags[TAG.sourceTime];
  const time = source ? Date.parse(source) : Number.NaN;
  return Number.isNaN(time) ? point.time : new Date(time);
}

/**
 * When a recovery point became restorable: the latest completion time among its snapshots (EBS CompletionTime,
 * else the completion a copy's tag records; see copyCompletedAtOf). Undefined when none of them says.
 */
export function recoveryPointAvailableAt(point: Pick<StoredRecoveryPoint, 'snapshots'>): Date | undefined {
  const times = point.snapshots.flatMap((snapshot) => copyCompletedAtOf(snapshot)?.getTime() ?? []);
  return times.length ? new Date(Math.max(...times)) : undefined;
}

/**
 * The latest completed recovery point of `resourceId` (or, without one, of the resource whose latest completed
 * point is newest; ties go to the lowest resource id). Points are compared by the time they hold data from.
 */
export function latestCompletedPoint(points: readonly StoredRecoveryPoint[], resourceId: string | null): StoredRecoveryPoint | undefined {
  const candidates = points.filter((point) => point.state === 'completed' && point.slot && (resourceId === null || point.resourceId === resourceId));
  return [...candidates].sort(
    (a, b) => recoveryPointDataTime(b).getTime() - recoveryPointDataTime(a).getTime() || a.resourceId.localeCompare(b.resourceId),
  )[0];
}

/** One snapshot of a selected recovery point, as the restore needs it. */
export interface SelectedSnapshot {
  kind: SnapshotKind;
  id: string;
  arn: string | null;
  sizeGiB: number | null;
}

/** The recovery point a drill restores, and the RPO it achieves. */
export interface SelectedRecoveryPoint {
  id: string;
  resourceId: string;
  resourceType: ResourceType;
  region: string;
  slot: string;
  /** When the point's data is from (a copy's source time); achieved RPO = drill start − this. */
  dataTime: string;
  isCopy: boolean;
  achievedRpoMs: number;
  snapshots: SelectedSnapshot[];
}

const RESTORE_KIND_OF: Record<ResourceType, RestoreKind> = {
  'ebs-volume': 'ebs-volume',
  'ec2-instance': 'ebs-volume',
  'rds-instance': 'rds-instance',
  'aurora-cluster': 'aurora-cluster',
};

/** What restoring a resource type makes: an instance's point is restored as its volumes. */
export function restoreKindOf(type: ResourceType): RestoreKind {
  return RESTORE_KIND_OF[type];
}

/** Describes a point for the next steps; the RPO is measured from the drill's start. */
export function describeSelectedPoint(point: StoredRecoveryPoint, drill: Pick<DrillContext, 'startedAt'>): SelectedRecoveryPoint {
  const dataTime = recoveryPointDataTime(point);
  const resourceType = point.resourceType ?? (point.snapshots[0]?.kind === 'rds-cluster' ? 'aurora-cluster' : point.snapshots[0]?.kind === 'rds-instance' ? 'rds-instance' : 'ebs-volume');
  return {
    id: point.id,
    resourceId: point.resourceId,
    resourceType,
    region: point.region,
    slot: point.slot,
    dataTime: dataTime.toISOString(),
    isCopy: TAG.sourceRegion in point.tags || TAG.sourceTime in point.tags,
    achievedRpoMs: Date.parse(drill.startedAt) - dataTime.getTime(),
    snapshots: [...point.snapshots]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((snapshot) => ({ kind: snapshot.kind, id: snapshot.id, arn: snapshot.arn ?? null, sizeGiB: snapshot.sizeGiB ?? null })),
  };
}
