import { describe, expect, it } from '@jest/globals';
import type { ResourceType } from '../../../shared/domain/plan-schema.js';
import { TAG, type Tags } from '../../../shared/domain/recovery-point-tags.js';
import {
  createSnapshots,
  type CreateSnapshotsDeps,
  type ProtectedResource,
  type SnapshotBackend,
} from '../../../shared/use-cases/create-snapshots.js';
import { planFixture } from '../../support/plans.js';

const SLOT = new Date('2026-11-26T12:00:00Z');

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

/** An in-memory service: remembers every snapshot it made, with its tags, and can fail on demand. */
class FakeBackend implements SnapshotBackend {
  readonly snapshots: Array<{ id: string; resourceId: string; tags: Tags }> = [];
  readonly failures = new Map<string, Error[]>();
  createCalls = 0;

  constructor(
    readonly resourceTypes: readonly ResourceType[],
    private readonly resources: ProtectedResource[],
  ) {}

  async findResources(_plan: unknown, types: readonly ResourceType[]) {
    return this.resources.filter((resource) => types.includes(resource.type));
  }

  async findSlotRecoveryPoints(query: { stack: string; planId: string; slot: string }) {
    const found = new Map<string, string[]>();
    for (const snapshot of this.snapshots) {
      const ours = snapshot.tags[TAG.stack] === query.stack && snapshot.tags[TAG.plan] === query.planId;
      if (ours && snapshot.tags[TAG.slot] === query.slot) found.set(snapshot.resourceId, [snapshot.id]);
    }
    return found;
  }

  async createRecoveryPoint(resource: ProtectedResource, request: { tags: Tags }) {
    this.createCalls += 1;
    const failure = this.failures.get(resource.id)?.shift();
    if (failure) throw failure;
    const id = `snap-${this.snapshots.length + 1}`;
    this.snapshots.push({ id, resourceId: resource.id, tags: request.tags });
    return { snapshotIds: [id], existed: false };
  }
}

function deps(backends: SnapshotBackend[], overrides: Partial<CreateSnapshotsDeps> = {}): CreateSnapshotsDeps & { slept: number[] } {
  const slept: number[] = [];
  return {
    stack: 'backup-orchestrator-test',
    backends,
    retry: { attempts: 4, baseDelayMs: 100, perVolumeRateDelayMs: 15_000 },
    concurrency: 3,
    sleep: async (ms) => {
      slept.push(ms);
    },
    random: () => 0.5,
    slept,
    ...overrides,
  };
}

const volume = (id: string, extra: Partial<ProtectedResource> = {}): ProtectedResource => ({
  type: 'ebs-volume',
  id,
  tags: { 'backup:plan': 'gold', Name: `name-${id}`, team: 'db', 'aws:cloudformation:stack-name': 'x' },
  ...extra,
});

describe('createSnapshots', () => {
  it('takes one snapshot per selected resource, tagged with ownership, plan, resource, slot and the chosen source tags', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1'), volume('vol-2')]);
    const plan = planFixture({ copySourceTags: ['Name'] });
    // The schema rejects aws: keys; the tagger must refuse them too if one ever slips through.
    plan.snapshot.copySourceTags.push('aws:cloudformation:stack-name');

    const summary = await createSnapshots({ plan, slot: SLOT }, deps([backend]));

    expect(summary).toMatchObject({ planId: 'gold', slot: '2026-11-26T12:00Z', created: 2, alreadyDone: 0, failed: 0 });
    expect(backend.snapshots.map((snapshot) => snapshot.resourceId).sort()).toEqual(['vol-1', 'vol-2']);
    expect(backend.snapshots[0]?.tags).toEqual({
      Name: `name-${backend.snapshots[0]?.resourceId}`,
      [TAG.stack]: 'backup-orchestrator-test',
      [TAG.plan]: 'gold',
      [TAG.resourceId]: backend.snapshots[0]?.resourceId,
      [TAG.resourceType]: 'ebs-volume',
      [TAG.slot]: '2026-11-26T12:00Z',
    });
  });

  it('creates nothing more when the same slot is delivered three times', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1'), volume('vol-2')]);
    const plan = planFixture();

    const runs = [];
    for (let delivery = 0; delivery < 3; delivery += 1) runs.push(await createSnapshots({ plan, slot: SLOT }, deps([backend])));

    expect(backend.snapshots).toHaveLength(2);
    expect(runs.map((run) => [run.created, run.alreadyDone])).toEqual([[2, 0], [0, 2], [0, 2]]);
  });

  it('takes a new snapshot in the next slot', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    const plan = planFixture();

    await createSnapshots({ plan, slot: SLOT }, deps([backend]));
    const next = await createSnapshots({ plan, slot: new Date('2026-11-26T16:00:00Z') }, deps([backend]));

    expect(next.created).toBe(1);
    expect(backend.snapshots.map((snapshot) => snapshot.tags[TAG.slot])).toEqual(['2026-11-26T12:00Z', '2026-11-26T16:00Z']);
  });

  it('keeps going when one resource fails permanently, and records why', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1'), volume('vol-2'), volume('vol-3')]);
    backend.failures.set('vol-2', [awsError('ConcurrentSnapshotLimitExceeded')]);

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend]));

    expect(summary.created).toBe(2);
    expect(summary.failed).toBe(1);
    expect(summary.outcomes.find((outcome) => outcome.resourceId === 'vol-2')).toEqual({
      resourceId: 'vol-2',
      type: 'ebs-volume',
      status: 'failed',
      kind: 'permanent',
      errorName: 'ConcurrentSnapshotLimitExceeded',
      reason: 'ConcurrentSnapshotLimitExceeded happened',
    });
  });

  it('retries throttling and 5xx errors with growing, jittered delays until the snapshot is taken', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    backend.failures.set('vol-1', [awsError('RequestLimitExceeded'), awsError('InternalError', 500), awsError('Unknown5xx', 503)]);
    const run = deps([backend]);

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, run);

    expect(summary.created).toBe(1);
    expect(backend.snapshots).toHaveLength(1);
    expect(run.slept).toEqual([100, 200, 400]);
  });

  it('waits at least 15 s after SnapshotCreationPerVolumeRateExceeded before trying that volume again', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    backend.failures.set('vol-1', [awsError('SnapshotCreationPerVolumeRateExceeded')]);
    const run = deps([backend]);

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, run);

    expect(summary.created).toBe(1);
    expect(run.slept).toHaveLength(1);
    expect(run.slept[0]).toBeGreaterThanOrEqual(15_000);
  });

  it('records a failure after the retry budget is spent on transient errors', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    backend.failures.set('vol-1', Array.from({ length: 10 }, () => awsError('RequestLimitExceeded')));

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend]));

    expect(backend.createCalls).toBe(4);
    expect(summary.outcomes[0]).toMatchObject({ status: 'failed', kind: 'transient', errorName: 'RequestLimitExceeded' });
  });

  it('stops retrying when the wait would outlive the invocation', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    backend.failures.set('vol-1', [awsError('SnapshotCreationPerVolumeRateExceeded')]);

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { remainingTimeMs: () => 10_000 }));

    expect(backend.createCalls).toBe(1);
    expect(summary.outcomes[0]).toMatchObject({ status: 'failed', kind: 'per-volume-rate' });
  });

  it('records a resource that is not ready as failed without calling the service', async () => {
    const backend = new FakeBackend(['rds-instance'], [
      { type: 'rds-instance', id: 'orders-db', tags: {}, notReadyReason: 'RDS instance is modifying, not available' },
    ]);

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend]));

    expect(backend.createCalls).toBe(0);
    expect(summary.outcomes).toEqual([
      { resourceId: 'orders-db', type: 'rds-instance', status: 'failed', kind: 'permanent', errorName: 'ResourceNotReady', reason: 'RDS instance is modifying, not available' },
    ]);
  });

  it('skips a volume attached to an instance the same plan snapshots as a whole', async () => {
    const backend = new FakeBackend(['ebs-volume', 'ec2-instance'], [
      { type: 'ec2-instance', id: 'i-1', tags: {} },
      volume('vol-root', { coveredBy: ['i-1'] }),
      volume('vol-elsewhere', { coveredBy: ['i-other'] }),
    ]);

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend]));

    expect(backend.snapshots.map((snapshot) => snapshot.resourceId).sort()).toEqual(['i-1', 'vol-elsewhere']);
    expect(summary.outcomes.find((outcome) => outcome.resourceId === 'vol-root')).toMatchObject({
      status: 'skipped',
      reason: 'covered by ec2-instance i-1 of the same plan',
    });
  });

  it('only asks backends for the resource types the plan selects', async () => {
    const backend = new FakeBackend(['rds-instance', 'aurora-cluster'], [{ type: 'rds-instance', id: 'db-1', tags: {} }]);

    const summary = await createSnapshots({ plan: planFixture({ resourceTypes: ['ebs-volume'] }), slot: SLOT }, deps([backend]));

    expect(summary.resources).toBe(0);
    expect(backend.createCalls).toBe(0);
  });

  it('creates nothing on a dry run and says what it would do', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT, dryRun: true }, deps([backend]));

    expect(backend.snapshots).toHaveLength(0);
    expect(summary).toMatchObject({ dryRun: true, skipped: 1, created: 0 });
    expect(summary.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'dry run: would create a snapshot' });
  });

  it('passes every create through the guard with a (plan, resource, slot) key and reports a concurrent claim as skipped', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1'), volume('vol-2')]);
    const keys: string[] = [];
    const guard = async <T>(key: string, create: () => Promise<T>): Promise<T> => {
      keys.push(key);
      if (key.includes('vol-2')) throw awsError('IdempotencyAlreadyInProgressError');
      return create();
    };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { guard }));

    expect(keys.sort()).toEqual(['gold#vol-1#2026-11-26T12:00Z', 'gold#vol-2#2026-11-26T12:00Z']);
    expect(backend.snapshots.map((snapshot) => snapshot.resourceId)).toEqual(['vol-1']);
    expect(summary.outcomes.find((outcome) => outcome.resourceId === 'vol-2')).toMatchObject({ status: 'skipped' });
  });

  it('never runs more creates at once than the concurrency limit', async () => {
    let running = 0;
    let peak = 0;
    const backend = new FakeBackend(['ebs-volume'], Array.from({ length: 20 }, (_, index) => volume(`vol-${index}`)));
    const original = backend.createRecoveryPoint.bind(backend);
    backend.createRecoveryPoint = async (resource, request) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return original(resource, request);
    };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { concurrency: 3 }));

    expect(summary.created).toBe(20);
    expect(peak).toBe(3);
  });
});
