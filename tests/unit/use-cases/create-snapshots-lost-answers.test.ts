import { describe, expect, it } from '@jest/globals';
import type { ResourceType } from '../../../shared/domain/plan-schema.js';
import { formatSlot, recoveryPointTags, TAG, type Tags } from '../../../shared/domain/recovery-point-tags.js';
import {
  createQueuedSnapshots,
  createSnapshots,
  IN_PROGRESS_ELSEWHERE,
  type CreateSnapshotsDeps,
  type ProtectedResource,
  type SnapshotBackend,
  type SnapshotWorkItem,
} from '../../../shared/use-cases/create-snapshots.js';
import { inMemoryClaim } from '../../support/in-memory-claim.js';
import { planFixture } from '../../support/plans.js';

const STACK = 'backup-orchestrator-test';
const SLOT = new Date('2026-11-26T12:00:00Z');
const plan = planFixture({ resourceTypes: ['ebs-volume'] });
const volume: ProtectedResource = { type: 'ebs-volume', id: 'vol-1', tags: {} };

function serverError(name = 'InternalError'): Error {
  return Object.assign(new Error('We encountered an internal error'), { name, $metadata: { httpStatusCode: 500 } });
}

/**
 * EC2 as the use case sees it: CreateSnapshot takes no client token, so every create that reaches EC2 makes a
 * snapshot. `lostAnswers` makes the next creates take effect and then answer 500; `refusals` answer 500
 * without taking effect; `lookupFailure` makes every look for a slot's snapshot fail.
 */
class Ec2LikeBackend implements SnapshotBackend {
  readonly resourceTypes: readonly ResourceType[] = ['ebs-volume'];
  readonly snapshots: Array<{ id: string; resourceId: string; tags: Tags }> = [];
  lostAnswers = 0;
  refusals = 0;
  lookupFailure: Error | undefined;
  creates = 0;
  lookups = 0;

  async findResources() {
    return [volume];
  }

  async findSlotRecoveryPoints(query: { stack: string; planId: string; slot: string }) {
    const found = new Map<string, string[]>();
    for (const snapshot of this.snapshots) {
      if (snapshot.tags[TAG.stack] === query.stack && snapshot.tags[TAG.plan] === query.planId && snapshot.tags[TAG.slot] === query.slot) {
        found.set(snapshot.resourceId, [...(found.get(snapshot.resourceId) ?? []), snapshot.id]);
      }
    }
    return found;
  }

  async findSlotRecoveryPoint(query: { stack: string; planId: string; slot: string; resourceId: string }) {
    this.lookups += 1;
    if (this.lookupFailure) throw this.lookupFailure;
    return (await this.findSlotRecoveryPoints(query)).get(query.resourceId) ?? [];
  }

  async createRecoveryPoint(resource: ProtectedResource, request: { tags: Tags }) {
    this.creates += 1;
    if (this.refusals > 0) {
      this.refusals -= 1;
      throw serverError();
    }
    const id = `snap-${this.snapshots.length + 1}`;
    this.snapshots.push({ id, resourceId: resource.id, tags: request.tags });
    if (this.lostAnswers > 0) {
      this.lostAnswers -= 1;
      throw serverError();
    }
    return { snapshotIds: [id], existed: false };
  }

  slotSnapshots() {
    return this.snapshots.filter((snapshot) => snapshot.resourceId === volume.id && snapshot.tags[TAG.slot] === formatSlot(SLOT));
  }
}

function deps(backend: SnapshotBackend, overrides: Partial<CreateSnapshotsDeps> = {}): CreateSnapshotsDeps {
  return {
    stack: STACK,
    backends: [backend],
    retry: { attempts: 5, baseDelayMs: 500, perVolumeRateDelayMs: 15_000 },
    concurrency: 8,
    sleep: async () => undefined,
    random: () => 0.5,
    ...overrides,
  };
}

const workItem: SnapshotWorkItem = {
  planId: plan.id,
  slot: formatSlot(SLOT),
  resourceId: volume.id,
  type: 'ebs-volume',
  tags: recoveryPointTags({ stack: STACK, plan, resource: volume, slot: SLOT }),
};

describe('createSnapshots and createQueuedSnapshots when a create takes effect but its answer is lost', () => {
  it('makes one snapshot when a duplicate delivery of the work item arrives while the first create looks for its lost answer', async () => {
    // Prepare: one work item delivered twice at once (SQS at least once), both with ApproximateReceiveCount 1.
    const backend = new Ec2LikeBackend();
    backend.lostAnswers = 1;
    const { guard } = inMemoryClaim('create-snapshots');
    const duplicate = () => createQueuedSnapshots([{ item: workItem, receiveCount: 1 }], deps(backend, { guard }));
    let duplicateResult: Awaited<ReturnType<typeof duplicate>> | undefined;

    // Act: the first create reaches EC2 but answers 500; while it waits to look, the duplicate runs.
    const [first] = await createQueuedSnapshots(
      [{ item: workItem, receiveCount: 1 }],
      deps(backend, {
        guard,
        sleep: async () => {
          duplicateResult ??= await duplicate();
        },
      }),
    );
    const [redelivered] = await createQueuedSnapshots([{ item: workItem, receiveCount: 2 }], deps(backend, { guard }));

    // Assess: one snapshot of (vol-1, slot); the duplicate came back later and found it.
    expect(backend.slotSnapshots().map((snapshot) => snapshot.id)).toEqual(['snap-1']);
    expect(first?.outcome).toEqual({ resourceId: 'vol-1', type: 'ebs-volume', status: 'created', snapshotIds: ['snap-1'] });
    expect(duplicateResult?.[0]).toMatchObject({ outcome: { status: 'skipped', reason: IN_PROGRESS_ELSEWHERE }, retry: true });
    expect(redelivered?.outcome).toEqual({ resourceId: 'vol-1', type: 'ebs-volume', status: 'already-done', snapshotIds: ['snap-1'] });
  });

  it('makes one snapshot per resource when two scheduled runs of one slot overlap and a create loses its answer', async () => {
    // Prepare: the scheduler delivers the slot twice at once. Run B lists the slot before run A creates (nothing
    // there yet) and goes on only while A waits to look for its lost answer.
    const backend = new Ec2LikeBackend();
    backend.lostAnswers = 1;
    const { guard } = inMemoryClaim('create-snapshots');
    const queued: SnapshotWorkItem[] = [];
    const fanOut = { queue: { enqueue: async (items: readonly SnapshotWorkItem[]) => void queued.push(...items) }, inlineMax: 20 };
    let releaseB: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      releaseB = resolve;
    });
    const seenByB: SnapshotBackend = {
      resourceTypes: backend.resourceTypes,
      findResources: () => backend.findResources(),
      findSlotRecoveryPoints: async (query) => {
        const listed = await backend.findSlotRecoveryPoints(query);
        await gate;
        return listed;
      },
      findSlotRecoveryPoint: (query) => backend.findSlotRecoveryPoint(query),
      createRecoveryPoint: (resource, request) => backend.createRecoveryPoint(resource, request),
    };
    const runB = createSnapshots({ plan, slot: SLOT }, deps(seenByB, { guard, fanOut }));

    // Act: run A's create takes effect but answers 500; while A waits to look, B runs; then the worker takes B's item.
    const summaryA = await createSnapshots(
      { plan, slot: SLOT },
      deps(backend, {
        guard,
        fanOut,
        sleep: async () => {
          releaseB();
          await runB;
        },
      }),
    );
    const summaryB = await runB;
    const worked = await createQueuedSnapshots(queued.map((item) => ({ item, receiveCount: 1 })), deps(backend, { guard }));

    // Assess: one snapshot of (vol-1, slot): A made it, B handed its claim-held item over, the worker found A's answer.
    expect(backend.slotSnapshots().map((snapshot) => snapshot.id)).toEqual(['snap-1']);
    expect(summaryA).toMatchObject({ created: 1, failed: 0 });
    expect(summaryB).toMatchObject({ created: 0, queued: 1, failed: 0 });
    expect(worked.map((result) => result.outcome)).toEqual([{ resourceId: 'vol-1', type: 'ebs-volume', status: 'already-done', snapshotIds: ['snap-1'] }]);
  });

  it('does not send a create again when its answer was lost and looking for its snapshot fails; a later delivery finds the snapshot, never makes another', async () => {
    // Prepare
    const backend = new Ec2LikeBackend();
    backend.lostAnswers = 1;
    backend.lookupFailure = serverError('ServiceUnavailable');
    const { guard } = inMemoryClaim('create-snapshots');

    // Act: the first delivery, a duplicate first delivery once the lookups work again, then a redelivery.
    const [first] = await createQueuedSnapshots([{ item: workItem, receiveCount: 1 }], deps(backend, { guard }));
    backend.lookupFailure = undefined;
    const [duplicate] = await createQueuedSnapshots([{ item: workItem, receiveCount: 1 }], deps(backend, { guard }));
    const [redelivered] = await createQueuedSnapshots([{ item: workItem, receiveCount: 2 }], deps(backend, { guard }));

    // Assess: one create reached EC2; the failure says why it was not sent again; the redelivery looks first and finds it.
    expect(backend.creates).toBe(1);
    expect(backend.slotSnapshots()).toHaveLength(1);
    expect(first).toMatchObject({ retry: true, outcome: { status: 'failed', kind: 'transient', errorName: 'InternalError' } });
    expect(first?.outcome).toHaveProperty(
      'reason',
      'We encountered an internal error; the create may have taken effect and looking for its snapshot failed (ServiceUnavailable: We encountered an internal error), ' +
        'so it was not sent again and no second snapshot can be made; the next delivery or run of this slot looks for it before creating',
    );
    expect(duplicate?.outcome).toEqual({ resourceId: 'vol-1', type: 'ebs-volume', status: 'already-done', snapshotIds: ['snap-1'] });
    expect(redelivered?.outcome).toEqual({ resourceId: 'vol-1', type: 'ebs-volume', status: 'already-done', snapshotIds: ['snap-1'] });
  });

  it('does not lock the slot when a create that made nothing could not be looked for: the next delivery looks, then creates one', async () => {
    // Prepare: the 500 came before EC2 carried the create out, and the look that follows is throttled.
    const backend = new Ec2LikeBackend();
    backend.refusals = 1;
    backend.lookupFailure = Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
    const { guard } = inMemoryClaim('create-snapshots');

    // Act: the first delivery, then the scheduler's retry once EC2 answers again.
    const [first] = await createQueuedSnapshots([{ item: workItem, receiveCount: 1 }], deps(backend, { guard }));
    backend.lookupFailure = undefined;
    const retried = await createSnapshots({ plan, slot: SLOT }, deps(backend, { guard }));

    // Assess: the first was not sent again; the retry made the slot's one snapshot.
    expect(first).toMatchObject({ outcome: { status: 'failed', kind: 'transient' } });
    expect(retried.outcomes).toEqual([{ resourceId: 'vol-1', type: 'ebs-volume', status: 'created', snapshotIds: ['snap-1'] }]);
    expect(backend.slotSnapshots()).toHaveLength(1);
  });

  it('creates the slot\'s snapshot after more uncertain claims in a row than it has create attempts', async () => {
    // Prepare: six deliveries in a row each get a 500 that made nothing, then fail to look (so each stores 'uncertain').
    const backend = new Ec2LikeBackend();
    const { guard } = inMemoryClaim('create-snapshots');
    const failingLookup = backend.findSlotRecoveryPoint.bind(backend);
    let failNextLookupAfterCreate = false;
    backend.findSlotRecoveryPoint = async (query) => {
      if (failNextLookupAfterCreate) {
        failNextLookupAfterCreate = false;
        throw serverError('ServiceUnavailable');
      }
      return failingLookup(query);
    };
    const create = backend.createRecoveryPoint.bind(backend);
    let refusalsLeft = 6;
    backend.createRecoveryPoint = async (resource, request) => {
      if (refusalsLeft > 0) {
        refusalsLeft -= 1;
        backend.creates += 1;
        failNextLookupAfterCreate = true;
        throw serverError();
      }
      return create(resource, request);
    };
    const outcomes = [];

    // Act: seven deliveries of the work item, one after the other.
    for (let delivery = 1; delivery <= 7; delivery += 1) outcomes.push((await createQueuedSnapshots([{ item: workItem, receiveCount: 1 }], deps(backend, { guard })))[0]?.outcome.status);

    // Assess: six failed without sending again; the seventh made the slot's one snapshot.
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'created']);
    expect(backend.slotSnapshots()).toHaveLength(1);
  });

  it('lets the claim go and creates again when the lost answer made no snapshot, looking once and waiting out the backoff once', async () => {
    // Prepare: the 500 came before EC2 carried the create out.
    const backend = new Ec2LikeBackend();
    backend.refusals = 1;
    const slept: number[] = [];

    // Act
    const summary = await createSnapshots({ plan, slot: SLOT }, deps(backend, { guard: inMemoryClaim('create-snapshots').guard, sleep: async (ms) => void slept.push(ms) }));

    // Assess
    expect(summary.outcomes).toEqual([{ resourceId: 'vol-1', type: 'ebs-volume', status: 'created', snapshotIds: ['snap-1'] }]);
    expect(backend.slotSnapshots()).toHaveLength(1);
    expect([backend.creates, backend.lookups]).toEqual([2, 1]);
    expect(slept).toEqual([500]);
  });

  it('without a claim (CLI, sandbox) finds the snapshot of a lost answer instead of creating a second one', async () => {
    // Prepare
    const backend = new Ec2LikeBackend();
    backend.lostAnswers = 1;

    // Act
    const summary = await createSnapshots({ plan, slot: SLOT }, deps(backend));

    // Assess
    expect(summary.outcomes).toEqual([{ resourceId: 'vol-1', type: 'ebs-volume', status: 'created', snapshotIds: ['snap-1'] }]);
    expect([backend.creates, backend.slotSnapshots().length]).toEqual([1, 1]);
  });
});
