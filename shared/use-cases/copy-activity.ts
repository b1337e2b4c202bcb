import { boundedFailures, type ActivityFailure, type ActivityRecord } from '../domain/activity.js';
import type { CopyOutcome, CopyProblem } from './copy-snapshots.js';

/**
 * What one copy run did, as activity records for the daily report: one per plan it touched, with the
 * copies it started and what failed (copies AWS refused, unusable keys). Deferred copies are not failures:
 * the reconciler starts them later. Stuck and exhausted copies are states, not events of this run: the
 * reconcile summary, logs and metrics carry them, and the report sees them as DR Regions out of RPO.
 */
export function copyActivity(run: {
  at: Date;
  source: 'copy-snapshot' | 'reconcile';
  outcomes: readonly CopyOutcome[];
  problems: readonly CopyProblem[];
}): ActivityRecord[] {
  const byPlan = new Map<string, { copied: number; failures: ActivityFailure[] }>();
  const of = (planId: string) => {
    let entry = byPlan.get(planId);
    if (!entry) {
      entry = { copied: 0, failures: [] };
      byPlan.set(planId, entry);
    }
    return entry;
  };
  for (const outcome of run.outcomes) {
    if (outcome.status === 'started') of(outcome.planId).copied += 1;
    if (outcome.status === 'failed') of(outcome.planId).failures.push({ resourceId: `${outcome.sourceId} to ${outcome.region}`, errorName: outcome.errorName, reason: outcome.reason });
  }
  for (const problem of run.problems) {
    of(problem.planId).failures.push({ resourceId: `KMS key ${problem.kmsKeyId} in ${problem.region}`, errorName: 'CopyKeyUnusable', reason: problem.message });
  }
  return [...byPlan].map(([planId, { copied, failures }]) => ({
    at: run.at,
    kind: 'copy',
    source: run.source,
    planId,
    copied,
    ...boundedFailures(failures),
  }));
}
