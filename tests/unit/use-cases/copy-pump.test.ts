import { describe, expect, it } from '@jest/globals';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsKeyInspector } from '../../../shared/aws/kms-key-inspector.js';
import { COPY_SETTINGS_DEFAULTS } from '../../../shared/domain/copies.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import { pumpCopies, type BacklogEntry, type CopyBacklogReader } from '../../../shared/use-cases/copy-pump.js';
import { copyCompletedSnapshots, type BacklogCopy } from '../../../shared/use-cases/copy-snapshots.js';
import { awsError, copyPlans, FakeCopyBackend, FakeKeys, PRIMARY, sourceSnapshot, STACK } from '../../support/copy-fakes.js';

const NOW = new Date('2026-11-26T11:05:00Z');
const settings = { ...COPY_SETTINGS_DEFAULTS, inFlightLimit: 2 };

/** The backlog queue in memory: received entries are hidden until settled or handed back. */
class FakeBacklog implements CopyBacklogReader {
  readonly waitingCopies: BacklogCopy[] = [];
  receives = 0;
  private hidden: BacklogCopy[] = [];

  async add(copy: BacklogCopy): Promise<void> {
    this.waitingCopies.push(copy);
  }

  async waiting(): Promise<number> {
    return this.waitingCopies.length;
  }

  async receive(max: number): Promise<BacklogEntry[]> {
    this.receives += 1;
    const taken = this.waitingCopies.splice(0, max);
    this.hidden.push(...taken);
    return taken.map((copy) => ({ copy, receipt: copy.source.id + copy.region }));
  }

  async remove(entries: readonly BacklogEntry[]): Promise<void> {
    const receipts = new Set(entries.map((entry) => entry.receipt));
    this.hidden = this.hidden.filter((copy) => !receipts.has(copy.source.id + copy.region));
  }

  /** The queue's visibility timeout passed: what was received and not settled is offered again. */
  reappear(): void {
    this.waitingCopies.push(...this.hidden);
    this.hidden = [];
  }
}

/** The key inspector as deployed, over a mocked KMS that throttles every DescribeKey. */
function throttledKeys(): KmsKeyInspector {
  const client = new KMSClient({ region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  mockClient(client).on(DescribeKeyCommand).rejects(awsError('ThrottlingException'));
  return new KmsKeyInspector(() => client);
}

const silverSources = (count: number) => Array.from({ length: count }, () => sourceSnapshot({ planId: 'silver' }));

describe('pumpCopies', () => {
  it('does nothing, and lists nothing, when no copy waits', async () => {
    const backend = new FakeCopyBackend();
    const backlog = new FakeBacklog();

    const summary = await pumpCopies({ now: NOW }, { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings, backlog });

    expect(summary).toMatchObject({ waiting: 0, started: 0 });
    expect(backend.listings).toEqual([]);
    expect(backlog.receives).toBe(0);
  });

  it('starts waiting copies as slots free up, each source once, and leaves the rest waiting', async () => {
    const backend = new FakeCopyBackend().add(...silverSources(5));
    const backlog = new FakeBacklog();
    const deps = { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings };
    // The completion event finds 2 slots: 2 copies start, 3 wait in the backlog.
    for (const source of backend.in(PRIMARY)) {
      await copyCompletedSnapshots({ completions: [{ eventId: source.id, region: PRIMARY, time: NOW, completed: [{ kind: 'ebs', id: source.id }], ignored: [] }], now: NOW }, { ...deps, backlog });
    }
    expect(backend.in('eu-north-1')).toHaveLength(2);
    expect(backlog.waitingCopies).toHaveLength(3);

    const full = await pumpCopies({ now: NOW }, { ...deps, backlog });
    backlog.reappear();
    backend.settle('eu-north-1', 'completed');
    const freed = await pumpCopies({ now: NOW }, { ...deps, backlog });
    backlog.reappear();

    expect(full).toMatchObject({ waiting: 3, started: 0, deferred: 3 });
    expect(freed).toMatchObject({ waiting: 3, started: 2, deferred: 1 });
    expect(backlog.waitingCopies).toHaveLength(1);
    const copied = backend.in('eu-north-1').map((copy) => copy.tags[TAG.sourceSnapshotId]);
    expect(new Set(copied).size).toBe(copied.length);
  });

  it('leaves waiting copies in the backlog without looking them up when every slot they need is taken', async () => {
    const backend = new FakeCopyBackend().add(...silverSources(4));
    const backlog = new FakeBacklog();
    const deps = { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings };
    // 2 copies take both slots (still pending), 2 wait.
    for (const source of backend.in(PRIMARY)) {
      await copyCompletedSnapshots({ completions: [{ eventId: source.id, region: PRIMARY, time: NOW, completed: [{ kind: 'ebs', id: source.id }], ignored: [] }], now: NOW }, { ...deps, backlog });
    }
    const lookUpsBefore = backend.lookUps.length;

    const summary = await pumpCopies({ now: NOW }, { ...deps, backlog });
    backlog.reappear();

    expect(summary).toMatchObject({ received: 2, started: 0, deferred: 2, dropped: 0 });
    expect(backlog.waitingCopies).toHaveLength(2);
    expect(backend.in('eu-north-1')).toHaveLength(2);
    expect(backend.lookUps.length).toBe(lookUpsBefore);
  });

  it('starts the copies of the other DR Regions when one cannot be listed, and keeps that Region\'s copies waiting with a warning', async () => {
    const gold = sourceSnapshot({ planId: 'gold' });
    const silver = sourceSnapshot({ planId: 'silver' });
    const backend = new FakeCopyBackend().add(gold, silver);
    backend.unlistable.add('eu-north-1');
    const backlog = new FakeBacklog();
    await backlog.add({ planId: 'gold', region: 'eu-central-1', attempt: 1, source: gold });
    await backlog.add({ planId: 'silver', region: 'eu-north-1', attempt: 1, source: silver });

    const summary = await pumpCopies({ now: NOW }, { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings, backlog });
    backlog.reappear();

    expect(summary).toMatchObject({ started: 1, deferred: 1, failed: 0 });
    expect(backend.copiesOf('eu-central-1', gold.id)).toHaveLength(1);
    expect(backlog.waitingCopies.map((copy) => [copy.planId, copy.region])).toEqual([['silver', 'eu-north-1']]);
    expect(summary.warnings).toEqual([expect.stringMatching(/^cannot list the copies in eu-north-1: UnauthorizedOperation: .*; 1 waiting copies stay in the backlog$/)]);
  });

  it('reaches the copies of other Regions waiting behind a full round of copies for a Region that cannot be listed', async () => {
    const stuck = Array.from({ length: 20 }, () => sourceSnapshot({ planId: 'silver' }));
    const gold = sourceSnapshot({ planId: 'gold' });
    const backend = new FakeCopyBackend().add(...stuck, gold);
    backend.unlistable.add('eu-north-1');
    const backlog = new FakeBacklog();
    for (const source of stuck) await backlog.add({ planId: 'silver', region: 'eu-north-1', attempt: 1, source });
    await backlog.add({ planId: 'gold', region: 'eu-central-1', attempt: 1, source: gold });

    const summary = await pumpCopies({ now: NOW }, { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings, backlog });

    expect(summary).toMatchObject({ received: 21, started: 1, deferred: 20 });
    expect(backend.copiesOf('eu-central-1', gold.id)).toHaveLength(1);
  });

  it('settles without copying a source already copied, and a copy whose plan no longer copies there', async () => {
    const [copied, orphan] = silverSources(2) as [StoredSnapshot, StoredSnapshot];
    const backend = new FakeCopyBackend().add(copied, orphan);
    await backend.startCopy({ source: copied, region: 'eu-north-1', encrypted: true, tags: { [TAG.stack]: STACK, [TAG.sourceSnapshotId]: copied.id }, attempt: 1 });
    const backlog = new FakeBacklog();
    await backlog.add({ planId: 'silver', region: 'eu-north-1', attempt: 1, source: copied });
    await backlog.add({ planId: 'silver', region: 'ap-south-1', attempt: 1, source: orphan });

    const summary = await pumpCopies({ now: NOW }, { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings, backlog });
    backlog.reappear();

    expect(summary).toMatchObject({ started: 0, alreadyCopied: 1, dropped: 1 });
    expect(backlog.waitingCopies).toEqual([]);
    expect(backend.starts).toHaveLength(1);
  });

  it('keeps a waiting copy in the backlog, and calls its key broken nowhere, when DescribeKey is throttled; settles the others', async () => {
    const source = sourceSnapshot({});
    const backend = new FakeCopyBackend().add(source);
    const backlog = new FakeBacklog();
    await backlog.add({ planId: 'gold', region: 'eu-central-1', attempt: 1, source });
    await backlog.add({ planId: 'gold', region: 'us-east-1', attempt: 1, source });

    const summary = await pumpCopies({ now: NOW }, { stack: STACK, plans: copyPlans(), backend, keys: throttledKeys(), settings, backlog });
    backlog.reappear();

    expect(summary).toMatchObject({ received: 2, started: 1, deferred: 1, failed: 0, dropped: 0 });
    expect(summary.outcomes.find((outcome) => outcome.region === 'eu-central-1')).toMatchObject({
      status: 'deferred',
      transient: true,
      reason: expect.stringContaining('DescribeKey failed with ThrottlingException'),
    });
    expect(backlog.waitingCopies).toEqual([{ planId: 'gold', region: 'eu-central-1', attempt: 1, source }]);
    expect(backend.copiesOf('eu-central-1', source.id)).toEqual([]);
    expect(backend.copiesOf('us-east-1', source.id)).toHaveLength(1);
  });

  it('in a dry run starts no copy and removes no entry, and reports what it would start', async () => {
    const backend = new FakeCopyBackend().add(...silverSources(3));
    const backlog = new FakeBacklog();
    for (const source of backend.in(PRIMARY)) await backlog.add({ planId: 'silver', region: 'eu-north-1', attempt: 1, source });

    const summary = await pumpCopies({ now: NOW, dryRun: true }, { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings, backlog });
    backlog.reappear();

    expect(summary).toMatchObject({ dryRun: true, started: 0, wouldStart: 2, deferred: 1 });
    expect(summary.outcomes.filter((outcome) => outcome.status === 'skipped').map((outcome) => 'reason' in outcome && outcome.reason)).toEqual([
      'dry run: would start a copy',
      'dry run: would start a copy',
    ]);
    expect(backend.starts).toEqual([]);
    expect(backend.in('eu-north-1')).toEqual([]);
    expect(backlog.waitingCopies).toHaveLength(3);
  });

  it('drops, without copying or failing, a waiting copy whose source was deleted meanwhile, with one look-up of the sources per batch', async () => {
    const [kept, pruned] = silverSources(2) as [StoredSnapshot, StoredSnapshot];
    const backend = new FakeCopyBackend().add(kept);
    const backlog = new FakeBacklog();
    await backlog.add({ planId: 'silver', region: 'eu-north-1', attempt: 1, source: kept });
    await backlog.add({ planId: 'silver', region: 'eu-north-1', attempt: 1, source: pruned });

    const summary = await pumpCopies({ now: NOW }, { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings, backlog });
    backlog.reappear();

    expect(summary).toMatchObject({ started: 1, dropped: 1, failed: 0 });
    expect(backend.in('eu-north-1').map((copy) => copy.tags[TAG.sourceSnapshotId])).toEqual([kept.id]);
    expect(summary.outcomes.find((outcome) => outcome.sourceId === pruned.id)).toMatchObject({
      status: 'skipped',
      reason: `source snapshot no longer exists in ${PRIMARY}: nothing to copy`,
    });
    expect(backlog.waitingCopies).toEqual([]);
    expect(backend.lookUps).toEqual([[kept.id, pruned.id]]);
  });
});
