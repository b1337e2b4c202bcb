import { describe, expect, it } from '@jest/globals';
import type { ResourceType } from '../../../shared/domain/plan-schema.js';
import { TAG, type Tags } from '../../../shared/domain/recovery-point-tags.js';
import {
  createSnapshots,
  type CreateSnapshotsDeps,
  type ProtectedResource,
  type SnapshotBackend,
  type SnapshotWorkItem,
} from '../../../shared/use-cases/create-snapshots.js';
import { planFixture } from '../../support/plans.js';
import { lambdaContext } from '../../support/lambda.js';
import { DynamoDBClient, ProvisionedThroughputExceededException, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, IdempotencyPersistenceLayerError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

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

  it('passes every create through the guard with a (plan, resource, slot) key and, without a work queue, counts a claim held elsewhere as a transient failure', async () => {
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
    expect(summary).toMatchObject({ created: 1, failed: 1, skipped: 0 });
    expect(summary.outcomes.find((outcome) => outcome.resourceId === 'vol-2')).toEqual({
      resourceId: 'vol-2',
      type: 'ebs-volume',
      status: 'failed',
      kind: 'transient',
      errorName: 'IdempotencyAlreadyInProgressError',
      reason: 'another invocation is creating this slot right now; no work queue to try again later',
    });
  });

  it('puts an item whose claim another (perhaps crashed) invocation holds on the work queue, reported queued', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1'), volume('vol-2')]);
    const queued: SnapshotWorkItem[] = [];
    const guard = async <T>(key: string, create: () => Promise<T>): Promise<T> => {
      if (key.includes('vol-2')) throw new IdempotencyAlreadyInProgressError('There is already an execution in progress');
      return create();
    };
    const queue = { enqueue: async (items: readonly SnapshotWorkItem[]) => void queued.push(...items) };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { guard, fanOut: { queue, inlineMax: 20 } }));

    expect(summary).toMatchObject({ created: 1, queued: 1, skipped: 0, failed: 0 });
    expect(summary.outcomes.find((outcome) => outcome.resourceId === 'vol-2')).toEqual({ resourceId: 'vol-2', type: 'ebs-volume', status: 'queued' });
    expect(queued).toEqual([
      expect.objectContaining({ planId: 'gold', slot: '2026-11-26T12:00Z', resourceId: 'vol-2', type: 'ebs-volume', tags: expect.objectContaining({ [TAG.resourceId]: 'vol-2', [TAG.slot]: '2026-11-26T12:00Z' }) }),
    ]);
  });

  it('records an item whose claim is held elsewhere as failed when the work queue refuses it', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    const guard = async <T>(): Promise<T> => {
      throw new IdempotencyAlreadyInProgressError('There is already an execution in progress');
    };
    const queue = { enqueue: async () => Promise.reject(awsError('ServiceUnavailable', 503)) };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { guard, fanOut: { queue, inlineMax: 20 } }));

    expect(summary).toMatchObject({ queued: 0, failed: 1 });
    expect(summary.outcomes[0]).toMatchObject({ status: 'failed', kind: 'transient', errorName: 'IdempotencyAlreadyInProgressError' });
  });

  it('retries a create whose claim store (DynamoDB, through Powertools) was throttled, and takes the snapshot once', async () => {
    const dynamo = mockClient(DynamoDBClient);
    const throttle = new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: { httpStatusCode: 400 } });
    dynamo.on(PutItemCommand).rejectsOnce(throttle).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 'claims', awsSdkV3Client: new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }) });
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'key' });
    config.registerLambdaContext(lambdaContext('create-snapshots'));
    const guard = <T>(key: string, create: () => Promise<T>) => makeIdempotent(async (_claim: { key: string }) => create(), { persistenceStore, config })({ key });
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);

    try {
      const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { guard }));

      expect(summary).toMatchObject({ created: 1, failed: 0 });
      expect(backend.snapshots.map((snapshot) => snapshot.resourceId)).toEqual(['vol-1']);
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
    } finally {
      dynamo.restore();
    }
  });

  it('records a claim store that refuses the request (e.g. a missing table) as a permanent failure without creating', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    const guard = async <T>(): Promise<T> => {
      throw new IdempotencyPersistenceLayerError('Failed to save in progress record to idempotency store', { cause: awsError('ResourceNotFoundException') });
    };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { guard }));

    expect(backend.snapshots).toHaveLength(0);
    expect(summary.outcomes[0]).toMatchObject({ status: 'failed', kind: 'permanent', errorName: 'IdempotencyPersistenceLayerError' });
  });

  it('after a claim store failure that followed the create, reports the snapshot the create answered instead of creating a second one', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    let calls = 0;
    const guard = async <T>(_key: string, create: () => Promise<T>): Promise<T> => {
      calls += 1;
      const result = await create();
      if (calls === 1) throw new IdempotencyPersistenceLayerError('Failed to update success record to idempotency store', { cause: awsError('InternalServerError', 500) });
      return result;
    };
    const lookups: string[] = [];
    const lookingBackend = Object.assign(backend, {
      findSlotRecoveryPoint: async (query: { resourceId: string }) => {
        lookups.push(query.resourceId);
        return backend.snapshots.filter((snapshot) => snapshot.resourceId === query.resourceId).map((snapshot) => snapshot.id);
      },
    });

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([lookingBackend], { guard }));

    expect(summary.outcomes[0]).toMatchObject({ status: 'created', snapshotIds: ['snap-1'] });
    expect(backend.snapshots).toHaveLength(1);
    // The create answered with its snapshot: nothing to look for (DescribeSnapshots might not show it yet).
    expect(lookups).toEqual([]);
  });

  it('reports a not-ready resource whose own snapshot of this slot exists (RDS backing-up during a duplicate delivery) as already done', async () => {
    const backend = Object.assign(
      new FakeBackend(['rds-instance'], [{ type: 'rds-instance', id: 'orders-db', tags: {}, notReadyReason: 'RDS instance is backing-up, not available', notReadyKind: 'transient' }]),
      { findSlotRecoveryPoint: async (query: { resourceId: string; slot: string }) => (query.resourceId === 'orders-db' && query.slot === '2026-11-26T12:00Z' ? ['bo-gold-orders-db-20261126-1200'] : []) },
    );

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend]));

    expect(backend.createCalls).toBe(0);
    expect(summary).toMatchObject({ alreadyDone: 1, failed: 0 });
    expect(summary.outcomes).toEqual([{ resourceId: 'orders-db', type: 'rds-instance', status: 'already-done', snapshotIds: ['bo-gold-orders-db-20261126-1200'] }]);
  });

  it('reports a not-ready resource in a passing state, with no snapshot of this slot, as a transient failure', async () => {
    const backend = Object.assign(
      new FakeBackend(['rds-instance'], [{ type: 'rds-instance', id: 'orders-db', tags: {}, notReadyReason: 'RDS instance is modifying, not available', notReadyKind: 'transient' }]),
      { findSlotRecoveryPoint: async () => [] },
    );

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend]));

    expect(summary.outcomes).toEqual([
      { resourceId: 'orders-db', type: 'rds-instance', status: 'failed', kind: 'transient', errorName: 'ResourceNotReady', reason: 'RDS instance is modifying, not available' },
    ]);
  });

  it('puts a create still throttled after its retries on the work queue, so a worker tries again after the storm, and keeps the others', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1'), volume('vol-2')]);
    backend.failures.set('vol-1', Array.from({ length: 10 }, () => awsError('RequestLimitExceeded', 503)));
    const queued: SnapshotWorkItem[] = [];
    const queue = { enqueue: async (items: readonly SnapshotWorkItem[]) => void queued.push(...items) };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { fanOut: { queue, inlineMax: 20 } }));

    expect(summary).toMatchObject({ created: 1, queued: 1, failed: 0 });
    expect(queued.map((item) => [item.resourceId, item.slot, item.notReady])).toEqual([['vol-1', '2026-11-26T12:00Z', undefined]]);
    expect(backend.snapshots.map((snapshot) => snapshot.resourceId)).toEqual(['vol-2']);
  });

  it('records a throttled create as failed, saying why, when the work queue refuses it too', async () => {
    const backend = new FakeBackend(['ebs-volume'], [volume('vol-1')]);
    backend.failures.set('vol-1', Array.from({ length: 10 }, () => awsError('RequestLimitExceeded', 503)));
    const queue = { enqueue: async () => Promise.reject(awsError('ServiceUnavailable', 503)) };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { fanOut: { queue, inlineMax: 20 } }));

    expect(summary.outcomes).toEqual([
      {
        resourceId: 'vol-1',
        type: 'ebs-volume',
        status: 'failed',
        kind: 'transient',
        errorName: 'RequestLimitExceeded',
        reason: 'RequestLimitExceeded happened; queueing it for a later try failed: ServiceUnavailable: ServiceUnavailable happened',
      },
    ]);
  });

  it('puts a resource in a passing state (RDS backing-up) on the work queue, saying why, and one stopped for good not', async () => {
    const backend = Object.assign(
      new FakeBackend(['rds-instance'], [
        { type: 'rds-instance', id: 'orders-db', tags: {}, notReadyReason: 'RDS instance is backing-up, not available', notReadyKind: 'transient' },
        { type: 'rds-instance', id: 'stopped-db', tags: {}, notReadyReason: 'RDS instance is stopped, not available', notReadyKind: 'permanent' },
      ]),
      { findSlotRecoveryPoint: async () => [] },
    );
    const queued: SnapshotWorkItem[] = [];
    const queue = { enqueue: async (items: readonly SnapshotWorkItem[]) => void queued.push(...items) };

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps([backend], { fanOut: { queue, inlineMax: 20 } }));
    const dryRun = await createSnapshots({ plan: planFixture(), slot: SLOT, dryRun: true }, deps([backend], { fanOut: { queue, inlineMax: 20 } }));

    expect(summary).toMatchObject({ queued: 1, failed: 1 });
    expect(queued.map((item) => [item.resourceId, item.notReady])).toEqual([['orders-db', 'RDS instance is backing-up, not available']]);
    expect(backend.createCalls).toBe(0);
    // A dry run queues nothing: it says what it found.
    expect(dryRun).toMatchObject({ queued: 0, failed: 2 });
    expect(queued).toHaveLength(1);
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
