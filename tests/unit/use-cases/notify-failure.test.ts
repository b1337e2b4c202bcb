import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeActivity, type ActivityRecord } from '../../../shared/domain/activity.js';
import type { FailureNotice, NoticeClaimOutcome } from '../../../shared/domain/failure-notice.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { parseSnapshotFailure, type SnapshotFailure } from '../../../shared/domain/snapshot-completion-event.js';
import { notifyFailure, type NotifyFailureDeps } from '../../../shared/use-cases/notify-failure.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/events', name), 'utf8')) as Record<string, unknown>;
const ours = (planId: string, resourceId: string) => ({ [TAG.stack]: 'prod', [TAG.plan]: planId, [TAG.resourceId]: resourceId, [TAG.resourceType]: 'ebs-volume' });

/**
 * The stores every invocation shares, behaving as the DynamoDB adapters do: the claim table with its conditional
 * puts, SNS (which refuses the first `publishFailures` messages), and the run log keyed by each record's key.
 */
/** As in DynamoDB's condition, a claim made without an event id is never this event's. */
const sameEvent = (held: string | undefined, eventId: string | undefined) => eventId !== undefined && held === eventId;

function world(tags: Record<string, Record<string, string>>, options: { publishFailures?: number; settleFails?: boolean } = {}) {
  const claims = new Map<string, { eventId: string | undefined; state: 'pending' | NoticeClaimOutcome }>();
  const sent: FailureNotice[] = [];
  const runLog = new Map<string, ActivityRecord>();
  let publishFailures = options.publishFailures ?? 0;
  const deps: NotifyFailureDeps = {
    stack: 'prod',
    describe: async (_region, ids) => ids.flatMap((snapshotId) => (tags[snapshotId] ? [{ snapshotId, tags: tags[snapshotId] }] : [])),
    claim: async (key, eventId) => {
      const held = claims.get(key);
      if (held && held.state !== 'released' && !(sameEvent(held.eventId, eventId) && held.state === 'pending')) return false;
      claims.set(key, { eventId, state: 'pending' });
      return true;
    },
    settle: async (key, eventId, outcome) => {
      if (options.settleFails) throw Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' });
      if (claims.get(key)?.eventId === eventId) claims.set(key, { eventId, state: outcome });
    },
    publish: async (notice) => {
      if (publishFailures > 0) {
        publishFailures -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
      }
      sent.push(notice);
    },
    record: async (record, key) => {
      // A record without a key gets a fresh item, as the run log does.
      runLog.set(key ?? randomUUID(), record);
    },
  };
  return { deps, sent, records: () => [...runLog.values()] };
}

/** Lambda's asynchronous invocation: the same event again after a failed attempt, at most twice. */
async function invokeWithRetries(failure: SnapshotFailure, deps: NotifyFailureDeps): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      await notifyFailure(failure, deps);
      return;
    } catch {
      // the attempt failed: Lambda retries the event
    }
  }
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
    expect(records()).toHaveLength(3);
    expect(records()[0]).toEqual({
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
    expect(records()).toHaveLength(0);
  });

  it('sends one email per plan when a multi-volume failure spans plans, and counts a failed copy as a copy', async () => {
    const { deps, sent, records } = world({ 'snap-a': ours('gold', 'i-1'), 'snap-b': ours('gold', 'i-1'), 'snap-c': ours('silver', 'vol-9') });

    await notifyFailure({ ...failure, operation: 'copySnapshot', snapshotIds: ['snap-a', 'snap-b', 'snap-c'] }, deps);

    expect(sent.map((notice) => notice.subject)).toEqual([
      '[prod] backup failed: plan gold, copySnapshot in eu-west-1',
      '[prod] backup failed: plan silver, copySnapshot in eu-west-1',
    ]);
    expect(sent[0]?.text.split('\n')[0]).toBe('A disaster-recovery copy of plan gold failed.');
    expect(records().map((record) => [record.kind, record.planId, record.failures.length])).toEqual([
      ['copy', 'gold', 2],
      ['copy', 'silver', 1],
    ]);
  });

  it('still emails the failure when SNS refused the first attempt and Lambda retries the event', async () => {
    const { deps, sent } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-0123456789abcdef0') }, { publishFailures: 1 });

    await invokeWithRetries(failure, deps);

    expect(sent.map((notice) => notice.subject)).toEqual(['[prod] backup failed: plan gold, createSnapshot in eu-west-1']);
  });

  it('still emails the failure when neither SNS nor the release of the claim worked on the first attempt', async () => {
    const { deps, sent } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-0123456789abcdef0') }, { publishFailures: 1, settleFails: true });

    await expect(notifyFailure(failure, deps)).rejects.toThrow('Rate exceeded');
    const retry = await notifyFailure(failure, { ...deps, settle: async () => undefined });

    expect(retry.notified).toEqual(['gold']);
    expect(sent).toHaveLength(1);
  });

  it('emails the next failure of the plan in the hour when every attempt of the first one failed to email', async () => {
    const { deps, sent } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-0123456789abcdef0') }, { publishFailures: 3 });

    await invokeWithRetries(failure, deps);
    const next = await notifyFailure({ ...failure, eventId: 'next', time: new Date('2026-11-26T11:30:00Z') }, deps);

    expect(next.notified).toEqual(['gold']);
    expect(sent).toHaveLength(1);
  });

  it('does not email a plan again when the event is retried because the email of another plan failed', async () => {
    const { deps, sent } = world({ 'snap-a': ours('gold', 'vol-1'), 'snap-b': ours('silver', 'vol-2') }, { publishFailures: 0 });
    let silverRefusals = 1;
    const publish = deps.publish;
    deps.publish = async (notice) => {
      if (notice.subject.includes('plan silver') && silverRefusals-- > 0) throw Object.assign(new Error('Internal error'), { name: 'InternalErrorException' });
      await publish(notice);
    };

    await invokeWithRetries({ ...failure, snapshotIds: ['snap-a', 'snap-b'] }, deps);

    expect(sent.map((notice) => notice.subject)).toEqual([
      '[prod] backup failed: plan gold, createSnapshot in eu-west-1',
      '[prod] backup failed: plan silver, createSnapshot in eu-west-1',
    ]);
  });

  it('sends one email when two failures of a plan arrive at the same time', async () => {
    const { deps, sent } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-1') });

    const results = await Promise.all([notifyFailure(failure, deps), notifyFailure({ ...failure, eventId: 'concurrent' }, deps)]);

    expect(sent).toHaveLength(1);
    expect(results.map((result) => [...result.notified, ...result.suppressed])).toEqual([['gold'], ['gold']]);
  });

  it('counts one failed snapshot once in the daily report when the same event is delivered twice', async () => {
    const { deps, records } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-0123456789abcdef0') });

    // EventBridge delivers at least once; a redelivery re-runs the whole use case.
    await notifyFailure(failure, deps);
    await notifyFailure(failure, deps);

    expect(summarizeActivity(records()).failures.map((group) => [group.planId, group.count])).toEqual([['gold', 1]]);
  });

  it('counts one failed snapshot once in the daily report when the event is retried after its email failed', async () => {
    const { deps, records } = world({ 'snap-0f9e8d7c6b5a40312': ours('gold', 'vol-0123456789abcdef0') }, { publishFailures: 2 });

    await invokeWithRetries(failure, deps);

    expect(summarizeActivity(records()).failures.map((group) => [group.planId, group.count])).toEqual([['gold', 1]]);
  });
});
