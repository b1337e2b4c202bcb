import type { SnapshotFailure } from './snapshot-completion-event.js';
import { formatSlot } from './recovery-point-tags.js';

/** A failed snapshot of ours, with what its tags say about it. */
export interface FailedSnapshot {
  snapshotId: string;
  resourceId: string;
  resourceType: string;
}

export interface FailureNotice {
  subject: string;
  text: string;
  json: string;
}

/** How a claimed notice ends: `sent` holds its plan and hour for good, `released` frees it for a retry. */
export type NoticeClaimOutcome = 'sent' | 'released';

/** The hour a failure belongs to: one email per plan and hour, whatever the number of failures in it. */
export function failureHour(time: Date): string {
  return formatSlot(new Date(Math.floor(time.getTime() / 3_600_000) * 3_600_000));
}

function operationWords(operation: string): string {
  if (operation === 'copySnapshot') return 'A disaster-recovery copy';
  if (operation === 'createSnapshots') return 'A multi-volume snapshot';
  return 'A snapshot';
}

/**
 * The immediate email for a failed snapshot or copy: what failed, where, why, and what happens next.
 * Plain text for email, JSON for machines; the subject fits SNS (ASCII, at most 100 characters).
 */
export function renderFailureNotice(input: { stack: string; planId: string; failure: SnapshotFailure; snapshots: readonly FailedSnapshot[] }): FailureNotice {
  const { stack, planId, failure, snapshots } = input;
  const resources = [...new Set(snapshots.map((snapshot) => `${snapshot.resourceId} (${snapshot.resourceType})`))];
  const subject = `[${stack}] backup failed: plan ${planId}, ${failure.operation} in ${failure.region}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  const text = [
    `${operationWords(failure.operation)} of plan ${planId} failed.`,
    '',
    `  what       ${failure.operation} in ${failure.region} at ${failure.time.toISOString().replace('.000Z', 'Z')}`,
    `  resource   ${resources.join(', ') || 'unknown'}`,
    `  snapshot   ${snapshots.map((snapshot) => snapshot.snapshotId).join(', ')}`,
    `  cause      ${failure.cause}`,
    '',
    failure.operation === 'copySnapshot'
      ? 'The reconciler retries the copy within 15 minutes (at most 3 attempts) and reports it if it keeps failing.'
      : 'The next scheduled run takes a new snapshot; the failed one is cleaned up after its grace period.',
    `Further failures of plan ${planId} in this hour are not emailed one by one: the daily report lists them all.`,
  ].join('\n');
  const json = JSON.stringify({
    schemaVersion: 1,
    type: 'backup-failure',
    stack,
    planId,
    operation: failure.operation,
    region: failure.region,
    time: failure.time.toISOString(),
    cause: failure.cause,
    eventId: failure.eventId,
    snapshots,
  });
  return { subject, text, json };
}
