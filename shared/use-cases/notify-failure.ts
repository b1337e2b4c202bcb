import type { ActivityRecord } from '../domain/activity.js';
import { failureHour, renderFailureNotice, type FailedSnapshot, type FailureNotice } from '../domain/failure-notice.js';
import { TAG, type Tags } from '../domain/recovery-point-tags.js';
import type { SnapshotFailure } from '../domain/snapshot-completion-event.js';

export interface NotifyFailureDeps {
  stack: string;
  /** Our view of the failed snapshots: their tags (ids it cannot find are left out). */
  describe: (region: string, snapshotIds: string[]) => Promise<Array<{ snapshotId: string; tags: Tags }>>;
  /** Claims a key once; false when it was claimed before (the notice for that plan and hour went out). */
  claim: (key: string) => Promise<boolean>;
  publish: (notice: FailureNotice) => Promise<void>;
  record: (record: ActivityRecord) => Promise<void>;
}

export interface NotifyFailureResult {
  notified: string[];
  suppressed: string[];
  ignored: Array<{ snapshotId: string; reason: string }>;
}

/**
 * Turns a failed-snapshot event into at most one email per plan and hour, and a run-log entry for each
 * failure (so the daily report counts all of them). Snapshots that are not this stack's are ignored.
 */
export async function notifyFailure(failure: SnapshotFailure, deps: NotifyFailureDeps): Promise<NotifyFailureResult> {
  const found = await deps.describe(failure.region, failure.snapshotIds);
  const result: NotifyFailureResult = { notified: [], suppressed: [], ignored: [] };
  const byPlan = new Map<string, FailedSnapshot[]>();
  for (const snapshotId of failure.snapshotIds) {
    const tags = found.find((snapshot) => snapshot.snapshotId === snapshotId)?.tags;
    if (!tags) {
      result.ignored.push({ snapshotId, reason: 'snapshot not found' });
      continue;
    }
    const planId = tags[TAG.plan];
    if (tags[TAG.stack] !== deps.stack || !planId) {
      result.ignored.push({ snapshotId, reason: 'not a snapshot of this stack' });
      continue;
    }
    const snapshot = { snapshotId, resourceId: tags[TAG.resourceId] ?? 'unknown', resourceType: tags[TAG.resourceType] ?? 'unknown' };
    byPlan.set(planId, [...(byPlan.get(planId) ?? []), snapshot]);
  }
  const kind = failure.operation === 'copySnapshot' ? 'copy' : 'snapshot';
  for (const [planId, snapshots] of byPlan) {
    await deps.record({
      at: failure.time,
      kind,
      source: 'notify-failure',
      planId,
      region: failure.region,
      failures: snapshots.map((snapshot) => ({ resourceId: snapshot.resourceId, errorName: `${failure.operation}Failed`, reason: failure.cause })),
    });
    if (await deps.claim(`failure-notice#${deps.stack}#${planId}#${failureHour(failure.time)}`)) {
      await deps.publish(renderFailureNotice({ stack: deps.stack, planId, failure, snapshots }));
      result.notified.push(planId);
    } else {
      result.suppressed.push(planId);
    }
  }
  return result;
}
