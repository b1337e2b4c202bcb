import { describe, expect, it } from '@jest/globals';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsSnapshotWorkQueue } from '../../../shared/aws/snapshot-work-queue.js';
import type { ResourceType } from '../../../shared/domain/plan-schema.js';
import { TAG, type Tags } from '../../../shared/domain/recovery-point-tags.js';
import { parseSnapshotWorkItem } from '../../../shared/domain/snapshot-work-item.js';
import {
  createQueuedSnapshots,
  createSnapshots,
  type CreateSnapshotsDeps,
  type ProtectedResource,
  type SnapshotBackend,
  type SnapshotWorkItem,
} from '../../../shared/use-cases/create-snapshots.js';
import { planFixture } from '../../support/plans.js';

const SLOT = new Date('2026-11-26T12:00:00Z');
const STACK = 'backup-orchestrator-test';

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

/** EBS in memory: snapshots with their tags; creates can be made to fail. */
class FakeEbs implements SnapshotBackend {
  readonly resourceTypes: readonly ResourceType[] = ['ebs-volume', 'ec2-instance'];
  readonly snapshots: Array<{ id: string; resourceId: string; tags: Tags }> = [];
  readonly failures = new Map<string, Error[]>();
  lookups = 0;

  constructor(private readonly volumes: ProtectedResource[] = []) {}

  async findResources() {
    return this.volumes;
  }

  async findSlotRecoveryPoints(query: { stack: string; planId: string; slot: string }) {
    const found = new Map<string, string[]>();
    for (const snapshot of this.snapshots) if (snapshot.tags[TAG.slot] === query.slot && snapshot.tags[TAG.plan] === query.planId) found.set(snapshot.resourceId, [snapshot.id]);
    return found;
  }

  async findSlotRecoveryPoint(query: { stack: string; planId: string; slot: string; resourceId: string }) {
    this.lookups += 1;
    return this.snapshots.filter((snapshot) => snapshot.resourceId === query.resourceId && snapshot.tags[TAG.slot] === query.slot).map((snapshot) => snapshot.id);
  }

  async createRecoveryPoint(resource: ProtectedResource, request: { tags: Tags }) {
    const failure = this.failures.get(resource.id)?.shift();
    if (failure) throw failure;
    const id = `snap-${this.snapshots.length + 1}`;
    this.snapshots.push({ id, resourceId: resource.id, tags: request.tags });
    return { snapshotIds: [id], existed: false };
  }
}

class MemoryQueue {
  readonly items: SnapshotWorkItem[] = [];
  async enqueue(items: readonly SnapshotWorkItem[]) {
    this.items.push(...items);
  }
}

const volumes = (count: number): ProtectedResource[] => Array.from({ length: count }, (_, index) => ({ type: 'ebs-volume', id: `vol-${index}`, tags: { Name: `v${index}` } }));

function deps(backend: SnapshotBackend, overrides: Partial<CreateSnapshotsDeps> = {}): CreateSnapshotsDeps {
  return { stack: STACK, backends: [backend], retry: { attempts: 3, baseDelayMs: 10, perVolumeRateDelayMs: 15_000 }, concurrency: 4, sleep: async () => undefined, random: () => 0.5, ...overrides };
}

describe('createSnapshots with fan-out', () => {
  it('queues one work item per resource still to do when the slot has more than inlineMax, with the recovery point tags', async () => {
    const backend = new FakeEbs(volumes(25));
    backend.snapshots.push({ id: 'snap-old', resourceId: 'vol-0', tags: { [TAG.plan]: 'gold', [TAG.slot]: '2026-11-26T12:00Z' } });
    const queue = new MemoryQueue();

    const summary = await createSnapshots({ plan: planFixture({ copySourceTags: ['Name'] }), slot: SLOT }, deps(backend, { fanOut: { queue, inlineMax: 20 } }));

    expect(summary).toMatchObject({ resources: 25, created: 0, alreadyDone: 1, queued: 24 });
    expect(backend.snapshots).toHaveLength(1);
    expect(queue.items.map((item) => item.resourceId)).toEqual(volumes(25).slice(1).map((volume) => volume.id));
    expect(queue.items[0]).toEqual({
      planId: 'gold',
      slot: '2026-11-26T12:00Z',
      resourceId: 'vol-1',
      type: 'ebs-volume',
      tags: { Name: 'v1', [TAG.stack]: STACK, [TAG.plan]: 'gold', [TAG.resourceId]: 'vol-1', [TAG.resourceType]: 'ebs-volume', [TAG.slot]: '2026-11-26T12:00Z' },
    });
  });

  it('creates a small slot inline, queueing nothing', async () => {
    const backend = new FakeEbs(volumes(20));
    const queue = new MemoryQueue();

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT }, deps(backend, { fanOut: { queue, inlineMax: 20 } }));

    expect(summary).toMatchObject({ created: 20, queued: 0 });
    expect(queue.items).toEqual([]);
  });

  it('queues nothing on a dry run', async () => {
    const queue = new MemoryQueue();

    const summary = await createSnapshots({ plan: planFixture(), slot: SLOT, dryRun: true }, deps(new FakeEbs(volumes(50)), { fanOut: { queue, inlineMax: 20 } }));

    expect(summary).toMatchObject({ skipped: 50, queued: 0 });
    expect(queue.items).toEqual([]);
  });
});

describe('createQueuedSnapshots (the snapshot workers)', () => {
  const item = (resourceId: string): SnapshotWorkItem => ({ planId: 'gold', slot: '2026-11-26T12:00Z', resourceId, type: 'ebs-volume', tags: { [TAG.slot]: '2026-11-26T12:00Z', [TAG.resourceId]: resourceId } });

  it('creates each item, answers in the order of the items, and asks for a retry only of transient failures', async () => {
    const backend = new FakeEbs();
    backend.failures.set('vol-b', [awsError('RequestLimitExceeded', 503), awsError('RequestLimitExceeded', 503), awsError('RequestLimitExceeded', 503)]);
    backend.failures.set('vol-c', [awsError('InvalidVolume.NotFound')]);

    const results = await createQueuedSnapshots(['vol-a', 'vol-b', 'vol-c'].map((id) => ({ item: item(id), receiveCount: 1 })), deps(backend));

    expect(results.map((result) => [result.item.resourceId, result.outcome.status, result.retry])).toEqual([
      ['vol-a', 'created', false],
      ['vol-b', 'failed', true],
      ['vol-c', 'failed', false],
    ]);
    expect(backend.snapshots.map((snapshot) => snapshot.resourceId)).toEqual(['vol-a']);
  });

  it('on a redelivery, finds the snapshot an earlier delivery made and creates no second one', async () => {
    const backend = new FakeEbs();
    await createQueuedSnapshots([{ item: item('vol-a'), receiveCount: 1 }], deps(backend));

    const again = await createQueuedSnapshots([{ item: item('vol-a'), receiveCount: 2 }], deps(backend));

    expect(again[0]?.outcome).toMatchObject({ status: 'already-done', snapshotIds: ['snap-1'] });
    expect(backend.snapshots).toHaveLength(1);
    expect(backend.lookups).toBe(1);
  });

  it('asks no look-up on a first delivery, and lets the claim answer a duplicate delivered at the same time', async () => {
    const backend = new FakeEbs();
    const claims = new Map<string, Promise<unknown>>();
    const guard = <T>(key: string, create: () => Promise<T>): Promise<T> => {
      if (!claims.has(key)) claims.set(key, create());
      return claims.get(key) as Promise<T>;
    };

    const results = await createQueuedSnapshots([{ item: item('vol-a'), receiveCount: 1 }, { item: item('vol-a'), receiveCount: 1 }], deps(backend, { guard }));

    expect(results.map((result) => result.outcome.status).sort()).toEqual(['already-done', 'created']);
    expect(backend.snapshots).toHaveLength(1);
    expect(backend.lookups).toBe(0);
  });

  it('retries later an item whose create another worker holds right now', async () => {
    const guard = async () => {
      throw Object.assign(new Error('in progress'), { name: 'IdempotencyAlreadyInProgressError' });
    };

    const [result] = await createQueuedSnapshots([{ item: item('vol-a'), receiveCount: 1 }], deps(new FakeEbs(), { guard }));

    expect(result).toMatchObject({ retry: true, outcome: { status: 'skipped' } });
  });

  it('records an item whose create another invocation still holds on its last delivery as failed, for the run log and the alarm', async () => {
    const guard = async () => {
      throw Object.assign(new Error('in progress'), { name: 'IdempotencyAlreadyInProgressError' });
    };
    const backend = new FakeEbs();

    const [result] = await createQueuedSnapshots([{ item: item('vol-a'), receiveCount: 5, final: true }], deps(backend, { guard }));

    expect(result).toMatchObject({
      retry: true,
      outcome: { resourceId: 'vol-a', status: 'failed', kind: 'transient', errorName: 'IdempotencyAlreadyInProgressError', reason: 'another invocation is creating this slot right now, still on the last delivery' },
    });
    expect(backend.snapshots).toEqual([]);
  });
});

describe('createQueuedSnapshots with a resource the scheduled run found in a passing state', () => {
  const waiting: SnapshotWorkItem = {
    planId: 'gold',
    slot: '2026-11-26T12:00Z',
    resourceId: 'orders-db',
    type: 'ebs-volume',
    tags: { [TAG.slot]: '2026-11-26T12:00Z' },
    notReady: 'RDS instance is backing-up, not available',
  };

  it('tries again on the next delivery while the create is refused for that state, and takes the snapshot once it passes', async () => {
    const backend = new FakeEbs();
    backend.failures.set('orders-db', [awsError('InvalidDBInstanceStateFault')]);

    const [busy] = await createQueuedSnapshots([{ item: waiting, receiveCount: 1 }], deps(backend));
    const [done] = await createQueuedSnapshots([{ item: waiting, receiveCount: 2 }], deps(backend));

    expect(busy).toMatchObject({
      retry: true,
      outcome: { status: 'failed', kind: 'transient', errorName: 'InvalidDBInstanceStateFault', reason: 'RDS instance is backing-up, not available, still (InvalidDBInstanceStateFault happened); the next delivery tries again' },
    });
    expect(done).toMatchObject({ retry: false, outcome: { status: 'created' } });
    expect(backend.snapshots).toHaveLength(1);
  });

  it('tries again an EC2 instance found pending while EC2 refuses its snapshots for that state', async () => {
    const backend = new FakeEbs();
    backend.failures.set('i-1', [awsError('IncorrectState')]);
    const pending: SnapshotWorkItem = { ...waiting, resourceId: 'i-1', type: 'ec2-instance', notReady: 'instance is pending' };

    const [busy] = await createQueuedSnapshots([{ item: pending, receiveCount: 1 }], deps(backend));
    const [done] = await createQueuedSnapshots([{ item: pending, receiveCount: 2 }], deps(backend));

    expect(busy).toMatchObject({ retry: true, outcome: { status: 'failed', kind: 'transient', errorName: 'IncorrectState' } });
    expect(done).toMatchObject({ retry: false, outcome: { status: 'created' } });
  });

  it('says so on the last delivery, and gives up at once on a refusal for another reason or for an item queued ready', async () => {
    const backend = new FakeEbs();
    backend.failures.set('orders-db', [awsError('InvalidDBClusterStateFault'), awsError('DBInstanceNotFound')]);
    backend.failures.set('vol-ready', [awsError('InvalidDBInstanceStateFault')]);

    const [last] = await createQueuedSnapshots([{ item: waiting, receiveCount: 5, final: true }], deps(backend));
    const [gone] = await createQueuedSnapshots([{ item: waiting, receiveCount: 1 }], deps(backend));
    const [ready] = await createQueuedSnapshots([{ item: { ...waiting, resourceId: 'vol-ready', notReady: undefined }, receiveCount: 1 }], deps(backend));

    expect(last?.outcome).toMatchObject({ status: 'failed', reason: 'RDS instance is backing-up, not available, still (InvalidDBClusterStateFault happened), on the last delivery' });
    expect(gone).toMatchObject({ retry: false, outcome: { status: 'failed', kind: 'permanent', errorName: 'DBInstanceNotFound' } });
    expect(ready).toMatchObject({ retry: false, outcome: { status: 'failed', kind: 'permanent', errorName: 'InvalidDBInstanceStateFault' } });
  });
});

describe('work item messages', () => {
  it('round-trips through JSON and refuses a malformed one precisely', () => {
    const body = JSON.stringify({ planId: 'gold', slot: '2026-11-26T12:00Z', resourceId: 'vol-1', type: 'ebs-volume', tags: { a: 'b' } });

    expect(parseSnapshotWorkItem(body)).toMatchObject({ resourceId: 'vol-1', type: 'ebs-volume' });
    expect(() => parseSnapshotWorkItem('{"planId":"gold","slot":"noon","resourceId":"vol-1","type":"tape","tags":{}}')).toThrow(
      'the snapshot worker received a message that is not a work item: slot must look like 2026-11-26T11:00Z; type must be one of ebs-volume, ec2-instance, rds-instance, aurora-cluster',
    );
    expect(() => parseSnapshotWorkItem('vol-1')).toThrow('the snapshot worker received a message that is not JSON');
    expect(parseSnapshotWorkItem(JSON.stringify({ ...JSON.parse(body), notReady: 'RDS instance is backing-up, not available' })).notReady).toBe('RDS instance is backing-up, not available');
    expect(() => parseSnapshotWorkItem(JSON.stringify({ ...JSON.parse(body), notReady: 5 }))).toThrow('notReady must be text');
  });
});

describe('SqsSnapshotWorkQueue', () => {
  it('sends ten items to a call and sends again the entries SQS refused', async () => {
    const sqs = mockClient(SQSClient);
    const sent: string[][] = [];
    let refusedOnce = false;
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string; MessageBody: string }> }) => {
      sent.push(input.Entries.map((entry) => JSON.parse(entry.MessageBody).resourceId));
      if (!refusedOnce) {
        refusedOnce = true;
        return { Successful: [], Failed: [{ Id: '3', Code: 'InternalError', SenderFault: false }] };
      }
      return { Successful: [], Failed: [] };
    });
    const items = Array.from({ length: 23 }, (_, index) => ({ planId: 'gold', slot: '2026-11-26T12:00Z', resourceId: `vol-${index}`, type: 'ebs-volume' as const, tags: {} }));

    await new SqsSnapshotWorkQueue(new SQSClient({ region: 'eu-west-1' }), 'https://sqs/queue').enqueue(items);

    const all = sent.flat();
    expect(sent.filter((batch) => batch.length === 10)).toHaveLength(2);
    expect(new Set(all)).toEqual(new Set(items.map((item) => item.resourceId)));
    expect(all).toHaveLength(24);
    sqs.restore();
  });
});
