import { describe, expect, it } from '@jest/globals';
import { boundedFailures, MAX_FAILURES_PER_RECORD, summarizeActivity, type ActivityRecord } from '../../../shared/domain/activity.js';

const at = (iso: string) => new Date(iso);
const throttle = (resourceId: string) => ({ resourceId, errorName: 'RequestLimitExceeded', reason: 'Request limit exceeded.' });

describe('summarizeActivity', () => {
  it('adds up created, copied and pruned counts across runs', () => {
    const records: ActivityRecord[] = [
      { at: at('2026-11-26T01:00:00Z'), kind: 'snapshot', source: 'create-snapshots', planId: 'gold', created: 5, failures: [] },
      { at: at('2026-11-26T02:00:00Z'), kind: 'copy', source: 'copy-snapshot', planId: 'gold', copied: 4, failures: [] },
      { at: at('2026-11-26T03:00:00Z'), kind: 'prune', source: 'prune', pruned: 7, failures: [] },
    ];

    expect(summarizeActivity(records)).toEqual({ created: 5, copied: 4, pruned: 7, failures: [] });
  });

  it('groups the same error of the same plan and kind into one line with a count, naming each resource once', () => {
    const records: ActivityRecord[] = [
      { at: at('2026-11-26T04:00:00Z'), kind: 'snapshot', source: 'create-snapshots', planId: 'gold', failures: [throttle('vol-b'), throttle('vol-a')] },
      { at: at('2026-11-26T00:00:00Z'), kind: 'snapshot', source: 'create-snapshots', planId: 'gold', failures: [throttle('vol-a')] },
      { at: at('2026-11-26T05:00:00Z'), kind: 'copy', source: 'copy-snapshot', planId: 'gold', failures: [throttle('vol-a')] },
    ];

    const summary = summarizeActivity(records);

    expect(summary.failures).toEqual([
      { kind: 'snapshot', planId: 'gold', errorName: 'RequestLimitExceeded', reason: 'Request limit exceeded.', count: 3, resourceIds: ['vol-a', 'vol-b'] },
      { kind: 'copy', planId: 'gold', errorName: 'RequestLimitExceeded', reason: 'Request limit exceeded.', count: 1, resourceIds: ['vol-a'] },
    ]);
  });

  it('keeps failure totals exact when a run named only some of its failures', () => {
    const failures = Array.from({ length: 500 }, (_, index) => throttle(`vol-${index}`));
    const record: ActivityRecord = { at: at('2026-11-26T04:00:00Z'), kind: 'snapshot', source: 'create-snapshots', planId: 'gold', ...boundedFailures(failures) };

    const summary = summarizeActivity([record]);

    expect(record.failures).toHaveLength(MAX_FAILURES_PER_RECORD);
    expect(record.failuresOmitted).toBe(500 - MAX_FAILURES_PER_RECORD);
    expect(summary.failures[0]?.count).toBe(500);
    expect(summary.failures[0]?.resourceIds).toHaveLength(MAX_FAILURES_PER_RECORD);
  });
});
