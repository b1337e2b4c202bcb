import { planRetentionForMany, type RecoveryPoint, type RetentionContext, type RetentionPolicy } from '../shared/domain/retention-planner.js';
import { TAG } from '../shared/domain/recovery-point-tags.js';

export interface PlannerFigure {
  points: number;
  resources: number;
  runs: number;
  medianMs: number;
  pointsPerSecond: number;
  deleted: number;
}

/** A deterministic pseudo-random generator, so every bench run plans the same histories. */
function mulberry32(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Plans 100,000 recovery points over 2,000 resources with the gold GFS policy, several times; reports the median. */
export function benchRetentionPlanner(points = 100_000, resources = 2_000, runs = 5): PlannerFigure {
  const random = mulberry32(42);
  const now = new Date('2026-11-26T12:00:00Z');
  const twoYears = 2 * 365 * 86_400_000;
  const perResource = Math.floor(points / resources);
  const groups = Array.from({ length: resources }, (_, resource) => {
    const resourceId = `vol-${resource.toString(16).padStart(8, '0')}`;
    const history: RecoveryPoint[] = Array.from({ length: perResource }, (_, index) => ({
      id: `${resourceId}-${index}`,
      resourceId,
      time: new Date(now.getTime() - Math.floor(random() * twoYears)),
      state: random() < 0.02 ? 'error' : 'completed',
      tags: { [TAG.stack]: 'bench', [TAG.plan]: 'gold' },
    }));
    const context: RetentionContext = {
      now,
      ownership: { tagKey: TAG.stack, value: 'bench' },
      planTag: { tagKey: TAG.plan, planId: 'gold' },
      latestScheduledBackupFailed: false,
      sourceExists: true,
    };
    return { points: history, context };
  });
  const policy: RetentionPolicy = {
    tiers: { hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 },
    minKeep: 3,
    keepLastWhenSourceGone: true,
    errorGraceMs: 86_400_000,
    timezone: 'Europe/Paris',
  };
  const timings: number[] = [];
  let deleted = 0;
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    const decisions = planRetentionForMany(groups, policy);
    timings.push(performance.now() - started);
    deleted = decisions.flat().filter((decision) => decision.action === 'delete').length;
  }
  timings.sort((a, b) => a - b);
  const medianMs = timings[Math.floor(timings.length / 2)] ?? Number.NaN;
  return { points: perResource * resources, resources, runs, medianMs, pointsPerSecond: (perResource * resources) / (medianMs / 1000), deleted };
}
