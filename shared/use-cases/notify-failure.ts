import type { ActivityRecord } from '../domain/activity.js';
import { failureHour, renderFailureNotice, type FailedSnapshot, type FailureNotice, type NoticeClaimOutcome } from '../domain/failure-notice.js';
import { TAG, type Tags } from '../domain/recovery-point-tags.js';
import type { SnapshotFailure } from '../domain/snapshot-completion-event.js';

export interface NotifyFailureDeps {
  stack: string;
  /** Our view of the failed snapshots: their tags (ids it cannot find are left out). */
  describe: (region: string, snapshotIds: string[]) => Promise<Array<{ snapshotId: string; tags: Tags }>>;
  /**
   * Claims the notice key for one event: true when it is free, released, or still unsent under this same event
   * (a retry after a failed or timed-out attempt); false when another event holds it or it was sent.
   */
  claim: (key: string, eventId: string) => Promise<boolean>;
  /** Settles this event's claim: `sent` keeps the key for good, `released` frees it for the next attempt. */
  settle: (key: string, eventId: string, outcome: NoticeClaimOutcome) => Promise<void>;
  publish: (notice: FailureNotice) => Promise<void>;
  /** Writes a run-log record under `key`; writing the same key again replaces it, so a redelivered event counts once. */
  record: (record: ActivityRecord, key: string) => Promise<void>;
}

export interface NotifyFailureResult {
  notified: string[];
  suppressed: string[];
  ignored: Array<{ snapshotId: string; reason: string }>;
}

/**
 * Turns a failed-snapshot event into one email per plan and hour, and one run-log entry per event and plan
 * (so the daily report counts every failure once, however often the event is delivered). Concurrent events
 * of one plan and hour send one email; a retried event whose email failed sends it. Snapshots that are not
 * this stack's are ignored.
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
    await deps.record(
      {
        at: failure.time,
        kind,
        source: 'notify-failure',
        planId,
        region: failure.region,
        failures: snapshots.map((snapshot) => ({ resourceId: snapshot.resourceId, errorName: `${failure.operation}Failed`, reason: failure.cause })),
      },
      `${failure.eventId}#${planId}`,
    );
    const key = `failure-notice#${deps.stack}#${planId}#${failureHour(failure.time)}`;
    if (!(await deps.claim(key, failure.eventId))) {
      result.suppressed.push(planId);
      continue;
    }
    // At least one email, never zero: an unsent claim stays this event's, so its retry emails (a duplicate at worst).
    try {
      await deps.publish(renderFailureNotice({ stack: deps.stack, planId, failure, snapshots }));
    } catch (error) {
      // Best effort: the retry of this event re-claims its own unsent key even if the release is lost.
      await deps.settle(key, failure.eventId, 'released').catch(() => undefined);
      throw error;
    }
    await deps.settle(key, failure.eventId, 'sent');
    result.notified.push(planId);
  }
  return result;
}
