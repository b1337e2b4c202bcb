import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  KEEP_REASON_ORDER,
  planRetention,
  planRetentionForMany,
  type KeepReason,
  type PointState,
  type RecoveryPoint,
  type RetentionContext,
  type RetentionDecision,
  type RetentionPolicy,
  type RetentionTiers,
} from '../../../shared/domain/retention-planner.js';

const RUNS = { numRuns: 10_000 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland'] as const;
const OWNER = { tagKey: 'backup-orchestrator:stack', value: 'prod' };
const PLAN = { tagKey: 'backup-orchestrator:plan', planId: 'nightly' };

type Owner = 'ours' | 'no-owner-tag' | 'other-owner' | 'other-plan' | 'no-plan-tag';

function tagsFor(owner: Owner): Record<string, string> {
  switch (owner) {
    case 'ours':
      return { [OWNER.tagKey]: OWNER.value, [PLAN.tagKey]: PLAN.planId, Name: 'db' };
    case 'no-owner-tag':
      return { [PLAN.tagKey]: PLAN.planId };
    case 'other-owner':
      return { [OWNER.tagKey]: 'staging', [PLAN.tagKey]: PLAN.planId };
    case 'other-plan':
      return { [OWNER.tagKey]: OWNER.value, [PLAN.tagKey]: 'weekly' };
    case 'no-plan-tag':
      return { [OWNER.tagKey]: OWNER.value };
  }
}

const ownerArb: fc.Arbitrary<Owner> = fc.oneof(
  { weight: 16, arbitrary: fc.constant('ours' as const) },
  { weight: 1, arbitrary: fc.constant('no-owner-tag' as const) },
  { weight: 1, arbitrary: fc.constant('other-owner' as const) },
  { weight: 1, arbitrary: fc.constant('other-plan' as const) },
  { weight: 1, arbitrary: fc.constant('no-plan-tag' as const) },
);

const stateArb: fc.Arbitrary<PointState> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('completed' as const) },
  { weight: 2, arbitrary: fc.constant('pending' as const) },
  { weight: 4, arbitrary: fc.constant('error' as const) },
);

/** How long before `now` a point was taken: mostly spread over ~2 years, some on whole hours (ties, midnights), a few in the future. */
const ageArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 730 * DAY }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 24 * 60 }).map((h) => h * HOUR) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 72 }).map((h) => h * HOUR) },
  { weight: 1, arbitrary: fc.integer({ min: -3 * DAY, max: -1 }) },
);

interface PointSpec {
  age: number;
  state: PointState;
  owner: Owner;
  idSeed: number;
}

const pointSpecArb: fc.Arbitrary<PointSpec> = fc.record({
  age: ageArb,
  state: stateArb,
  owner: ownerArb,
  idSeed: fc.integer({ min: 0, max: 999 }),
});

const nowArb = fc.integer({
  min: Date.parse('2024-01-01T00:00:00Z'),
  max: Date.parse('2027-01-01T00:00:00Z'),
});

function optional<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined, freq: 2 });
}

const tiersArb: fc.Arbitrary<RetentionTiers> = fc.record(
  {
    hourly: fc.integer({ min: 0, max: 30 }),
    daily: fc.integer({ min: 0, max: 14 }),
    weekly: fc.integer({ min: 0, max: 8 }),
    monthly: fc.integer({ min: 0, max: 24 }),
    yearly: fc.integer({ min: 0, max: 5 }),
  },
  { requiredKeys: [] },
);

const policyArb: fc.Arbitrary<RetentionPolicy> = fc
  .record({
    count: optional(fc.integer({ min: 0, max: 12 })),
    maxAgeMs: optional(
      fc.oneof(
        fc.integer({ min: 0, max: 400 * DAY }),
        fc.integer({ min: 0, max: 72 }).map((h) => h * HOUR),
      ),
    ),
    tiers: optional(tiersArb),
    minKeep: fc.integer({ min: 1, max: 6 }),
    keepLastWhenSourceGone: fc.boolean(),
    errorGraceMs: fc.oneof(
      fc.integer({ min: 0, max: 30 * DAY }),
      fc.integer({ min: 0, max: 30 }).map((d) => d * DAY),
    ),
    timezone: fc.constantFrom(...ZONES),
  })
  .map((raw) => {
    const policy: RetentionPolicy = {
      minKeep: raw.minKeep,
      keepLastWhenSourceGone: raw.keepLastWhenSourceGone,
      errorGraceMs: raw.errorGraceMs,
      timezone: raw.timezone,
    };
    if (raw.count !== undefined) policy.count = raw.count;
    if (raw.maxAgeMs !== undefined) policy.maxAgeMs = raw.maxAgeMs;
    if (raw.tiers !== undefined) policy.tiers = raw.tiers;
    return policy;
  });

interface Scenario {
  points: RecoveryPoint[];
  policy: RetentionPolicy;
  context: RetentionContext;
}

function buildPoints(specs: readonly PointSpec[], nowMs: number, resourceId: string): RecoveryPoint[] {
  return specs.map((spec, index) => ({
    // Unique, and not in time order, so ties on equal times are broken by unrelated ids.
    id: `${resourceId}-snap-${String(spec.idSeed).padStart(3, '0')}-${index}`,
    resourceId,
    time: new Date(nowMs - spec.age),
    state: spec.state,
    tags: tagsFor(spec.owner),
  }));
}

function contextArb(nowMs: number): fc.Arbitrary<RetentionContext> {
  return fc
    .record({
      latestScheduledBackupFailed: fc.oneof(
        { weight: 4, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      sourceExists: fc.boolean(),
    })
    .map((flags) => ({ now: new Date(nowMs), ownership: OWNER, planTag: PLAN, ...flags }));
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({ nowMs: nowArb, specs: fc.array(pointSpecArb, { maxLength: 60 }), policy: policyArb })
  .chain(({ nowMs, specs, policy }) =>
    contextArb(nowMs).map((context) => ({ points: buildPoints(specs, nowMs, 'vol-1'), policy, context })),
  );

// --- helpers -------------------------------------------------------------------------------------------

/** Cheap assertion for hot loops (jest's expect costs too much when called per point in 10,000 runs). */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

function hasReason(decision: RetentionDecision | undefined, reason: KeepReason): boolean {
  return decision?.action === 'keep' && decision.reasons.includes(reason);
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

function isOurs(point: RecoveryPoint): boolean {
  return point.tags[OWNER.tagKey] === OWNER.value && point.tags[PLAN.tagKey] === PLAN.planId;
}

function isGood(point: RecoveryPoint): boolean {
  return isOurs(point) && point.state === 'completed';
}

function olderFirst(a: RecoveryPoint, b: RecoveryPoint): number {
  return a.time.getTime() - b.time.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function goodsOldestFirst(points: readonly RecoveryPoint[]): RecoveryPoint[] {
  return points.filter(isGood).sort(olderFirst);
}

function decisionsById(decisions: readonly RetentionDecision[]): Map<string, RetentionDecision> {
  return new Map(decisions.map((decision) => [decision.id, decision]));
}

function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return (
    !(policy.count! > 0) && !(policy.maxAgeMs! > 0) && !Object.values(policy.tiers ?? {}).some((n) => n > 0)
  );
}

const TIER_UNIT = { hourly: 'hour', daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' } as const;

/**
 * Reference model, written independently of the planner: bucket starts come from luxon's startOf (ISO weeks),
 * buckets are ranked by their first point. Returns the decision expected for each point.
 */
function referenceDecisions(
  points: readonly RecoveryPoint[],
  policy: RetentionPolicy,
  context: RetentionContext,
): RetentionDecision[] {
  const nowMs = context.now.getTime();
  const reasons = new Map<string, Set<KeepReason>>();
  const add = (point: RecoveryPoint, reason: KeepReason): void => {
    const set = reasons.get(point.id) ?? new Set<KeepReason>();
    set.add(reason);
    reasons.set(point.id, set);
  };
  const empty = isEmptyPolicy(policy);
  const goods = goodsOldestFirst(points);
  const newestFirst = [...goods].reverse();
  if (newestFirst[0]) {
    add(newestFirst[0], 'newest-completed');
    if (!context.sourceExists && policy.keepLastWhenSourceGone) add(newestFirst[0], 'source-gone-last');
  }
  newestFirst.slice(0, policy.minKeep).forEach((p) => add(p, 'min-keep'));
  newestFirst.slice(0, policy.count ?? 0).forEach((p) => add(p, 'count'));
  if (policy.maxAgeMs !== undefined)
    goods.filter((p) => nowMs - p.time.getTime() < policy.maxAgeMs!).forEach((p) => add(p, 'max-age'));
  if (empty) goods.forEach((p) => add(p, 'empty-policy'));
  for (const [tier, unit] of Object.entries(TIER_UNIT) as [
    keyof RetentionTiers,
    (typeof TIER_UNIT)[keyof RetentionTiers],
  ][]) {
    const keep = policy.tiers?.[tier] ?? 0;
    if (keep <= 0) continue;
    const first = new Map<number, RecoveryPoint>();
    for (const p of goods) {
      const start = DateTime.fromJSDate(p.time, { zone: policy.timezone }).startOf(unit).toMillis();
      if (!first.has(start)) first.set(start, p);
    }
    [...first.values()]
      .sort(olderFirst)
      .reverse()
      .slice(0, keep)
      .forEach((p) => add(p, tier));
  }
  return points.map((p) => {
    const set = new Set<KeepReason>(reasons.get(p.id));
    let deleteReason: 'expired' | 'error-past-grace' = 'expired';
    if (p.tags[OWNER.tagKey] !== OWNER.value) set.add('not-ours');
    else if (p.tags[PLAN.tagKey] !== PLAN.planId) set.add('other-plan');
    else if (p.state === 'pending') set.add('pending');
    else if (p.state === 'error') {
      if (nowMs - p.time.getTime() <= policy.errorGraceMs) set.add('error-in-grace');
      else if (empty) set.add('empty-policy');
      else deleteReason = 'error-past-grace';
    }
    if (context.latestScheduledBackupFailed) set.add('latest-backup-failed');
    return set.size > 0
      ? { id: p.id, action: 'keep', reasons: KEEP_REASON_ORDER.filter((r) => set.has(r)) }
      : { id: p.id, action: 'delete', reason: deleteReason };
  });
}

// --- properties ----------------------------------------------------------------------------------------

describe('planRetention properties (10,000 generated histories each)', () => {
  it('1. never deletes a point without our ownership tag, nor one of another plan', () => {
    fc.assert(
      fc.property(scenarioArb, ({ points, policy, context }) => {
        const decisions = planRetention(points, policy, context);
        points.forEach((p, i) => {
          const d = decisions[i];
          check(d?.id === p.id, () => `decision ${i} is for ${show(d)}, not ${p.id}`);
          if (p.tags[OWNER.tagKey] !== OWNER.value)
            check(hasReason(d, 'not-ours'), () => `${show(p)} got ${show(d)}`);
          else if (p.tags[PLAN.tagKey] !== PLAN.planId)
            check(hasReason(d, 'other-plan'), () => `${show(p)} got ${show(d)}`);
        });
      }),
      RUNS,
    );
  });

  it('2. never deletes the newest completed point of a resource', () => {
    fc.assert(
      fc.property(scenarioArb, ({ points, policy, context }) => {
        const newest = goodsOldestFirst(points).at(-1);
        const decisions = decisionsById(planRetention(points, policy, context));
        if (!newest) return;
        const d = decisions.get(newest.id);
        check(hasReason(d, 'newest-completed'), () => `newest ${newest.id} got ${show(d)}`);
        check(
          hasReason(d, 'source-gone-last') === (!context.sourceExists && policy.keepLastWhenSourceGone),
          () => `source-gone-last wrong on ${show(d)}`,
        );
        // …and it is the only point marked as the newest.
        const marked = [...decisions.values()].filter((x) => hasReason(x, 'newest-completed'));
        check(marked.length === 1, () => `marked newest: ${show(marked)}`);
      }),
      RUNS,
    );
  });

  it('3. pending and error points never count as good points; ours past the error grace are deleted', () => {
    fc.assert(
      fc.property(scenarioArb, ({ points, policy, context }) => {
        const withThem = decisionsById(planRetention(points, policy, context));
        const withoutThem = decisionsById(
          planRetention(
            points.filter((p) => p.state === 'completed'),
            policy,
            context,
          ),
        );
        for (const p of points) {
          if (p.state !== 'completed') continue;
          const a = withThem.get(p.id);
          const b = withoutThem.get(p.id);
          check(
            show(a) === show(b),
            () => `${p.id}: ${show(a)} with pending/error points, ${show(b)} without`,
          );
        }
        const nowMs = context.now.getTime();
        const deletesAllowed = !context.latestScheduledBackupFailed && !isEmptyPolicy(policy);
        for (const p of points.filter(isOurs)) {
          const d = withThem.get(p.id);
          if (p.state === 'pending') check(hasReason(d, 'pending'), () => `${show(p)} got ${show(d)}`);
          if (p.state !== 'error') continue;
          if (nowMs - p.time.getTime() > policy.errorGraceMs && deletesAllowed) {
            check(
              d?.action === 'delete' && d.reason === 'error-past-grace',
              () => `${show(p)} got ${show(d)}`,
            );
          } else {
            check(d?.action === 'keep', () => `${show(p)} got ${show(d)}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('4. keeps at least min(minKeep, #completed ours) completed points — the newest ones — regardless of age', () => {
    fc.assert(
      fc.property(scenarioArb, ({ points, policy, context }) => {
        const goods = goodsOldestFirst(points);
        const decisions = decisionsById(planRetention(points, policy, context));
        const keptGoods = goods.filter((p) => decisions.get(p.id)?.action === 'keep');
        check(
          keptGoods.length >= Math.min(policy.minKeep, goods.length),
          () => `kept only ${keptGoods.length}`,
        );
        for (const p of goods.slice(-policy.minKeep)) {
          check(hasReason(decisions.get(p.id), 'min-keep'), () => `${p.id} got ${show(decisions.get(p.id))}`);
        }
      }),
      RUNS,
    );
  });

  it('5. deletes nothing when the latest scheduled backup failed', () => {
    fc.assert(
      fc.property(scenarioArb, ({ points, policy, context }) => {
        const decisions = planRetention(points, policy, { ...context, latestScheduledBackupFailed: true });
        for (const d of decisions) check(hasReason(d, 'latest-backup-failed'), () => `got ${show(d)}`);
      }),
      RUNS,
    );
  });

  it('6. is deterministic: the same input, also shuffled, gives the same decision per id', () => {
    const withShuffle = scenarioArb.chain((scenario) =>
      fc
        .shuffledSubarray(scenario.points, {
          minLength: scenario.points.length,
          maxLength: scenario.points.length,
        })
        .map((shuffled) => ({ scenario, shuffled })),
    );
    fc.assert(
      fc.property(withShuffle, ({ scenario: { points, policy, context }, shuffled }) => {
        const first = planRetention(points, policy, context);
        check(show(planRetention(points, policy, context)) === show(first), () => 'second run differs');
        const reordered = planRetention(shuffled, policy, context);
        check(
          show(reordered.map((d) => d.id)) === show(shuffled.map((p) => p.id)),
          () => 'not in input order',
        );
        const firstById = decisionsById(first);
        for (const d of reordered) {
          check(
            show(d) === show(firstById.get(d.id)),
            () => `${show(d)} shuffled, ${show(firstById.get(d.id))} not`,
          );
        }
      }),
      RUNS,
    );
  });

  it('7. matches an independent reference model, reasons included (one decision per point, in input order)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ points, policy, context }) => {
        expect(planRetention(points, policy, context)).toEqual(referenceDecisions(points, policy, context));
      }),
      RUNS,
    );
  });

  it('8. a more generous (non-empty) policy never deletes a point that was kept', () => {
    const generous = fc.record({
      count: fc.integer({ min: 0, max: 5 }),
      minKeep: fc.integer({ min: 0, max: 5 }),
      days: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(scenarioArb, generous, ({ points, policy, context }, more) => {
        fc.pre(!isEmptyPolicy(policy)); // an empty policy keeps everything; any rule is less generous
        const bigger: RetentionPolicy = {
          ...policy,
          minKeep: policy.minKeep + more.minKeep,
          ...(policy.count !== undefined ? { count: policy.count + more.count } : {}),
          ...(policy.maxAgeMs !== undefined ? { maxAgeMs: policy.maxAgeMs + more.days * DAY } : {}),
        };
        const before = planRetention(points, policy, context);
        const after = planRetention(points, bigger, context);
        before.forEach((d, i) => {
          if (d.action === 'keep')
            check(after[i]?.action === 'keep', () => `${show(d)} became ${show(after[i])}`);
        });
      }),
      RUNS,
    );
  });

  it('9. planRetentionForMany plans each group as planRetention does', () => {
    const groupsArb = fc
      .record({
        nowMs: nowArb,
        policy: policyArb,
        groups: fc.array(fc.array(pointSpecArb, { maxLength: 20 }), { maxLength: 3 }),
      })
      .chain(({ nowMs, policy, groups }) =>
        fc.tuple(...groups.map(() => contextArb(nowMs))).map((contexts) => ({
          policy,
          groups: groups.map((specs, g) => ({
            points: buildPoints(specs, nowMs, `vol-${g}`),
            context: contexts[g]!,
          })),
        })),
      );
    fc.assert(
      fc.property(groupsArb, ({ policy, groups }) => {
        expect(planRetentionForMany(groups, policy)).toEqual(
          groups.map((g) => planRetention(g.points, policy, g.context)),
        );
      }),
      RUNS,
    );
  });
});
