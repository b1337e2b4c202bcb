import { DAY_MS } from './durations.js';
import type { ActivitySummary, DrillResultSummary, FailureGroup } from './report-model.js';

/** How long the run log keeps a record (DynamoDB TTL): what the daily report can look back on. */
export const ACTIVITY_RETENTION_MS = 40 * DAY_MS;

/** Failures kept per activity record: enough to name the resources, small enough for one DynamoDB item. */
export const MAX_FAILURES_PER_RECORD = 200;

export interface ActivityFailure {
  resourceId: string;
  errorName: string;
  reason: string;
}

/** One run of one function, as the daily report needs it: what it did and what failed. */
export interface ActivityRecord {
  at: Date;
  kind: FailureGroup['kind'];
  source: string;
  planId?: string;
  region?: string;
  created?: number;
  copied?: number;
  pruned?: number;
  failures: ActivityFailure[];
  /** Failures beyond MAX_FAILURES_PER_RECORD, counted but not named. */
  failuresOmitted?: number;
  drill?: DrillResultSummary;
}

/** Caps the named failures so a record always fits in one item; the count stays exact. */
export function boundedFailures(failures: readonly ActivityFailure[]): Pick<ActivityRecord, 'failures' | 'failuresOmitted'> {
  if (failures.length <= MAX_FAILURES_PER_RECORD) return { failures: [...failures] };
  return { failures: failures.slice(0, MAX_FAILURES_PER_RECORD), failuresOmitted: failures.length - MAX_FAILURES_PER_RECORD };
}

/**
 * Adds up the records of a period and groups failures by (kind, plan, error name), so 500 throttles of one
 * run read as one line with a count and the resources named once.
 */
export function summarizeActivity(records: readonly ActivityRecord[]): ActivitySummary {
  const groups = new Map<string, FailureGroup>();
  let created = 0;
  let copied = 0;
  let pruned = 0;
  for (const record of [...records].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    created += record.created ?? 0;
    copied += record.copied ?? 0;
    pruned += record.pruned ?? 0;
    const named = record.failures.length;
    record.failures.forEach((failure, index) => {
      const key = `${record.kind}|${record.planId ?? ''}|${failure.errorName}`;
      const group = groups.get(key) ?? {
        kind: record.kind,
        ...(record.planId ? { planId: record.planId } : {}),
        errorName: failure.errorName,
        reason: failure.reason,
        count: 0,
        resourceIds: [],
      };
      // Omitted failures of a record are attributed to its last named error, so totals stay exact.
      group.count += 1 + (index === named - 1 ? (record.failuresOmitted ?? 0) : 0);
      if (!group.resourceIds.includes(failure.resourceId)) group.resourceIds.push(failure.resourceId);
      groups.set(key, group);
    });
  }
  const failures = [...groups.values()].sort((a, b) => b.count - a.count || a.errorName.localeCompare(b.errorName));
  return { created, copied, pruned, failures };
}
