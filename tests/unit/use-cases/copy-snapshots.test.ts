import { describe, expect, it } from '@jest/globals';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsKeyInspector } from '../../../shared/aws/kms-key-inspector.js';
import { COPY_SETTINGS_DEFAULTS } from '../../../shared/domain/copies.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import type { SnapshotCompletion } from '../../../shared/domain/snapshot-completion-event.js';
import { copyCompletedSnapshots, type CopyDeps, type StartCopyRequest, type StartedCopy } from '../../../shared/use-cases/copy-snapshots.js';
import { awsError, copyPlans, FakeCopyBackend, FakeKeys, PRIMARY, sourceSnapshot, STACK } from '../../support/copy-fakes.js';
import { inMemoryClaim } from '../../support/in-memory-claim.js';

const NOW = new Date('2026-11-26T11:05:00Z');
const GOLD_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555';

function completionOf(...snapshots: StoredSnapshot[]): SnapshotCompletion {
  return { eventId: 'event-1', region: PRIMARY, time: NOW, completed: snapshots.map(({ kind, id }) => ({ kind, id })), ignored: [] };
}

function deps(backend: FakeCopyBackend, overrides: Partial<CopyDeps> = {}): CopyDeps & { keys: FakeKeys } {
  return { stack: STACK, plans: copyPlans(), backend, keys: new FakeKeys(), settings: COPY_SETTINGS_DEFAULTS, ...overrides } as CopyDeps & { keys: FakeKeys };
}

const GOLD_KEY_DESCRIPTION = { KeyMetadata: { KeyId: '11111111-2222-3333-4444-555555555555', Arn: GOLD_KEY, KeyState: 'Enabled' as const, KeyUsage: 'ENCRYPT_DECRYPT' as const, KeySpec: 'SYMMETRIC_DEFAULT' as const } };

/** The key inspector as deployed, over a mocked KMS that throttles DescribeKey unless the test says otherwise. */
function mockedKms() {
  const client = new KMSClient({ region: 'eu-central-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const kms = mockClient(client);
  kms.on(DescribeKeyCommand).rejects(awsError('ThrottlingException'));
  return { keys: new KmsKeyInspector(() => client), kms };
}

/** `count` copies of ours already in flight to `region`, of other sources. */
function pendingCopies(region: string, count: number, kind: StoredSnapshot['kind'] = 'ebs'): StoredSnapshot[] {
  return Array.from({ length: count }, (_, index) => ({
    kind,
    id: `snap-inflight${index}`,
    region,
    state: 'pending' as const,
    status: 'pending',
    tags: { [TAG.stack]: STACK, [TAG.plan]: 'gold', [TAG.sourceSnapshotId]: `snap-other${index}`, [TAG.sourceRegion]: PRIMARY },
  }));
}

describe('copyCompletedSnapshots', () => {
  it('copies a completed snapshot of ours into every DR Region of its plan, encrypted with the key the preflight resolved, and tagged', async () => {
    const source = sourceSnapshot({ resourceId: 'vol-web' });
    const backend = new FakeCopyBackend().add(source);

    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, deps(backend));

    expect(summary).toMatchObject({ started: 2, alreadyCopied: 0, deferred: 0, failed: 0, ignored: [], problems: [] });
    const [central, virginia] = [backend.starts.find((start) => start.region === 'eu-central-1'), backend.starts.find((start) => start.region === 'us-east-1')];
    expect(central).toMatchObject({ encrypted: true, kmsKeyArn: GOLD_KEY, attempt: 1 });
    expect(virginia).toMatchObject({ encrypted: false, attempt: 1 });
    expect(virginia?.kmsKeyArn).toBeUndefined();
    expect(backend.copiesOf('eu-central-1', source.id)[0]?.tags).toEqual({
      Name: 'web-data',
      [TAG.stack]: STACK,
      [TAG.plan]: 'gold',
      [TAG.resourceId]: 'vol-web',
      [TAG.resourceType]: 'ebs-volume',
      [TAG.slot]: '2026-11-26T11:00Z',
      [TAG.sourceSnapshotId]: source.id,
      [TAG.sourceRegion]: PRIMARY,
      [TAG.sourceTime]: '2026-11-26T11:00Z',
      [TAG.copyAttempt]: '1',
      [TAG.copyStartedAt]: '2026-11-26T11:05:00Z',
    });
  });

  it('ignores, with the reason, every snapshot that is not ours to copy, and copies nothing', async () => {
    const foreign = sourceSnapshot({});
    delete foreign.tags[TAG.stack];
    const otherStack = sourceSnapshot({ tags: { [TAG.stack]: 'backup-orchestrator-staging' } });
    const unknownPlan = sourceSnapshot({ planId: 'platinum' });
    const noCopies = sourceSnapshot({ planId: 'bronze' });
    const aCopy = sourceSnapshot({ tags: { [TAG.sourceSnapshotId]: 'snap-elsewhere' } });
    const byDlm = sourceSnapshot({ planId: 'tin' });
    const backend = new FakeCopyBackend().add(foreign, otherStack, unknownPlan, noCopies, aCopy, byDlm);
    const gone = sourceSnapshot({ id: 'snap-0000000000000dead' });

    const summary = await copyCompletedSnapshots({ completions: [completionOf(foreign, otherStack, unknownPlan, noCopies, aCopy, byDlm, gone)], now: NOW }, deps(backend));

    expect(summary.ignored).toEqual([
      { id: foreign.id, reason: `not made by backup-orchestrator (no ${TAG.stack} tag)` },
      { id: otherStack.id, reason: `belongs to stack backup-orchestrator-staging, not ${STACK}` },
      { id: unknownPlan.id, reason: 'its plan "platinum" is not in the backup plans' },
      { id: noCopies.id, reason: 'plan bronze has no copy rules' },
      { id: aCopy.id, reason: 'is itself a DR copy' },
      { id: byDlm.id, reason: 'plan tin runs on Data Lifecycle Manager, whose policy makes its cross-Region copies' },
      { id: gone.id, reason: 'snapshot no longer exists' },
    ]);
    expect(backend.starts).toHaveLength(0);
  });

  it('ignores a completion reported in another Region than the primary one', async () => {
    const source = sourceSnapshot({});
    const backend = new FakeCopyBackend().add(source);

    const summary = await copyCompletedSnapshots({ completions: [{ ...completionOf(source), region: 'eu-central-1' }], now: NOW }, deps(backend));

    expect(summary.ignored).toEqual([{ id: source.id, reason: `snapshot is in eu-central-1, not the primary Region ${PRIMARY}` }]);
    expect(backend.starts).toHaveLength(0);
  });

  it('never starts a second copy when the same event is delivered again', async () => {
    const source = sourceSnapshot({ kind: 'rds-instance' });
    const backend = new FakeCopyBackend().add(source);
    const settings = deps(backend);

    const first = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, settings);
    const second = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, settings);

    expect(first.started).toBe(2);
    expect(second).toMatchObject({ started: 0, alreadyCopied: 2 });
    expect(backend.starts).toHaveLength(2);
    expect(backend.copiesOf('eu-central-1', source.id).map((copy) => copy.id)).toEqual([source.id]);
  });

  it('reports a copy another invocation is starting as already copied, and one it is starting right now as skipped', async () => {
    const source = sourceSnapshot({});
    const backend = new FakeCopyBackend().add(source);
    const stored = { copyId: 'snap-startedelsewhere1', existed: false };
    const answers = [stored, awsError('IdempotencyAlreadyInProgressError')];
    const guard = async <T>(): Promise<T> => {
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      return answer as T;
    };

    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, deps(backend, { guard }));

    expect(summary.outcomes.map((outcome) => [outcome.region, outcome.status])).toEqual([
      ['eu-central-1', 'already-copied'],
      ['us-east-1', 'skipped'],
    ]);
    expect(backend.starts).toHaveLength(0);
  });

  it('starts nothing in a Region that already has 20 EBS copies of ours in flight, and leaves the snapshots for the reconciler', async () => {
    const sources = [sourceSnapshot({}), sourceSnapshot({}), sourceSnapshot({})];
    const backend = new FakeCopyBackend().add(...sources, ...pendingCopies('eu-central-1', 20));

    const summary = await copyCompletedSnapshots({ completions: [completionOf(...sources)], now: NOW }, deps(backend));

    const central = summary.outcomes.filter((outcome) => outcome.region === 'eu-central-1');
    expect(central.map((outcome) => outcome.status)).toEqual(['deferred', 'deferred', 'deferred']);
    expect(central[0]).toMatchObject({ reason: '20 EBS copies of ours already in flight to eu-central-1 (limit 20); the reconciler starts it later' });
    expect(backend.starts.filter((start) => start.region === 'eu-central-1')).toHaveLength(0);
    expect(backend.starts.filter((start) => start.region === 'us-east-1')).toHaveLength(3);
  });

  it('counts EBS and RDS copies in flight separately', async () => {
    const database = sourceSnapshot({ kind: 'rds-instance' });
    const backend = new FakeCopyBackend().add(database, ...pendingCopies('eu-central-1', 20, 'ebs'));

    const summary = await copyCompletedSnapshots({ completions: [completionOf(database)], now: NOW }, deps(backend));

    expect(summary.outcomes.find((outcome) => outcome.region === 'eu-central-1')).toMatchObject({ status: 'started' });
  });

  it('fills the remaining room under a configured limit and defers the rest', async () => {
    const sources = Array.from({ length: 5 }, () => sourceSnapshot({}));
    const backend = new FakeCopyBackend().add(...sources, ...pendingCopies('eu-central-1', 2));

    const summary = await copyCompletedSnapshots(
      { completions: [completionOf(...sources)], now: NOW },
      deps(backend, { settings: { ...COPY_SETTINGS_DEFAULTS, inFlightLimit: 4 } }),
    );

    expect(summary.outcomes.filter((outcome) => outcome.region === 'eu-central-1').map((outcome) => outcome.status)).toEqual([
      'started', 'started', 'deferred', 'deferred', 'deferred',
    ]);
  });

  it('treats ResourceLimitExceeded as "wait": defers the snapshot and tries no more EBS copies to that Region in the run', async () => {
    const sources = [sourceSnapshot({}), sourceSnapshot({}), sourceSnapshot({})];
    const database = sourceSnapshot({ kind: 'rds-instance' });
    const backend = new FakeCopyBackend().add(...sources, database);
    // Outcomes go source by source, Region by Region: the first call is the first source to eu-central-1.
    backend.startFailures.push(awsError('ResourceLimitExceeded'));

    const summary = await copyCompletedSnapshots({ completions: [completionOf(...sources, database)], now: NOW }, deps(backend));

    const central = summary.outcomes.filter((outcome) => outcome.region === 'eu-central-1');
    expect(central.map((outcome) => [outcome.kind, outcome.status])).toEqual([
      ['ebs', 'deferred'], ['ebs', 'deferred'], ['ebs', 'deferred'], ['rds-instance', 'started'],
    ]);
    expect(central[0]).toMatchObject({ reason: expect.stringContaining('AWS refused more copies to eu-central-1 (ResourceLimitExceeded') });
    expect(backend.starts.filter((start) => start.region === 'eu-central-1' && start.source.kind === 'ebs')).toHaveLength(1);
    expect(summary.failed).toBe(0);
  });

  it('treats SnapshotQuotaExceeded from RDS as "wait" too', async () => {
    const database = sourceSnapshot({ kind: 'rds-cluster' });
    const backend = new FakeCopyBackend().add(database);
    backend.startFailures.push(awsError('SnapshotQuotaExceededFault'));

    const summary = await copyCompletedSnapshots({ completions: [completionOf(database)], now: NOW }, deps(backend));

    expect(summary.outcomes[0]).toMatchObject({ region: 'eu-central-1', status: 'deferred' });
    expect(summary.failed).toBe(0);
  });

  it('defers on a transient error and records a permanent one as failed, naming it', async () => {
    const sources = [sourceSnapshot({}), sourceSnapshot({})];
    const backend = new FakeCopyBackend().add(...sources);
    backend.startFailures.push(awsError('InternalError', 500), undefined, awsError('InvalidSnapshot.NotFound'));

    const summary = await copyCompletedSnapshots({ completions: [completionOf(...sources)], now: NOW }, deps(backend));

    expect(summary.outcomes.map((outcome) => outcome.status)).toEqual(['deferred', 'started', 'failed', 'started']);
    expect(summary.outcomes[2]).toMatchObject({ errorName: 'InvalidSnapshot.NotFound' });
  });

  it('checks each destination key once, and a disabled key gives one clear problem per plan and Region and no copy there', async () => {
    const sources = Array.from({ length: 4 }, () => sourceSnapshot({}));
    const backend = new FakeCopyBackend().add(...sources);
    const settings = deps(backend);
    settings.keys.keys.set('eu-central-1|alias/backup-dr', { found: true, arn: GOLD_KEY, keyState: 'Disabled' });

    const summary = await copyCompletedSnapshots({ completions: [completionOf(...sources)], now: NOW }, settings);

    expect(summary.problems).toEqual([
      {
        planId: 'gold',
        region: 'eu-central-1',
        kmsKeyId: 'alias/backup-dr',
        message: `plan gold: no copy to eu-central-1 was started: KMS key alias/backup-dr (${GOLD_KEY}) is Disabled, not Enabled; fix the key or the plan's copies[].kmsKeyId for eu-central-1`,
      },
    ]);
    expect(settings.keys.calls).toEqual(['eu-central-1|alias/backup-dr']);
    expect(summary.blocked).toBe(4);
    expect(backend.starts.filter((start) => start.region === 'eu-central-1')).toHaveLength(0);
    expect(backend.starts.filter((start) => start.region === 'us-east-1')).toHaveLength(4);
  });

  it('reports a missing destination key the same way', async () => {
    const source = sourceSnapshot({ planId: 'silver' });
    const backend = new FakeCopyBackend().add(source);
    const settings = deps(backend);
    settings.keys.keys.clear();

    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, settings);

    expect(summary.problems.map((problem) => problem.message)).toEqual([
      "plan silver: no copy to eu-north-1 was started: KMS key 1234abcd-12ab-34cd-56ef-1234567890ab cannot be used: it does not exist in eu-north-1; fix the key or the plan's copies[].kmsKeyId for eu-north-1",
    ]);
    expect(backend.starts).toHaveLength(0);
  });

  it('treats a throttled DescribeKey as no key problem: defers the copy there, starts none, and asks for the event again', async () => {
    const source = sourceSnapshot({ resourceId: 'vol-web' });
    const backend = new FakeCopyBackend().add(source);

    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, deps(backend, { keys: mockedKms().keys }));

    expect(summary).toMatchObject({ started: 1, deferred: 1, blocked: 0, problems: [] });
    expect(summary.outcomes.find((outcome) => outcome.region === 'eu-central-1')).toMatchObject({
      status: 'deferred',
      transient: true,
      reason: expect.stringContaining('cannot check KMS key alias/backup-dr in eu-central-1 now (DescribeKey failed with ThrottlingException'),
    });
    expect(summary.retry).toEqual([{ index: 0, eventId: 'event-1', reason: expect.stringContaining('ThrottlingException') }]);
    expect(backend.copiesOf('eu-central-1', source.id)).toEqual([]);
    expect(backend.copiesOf('us-east-1', source.id)).toHaveLength(1);
  });

  it('defers every copy of the run to a Region whose key could not be checked, asking KMS once, and copies once a later delivery gets an answer', async () => {
    const [first, second] = [sourceSnapshot({}), sourceSnapshot({})];
    const backend = new FakeCopyBackend().add(first, second);
    const { keys, kms } = mockedKms();
    kms.on(DescribeKeyCommand).rejectsOnce(awsError('ServiceUnavailableException', 503)).resolves(GOLD_KEY_DESCRIPTION);

    const completions = [completionOf(first), { ...completionOf(second), eventId: 'event-2' }];
    const throttled = await copyCompletedSnapshots({ completions, now: NOW }, deps(backend, { keys }));
    const redelivered = await copyCompletedSnapshots({ completions, now: NOW }, deps(backend, { keys }));

    expect(throttled.problems).toEqual([]);
    expect(throttled.retry.map((again) => again.eventId)).toEqual(['event-1', 'event-2']);
    expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(2);
    expect(redelivered.problems).toEqual([]);
    expect(backend.starts.filter((start) => start.region === 'eu-central-1')).toMatchObject([
      { source: { id: first.id }, kmsKeyArn: GOLD_KEY },
      { source: { id: second.id }, kmsKeyArn: GOLD_KEY },
    ]);
  });

  it('leaves a source that is not completed yet for the reconciler', async () => {
    const source = sourceSnapshot({ state: 'pending' });
    const backend = new FakeCopyBackend().add(source);

    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, deps(backend));

    expect(summary).toMatchObject({ started: 0, deferred: 2 });
    expect(backend.starts).toHaveLength(0);
  });

  it('refuses to copy an encrypted RDS snapshot under a rule without a key, and an unencrypted Aurora snapshot under a rule with one', async () => {
    const encryptedDatabase = sourceSnapshot({ kind: 'rds-instance', encrypted: true });
    const plainCluster = sourceSnapshot({ kind: 'rds-cluster', encrypted: false });
    const backend = new FakeCopyBackend().add(encryptedDatabase, plainCluster);

    const summary = await copyCompletedSnapshots({ completions: [completionOf(encryptedDatabase, plainCluster)], now: NOW }, deps(backend));

    expect(summary.outcomes.map((outcome) => [outcome.sourceId, outcome.region, outcome.status, 'errorName' in outcome ? outcome.errorName : ''])).toEqual([
      [encryptedDatabase.id, 'eu-central-1', 'started', ''],
      [encryptedDatabase.id, 'us-east-1', 'failed', 'EncryptedSourceNeedsKey'],
      [plainCluster.id, 'eu-central-1', 'failed', 'UnencryptedClusterSnapshot'],
      [plainCluster.id, 'us-east-1', 'started', ''],
    ]);
  });

  it('starts nothing on a dry run', async () => {
    const source = sourceSnapshot({});
    const backend = new FakeCopyBackend().add(source);

    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW, dryRun: true }, deps(backend));

    expect(summary).toMatchObject({ dryRun: true, started: 0, skipped: 2 });
    expect(summary.outcomes[0]).toMatchObject({ reason: 'dry run: would start a copy' });
    expect(backend.starts).toHaveLength(0);
  });

  it('lists each destination once per event, however many snapshots it names', async () => {
    const sources = Array.from({ length: 6 }, () => sourceSnapshot({}));
    const backend = new FakeCopyBackend().add(...sources);

    await copyCompletedSnapshots({ completions: [completionOf(...sources)], now: NOW }, deps(backend));

    expect(backend.listings.sort()).toEqual(['eu-central-1', 'us-east-1']);
  });
});

describe('copyCompletedSnapshots on a batch of completion events', () => {
  const eventOf = (snapshot: StoredSnapshot, eventId = `event-${snapshot.id}`): SnapshotCompletion => ({ ...completionOf(snapshot), eventId });

  it('looks the sources of a whole batch up at once and lists each destination once, then copies each', async () => {
    const sources = Array.from({ length: 100 }, () => sourceSnapshot({ planId: 'silver' }));
    const backend = new FakeCopyBackend().add(...sources);

    const summary = await copyCompletedSnapshots({ completions: sources.map((source) => eventOf(source)), now: NOW }, deps(backend, { settings: { ...COPY_SETTINGS_DEFAULTS, inFlightLimit: 100 } }));

    expect(backend.lookUps).toEqual([sources.map((source) => source.id)]);
    expect(backend.listings).toEqual(['eu-north-1']);
    expect(summary).toMatchObject({ events: 100, started: 100, retry: [] });
    expect(backend.in('eu-north-1')).toHaveLength(100);
  });

  it('looks EBS snapshots up 200 to a call, and each RDS snapshot on its own', async () => {
    const volumes = Array.from({ length: 450 }, () => sourceSnapshot({ planId: 'silver' }));
    const database = sourceSnapshot({ kind: 'rds-instance', planId: 'silver' });
    const backend = new FakeCopyBackend().add(...volumes, database);

    const summary = await copyCompletedSnapshots({ completions: [...volumes, database].map((source) => eventOf(source)), now: NOW }, deps(backend));

    expect(backend.lookUps.map((ids) => ids.length)).toEqual([200, 200, 50, 1]);
    expect(backend.lookUps[3]).toEqual([database.id]);
    expect(summary).toMatchObject({ events: 451, ignored: [], retry: [] });
  });

  it('copies a snapshot named by two events of the batch once, and asks for neither event again', async () => {
    const source = sourceSnapshot({});
    const other = sourceSnapshot({});
    const backend = new FakeCopyBackend().add(source, other);

    const summary = await copyCompletedSnapshots({ completions: [eventOf(source, 'first'), eventOf(other), eventOf(source, 'again')], now: NOW }, deps(backend));

    expect(backend.lookUps).toEqual([[source.id, other.id]]);
    expect(backend.copiesOf('eu-central-1', source.id)).toHaveLength(1);
    expect(backend.copiesOf('us-east-1', source.id)).toHaveLength(1);
    expect(summary).toMatchObject({ started: 4, alreadyCopied: 0, retry: [] });
  });

  it('ignores the foreign snapshots of a batch, saying why, and copies the rest', async () => {
    const ours = sourceSnapshot({});
    const foreign = sourceSnapshot({ tags: { [TAG.stack]: 'someone-else' } });
    const gone = sourceSnapshot({});
    const backend = new FakeCopyBackend().add(ours, foreign);

    const summary = await copyCompletedSnapshots({ completions: [eventOf(foreign), eventOf(ours), eventOf(gone)], now: NOW }, deps(backend));

    expect(summary.ignored).toEqual([
      { id: foreign.id, reason: `belongs to stack someone-else, not ${STACK}` },
      { id: gone.id, reason: 'snapshot no longer exists' },
    ]);
    expect(backend.starts.map((start) => start.source.id)).toEqual([ours.id, ours.id]);
    expect(summary.retry).toEqual([]);
  });

  it('asks again only for the events whose look-up or copy failed for a reason that may pass, and does the others', async () => {
    const copied = sourceSnapshot({ planId: 'silver' });
    const unreadable = sourceSnapshot({ kind: 'rds-instance', planId: 'silver' });
    const throttled = sourceSnapshot({ planId: 'silver' });
    const refused = sourceSnapshot({ planId: 'silver' });
    const backend = new FakeCopyBackend().add(copied, unreadable, throttled, refused);
    backend.unreadable.set(unreadable.id, awsError('ThrottlingException'));
    // Copies start source by source: copied, throttled, refused (the RDS one was never read).
    backend.startFailures.push(undefined, awsError('RequestLimitExceeded', 503), awsError('InvalidSnapshot.NotFound'));

    const summary = await copyCompletedSnapshots({ completions: [copied, unreadable, throttled, refused].map((source) => eventOf(source)), now: NOW }, deps(backend));

    expect(summary.retry).toEqual([
      { index: 1, eventId: `event-${unreadable.id}`, reason: expect.stringContaining(`cannot look up ${unreadable.id} in ${PRIMARY}: ThrottlingException`) },
      { index: 2, eventId: `event-${throttled.id}`, reason: expect.stringContaining('RequestLimitExceeded') },
    ]);
    expect(summary.outcomes.map((outcome) => [outcome.sourceId, outcome.status])).toEqual([
      [copied.id, 'started'],
      [throttled.id, 'deferred'],
      [refused.id, 'failed'],
    ]);
    expect(backend.copiesOf('eu-north-1', copied.id)).toHaveLength(1);
  });

  it('asks again for the events of sources bound for a DR Region it cannot list, and copies the others elsewhere', async () => {
    const gold = sourceSnapshot({});
    const silver = sourceSnapshot({ planId: 'silver' });
    const backend = new FakeCopyBackend().add(gold, silver);
    backend.unlistable.add('eu-north-1');

    const summary = await copyCompletedSnapshots({ completions: [eventOf(gold), eventOf(silver)], now: NOW }, deps(backend));

    expect(summary.retry).toEqual([{ index: 1, eventId: `event-${silver.id}`, reason: expect.stringContaining('cannot list our copies in eu-north-1: UnauthorizedOperation') }]);
    expect(summary.outcomes.map((outcome) => [outcome.sourceId, outcome.region, outcome.status])).toEqual([
      [gold.id, 'eu-central-1', 'started'],
      [gold.id, 'us-east-1', 'started'],
      [silver.id, 'eu-north-1', 'deferred'],
    ]);
  });
});

/**
 * EC2/RDS in memory where the next `lostAnswers` copies start and then answer 500 (CopySnapshot takes no client
 * token, so a resend starts another copy); counts the look-ups of a source's copies and can make them fail.
 */
class LostAnswerBackend extends FakeCopyBackend {
  lostAnswers = 0;
  copyLookUps = 0;
  copyLookUpFailure: Error | undefined;

  override async startCopy(request: StartCopyRequest): Promise<StartedCopy> {
    const started = await super.startCopy(request);
    if (this.lostAnswers > 0) {
      this.lostAnswers -= 1;
      throw awsError('InternalError', 500);
    }
    return started;
  }

  private listingDestination = false;

  /** The batch's listing of the destination, which lists copies of sources too: not a look-up of a copy. */
  override async listDestination(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    this.listingDestination = true;
    try {
      return await super.listDestination(region, stack, sources);
    } finally {
      this.listingDestination = false;
    }
  }

  override async listCopiesOf(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    if (!this.listingDestination) {
      this.copyLookUps += 1;
      if (this.copyLookUpFailure) throw this.copyLookUpFailure;
    }
    return super.listCopiesOf(region, stack, sources);
  }
}

describe('copyCompletedSnapshots when a copy starts but its answer is lost', () => {
  const DR = 'eu-north-1'; // silver's only copy Region
  /** As functions/copy-snapshot.ts wires it: the copy claim, and three tries per call. */
  const lostAnswerDeps = (backend: FakeCopyBackend, overrides: Partial<CopyDeps> = {}) =>
    deps(backend, { guard: inMemoryClaim('copy-snapshot', 3600).guard, retry: { attempts: 3, baseDelayMs: 200, sleep: async () => undefined }, ...overrides });

  it('starts one EBS copy, and reports it started, when CopySnapshot answers 500 after starting it', async () => {
    // Prepare
    const source = sourceSnapshot({ planId: 'silver' });
    const backend = new LostAnswerBackend().add(source);
    backend.lostAnswers = 1;

    // Act
    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, lostAnswerDeps(backend));

    // Assess: one copy of the source in eu-north-1, found by its source tag instead of started again.
    const copies = backend.copiesOf(DR, source.id);
    expect(copies).toHaveLength(1);
    expect(backend.starts).toHaveLength(1);
    expect(summary.outcomes).toEqual([expect.objectContaining({ region: DR, status: 'started', copyId: copies[0]?.id, attempt: 1 })]);
    expect(summary.retry).toEqual([]);
  });

  it('looks for the copy before sending an EBS copy again after a 500 that started nothing, then starts it once', async () => {
    // Prepare
    const source = sourceSnapshot({ planId: 'silver' });
    const backend = new LostAnswerBackend().add(source);
    backend.startFailures.push(awsError('InternalError', 500));

    // Act
    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, lostAnswerDeps(backend));

    // Assess
    expect(backend.copiesOf(DR, source.id)).toHaveLength(1);
    expect([backend.starts.length, backend.copyLookUps]).toEqual([2, 1]);
    expect(summary.outcomes).toEqual([expect.objectContaining({ status: 'started' })]);
  });

  it('sends a throttled EBS copy again without looking for it: a throttle never starts a copy', async () => {
    // Prepare
    const source = sourceSnapshot({ planId: 'silver' });
    const backend = new LostAnswerBackend().add(source);
    backend.startFailures.push(awsError('RequestLimitExceeded', 503));

    // Act
    const summary = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, lostAnswerDeps(backend));

    // Assess
    expect(backend.copiesOf(DR, source.id)).toHaveLength(1);
    expect([backend.starts.length, backend.copyLookUps]).toEqual([2, 0]);
    expect(summary.outcomes).toEqual([expect.objectContaining({ status: 'started' })]);
  });

  it('does not send an EBS copy again when its answer was lost and looking for it fails: defers it, and a duplicate event starts none either', async () => {
    // Prepare
    const source = sourceSnapshot({ planId: 'silver' });
    const backend = new LostAnswerBackend().add(source);
    backend.lostAnswers = 1;
    backend.copyLookUpFailure = awsError('ServiceUnavailable', 503);
    const settings = lostAnswerDeps(backend);

    // Act: the event, then its duplicate delivered at once, listed before the copy is visible.
    const first = await copyCompletedSnapshots({ completions: [completionOf(source)], now: NOW }, settings);
    backend.copyLookUpFailure = undefined;
    const duplicate = await copyCompletedSnapshots(
      { completions: [completionOf(source)], now: NOW },
      { ...settings, backend: Object.assign(Object.create(backend) as LostAnswerBackend, { listDestination: async () => [] }) },
    );

    // Assess: one CopySnapshot reached EC2; the copy is deferred, saying why, and its event comes back.
    expect(backend.starts).toHaveLength(1);
    expect(backend.copiesOf(DR, source.id)).toHaveLength(1);
    const reason =
      `InternalError: InternalError happened; the copy may have started and looking for it in ${DR} failed (ServiceUnavailable: ServiceUnavailable happened), ` +
      'so CopySnapshot was not sent again and no second copy can start; the reconciler lists the copies first';
    expect(first.outcomes).toEqual([expect.objectContaining({ status: 'deferred', transient: true, reason })]);
    expect(first.retry).toEqual([expect.objectContaining({ index: 0 })]);
    expect(duplicate.outcomes).toEqual([expect.objectContaining({ status: 'deferred', transient: true, reason })]);
  });

  it('never has more RDS copies in flight to a DR Region than the limit when a lost answer is found on the resend', async () => {
    // Prepare: 19 RDS copies of ours in flight to eu-north-1 (limit 20); two RDS sources complete. The first copy
    // starts but its answer is lost; the resend is refused as already existing (deterministic identifier).
    const inFlight = pendingCopies(DR, 19, 'rds-instance').map((copy) => ({ ...copy, tags: { ...copy.tags, [TAG.plan]: 'silver' } }));
    const first = sourceSnapshot({ planId: 'silver', kind: 'rds-instance', encrypted: false });
    const second = sourceSnapshot({ planId: 'silver', kind: 'rds-instance', encrypted: false });
    const backend = new LostAnswerBackend().add(...inFlight, first, second);
    backend.lostAnswers = 1;

    // Act
    const summary = await copyCompletedSnapshots({ completions: [completionOf(first, second)], now: NOW }, lostAnswerDeps(backend));

    // Assess
    const pending = backend.in(DR).filter((snapshot) => snapshot.state === 'pending' && TAG.sourceSnapshotId in snapshot.tags);
    expect(pending).toHaveLength(COPY_SETTINGS_DEFAULTS.inFlightLimit);
    expect(summary.outcomes.map((outcome) => [outcome.sourceId, outcome.status])).toEqual([
      [first.id, 'already-copied'],
      [second.id, 'deferred'],
    ]);
  });

  it('counts an EBS copy a concurrent invocation started as in flight, so the run does not start a 21st', async () => {
    // Prepare: 19 EBS copies of ours in flight to eu-north-1. The claim of the first source answers with the copy
    // another invocation started after this run listed the Region.
    const inFlight = pendingCopies(DR, 19).map((copy) => ({ ...copy, tags: { ...copy.tags, [TAG.plan]: 'silver' } }));
    const [first, second] = [sourceSnapshot({ planId: 'silver' }), sourceSnapshot({ planId: 'silver' })];
    const backend = new LostAnswerBackend().add(...inFlight, first, second);
    const startedElsewhere: StoredSnapshot = { kind: 'ebs', id: 'snap-startedelsewhere1', region: DR, state: 'pending', status: 'pending', tags: { [TAG.stack]: STACK, [TAG.sourceSnapshotId]: first.id, [TAG.sourceRegion]: PRIMARY } };
    const claim = inMemoryClaim('copy-snapshot', 3600);
    const guard = async <T>(key: string, start: () => Promise<T>): Promise<T> => {
      if (!key.endsWith(`#${first.id}#1`)) return claim.guard(key, start);
      backend.add(startedElsewhere);
      return { copyId: startedElsewhere.id, existed: false } as T;
    };

    // Act
    const summary = await copyCompletedSnapshots({ completions: [completionOf(first, second)], now: NOW }, lostAnswerDeps(backend, { guard }));

    // Assess
    const pending = backend.in(DR).filter((snapshot) => snapshot.state === 'pending' && TAG.sourceSnapshotId in snapshot.tags);
    expect(pending).toHaveLength(COPY_SETTINGS_DEFAULTS.inFlightLimit);
    expect(backend.starts).toHaveLength(0);
    expect(summary.outcomes.map((outcome) => [outcome.sourceId, outcome.status])).toEqual([
      [first.id, 'already-copied'],
      [second.id, 'deferred'],
    ]);
  });
});
