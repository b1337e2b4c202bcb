import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActivityRecord } from '../../../shared/domain/activity.js';
import type { FailureNotice } from '../../../shared/domain/failure-notice.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { parseSnapshotFailure } from '../../../shared/domain/snapshot-completion-event.js';
import { notifyFailure, type NotifyFailureDeps } from '../../../shared/use-cases/notify-failure.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/events', name), 'utf8')) as Record<string, unknown>;
const ours = (planId: string, resourceId: string) => ({ [TAG.stack]: 'prod', [TAG.plan]: planId, [TAG.resourceId]: resourceId, [TAG.resourceType]: 'ebs-volume' });

function world(tags: Record<string, Record<string, string>>) {
  const claimed = new Set<string>();
  const sent: FailureNotice[] = [];
  const records: ActivityRecord[] = [];
  const deps: NotifyFailureDeps = {
    stack: 'prod',
    describe: async (_region, ids) => ids.flatMap((snapshotId) => (tags[snapshotId] ? [{ snapshotId, tags: tags[snapshotId] }] : [])),
    claim: async (key) => {
      if (claimed.has(key)) return false;
      claimed.add(key);
      return true;
    },
    publish: async (notice) => {
      sent.push(notice);
    },
    record: async (record) => {
      records.push(record);
    },
  };
  return { deps, sent, records };
}

describe('parseSnapshotFailure', () => {
  it('reads the failed createSnapshot event AWS sends', () => {
    const failure = parseSnapshotFailure(fixture('ebs-create-snapshot-failed.json'));

    expect(failure).toEqual({
      eventId: '6a0e5b1d-2c3f-4e8a-b7d6-1f2e3d4c5b6a',
      region: 'eu-west-1',
      time: new Date('2026-11-26T11:02:40Z'),
      operation: 'createSnapshot',
      cause: 'Source volume vol-0123456789abcdef0 was deleted before the snapshot completed',
      snapshotIds: ['snap-0f9e8d7c6b5a40312'],
    });
  });

  it('refuses a succeeded event and an event of another service, naming why', () => {
    expect(() => parseSnapshotFailure(fixture('ebs-create-snapshot-succeeded.json'))).toThrow(
      'notify-failure received an event that reports no failure: detail.result is "succeeded", expected "failed"',
    );
    expect(() => parseSnapshotFailure(fixture('rds-db-snapshot-created.json'))).toThrow(/notify-failure received an event it does not handle/);
  });
});

describe('notifyFailure', () => {
  const failure = parseSnapshotFailure(fixture('ebs-create-snapshot-failed.json'));

  it('emails once per plan and hour, and records every failure for the daily report', async () => {
    const { deps, sent, records } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-0123456789abcdef0') });

    const first = await notifyFailure(failure, deps);
    const second = await notifyFailure({ ...failure, eventId: 'other', time: new Date('2026-11-26T11:59:00Z') }, deps);
    const nextHour = await notifyFailure({ ...failure, eventId: 'later', time: new Date('2026-11-26T12:00:10Z') }, deps);

    expect([first.notified, second.suppressed, nextHour.notified]).toEqual([['gold'], ['gold'], ['gold']]);
    expect(sent).toHaveLength(2);
    expect(records).toHaveLength(3);
    expect(records[0]).toEqual({
      at: new Date('2026-11-26T11:02:40Z'),
      kind: 'snapshot',
      source: 'notify-failure',
      planId: 'gold',
      region: 'eu-west-1',
      failures: [{ resourceId: 'vol-0123456789abcdef0', errorName: 'createSnapshotFailed', reason: failure.cause }],
    });
  });

  it('writes an email that says what failed, where, why and what happens next', async () => {
    const { deps, sent } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-0123456789abcdef0') });

    await notifyFailure(failure, deps);

    expect(sent[0]?.subject).toBe('[prod] backup failed: plan gold, createSnapshot in eu-west-1');
    expect(sent[0]?.text).toBe(
      [
        'A snapshot of plan gold failed.',
        '',
        '  what       createSnapshot in eu-west-1 at 2026-11-26T11:02:40Z',
        '  resource   vol-0123456789abcdef0 (ebs-volume)',
        '  snapshot   snap-0f9e8d7c6b5a40312',
        '  cause      Source volume vol-0123456789abcdef0 was deleted before the snapshot completed',
        '',
        'The next scheduled run takes a new snapshot; the failed one is cleaned up after its grace period.',
        'Further failures of plan gold in this hour are not emailed one by one: the daily report lists them all.',
      ].join('\n'),
    );
    expect(JSON.parse(sent[0]?.json ?? '{}')).toMatchObject({ type: 'backup-failure', planId: 'gold', operation: 'createSnapshot' });
  });

  it('ignores snapshots of another stack or without our tags, and sends nothing for them', async () => {
    const { deps, sent, records } = world({ 'snap-0f9e8d7c6b5a40312': { ...ours('gold', 'vol-1'), [TAG.stack]: 'someone-else' } });

    const result = await notifyFailure({ ...failure, snapshotIds: ['snap-0f9e8d7c6b5a40312', 'snap-gone'] }, deps);

    expect(result.ignored).toEqual([
      { snapshotId: 'snap-0f9e8d7c6b5a40312', reason: 'not a snapshot of this stack' },
      { snapshotId: 'snap-gone', reason: 'snapshot not found' },
    ]);
    expect(sent).toHaveLength(0);
    expect(records).toHaveLength(0);
  });

  it('sends one email per plan when a multi-volume failure spans plans, and counts a failed copy as a copy', async () => {
    const { deps, sent, records } = world({ 'snap-a': ours('gold', 'i-1'), 'snap-b': ours('gold', 'i-1'), 'snap-c': ours('silver', 'vol-9') });

    await notifyFailure({ ...failure, operation: 'copySnapshot', snapshotIds: ['snap-a', 'snap-b', 'snap-c'] }, deps);

    expect(sent.map((notice) => notice.subject)).toEqual([
      '[prod] backup failed: plan gold, copySnapshot in eu-west-1',
      '[prod] backup failed: plan silver, copySnapshot in eu-west-1',
    ]);
    expect(sent[0]?.text.split('\n')[0]).toBe('A disaster-recovery copy of plan gold failed.');
    expect(records.map((record) => [record.kind, record.planId, record.failures.length])).toEqual([
      ['copy', 'gold', 2],
      ['copy', 'silver', 1],
    ]);
  });
});
