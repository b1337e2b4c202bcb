import { describe, expect, it } from '@jest/globals';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsKeyInspector } from '../../../shared/aws/kms-key-inspector.js';
import { COPY_SETTINGS_DEFAULTS, copyLag } from '../../../shared/domain/copies.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import type { CopyDeps } from '../../../shared/use-cases/copy-snapshots.js';
import { reconcileCopies } from '../../../shared/use-cases/reconcile-copies.js';
import { awsError, copyPlans, FakeCopyBackend, FakeKeys, PRIMARY, sourceSnapshot, STACK } from '../../support/copy-fakes.js';

const NOW = new Date('2026-11-26T15:15:00Z');
const HOUR = 3_600_000;

/** Only gold copies, and only to eu-central-1: one destination keeps the counts readable. */
function goldOnlyToCentral(): CopyDeps['plans'] {
  const plans = copyPlans();
  const gold = plans.plans.find((plan) => plan.id === 'gold');
  if (gold) gold.copies = gold.copies.filter((rule) => rule.region === 'eu-central-1');
  plans.plans = plans.plans.filter((plan) => plan.id === 'gold');
  return plans;
}

function deps(backend: FakeCopyBackend, overrides: Partial<CopyDeps> = {}): CopyDeps & { keys: FakeKeys } {
  return { stack: STACK, plans: goldOnlyToCentral(), backend, keys: new FakeKeys(), settings: COPY_SETTINGS_DEFAULTS, ...overrides } as CopyDeps & { keys: FakeKeys };
}

/** A slot `hoursAgo` hours before NOW, as create-snapshots writes it. */
function slot(hoursAgo: number): string {
  return `${new Date(NOW.getTime() - hoursAgo * HOUR).toISOString().slice(0, 16)}Z`;
}

/** A copy of `source` already in `region`, in some state, at some attempt. */
function copyOf(source: StoredSnapshot, options: { state: StoredSnapshot['state']; attempt?: number; id?: string; startedAt?: string; tags?: Record<string, string> }): StoredSnapshot {
  const attempt = options.attempt ?? 1;
  return {
    kind: source.kind,
    id: options.id ?? (source.kind === 'ebs' ? `snap-copyof-${source.id}-${attempt}` : `${source.id}${attempt > 1 ? `-r${attempt}` : ''}`),
    ...(source.kind === 'ebs' ? {} : { arn: `arn:aws:rds:eu-central-1:123456789012:snapshot:${source.id}` }),
    region: 'eu-central-1',
    state: options.state,
    status: options.state,
    tags: {
      ...source.tags,
      [TAG.sourceSnapshotId]: source.id,
      [TAG.sourceRegion]: PRIMARY,
      [TAG.sourceTime]: source.tags[TAG.slot] ?? '',
      [TAG.copyAttempt]: String(attempt),
      [TAG.copyStartedAt]: options.startedAt ?? '2026-11-26T15:00:00Z',
      ...options.tags,
    },
  };
}

describe('reconcileCopies', () => {
  it('starts the copy a lost event never started', async () => {
    const source = sourceSnapshot({ slot: slot(1) });
    const backend = new FakeCopyBackend().add(source);

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary).toMatchObject({ sources: 1, pairs: 1, started: 1, copied: 0, deferred: 0, problems: [], exhausted: [], stuck: [] });
    expect(backend.copiesOf('eu-central-1', source.id)).toHaveLength(1);
    expect(backend.starts[0]).toMatchObject({ attempt: 1, encrypted: true });
  });

  it('with 60 copies missing and a limit of 20, starts the 20 newest, defers 40, and starts the next 20 only once the first are done', async () => {
    const sources = Array.from({ length: 60 }, (_, index) => sourceSnapshot({ slot: slot(index + 1) }));
    const backend = new FakeCopyBackend().add(...sources);

    const first = await reconcileCopies({ now: NOW }, deps(backend));
    const second = await reconcileCopies({ now: NOW }, deps(backend));
    backend.settle('eu-central-1', 'completed');
    const third = await reconcileCopies({ now: NOW }, deps(backend));

    expect(first).toMatchObject({ sources: 60, started: 20, deferred: 40, inFlight: 0 });
    expect(backend.starts.slice(0, 20).map((start) => start.source.id)).toEqual(sources.slice(0, 20).map((source) => source.id));
    expect(first.outcomes.find((outcome) => outcome.status === 'deferred')).toMatchObject({
      reason: '20 EBS copies of ours already in flight to eu-central-1 (limit 20); the reconciler starts it later',
    });
    expect(second).toMatchObject({ started: 0, inFlight: 20, deferred: 40 });
    expect(third).toMatchObject({ started: 20, copied: 20, deferred: 20, completionsRecorded: 0 });
    expect(backend.starts.slice(20).map((start) => start.source.id)).toEqual(sources.slice(20, 40).map((source) => source.id));
  });

  it('stops starting copies to a Region and service once AWS answers ResourceLimitExceeded, leaving the rest for the next run', async () => {
    const sources = Array.from({ length: 5 }, (_, index) => sourceSnapshot({ slot: slot(index + 1) }));
    const database = sourceSnapshot({ kind: 'rds-instance', slot: slot(6) });
    const backend = new FakeCopyBackend().add(...sources, database);
    backend.startFailures.push(undefined, undefined, awsError('ResourceLimitExceeded'));

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary).toMatchObject({ started: 3, deferred: 3, failed: 0 });
    expect(backend.starts.map((start) => start.source.kind)).toEqual(['ebs', 'ebs', 'ebs', 'rds-instance']);
  });

  it('deletes an errored copy and redoes it as the next attempt, the RDS one under a new identifier', async () => {
    const volume = sourceSnapshot({ slot: slot(2) });
    const database = sourceSnapshot({ kind: 'rds-instance', slot: slot(3) });
    const erroredVolumeCopy = copyOf(volume, { state: 'error' });
    const erroredDatabaseCopy = copyOf(database, { state: 'error' });
    const backend = new FakeCopyBackend().add(volume, database, erroredVolumeCopy, erroredDatabaseCopy);

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary).toMatchObject({ started: 2, redone: 2, failed: 0, exhausted: [] });
    expect(backend.deleted.sort()).toEqual([erroredDatabaseCopy.id, erroredVolumeCopy.id].sort());
    expect(backend.copiesOf('eu-central-1', volume.id).map((copy) => [copy.state, copy.tags[TAG.copyAttempt]])).toEqual([['pending', '2']]);
    expect(backend.copiesOf('eu-central-1', database.id).map((copy) => copy.id)).toEqual([`${database.id}-r2`]);
  });

  it('keeps the errored copy when the redo cannot start, so the attempt count is not lost', async () => {
    const volume = sourceSnapshot({ slot: slot(2) });
    const errored = copyOf(volume, { state: 'error' });
    const backend = new FakeCopyBackend().add(volume, errored);
    backend.startFailures.push(awsError('InvalidParameterValue'));

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary).toMatchObject({ started: 0, failed: 1 });
    expect(backend.deleted).toEqual([]);
    expect(backend.copiesOf('eu-central-1', volume.id)).toEqual([errored]);
  });

  it('reports a copy still errored after the last allowed attempt, and neither deletes nor redoes it', async () => {
    const volume = sourceSnapshot({ slot: slot(2) });
    const errored = copyOf(volume, { state: 'error', attempt: 3 });
    const backend = new FakeCopyBackend().add(volume, errored);

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary.exhausted).toEqual([{ planId: 'gold', kind: 'ebs', sourceId: volume.id, region: 'eu-central-1', copyId: errored.id, attempts: 3 }]);
    expect(summary.started).toBe(0);
    expect(backend.deleted).toEqual([]);
    expect(backend.starts).toEqual([]);
  });

  it('flags copies and sources pending for longer than the threshold, and not the ones pending for less', async () => {
    const stuckSource = sourceSnapshot({ slot: slot(13), state: 'pending' });
    const freshSource = sourceSnapshot({ slot: slot(1), state: 'pending' });
    const copied = sourceSnapshot({ slot: slot(20) });
    const slowCopied = sourceSnapshot({ slot: slot(21) });
    const stuckCopy = copyOf(copied, { state: 'pending', startedAt: '2026-11-26T02:00:00Z' });
    const freshCopy = copyOf(slowCopied, { state: 'pending', startedAt: '2026-11-26T14:00:00Z' });
    const backend = new FakeCopyBackend().add(stuckSource, freshSource, copied, slowCopied, stuckCopy, freshCopy);

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary.stuck).toEqual([
      { what: 'source', planId: 'gold', kind: 'ebs', id: stuckSource.id, region: PRIMARY, pendingSince: '2026-11-26T02:15:00Z', pendingForMs: 13 * HOUR },
      {
        what: 'copy',
        planId: 'gold',
        kind: 'ebs',
        id: stuckCopy.id,
        region: 'eu-central-1',
        sourceId: copied.id,
        pendingSince: '2026-11-26T02:00:00Z',
        pendingForMs: 13.25 * HOUR,
      },
    ]);
    expect(summary).toMatchObject({ inFlight: 2, started: 0 });
  });

  it('records the clock\'s time of seeing an RDS copy completed, not the scheduled time of a run delivered late, and never before the copy began', async () => {
    const source = sourceSnapshot({ kind: 'rds-instance', slot: '2026-11-26T11:00Z' });
    const late = copyOf(source, { state: 'completed', startedAt: '2026-11-26T11:02:00Z' });
    const other = sourceSnapshot({ kind: 'rds-instance', slot: '2026-11-26T10:00Z' });
    const skewed = copyOf(other, { state: 'completed', startedAt: '2026-11-26T11:20:00Z' });
    const backend = new FakeCopyBackend().add(source, late, other, skewed);

    // The 11:00 run, delivered at 11:10 (a scheduler retry), keeps 11:00 as its time.
    await reconcileCopies({ now: new Date('2026-11-26T11:00:00Z'), seenAt: () => new Date('2026-11-26T11:10:00Z') }, deps(backend));

    expect(Object.fromEntries(backend.tagged.map((entry) => [entry.id, entry.tags[TAG.copyCompletedAt]]))).toEqual({
      [late.id]: '2026-11-26T11:10:00Z',
      // A copy that says it began after the clock's time: its start is the earliest the completion can be.
      [skewed.id]: '2026-11-26T11:20:00Z',
    });
  });

  it('records when it first sees an RDS copy completed, so the copy lag can be read from the copy', async () => {
    const source = sourceSnapshot({ kind: 'rds-instance', slot: '2026-11-26T11:00Z' });
    const done = copyOf(source, { state: 'completed' });
    const recorded = copyOf(sourceSnapshot({ kind: 'rds-instance', slot: slot(2) }), { state: 'completed', tags: { [TAG.copyCompletedAt]: '2026-11-26T14:00:00Z' } });
    const backend = new FakeCopyBackend().add(source, done, recorded);

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary.completionsRecorded).toBe(1);
    expect(backend.tagged).toEqual([{ id: done.id, tags: { [TAG.copyCompletedAt]: '2026-11-26T15:15:00Z' } }]);
    expect(copyLag(backend.copiesOf('eu-central-1', source.id)[0] as StoredSnapshot)).toEqual({
      sourceTime: new Date('2026-11-26T11:00:00Z'),
      completedAt: NOW,
      lagMs: 4.25 * HOUR,
    });
  });

  it('tags no EBS copy: EBS reports when each completed (CompletionTime), and the lag reads from that', async () => {
    const source = sourceSnapshot({ slot: '2026-11-26T11:00Z' });
    const done = { ...copyOf(source, { state: 'completed' }), completedAt: new Date('2026-11-26T11:40:00Z') };
    const backend = new FakeCopyBackend().add(source, done);

    const summary = await reconcileCopies({ now: NOW }, deps(backend));

    expect(summary.completionsRecorded).toBe(0);
    expect(backend.tagged).toEqual([]);
    expect(copyLag(backend.copiesOf('eu-central-1', source.id)[0] as StoredSnapshot)?.lagMs).toBe(40 * 60_000);
  });

  it('gives one clear KMS problem per plan and Region for many missing copies, and starts none there', async () => {
    const sources = Array.from({ length: 10 }, (_, index) => sourceSnapshot({ slot: slot(index + 1) }));
    const backend = new FakeCopyBackend().add(...sources);
    const settings = deps(backend, { plans: copyPlans() });
    settings.keys.keys.delete('eu-central-1|alias/backup-dr');

    const summary = await reconcileCopies({ now: NOW }, settings);

    expect(summary.problems).toHaveLength(1);
    expect(summary.problems[0]).toMatchObject({ planId: 'gold', region: 'eu-central-1', kmsKeyId: 'alias/backup-dr' });
    expect(summary.blocked).toBe(10);
    expect(backend.starts.map((start) => start.region)).toEqual(Array(10).fill('us-east-1'));
  });

  it('defers the copies to a Region whose key cannot be checked now, reports no key problem, and starts them on its next run', async () => {
    const sources = Array.from({ length: 3 }, (_, index) => sourceSnapshot({ slot: slot(index + 1) }));
    const backend = new FakeCopyBackend().add(...sources);
    const client = new KMSClient({ region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const kms = mockClient(client);
    kms.on(DescribeKeyCommand).rejects(awsError('ThrottlingException'));
    const settings = deps(backend, { keys: new KmsKeyInspector(() => client) });

    const throttled = await reconcileCopies({ now: NOW }, settings);
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: '11111111-2222-3333-4444-555555555555', Arn: 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555', KeyState: 'Enabled' },
    });
    const next = await reconcileCopies({ now: NOW }, settings);

    expect(throttled).toMatchObject({ pairs: 3, started: 0, deferred: 3, blocked: 0, problems: [] });
    expect(throttled.outcomes).toEqual(
      sources.map(() => expect.objectContaining({ status: 'deferred', transient: true, reason: expect.stringContaining('DescribeKey failed with ThrottlingException') })),
    );
    expect(next).toMatchObject({ started: 3, deferred: 0, problems: [] });
    expect(sources.map((source) => backend.copiesOf('eu-central-1', source.id).length)).toEqual([1, 1, 1]);
  });

  it('copies only recent sources of lambda plans with copy rules, and ignores snapshots of other stacks', async () => {
    const recent = sourceSnapshot({ slot: slot(24) });
    const old = sourceSnapshot({ slot: slot(15 * 24) });
    const noCopies = sourceSnapshot({ planId: 'bronze', slot: slot(1) });
    const byDlm = sourceSnapshot({ planId: 'tin', slot: slot(1) });
    const foreign = sourceSnapshot({ slot: slot(1), tags: { [TAG.stack]: 'someone-else' } });
    const backend = new FakeCopyBackend().add(recent, old, noCopies, byDlm, foreign);

    const summary = await reconcileCopies({ now: NOW }, deps(backend, { plans: copyPlans() }));

    expect(summary.sources).toBe(1);
    expect([...new Set(backend.starts.map((start) => start.source.id))]).toEqual([recent.id]);
  });

  it("copies only what the copy rule's retention keeps, and never again what prune removed from the DR Region", async () => {
    const plans = goldOnlyToCentral();
    const rule = plans.plans[0]?.copies[0];
    if (rule) rule.retention = { ...rule.retention, count: 2 };
    const sources = [1, 2, 3, 4].map((hoursAgo) => sourceSnapshot({ resourceId: 'vol-web', slot: slot(hoursAgo) }));
    const fresh = new FakeCopyBackend().add(...sources);
    const pruned = new FakeCopyBackend().add(...sources, copyOf(sources[0] as StoredSnapshot, { state: 'completed' }), copyOf(sources[1] as StoredSnapshot, { state: 'completed' }));

    const first = await reconcileCopies({ now: NOW }, deps(fresh, { plans }));
    const later = await reconcileCopies({ now: NOW }, deps(pruned, { plans }));

    expect(first).toMatchObject({ started: 2, notRetained: 2 });
    expect(fresh.starts.map((start) => start.source.id)).toEqual([sources[0]?.id, sources[1]?.id]);
    expect(later).toMatchObject({ copied: 2, started: 0, notRetained: 2 });
    expect(pruned.starts).toEqual([]);
  });

  it('changes nothing on a dry run and says what it would do', async () => {
    const missing = sourceSnapshot({ slot: slot(1) });
    const erroredSource = sourceSnapshot({ slot: slot(2) });
    const errored = copyOf(erroredSource, { state: 'error' });
    const done = copyOf(sourceSnapshot({ slot: slot(3) }), { state: 'completed' });
    const backend = new FakeCopyBackend().add(missing, erroredSource, errored, done);

    const summary = await reconcileCopies({ now: NOW, dryRun: true }, deps(backend));

    expect(summary).toMatchObject({ dryRun: true, started: 0, skipped: 2, completionsRecorded: 0 });
    expect(summary.outcomes.map((outcome) => 'reason' in outcome && outcome.reason)).toEqual([
      'dry run: would start a copy',
      `dry run: would replace errored copy ${errored.id} with attempt 2`,
    ]);
    expect([backend.starts, backend.deleted, backend.tagged]).toEqual([[], [], []]);
  });

  it('warns about a DR Region it cannot list and still reconciles the others', async () => {
    const source = sourceSnapshot({ slot: slot(1) });
    const backend = new FakeCopyBackend().add(source);
    backend.unlistable.add('eu-central-1');

    const summary = await reconcileCopies({ now: NOW }, deps(backend, { plans: copyPlans() }));

    expect(summary.warnings).toEqual([
      'cannot list the copies in eu-central-1, so none was checked or started there: UnauthorizedOperation: UnauthorizedOperation happened',
    ]);
    expect(backend.starts.map((start) => start.region)).toEqual(['us-east-1']);
  });

  it('does nothing, and lists nothing, when no plan has copy rules', async () => {
    const backend = new FakeCopyBackend().add(sourceSnapshot({}));
    const plans = copyPlans();
    for (const plan of plans.plans) plan.copies = [];

    const summary = await reconcileCopies({ now: NOW }, deps(backend, { plans }));

    expect(summary).toMatchObject({ sources: 0, pairs: 0, started: 0 });
    expect(backend.listings).toEqual([]);
  });
});
