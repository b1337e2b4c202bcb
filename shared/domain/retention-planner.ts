/**
 * Pure retention planner: decides, for the recovery points of one resource, which to keep and which to
 * delete. No AWS SDK, no I/O, no clock: everything it needs (including `now`) comes in as arguments, so
 * the same input always gives the same plan.
 *
 * Safety rules that hold whatever the policy says:
 * - the newest completed point of ours (of this plan) of a resource is never deleted;
 * - points not tagged as ours, or tagged for another plan, are never deleted and never counted;
 * - pending points are never deleted; pending and error points never count as good points;
 * - an empty policy (no positive count, maxAge or tier) deletes nothing;
 * - when the resource's latest scheduled backup failed, nothing of that resource is deleted;
 * - the only deletions are completed points of ours that no rule keeps (`expired`) and error points of
 *   ours older than the error grace (`error-past-grace`);
 * - malformed input (invalid dates, unknown time zone, negative counts…) throws a `RangeError` instead of
 *   producing a plan.
 */
import { isoWeekOf, isValidTimezone, localFields } from './zoned-time.js';
import { HOUR_MS } from './durations.js';

/** Lifecycle state of a recovery point, as reported by the service (EBS/RDS states are mapped onto these). */
export type PointState = 'pending' | 'completed' | 'error';

/** One recovery point: for an EC2 instance it may span several snapshots (one per volume), all taken in one slot. */
export interface RecoveryPoint {
  /** Unique key of the point (e.g. snapshot id, or resource+slot for multi-volume points); deletions are by this key. */
  id: string;
  /** Source resource (vol-…, i-…, db instance id, cluster id). */
  resourceId: string;
  /** When the point was taken (its slot/start time). */
  time: Date;
  state: PointState;
  tags: Record<string, string>;
}

/** Grandfather-father-son tiers: how many of the newest local hours/days/ISO weeks/months/years keep a point. */
export interface RetentionTiers {
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

/** What to keep of one resource's points. A point is kept when ANY rule keeps it. */
export interface RetentionPolicy {
  /** Keep the newest N completed points. */
  count?: number;
  /** Keep completed points strictly younger than this (points dated in the future count as young). */
  maxAgeMs?: number;
  /**
   * Grandfather-father-son: keep the first (earliest) completed point of each of the newest N local
   * hours/days/ISO weeks (Monday start)/months/years that have a completed point.
   */
  tiers?: RetentionTiers;
  /** Always keep at least this many newest completed points (an integer >= 1). */
  minKeep: number;
  /** When the source resource no longer exists, keep its newest completed point forever (it is anyway: see module doc). */
  keepLastWhenSourceGone: boolean;
  /** Our error points strictly older than this are deleted (cleanup); younger ones are kept for investigation. */
  errorGraceMs: number;
  /** IANA zone in which tiers are evaluated. */
  timezone: string;
}

/** Per-resource facts the planner needs besides the points themselves. */
export interface RetentionContext {
  /** The planning instant (ages are measured from it). */
  now: Date;
  /** A point is ours only if `tags[tagKey] === value`. */
  ownership: { tagKey: string; value: string };
  /** …and belongs to this plan only if `tags[tagKey] === planId`. */
  planTag: { tagKey: string; planId: string };
  /** The resource's latest scheduled backup failed: prune nothing of it this run. */
  latestScheduledBackupFailed: boolean;
  /** Whether the source resource still exists. */
  sourceExists: boolean;
}

/**
 * Why a point is kept. Besides the rules of the policy:
 * - `empty-policy`: the policy has no positive count, maxAge or tier, so nothing is deleted;
 * - `duplicate-id`: the input holds several points with this id that disagree (resource, time, state or
 *   ownership), so the planner cannot tell which one is right and keeps it without counting it as good.
 */
export type KeepReason =
  | 'not-ours'
  | 'other-plan'
  | 'newest-completed'
  | 'min-keep'
  | 'count'
  | 'max-age'
  | 'hourly'
  | 'daily'
  | 'weekly'
  | 'monthly'
  | 'yearly'
  | 'pending'
  | 'error-in-grace'
  | 'latest-backup-failed'
  | 'source-gone-last'
  | 'empty-policy'
  | 'duplicate-id';

/** Why a point is deleted: a completed point no rule keeps, or an error point of ours past its grace. */
export type DeleteReason = 'expired' | 'error-past-grace';

/** The plan for one point. `reasons` lists every rule that keeps it, in the order of {@link KEEP_REASON_ORDER}. */
export type RetentionDecision =
  | { id: string; action: 'keep'; reasons: KeepReason[] }
  | { id: string; action: 'delete'; reason: DeleteReason };

/** The stable order in which keep reasons are listed in a decision. */
export const KEEP_REASON_ORDER: readonly KeepReason[] = [
  'not-ours',
  'other-plan',
  'newest-completed',
  'min-keep',
  'count',
  'max-age',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'yearly',
  'pending',
  'error-in-grace',
  'latest-backup-failed',
  'source-gone-last',
  'empty-policy',
  'duplicate-id',
];

type TierName = keyof RetentionTiers;
const TIER_NAMES: readonly TierName[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

const BIT = Object.fromEntries(KEEP_REASON_ORDER.map((reason, index) => [reason, 1 << index])) as Record<
  KeepReason,
  number
>;


/** Policy after validation, with "no rule" and "zero" folded together. */
interface CheckedPolicy {
  count: number; // 0 when absent
  maxAgeMs: number | undefined; // undefined when absent
  tiers: ReadonlyArray<{ tier: TierName; keep: number }>; // only positive tiers
  minKeep: number;
  keepLastWhenSourceGone: boolean;
  errorGraceMs: number;
  zone: string;
  empty: boolean;
}

/** Resolves per-resource facts; planRetentionForMany uses it to merge what several groups say of one resource. */
type FailedFor = (resourceId: string) => boolean;

/**
 * Bucket keys by instant, for one policy (so one zone) during one call: in a batch, many resources share
 * slot times, and the time-zone conversion is the costliest step.
 */
type BucketMemo = Map<number, Record<TierName, number>>;

/**
 * Plans retention for ONE resource's points: returns one decision per input point, in input order.
 *
 * Deterministic: the same points in any order give the same decision for each id. Points are ordered by
 * time, then by id (plain code-unit comparison), so of two points with equal times the one with the
 * greater id is the newer. If the input mixes several resourceIds, each resource is planned on its own
 * (with this context), so one resource's points never push out another's.
 *
 * Points sharing an id get the same decision; if they disagree on resource, time, state or ownership they
 * are all kept (`duplicate-id`) and none of them counts as a good point.
 *
 * @throws RangeError on an invalid policy (unknown time zone, negative or fractional counts, minKeep < 1,
 *   NaN durations), an invalid `now`, or a point whose time is an invalid Date.
 */
export function planRetention(
  points: readonly RecoveryPoint[],
  policy: RetentionPolicy,
  context: RetentionContext,
): RetentionDecision[] {
  const checked = checkPolicy(policy);
  return planChecked(points, checked, context, () => context.latestScheduledBackupFailed, new Map());
}

/**
 * Plans many resources at once, one group per resource with its own context; returns one decision array
 * per group, in group order, each in its group's point order. O(n log n) in the total number of points.
 *
 * If a resourceId appears in several groups, each group is still planned on its own (which can only keep
 * more than planning them together), and if ANY of those groups says the resource's latest scheduled
 * backup failed, nothing of that resource is deleted in any group. An id kept in one group is never
 * deleted in another (it is kept there as `duplicate-id`).
 *
 * @throws RangeError as {@link planRetention}; one malformed group fails the whole call (nothing planned).
 */
export function planRetentionForMany(
  groups: ReadonlyArray<{ points: readonly RecoveryPoint[]; context: RetentionContext }>,
  policy: RetentionPolicy,
): RetentionDecision[][] {
  const checked = checkPolicy(policy);
  const bucketMemo: BucketMemo = new Map();
  const failedResources = new Set<string>();
  for (const group of groups) {
    if (!group.context.latestScheduledBackupFailed) continue;
    for (const point of group.points) failedResources.add(point.resourceId);
  }
  const planned = groups.map((group) =>
    planChecked(
      group.points,
      checked,
      group.context,
      (resourceId) => group.context.latestScheduledBackupFailed || failedResources.has(resourceId),
      bucketMemo,
    ),
  );
  // Deletions are by id: an id that one group keeps must not be deleted because another group expires it.
  const keptIds = new Set<string>();
  for (const decisions of planned) {
    for (const decision of decisions) if (decision.action === 'keep') keptIds.add(decision.id);
  }
  return planned.map((decisions) =>
    decisions.map((decision) =>
      decision.action === 'delete' && keptIds.has(decision.id)
        ? { id: decision.id, action: 'keep', reasons: ['duplicate-id'] }
        : decision,
    ),
  );
}

/**
 * Counts decisions: how many keeps and deletes, and how often each reason occurs. A kept point with
 * several reasons counts once towards each of them, so `byReason` values may add up to more than `keep`.
 */
export function summarizeDecisions(decisions: readonly RetentionDecision[]): {
  keep: number;
  delete: number;
  byReason: Record<string, number>;
} {
  let keep = 0;
  let del = 0;
  const byReason: Record<string, number> = {};
  const bump = (reason: string): void => {
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  };
  for (const decision of decisions) {
    if (decision.action === 'keep') {
      keep += 1;
      for (const reason of decision.reasons) bump(reason);
    } else {
      del += 1;
      bump(decision.reason);
    }
  }
  return { keep, delete: del, byReason };
}

// ---------------------------------------------------------------------------------------------------------

function checkCount(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0) || !(Number.isInteger(value) || value === Infinity)) {
    throw new RangeError(`retention ${name} must be a whole number >= 0, got ${String(value)}`);
  }
  return value;
}

function checkDuration(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new RangeError(`retention ${name} must be a duration >= 0 ms, got ${String(value)}`);
  }
  return value;
}

function checkPolicy(policy: RetentionPolicy): CheckedPolicy {
  const count = checkCount('count', policy.count);
  const maxAgeMs = checkDuration('maxAgeMs', policy.maxAgeMs);
  const tiers: { tier: TierName; keep: number }[] = [];
  for (const tier of TIER_NAMES) {
    const keep = checkCount(`tiers.${tier}`, policy.tiers?.[tier]);
    if (keep > 0) tiers.push({ tier, keep });
  }
  if (!Number.isInteger(policy.minKeep) || policy.minKeep < 1) {
    throw new RangeError(`retention minKeep must be a whole number >= 1, got ${String(policy.minKeep)}`);
  }
  const errorGraceMs = checkDuration('errorGraceMs', policy.errorGraceMs);
  if (errorGraceMs === undefined) throw new RangeError('retention errorGraceMs is required');
  const zone = policy.timezone;
  if (!isValidTimezone(zone)) {
    throw new RangeError(`retention timezone must be an IANA time zone, got ${String(zone)}`);
  }
  return {
    count,
    maxAgeMs,
    tiers,
    minKeep: policy.minKeep,
    keepLastWhenSourceGone: policy.keepLastWhenSourceGone === true,
    errorGraceMs,
    zone,
    empty: count === 0 && !(maxAgeMs !== undefined && maxAgeMs > 0) && tiers.length === 0,
  };
}

type Ownership = 'ours' | 'not-ours' | 'other-plan';

function ownershipOf(point: RecoveryPoint, context: RetentionContext): Ownership {
  const tags = point.tags ?? {};
  if (
    !Object.hasOwn(tags, context.ownership.tagKey) ||
    tags[context.ownership.tagKey] !== context.ownership.value
  ) {
    return 'not-ours';
  }
  if (
    !Object.hasOwn(tags, context.planTag.tagKey) ||
    tags[context.planTag.tagKey] !== context.planTag.planId
  ) {
    return 'other-plan';
  }
  return 'ours';
}

/** A completed point of ours, the only kind retention rules rank and may expire. */
interface Good {
  slot: number; // index into the per-unique-id arrays
  ms: number;
  id: string;
}

function byTimeThenId(a: Good, b: Good): number {
  if (a.ms !== b.ms) return a.ms - b.ms;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function timeOf(point: RecoveryPoint): number {
  const ms = point.time instanceof Date ? point.time.getTime() : Number.NaN;
  if (!Number.isFinite(ms))
    throw new RangeError(`recovery point ${JSON.stringify(point.id)} has an invalid time`);
  return ms;
}

function planChecked(
  points: readonly RecoveryPoint[],
  policy: CheckedPolicy,
  context: RetentionContext,
  failedFor: FailedFor,
  bucketMemo: BucketMemo,
): RetentionDecision[] {
  const nowMs = context.now instanceof Date ? context.now.getTime() : Number.NaN;
  if (!Number.isFinite(nowMs)) throw new RangeError('retention context.now is an invalid Date');

  // 1. One slot per distinct id; entries that disagree with the first of their id make it a conflict.
  const slotOfId = new Map<string, number>();
  const firstIndex: number[] = [];
  const ownership: Ownership[] = [];
  const times: number[] = [];
  const conflict: boolean[] = [];
  const slotOfPoint = new Array<number>(points.length);
  points.forEach((point, index) => {
    const ms = timeOf(point);
    const owner = ownershipOf(point, context);
    const existing = slotOfId.get(point.id);
    if (existing === undefined) {
      const slot = firstIndex.length;
      slotOfId.set(point.id, slot);
      firstIndex.push(index);
      ownership.push(owner);
      times.push(ms);
      conflict.push(false);
      slotOfPoint[index] = slot;
      return;
    }
    slotOfPoint[index] = existing;
    const first = points[firstIndex[existing]!]!;
    if (
      first.resourceId !== point.resourceId ||
      first.state !== point.state ||
      times[existing] !== ms ||
      ownership[existing] !== owner
    ) {
      conflict[existing] = true;
    }
  });

  // 2. Classify each distinct id; collect good points per resource.
  const masks = new Array<number>(firstIndex.length).fill(0);
  const deleteReason = new Array<DeleteReason | undefined>(firstIndex.length);
  const goodByResource = new Map<string, Good[]>();
  for (let slot = 0; slot < firstIndex.length; slot++) {
    const point = points[firstIndex[slot]!]!;
    if (conflict[slot]) {
      masks[slot] = BIT['duplicate-id'];
    } else if (ownership[slot] === 'not-ours') {
      masks[slot] = BIT['not-ours'];
    } else if (ownership[slot] === 'other-plan') {
      masks[slot] = BIT['other-plan'];
    } else if (point.state === 'completed') {
      const good: Good = { slot, ms: times[slot]!, id: point.id };
      const list = goodByResource.get(point.resourceId);
      if (list) list.push(good);
      else goodByResource.set(point.resourceId, [good]);
    } else if (point.state === 'error') {
      if (nowMs - times[slot]! <= policy.errorGraceMs) masks[slot] = BIT['error-in-grace'];
      else if (policy.empty) masks[slot] = BIT['empty-policy'];
      else deleteReason[slot] = 'error-past-grace';
    } else {
      // 'pending', and any state this code does not know: never delete what we do not understand.
      masks[slot] = BIT.pending;
    }
  }

  // 3. Apply the policy to each resource's good points.
  for (const goods of goodByResource.values()) {
    goods.sort(byTimeThenId);
    applyRules(goods, masks, policy, context, nowMs, bucketMemo);
  }

  // 4. Anything still without a keep reason is deleted, unless the latest scheduled backup failed.
  const slotDecisions: RetentionDecision[] = firstIndex.map((index, slot) => {
    const point = points[index]!;
    let mask = masks[slot]!;
    if (failedFor(point.resourceId)) mask |= BIT['latest-backup-failed'];
    if (mask !== 0) return { id: point.id, action: 'keep', reasons: reasonsOf(mask) };
    return { id: point.id, action: 'delete', reason: deleteReason[slot] ?? 'expired' };
  });

  return points.map((_, index) => {
    const decision = slotDecisions[slotOfPoint[index]!]!;
    return decision.action === 'keep' ? { ...decision, reasons: [...decision.reasons] } : { ...decision };
  });
}

function reasonsOf(mask: number): KeepReason[] {
  const reasons: KeepReason[] = [];
  for (const reason of KEEP_REASON_ORDER) if (mask & BIT[reason]) reasons.push(reason);
  return reasons;
}

/** Marks keep reasons on one resource's good points, sorted oldest first (time, then id). */
function applyRules(
  goods: readonly Good[],
  masks: number[],
  policy: CheckedPolicy,
  context: RetentionContext,
  nowMs: number,
  bucketMemo: BucketMemo,
): void {
  const n = goods.length;
  if (n === 0) return;
  const mark = (position: number, bit: number): void => {
    const slot = goods[position]!.slot;
    masks[slot] = masks[slot]! | bit;
  };

  mark(n - 1, BIT['newest-completed']);
  if (!context.sourceExists && policy.keepLastWhenSourceGone) mark(n - 1, BIT['source-gone-last']);
  for (let k = 1; k <= Math.min(policy.minKeep, n); k++) mark(n - k, BIT['min-keep']);
  for (let k = 1; k <= Math.min(policy.count, n); k++) mark(n - k, BIT.count);
  if (policy.maxAgeMs !== undefined) {
    for (let position = 0; position < n; position++) {
      if (nowMs - goods[position]!.ms < policy.maxAgeMs) mark(position, BIT['max-age']);
    }
  }
  if (policy.empty) {
    for (let position = 0; position < n; position++) mark(position, BIT['empty-policy']);
    return;
  }
  if (policy.tiers.length === 0) return;

  // Bucket keys per tier; points are visited oldest first, so the first point seen in a bucket is its
  // representative. Buckets are ranked by key (chronological), not by visiting order, so a local clock
  // that jumps back across a boundary cannot confuse the ranking.
  const firstInBucket = policy.tiers.map(() => new Map<number, number>());
  for (let position = 0; position < n; position++) {
    const ms = goods[position]!.ms;
    let keys = bucketMemo.get(ms);
    if (!keys) {
      keys = bucketKeys(ms, policy.zone);
      bucketMemo.set(ms, keys);
    }
    policy.tiers.forEach(({ tier }, t) => {
      const key = keys[tier];
      const buckets = firstInBucket[t]!;
      if (!buckets.has(key)) buckets.set(key, position);
    });
  }
  policy.tiers.forEach(({ tier, keep }, t) => {
    const buckets = firstInBucket[t]!;
    const newestFirst = [...buckets.keys()].sort((a, b) => b - a);
    const bit = BIT[tier];
    for (let k = 0; k < Math.min(keep, newestFirst.length); k++) mark(buckets.get(newestFirst[k]!)!, bit);
  });
}

/**
 * Chronologically ordered numeric bucket keys of an instant in a zone. Hours are real hours of the local
 * clock, keyed by the instant they start: the wall-clock hour repeated when DST ends is two buckets, and
 * in a +05:30 zone hours start at :30 UTC. Days, ISO weeks (Monday start), months and years are calendar
 * periods of the local date.
 */
function bucketKeys(ms: number, zone: string): Record<TierName, number> {
  const local = localFields(zone, ms);
  const offsetMs = local.offsetMinutes * 60_000;
  const intoHour = (((ms + offsetMs) % HOUR_MS) + HOUR_MS) % HOUR_MS;
  const { weekYear, week } = isoWeekOf(local);
  return {
    hourly: ms - intoHour,
    daily: local.year * 10_000 + local.month * 100 + local.day,
    weekly: weekYear * 100 + week,
    monthly: local.year * 100 + local.month,
    yearly: local.year,
  };
}
