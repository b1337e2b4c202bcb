import { describe, expect, it } from '@jest/globals';
import { CleanupPendingError } from '../../../shared/domain/drill-errors.js';
import { DRILL_TIMING } from '../../../shared/domain/drill.js';
import type { DrillContext, SelectedRecoveryPoint } from '../../../shared/domain/drill.js';
import { runDrillJanitor } from '../../../shared/use-cases/drill-janitor.js';
import type { RestoredResource, RestoreResult } from '../../../shared/domain/drill-state.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { TAG, type Tags } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredRecoveryPoint } from '../../../shared/domain/recovery-points.js';
import {
  checkRestoreReady,
  cleanupDrill,
  drillStep,
  restoreRecoveryPoint,
  selectRecoveryPoint,
  validateDrillInput,
  validateRestore,
  type DrillBackend,
  type DrillResource,
  type ObservedResource,
  type RecoveryPointSource,
  type ValidationFunctionInvoker,
} from '../../../shared/use-cases/restore-drill.js';

const STACK = 'bo-test';
const CONFIG = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, ec2-instance, rds-instance, aurora-cluster] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    copies: [{ region: eu-central-1, encrypted: false }]
    drill: { region: primary, instanceClass: db.t3.medium, subnetGroup: drill-net, securityGroupIds: [sg-0abc] }
`);

const DRILL: DrillContext = {
  id: 'drill-20261126-1500-3f9a0c1d',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:sm:run',
  trigger: 'cli',
  planId: 'gold',
  region: 'eu-west-1',
  regionRole: 'primary',
  resourceId: 'vol-1',
  startedAt: '2026-11-26T15:00:00.000Z',
  restoreDeadline: '2026-11-26T17:00:00.000Z',
  expiresAt: '2026-11-26T20:00:00.000Z',
  rpoMs: 28_800_000,
  rtoMs: 3_600_000,
  restoreTimeoutMs: 7_200_000,
  settings: { instanceClass: 'db.t3.medium', subnetGroup: 'drill-net', securityGroupIds: ['sg-0abc'], availabilityZone: null, validationFunction: null, networkSettingsSkipped: false },
};

function storedPoint(resourceId: string, slot: string, options: { state?: 'completed' | 'pending'; type?: 'ebs-volume' | 'rds-instance'; region?: string } = {}): StoredRecoveryPoint {
  return {
    id: `${resourceId}@${slot}`,
    resourceId,
    time: new Date(slot),
    state: options.state ?? 'completed',
    tags: { [TAG.slot]: slot },
    planId: 'gold',
    resourceType: options.type ?? 'ebs-volume',
    region: options.region ?? 'eu-west-1',
    slot,
    snapshots: [{ kind: options.type === 'rds-instance' ? 'rds-instance' : 'ebs', id: `snap-${resourceId}-${slot}`, region: 'eu-west-1', state: 'completed', status: 'completed', sizeGiB: 10, tags: {} }],
  };
}

/**
 * A DR copy of vol-1 in eu-central-1 holding data from `slot`, which landed there at `completedAt`: EBS reports
 * that as the snapshot's CompletionTime, RDS copies only through our completion tag.
 */
function drCopy(slot: string, completedAt: string | null, by: 'ebs' | 'tag' = 'ebs'): StoredRecoveryPoint {
  const tags = { [TAG.slot]: slot, [TAG.sourceTime]: slot, [TAG.sourceRegion]: 'eu-west-1', ...(completedAt && by === 'tag' ? { [TAG.copyCompletedAt]: completedAt } : {}) };
  return {
    id: `vol-1@${slot}`,
    resourceId: 'vol-1',
    time: new Date(slot),
    state: 'completed',
    tags,
    planId: 'gold',
    resourceType: 'ebs-volume',
    region: 'eu-central-1',
    slot,
    snapshots: [
      { kind: 'ebs', id: `snap-${slot}`, region: 'eu-central-1', state: 'completed', status: 'completed', sizeGiB: 10, ...(completedAt && by === 'ebs' ? { completedAt: new Date(completedAt) } : {}), tags },
    ],
  };
}

class FakePoints implements RecoveryPointSource {
  readonly queries: string[] = [];
  constructor(private readonly byRegion: Record<string, StoredRecoveryPoint[]>) {}
  async listPoints(query: { stack: string; planId: string; region: string }) {
    this.queries.push(`${query.stack}/${query.planId}/${query.region}`);
    return this.byRegion[query.region] ?? [];
  }
}

/** An in-memory Region: what was restored, with statuses the test sets, and deletes that can be refused. */
class FakeBackend implements DrillBackend {
  readonly region = 'eu-west-1';
  readonly calls: string[] = [];
  readonly resources: DrillResource[] = [];
  observed = new Map<string, Partial<ObservedResource>>();
  /** The next delete of an id fails with this error (once). */
  refuse = new Map<string, Error>();
  /** Ids the tag search does not list yet (EC2 lists by tag with a lag after a create). */
  unlisted = new Set<string>();
  /** When set, a delete is accepted but the resource keeps this status for now (the service lags behind). */
  statusAfterDelete: string | null = null;
  readonly deleted = new Set<string>();

  async restoreVolume(request: { snapshotId: string; availabilityZone: string | null; clientToken: string; tags: Tags }) {
    this.calls.push(`CreateVolume ${request.snapshotId} token=${request.clientToken} az=${request.availabilityZone}`);
    const volumeId = `vol-restored-${this.resources.length + 1}`;
    this.resources.push({ kind: 'ebs-volume', id: volumeId, region: this.region, status: 'creating', tags: request.tags, clusterId: null });
    return { volumeId };
  }

  async restoreDbInstance(request: { identifier: string; snapshotId: string; instanceClass: string; subnetGroup: string | null; securityGroupIds: string[]; tags: Tags }) {
    this.calls.push(`RestoreDBInstanceFromDBSnapshot ${request.identifier} from ${request.snapshotId} ${request.instanceClass} ${request.subnetGroup} ${request.securityGroupIds.join(',')}`);
    this.resources.push({ kind: 'rds-instance', id: request.identifier, region: this.region, status: 'creating', tags: request.tags, clusterId: null });
  }

  async restoreAuroraCluster(request: { clusterIdentifier: string; instanceIdentifier: string; snapshotId: string; instanceClass: string; tags: Tags }) {
    this.calls.push(`RestoreDBClusterFromSnapshot ${request.clusterIdentifier} + ${request.instanceIdentifier} from ${request.snapshotId}`);
    this.resources.push({ kind: 'rds-instance', id: request.instanceIdentifier, region: this.region, status: 'creating', tags: request.tags, clusterId: request.clusterIdentifier });
    this.resources.push({ kind: 'aurora-cluster', id: request.clusterIdentifier, region: this.region, status: 'creating', tags: request.tags, clusterId: null });
  }

  async observe(resource: RestoredResource): Promise<ObservedResource> {
    if (this.deleted.has(resource.id)) return { kind: resource.kind, id: resource.id, exists: false, status: 'gone', members: [] };
    // Restores complete at once: a resource reads available unless a delete or the test set another status.
    const held = this.resources.find((candidate) => candidate.id === resource.id);
    const status = held && held.status !== 'creating' ? held.status : 'available';
    return { kind: resource.kind, id: resource.id, exists: true, status, members: [], ...this.observed.get(resource.id) };
  }

  async findDrillResources(query: { stack: string; drillId?: string }) {
    return this.resources
      .filter((resource) => !this.unlisted.has(resource.id) && resource.tags[TAG.stack] === query.stack && (!query.drillId || resource.tags[TAG.drillId] === query.drillId))
      .map((resource) => ({ ...resource }));
  }

  async deleteDrillResource(resource: DrillResource) {
    this.calls.push(`delete ${resource.kind} ${resource.id}`);
    const refusal = this.refuse.get(resource.id);
    if (refusal) {
      this.refuse.delete(resource.id);
      throw refusal;
    }
    const index = this.resources.findIndex((candidate) => candidate.kind === resource.kind && candidate.id === resource.id);
    if (index < 0) return;
    if (this.statusAfterDelete) {
      (this.resources[index] as DrillResource).status = this.statusAfterDelete;
      return;
    }
    this.resources.splice(index, 1);
    this.deleted.add(resource.id);
  }

  /** What a drill left behind: resources neither deleted nor deleting. */
  leftovers(): string[] {
    return this.resources.filter((resource) => resource.status !== 'deleting').map((resource) => `${resource.kind} ${resource.id}`);
  }
}

const POINT: SelectedRecoveryPoint = {
  id: 'vol-1@2026-11-26T12:00Z',
  resourceId: 'vol-1',
  resourceType: 'ebs-volume',
  region: 'eu-west-1',
  slot: '2026-11-26T12:00Z',
  dataTime: '2026-11-26T12:00:00.000Z',
  isCopy: false,
  achievedRpoMs: 3 * 3_600_000,
  snapshots: [{ kind: 'ebs', id: 'snap-1', arn: null, sizeGiB: 10 }],
};
const RESTORED: RestoreResult = { resources: [{ kind: 'ebs-volume', id: 'vol-r', region: 'eu-west-1', snapshotId: 'snap-1', expectedSizeGiB: 10, memberInstanceIds: [] }] };
/** When the restore step ran (its state's entered time), seconds after the drill started. */
const RESTORE_REQUESTED = new Date('2026-11-26T15:00:05Z');
const sdkError = (name: string, status: number, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const noInvoker: ValidationFunctionInvoker = { invoke: async () => Promise.reject(new Error('not expected')) };

describe('validateDrillInput', () => {
  const execution = { id: 'arn:aws:states:eu-west-1:1:execution:sm:run', name: 'run', startTime: '2026-11-26T15:00:00Z' };

  it('accepts a resource with recovery points of the plan in the primary or the drill Region', async () => {
    const points = new FakePoints({ 'eu-west-1': [storedPoint('vol-1', '2026-11-26T12:00Z')] });

    const drill = await validateDrillInput({ input: { planId: 'gold', resourceId: 'vol-1', region: 'dr' }, execution }, { config: CONFIG, stack: STACK, points });

    expect(drill).toMatchObject({ planId: 'gold', region: 'eu-central-1', resourceId: 'vol-1' });
    expect(points.queries).toEqual(['bo-test/gold/eu-west-1', 'bo-test/gold/eu-central-1']);
  });

  it('refuses a resource without recovery points of the plan, naming those that have some', async () => {
    const points = new FakePoints({ 'eu-west-1': [storedPoint('vol-1', '2026-11-26T12:00Z'), storedPoint('orders', '2026-11-26T12:00Z')] });

    await expect(validateDrillInput({ input: { planId: 'gold', resourceId: 'vol-9' }, execution }, { config: CONFIG, stack: STACK, points })).rejects.toThrow(
      'resource "vol-9" has no recovery points of plan "gold" in eu-west-1: resources with recovery points of this plan: orders, vol-1',
    );
  });

  it('refuses a startedAt days before the execution started, before listing or restoring anything', async () => {
    const points = new FakePoints({ 'eu-west-1': [storedPoint('vol-1', '2026-11-24T12:00Z'), storedPoint('vol-1', '2026-11-26T12:00Z')] });

    const attempt = validateDrillInput({ input: { planId: 'gold', resourceId: 'vol-1', startedAt: '2026-11-24T15:00:00Z' }, execution }, { config: CONFIG, stack: STACK, points });

    await expect(attempt).rejects.toMatchObject({
      name: 'BadInputError',
      message: expect.stringContaining('startedAt 2026-11-24T15:00:00.000Z is more than 1 h 1 min before the execution started (2026-11-26T15:00:00.000Z)'),
    });
    expect(points.queries).toEqual([]);
  });

  it('plans a drill whose schedule was delivered as late as the scheduler allows so that the janitor keeps its restore while it runs', async () => {
    // Prepare: scheduled 14:00, delivered after the scheduler's last retry at 15:00.
    const points = new FakePoints({ 'eu-west-1': [storedPoint('vol-1', '2026-11-26T12:00Z')] });
    const drill = await validateDrillInput({ input: { planId: 'gold', resourceId: 'vol-1', startedAt: '2026-11-26T14:00:00Z' }, execution }, { config: CONFIG, stack: STACK, points });
    const backend = new FakeBackend();
    await restoreRecoveryPoint(drill, await selectRecoveryPoint(drill, { stack: STACK, points }), new Date(execution.startTime), { stack: STACK, backend });

    // Act: the hourly janitor, at the latest time the drill may still be validating and cleaning up.
    const janitor = await runDrillJanitor({ now: new Date(Date.parse(drill.restoreDeadline) + DRILL_TIMING.expiryMarginMs - 60_000), dryRun: false, regions: ['eu-west-1'] }, { stack: STACK, backendFor: () => backend });

    // Assess
    expect({ deleted: janitor.deleted, left: backend.leftovers() }).toEqual({ deleted: 0, left: ['ebs-volume vol-restored-1'] });
  });

  it('refuses an unknown plan without listing anything', async () => {
    const points = new FakePoints({});

    await expect(validateDrillInput({ input: { planId: 'platinum' }, execution }, { config: CONFIG, stack: STACK, points })).rejects.toMatchObject({ name: 'UnknownPlanError' });
    expect(points.queries).toEqual([]);
  });
});

describe('selectRecoveryPoint', () => {
  it('selects the latest completed point that existed at the drill start and measures the RPO from it', async () => {
    const points = new FakePoints({
      'eu-west-1': [storedPoint('vol-1', '2026-11-26T08:00Z'), storedPoint('vol-1', '2026-11-26T12:00Z'), storedPoint('vol-1', '2026-11-26T16:00Z')],
    });

    const selected = await selectRecoveryPoint(DRILL, { stack: STACK, points });

    expect(selected).toMatchObject({ id: 'vol-1@2026-11-26T12:00Z', achievedRpoMs: 3 * 3_600_000, snapshots: [{ kind: 'ebs', id: 'snap-vol-1-2026-11-26T12:00Z', arn: null, sizeGiB: 10 }] });
  });

  it('measures a DR drill\'s RPO from the latest copy that had landed at the drill start, not one that landed afterwards', async () => {
    // Prepare: scheduled 15:00 and started late (scheduler retries); the 14:00 copy landed at 15:40, the 06:00 one at 06:40.
    const drill: DrillContext = { ...DRILL, region: 'eu-central-1', regionRole: 'dr' };
    const points = new FakePoints({ 'eu-central-1': [drCopy('2026-11-26T06:00Z', '2026-11-26T06:40:00Z'), drCopy('2026-11-26T14:00Z', '2026-11-26T15:40:00Z')] });

    // Act
    const selected = await selectRecoveryPoint(drill, { stack: STACK, points });

    // Assess: 15:00 − 06:00, over the 8 h objective.
    expect({ slot: selected.slot, achievedRpoHours: selected.achievedRpoMs / 3_600_000 }).toEqual({ slot: '2026-11-26T06:00Z', achievedRpoHours: 9 });
  });

  it('reads when an RDS copy landed from its completion tag', async () => {
    const drill: DrillContext = { ...DRILL, region: 'eu-central-1', regionRole: 'dr' };
    const points = new FakePoints({ 'eu-central-1': [drCopy('2026-11-26T06:00Z', '2026-11-26T06:40:00Z', 'tag'), drCopy('2026-11-26T14:00Z', '2026-11-26T15:00:01Z', 'tag')] });

    expect((await selectRecoveryPoint(drill, { stack: STACK, points })).slot).toBe('2026-11-26T06:00Z');
  });

  it('selects by data time alone when no completion time of a point is known', async () => {
    const drill: DrillContext = { ...DRILL, region: 'eu-central-1', regionRole: 'dr' };
    const points = new FakePoints({ 'eu-central-1': [drCopy('2026-11-26T06:00Z', '2026-11-26T06:40:00Z'), drCopy('2026-11-26T14:00Z', null)] });

    expect((await selectRecoveryPoint(drill, { stack: STACK, points })).slot).toBe('2026-11-26T14:00Z');
  });

  it('fails with NoRecoveryPointError, counting the copies that landed only after the drill started', async () => {
    const drill: DrillContext = { ...DRILL, region: 'eu-central-1', regionRole: 'dr' };
    const points = new FakePoints({ 'eu-central-1': [drCopy('2026-11-26T14:00Z', '2026-11-26T15:40:00Z')] });

    await expect(selectRecoveryPoint(drill, { stack: STACK, points })).rejects.toMatchObject({
      name: 'NoRecoveryPointError',
      message: 'no completed recovery point of resource "vol-1" in eu-central-1 at 2026-11-26T15:00:00.000Z (1 completed only after the drill started)',
    });
  });

  it('fails with NoRecoveryPointError, counting the pending points, when none is completed', async () => {
    const points = new FakePoints({ 'eu-west-1': [storedPoint('vol-1', '2026-11-26T12:00Z', { state: 'pending' })] });

    await expect(selectRecoveryPoint(DRILL, { stack: STACK, points })).rejects.toMatchObject({ name: 'NoRecoveryPointError', message: 'no completed recovery point of resource "vol-1" in eu-west-1 at 2026-11-26T15:00:00.000Z (1 pending or failed)' });
  });

  it('refuses to restore a database without an instance class before creating anything', async () => {
    const points = new FakePoints({ 'eu-west-1': [storedPoint('orders', '2026-11-26T12:00Z', { type: 'rds-instance' })] });

    await expect(selectRecoveryPoint({ ...DRILL, resourceId: 'orders', settings: { ...DRILL.settings, instanceClass: null } }, { stack: STACK, points })).rejects.toThrow(
      'plan "gold" has no drill.instanceClass: drills that restore rds-instance need the instance class to restore into (e.g. db.t3.medium)',
    );
  });
});

describe('restoreRecoveryPoint', () => {
  it('restores one volume per snapshot, the ClientToken derived from the drill id, tagged as a drill resource', async () => {
    const backend = new FakeBackend();
    const point = { ...POINT, resourceType: 'ec2-instance' as const, snapshots: [POINT.snapshots[0] as SelectedRecoveryPoint['snapshots'][number], { kind: 'ebs' as const, id: 'snap-2', arn: null, sizeGiB: 8 }] };

    const restore = await restoreRecoveryPoint(DRILL, point, RESTORE_REQUESTED, { stack: STACK, backend });

    expect(backend.calls).toEqual([`CreateVolume snap-1 token=${DRILL.id}-1 az=null`, `CreateVolume snap-2 token=${DRILL.id}-2 az=null`]);
    expect(restore.resources.map((resource) => [resource.id, resource.expectedSizeGiB])).toEqual([['vol-restored-1', 10], ['vol-restored-2', 8]]);
    expect(backend.resources[0]?.tags).toEqual({ Name: `restore ${DRILL.id}`, [TAG.stack]: STACK, [TAG.plan]: 'gold', [TAG.drillId]: DRILL.id, [TAG.expiresAt]: DRILL.expiresAt });
  });

  it('uses the drill id itself as the ClientToken of a single volume, and records when the restore was requested', async () => {
    const backend = new FakeBackend();

    const restore = await restoreRecoveryPoint(DRILL, POINT, RESTORE_REQUESTED, { stack: STACK, backend });

    expect(backend.calls).toEqual([`CreateVolume snap-1 token=${DRILL.id} az=null`]);
    expect(restore.requestedAt).toBe('2026-11-26T15:00:05.000Z');
  });

  it("restores an RDS instance and an Aurora cluster with one instance, with the plan's class and network", async () => {
    const backend = new FakeBackend();
    const rdsPoint = { ...POINT, resourceType: 'rds-instance' as const, snapshots: [{ kind: 'rds-instance' as const, id: 'bo-gold-orders-20261126-1200', arn: null, sizeGiB: 20 }] };
    const auroraPoint = { ...POINT, resourceType: 'aurora-cluster' as const, snapshots: [{ kind: 'rds-cluster' as const, id: 'bo-gold-ledger-20261126-1200', arn: null, sizeGiB: null }] };

    const rds = await restoreRecoveryPoint(DRILL, rdsPoint, RESTORE_REQUESTED, { stack: STACK, backend });
    const aurora = await restoreRecoveryPoint(DRILL, auroraPoint, RESTORE_REQUESTED, { stack: STACK, backend });

    expect(backend.calls).toEqual([
      `RestoreDBInstanceFromDBSnapshot bo-${DRILL.id} from bo-gold-orders-20261126-1200 db.t3.medium drill-net sg-0abc`,
      `RestoreDBClusterFromSnapshot bo-${DRILL.id} + bo-${DRILL.id}-1 from bo-gold-ledger-20261126-1200`,
    ]);
    expect(rds.resources).toEqual([{ kind: 'rds-instance', id: `bo-${DRILL.id}`, region: 'eu-west-1', snapshotId: 'bo-gold-orders-20261126-1200', expectedSizeGiB: null, memberInstanceIds: [] }]);
    expect(aurora.resources[0]?.memberInstanceIds).toEqual([`bo-${DRILL.id}-1`]);
  });
});

describe('checkRestoreReady', () => {
  it('is ready when every resource (and Aurora member) is available', async () => {
    const backend = new FakeBackend();

    const readiness = await checkRestoreReady(DRILL, RESTORED, new Date('2026-11-26T15:01:00Z'), { backend });

    expect(readiness).toEqual({ ready: true, nextCheckInSeconds: 15, statuses: [{ kind: 'ebs-volume', id: 'vol-r', status: 'available' }] });
  });

  it('waits 15 s for volumes and 60 s for databases, then 5 % of the time waited (at most 5 min), never past the deadline', async () => {
    const backend = new FakeBackend();
    backend.observed.set('vol-r', { status: 'creating' });
    backend.observed.set('db-r', { status: 'available', members: [{ id: 'db-r-1', status: 'creating' }] });
    const database: RestoreResult = { resources: [{ kind: 'aurora-cluster', id: 'db-r', region: 'eu-west-1', snapshotId: 's', expectedSizeGiB: null, memberInstanceIds: ['db-r-1'] }] };

    const wait = async (restore: RestoreResult, now: string) => (await checkRestoreReady(DRILL, restore, new Date(now), { backend })).nextCheckInSeconds;

    expect(await wait(RESTORED, '2026-11-26T15:01:00Z')).toBe(15);
    expect(await wait(RESTORED, '2026-11-26T15:10:00Z')).toBe(30);
    expect(await wait(database, '2026-11-26T15:10:00Z')).toBe(60);
    expect(await wait(database, '2026-11-26T15:40:00Z')).toBe(120);
    expect(await wait(database, '2026-11-26T16:50:00Z')).toBe(300);
    expect(await wait(database, '2026-11-26T16:59:50Z')).toBe(10);
  });

  it('times out at the deadline while still not available, saying what it last saw', async () => {
    const backend = new FakeBackend();
    backend.observed.set('vol-r', { status: 'creating' });

    await expect(checkRestoreReady(DRILL, RESTORED, new Date('2026-11-26T17:00:00Z'), { backend })).rejects.toMatchObject({
        name: 'RestoreTimedOutError',
        message: 'not available 2 h after the drill started (the restore timeout: twice the RTO of 1 h, within 30 min–24 h); last seen: ebs-volume vol-r creating',
      });
  });

  it('keeps waiting for a restored resource the service does not show yet, within 5 min of the restore request', async () => {
    const backend = new FakeBackend();
    backend.observed.set('vol-r', { exists: false, status: 'gone' });
    const restore = { ...RESTORED, requestedAt: '2026-11-26T15:00:05.000Z' };

    const readiness = await checkRestoreReady(DRILL, restore, new Date('2026-11-26T15:00:15Z'), { backend });

    expect(readiness).toEqual({ ready: false, nextCheckInSeconds: 15, statuses: [{ kind: 'ebs-volume', id: 'vol-r', status: 'not visible yet' }] });
  });

  it('counts that grace from the restore request, not from a start up to an hour earlier (a late schedule delivery)', async () => {
    const backend = new FakeBackend();
    backend.observed.set('vol-r', { exists: false, status: 'gone' });
    const restore = { ...RESTORED, requestedAt: '2026-11-26T16:00:05.000Z' };

    await expect(checkRestoreReady(DRILL, restore, new Date('2026-11-26T16:04:00Z'), { backend })).resolves.toMatchObject({ ready: false });
    await expect(checkRestoreReady(DRILL, restore, new Date('2026-11-26T16:05:05Z'), { backend })).rejects.toMatchObject({
      name: 'RestoreFailedError',
      message: 'the restore failed: ebs-volume vol-r gone',
    });
  });

  it('fails at once on a state the restore never leaves, or when the resource is gone', async () => {
    const backend = new FakeBackend();
    backend.observed.set('vol-r', { status: 'error' });

    await expect(checkRestoreReady(DRILL, RESTORED, new Date('2026-11-26T15:10:00Z'), { backend })).rejects.toThrow('the restore failed: ebs-volume vol-r error');
    backend.observed.set('vol-r', { exists: false, status: 'gone' });
    await expect(checkRestoreReady(DRILL, RESTORED, new Date('2026-11-26T15:10:00Z'), { backend })).rejects.toMatchObject({ name: 'RestoreFailedError' });
  });
});

describe('validateRestore', () => {
  it("checks a volume's size against its snapshot's", async () => {
    const backend = new FakeBackend();
    backend.observed.set('vol-r', { sizeGiB: 10 });

    expect(await validateRestore(DRILL, POINT, RESTORED, { backend, invoker: noInvoker })).toEqual({ checks: ["ebs-volume vol-r is available with the snapshot's size (10 GiB)"], user: null });
    backend.observed.set('vol-r', { sizeGiB: 8 });
    await expect(validateRestore(DRILL, POINT, RESTORED, { backend, invoker: noInvoker })).rejects.toThrow('the restore is not usable: ebs-volume vol-r has 8 GiB, the snapshot 10 GiB');
  });

  it('needs an endpoint on a database', async () => {
    const backend = new FakeBackend();
    const database: RestoreResult = { resources: [{ kind: 'rds-instance', id: 'db-r', region: 'eu-west-1', snapshotId: 's', expectedSizeGiB: null, memberInstanceIds: [] }] };

    await expect(validateRestore(DRILL, POINT, database, { backend, invoker: noInvoker })).rejects.toMatchObject({ name: 'RestoreValidationError', message: 'the restore is not usable: rds-instance db-r is available but has no endpoint' });
    backend.observed.set('db-r', { endpoint: 'db-r.drill.invalid', port: 5432 });
    expect((await validateRestore(DRILL, POINT, database, { backend, invoker: noInvoker })).checks).toEqual(['rds-instance db-r is available at db-r.drill.invalid:5432']);
  });

  it("passes the plan's validation function's verdict through, and fails on a failing, crashing or malformed answer", async () => {
    const backend = new FakeBackend();
    backend.observed.set('vol-r', { sizeGiB: 10 });
    const drill = { ...DRILL, settings: { ...DRILL.settings, validationFunction: 'smoke' } };
    const answering = (answer: { functionError: string | null; payload: unknown }): ValidationFunctionInvoker => ({ invoke: async () => answer });

    expect((await validateRestore(drill, POINT, RESTORED, { backend, invoker: answering({ functionError: null, payload: { passed: true, message: 'ok' } }) })).user).toEqual({
      functionName: 'smoke',
      passed: true,
      message: 'ok',
    });
    await expect(validateRestore(drill, POINT, RESTORED, { backend, invoker: answering({ functionError: null, payload: { passed: false, message: 'empty disk' } }) })).rejects.toThrow(
      'validation function smoke failed the restore: empty disk',
    );
    await expect(validateRestore(drill, POINT, RESTORED, { backend, invoker: answering({ functionError: 'Error: boom', payload: null }) })).rejects.toThrow('validation function smoke failed: Error: boom');
    await expect(validateRestore(drill, POINT, RESTORED, { backend, invoker: answering({ functionError: null, payload: 'yes' }) })).rejects.toThrow(
      'validation function smoke answered "yes", not an object; it must answer {"passed": true|false, "message": "…"}',
    );
    await expect(validateRestore(drill, POINT, RESTORED, { backend, invoker: answering({ functionError: null, payload: { ok: true } }) })).rejects.toMatchObject({ name: 'UserValidationError' });
  });
});

describe('cleanupDrill', () => {
  async function restoredAurora(backend: FakeBackend) {
    return restoreRecoveryPoint(DRILL, { ...POINT, resourceType: 'aurora-cluster', snapshots: [{ kind: 'rds-cluster', id: 's', arn: null, sizeGiB: null }] }, RESTORE_REQUESTED, { stack: STACK, backend });
  }

  it("deletes everything tagged with the drill's id, instances before their cluster, and nothing else", async () => {
    const backend = new FakeBackend();
    await restoredAurora(backend);
    backend.resources.push({ kind: 'ebs-volume', id: 'vol-other-drill', region: 'eu-west-1', status: 'available', tags: { [TAG.stack]: STACK, [TAG.drillId]: 'drill-other' }, clusterId: null });

    const cleanup = await cleanupDrill(DRILL, undefined, { stack: STACK, backendFor: () => backend });

    expect(backend.calls.filter((call) => call.startsWith('delete'))).toEqual([`delete rds-instance bo-${DRILL.id}-1`, `delete aurora-cluster bo-${DRILL.id}`]);
    expect(cleanup).toEqual({
      skipped: null,
      deleted: [
        { kind: 'rds-instance', id: `bo-${DRILL.id}-1`, status: 'deleted' },
        { kind: 'aurora-cluster', id: `bo-${DRILL.id}`, status: 'deleted' },
      ],
      remaining: [],
    });
    expect(backend.resources.map((resource) => resource.id)).toEqual(['vol-other-drill']);
  });

  it('throws CleanupPendingError (retried by the state machine) for what cannot be deleted yet', async () => {
    const backend = new FakeBackend();
    await restoredAurora(backend);
    backend.refuse.set(`bo-${DRILL.id}-1`, new CleanupPendingError('rds-instance is creating'));

    await expect(cleanupDrill(DRILL, undefined, { stack: STACK, backendFor: () => backend })).rejects.toThrow(
      `cannot delete yet: rds-instance bo-${DRILL.id}-1 (rds-instance is creating)`,
    );
  });

  it.each([
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 503],
    ['InternalFailure', 500],
  ])('throws CleanupPendingError, which the state machine retries, when a delete fails with %s, and deletes on the retry', async (name, status) => {
    // Prepare: the first DeleteVolume fails for a passing reason; the next one would succeed.
    const backend = new FakeBackend();
    await restoreRecoveryPoint(DRILL, POINT, RESTORE_REQUESTED, { stack: STACK, backend });
    backend.refuse.set('vol-restored-1', sdkError(name, status, 'try again'));

    // Act: Cleanup, then its retry.
    const first = await drillStep(() => cleanupDrill(DRILL, undefined, { stack: STACK, backendFor: () => backend })).catch((error: Error) => error);
    const retried = await cleanupDrill(DRILL, undefined, { stack: STACK, backendFor: () => backend });

    // Assess
    expect(first).toMatchObject({ name: 'CleanupPendingError', message: `cannot delete yet: ebs-volume vol-restored-1 (${name}: try again)` });
    expect(retried.deleted).toEqual([{ kind: 'ebs-volume', id: 'vol-restored-1', status: 'deleted' }]);
    expect(backend.leftovers()).toEqual([]);
  });

  it('throws CleanupPendingError while a resource it deleted does not read as deleting yet', async () => {
    const backend = new FakeBackend();
    await restoreRecoveryPoint(DRILL, POINT, RESTORE_REQUESTED, { stack: STACK, backend });
    backend.statusAfterDelete = 'available';

    await expect(cleanupDrill(DRILL, undefined, { stack: STACK, backendFor: () => backend })).rejects.toMatchObject({
      name: 'CleanupPendingError',
      message: 'not deleting yet after the delete: ebs-volume vol-restored-1 available',
    });
  });

  it('deletes what the restore step returned even when the tag search does not list it yet, Aurora members before their cluster', async () => {
    // Prepare: a volume and an Aurora cluster of this drill that EC2/RDS do not list by tag yet.
    const backend = new FakeBackend();
    const volume = await restoreRecoveryPoint(DRILL, POINT, RESTORE_REQUESTED, { stack: STACK, backend });
    const aurora = await restoredAurora(backend);
    for (const resource of backend.resources) backend.unlisted.add(resource.id);
    const restore = { resources: [...volume.resources, ...aurora.resources], requestedAt: volume.requestedAt };

    // Act
    const cleanup = await cleanupDrill(DRILL, restore, { stack: STACK, backendFor: () => backend });

    // Assess
    expect(backend.leftovers()).toEqual([]);
    expect(backend.calls.filter((call) => call.startsWith('delete'))).toEqual([
      `delete rds-instance bo-${DRILL.id}-1`,
      'delete ebs-volume vol-restored-1',
      `delete aurora-cluster bo-${DRILL.id}`,
    ]);
    expect(cleanup.deleted.map((resource) => resource.status)).toEqual(['deleted', 'deleted', 'deleted']);
  });

  it('deletes a resource both listed by tag and returned by the restore step once', async () => {
    const backend = new FakeBackend();
    const restore = await restoreRecoveryPoint(DRILL, POINT, RESTORE_REQUESTED, { stack: STACK, backend });

    const cleanup = await cleanupDrill(DRILL, restore, { stack: STACK, backendFor: () => backend });

    expect(backend.calls.filter((call) => call.startsWith('delete'))).toEqual(['delete ebs-volume vol-restored-1']);
    expect(cleanup).toEqual({ skipped: null, deleted: [{ kind: 'ebs-volume', id: 'vol-restored-1', status: 'deleted' }], remaining: [] });
  });

  it('throws CleanupIncompleteError when a delete is refused for good, naming the resource and the error', async () => {
    const backend = new FakeBackend();
    await restoreRecoveryPoint(DRILL, POINT, RESTORE_REQUESTED, { stack: STACK, backend });
    backend.refuse.set('vol-restored-1', Object.assign(new Error('attached to i-1'), { name: 'VolumeInUse' }));

    await expect(cleanupDrill(DRILL, undefined, { stack: STACK, backendFor: () => backend })).rejects.toMatchObject({ name: 'CleanupIncompleteError', message: 'could not delete ebs-volume vol-restored-1: VolumeInUse: attached to i-1' });
  });

  it('does nothing for a drill that never got its context (bad input)', async () => {
    expect(await cleanupDrill(undefined, undefined, { stack: STACK, backendFor: () => Promise.reject(new Error('no backend')) as never })).toMatchObject({
      skipped: 'nothing to clean up: the drill stopped before it had a Region and an id, so it created nothing',
      deleted: [],
    });
  });
});

describe('drillStep', () => {
  it('renames throttling, 5xx and network errors TransientAwsError, and leaves the others alone', async () => {
    const fail = (error: Error) => drillStep(() => Promise.reject(error));

    await expect(fail(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))).rejects.toMatchObject({ name: 'TransientAwsError', message: 'ThrottlingException: Rate exceeded' });
    await expect(fail(Object.assign(new Error('oops'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }))).rejects.toMatchObject({ name: 'TransientAwsError' });
    await expect(fail(Object.assign(new Error('no'), { name: 'AccessDenied' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
