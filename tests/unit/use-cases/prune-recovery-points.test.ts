import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { PlansConfig } from '../../../shared/domain/plan-schema.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { formatSlot, rdsSnapshotIdentifier, TAG, type Tags } from '../../../shared/domain/recovery-point-tags.js';
import { resourceKey, type StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import type { PointState } from '../../../shared/domain/retention-planner.js';
import {
  pruneEveryRegion,
  pruneRecoveryPoints,
  type DeleteResult,
  type PruneDeps,
  type PruneRegionSummary,
  type SnapshotDeleter,
} from '../../../shared/use-cases/prune-recovery-points.js';

const STACK = 'backup-orchestrator-test';
const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const DAY = 86_400_000;
/** Daily plans run at 02:00 UTC; the run happens four hours after the latest slot. */
const NOW = new Date('2026-10-31T06:00:00Z');
const LATEST_SLOT = Date.parse('2026-10-31T02:00:00Z');

const PLANS = `
version: 1
primaryRegion: ${PRIMARY}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, ec2-instance, rds-instance, aurora-cluster] }
    schedule: { expression: cron(0 2 * * ? *), timezone: UTC }
    rpo: 36h
    rto: 4h
    retention: { count: 3 }
    copies:
      - region: ${DR}
        encrypted: false
        retention: { count: 5 }
  - id: bronze
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 2 * * ? *), timezone: UTC }
    rpo: 36h
    rto: 4h
    retention: { maxAge: 10d }
`;
const config: PlansConfig = parsePlansFile(PLANS, 'plans.yml');

let nextId = 1;

interface SnapshotSpec {
  plan?: string;
  resourceId: string;
  type?: string;
  daysAgo: number;
  region?: string;
  state?: PointState;
  /** Number of volume snapshots in the point (an EC2 instance's point has several). */
  volumes?: number;
  tags?: Tags;
  kind?: StoredSnapshot['kind'];
}

/** The snapshots of one recovery point, tagged the way create-snapshots tags them. */
function point(spec: SnapshotSpec): StoredSnapshot[] {
  const slot = formatSlot(new Date(LATEST_SLOT - spec.daysAgo * DAY));
  const kind = spec.kind ?? 'ebs';
  const plan = spec.plan ?? 'gold';
  return Array.from({ length: spec.volumes ?? 1 }, () => ({
    kind,
    // RDS snapshots carry the name the stack gives them (one named otherwise is someone's own).
    id: kind === 'ebs' ? `snap-${String(nextId++).padStart(5, '0')}` : rdsSnapshotIdentifier(plan, spec.resourceId, new Date(LATEST_SLOT - spec.daysAgo * DAY), kind === 'rds-cluster' ? 'cluster' : 'instance'),
    region: spec.region ?? PRIMARY,
    state: spec.state ?? 'completed',
    status: spec.state === 'error' ? 'error' : spec.state === 'pending' ? 'pending' : 'completed',
    tags: {
      [TAG.stack]: STACK,
      [TAG.plan]: plan,
      [TAG.resourceId]: spec.resourceId,
      [TAG.resourceType]: spec.type ?? 'ebs-volume',
      [TAG.slot]: slot,
      ...spec.tags,
    },
  }));
}

/** Daily points from `from` days ago to `to` days ago (inclusive). */
function daily(spec: Omit<SnapshotSpec, 'daysAgo'>, from: number, to = 0): StoredSnapshot[] {
  const out: StoredSnapshot[] = [];
  for (let daysAgo = from; daysAgo >= to; daysAgo -= 1) out.push(...point({ ...spec, daysAgo }));
  return out;
}

/** An in-memory account: the catalog lists what is stored, the deleter removes it (and can refuse). */
class FakeAccount implements SnapshotDeleter {
  readonly deleteCalls: string[] = [];
  readonly inUse = new Set<string>();
  readonly failing = new Map<string, Error>();

  constructor(
    public stored: StoredSnapshot[],
    /** Sources that still exist, by id, or by resourceKey where the type matters. */
    readonly existingSources: Set<string> = new Set(),
  ) {}

  async delete(snapshot: StoredSnapshot, stack: string): Promise<DeleteResult> {
    this.deleteCalls.push(snapshot.id);
    if (snapshot.tags[TAG.stack] !== stack) throw new Error('refused: not ours');
    if (this.inUse.has(snapshot.id)) return { status: 'in-use', reason: `The snapshot ${snapshot.id} is currently in use by ami-1` };
    const failure = this.failing.get(snapshot.id);
    if (failure) throw failure;
    this.stored = this.stored.filter((candidate) => candidate.id !== snapshot.id);
    return { status: 'deleted' };
  }

  deps(overrides: Partial<PruneDeps> = {}): PruneDeps {
    return {
      stack: STACK,
      catalog: { listOurs: async () => [...this.stored] },
      sources: { existing: async (resources) => new Set(resources.filter((r) => this.existingSources.has(r.id) || this.existingSources.has(resourceKey(r))).map(resourceKey)) },
      deleter: this,
      ...overrides,
    };
  }

  /** Slots still stored for a resource in a Region, newest first. */
  slots(resourceId: string, region = PRIMARY): string[] {
    const slots = this.stored.filter((s) => s.region === region && s.tags[TAG.resourceId] === resourceId).map((s) => s.tags[TAG.slot] as string);
    return [...new Set(slots)].sort().reverse();
  }
}

const slotDaysAgo = (daysAgo: number) => formatSlot(new Date(LATEST_SLOT - daysAgo * DAY));
const run = (account: FakeAccount, region = PRIMARY, extra: { budget?: number; dryRun?: boolean; deps?: Partial<PruneDeps> } = {}) =>
  pruneRecoveryPoints({ config, region, now: NOW, budget: extra.budget ?? 1_000, dryRun: extra.dryRun ?? false }, account.deps(extra.deps));

const resourceReport = (summary: PruneRegionSummary, planId: string, resourceId: string) =>
  summary.plans.find((plan) => plan.planId === planId)?.resources.find((resource) => resource.resourceId === resourceId);

describe('pruneRecoveryPoints', () => {
  it('deletes the points the plan no longer keeps, oldest first, and keeps the rest', async () => {
    const account = new FakeAccount(daily({ resourceId: 'vol-a' }, 9), new Set(['vol-a']));

    const summary = await run(account);

    expect(account.slots('vol-a')).toEqual([slotDaysAgo(0), slotDaysAgo(1), slotDaysAgo(2)]);
    expect(summary.outcomes.map((outcome) => outcome.pointId)).toEqual([9, 8, 7, 6, 5, 4, 3].map((d) => `vol-a@${slotDaysAgo(d)}`));
    expect(summary.outcomes.every((outcome) => outcome.status === 'deleted')).toBe(true);
    expect(summary.counts).toMatchObject({ points: 10, keep: 3, delete: 7, pointsDeleted: 7, snapshotsDeleted: 7, failed: 0 });
    expect(summary.continuation).toBe(false);
    expect(resourceReport(summary, 'gold', 'vol-a')?.points[0]).toMatchObject({ slot: slotDaysAgo(0), action: 'keep', reasons: ['newest-completed', 'min-keep', 'count'] });
  });

  it('deletes every snapshot of a multi-volume point and reports each one', async () => {
    const account = new FakeAccount(daily({ resourceId: 'i-1', type: 'ec2-instance', volumes: 3 }, 4), new Set(['i-1']));

    const summary = await run(account);

    expect(account.slots('i-1')).toEqual([slotDaysAgo(0), slotDaysAgo(1), slotDaysAgo(2)]);
    expect(account.stored).toHaveLength(9);
    expect(summary.counts).toMatchObject({ pointsDeleted: 2, snapshotsDeleted: 6 });
    expect(resourceReport(summary, 'gold', 'i-1')?.points.filter((p) => p.action === 'delete').map((p) => [p.snapshotIds.length, p.outcome])).toEqual([
      [3, 'deleted'],
      [3, 'deleted'],
    ]);
  });

  it('stops before the budget runs out, never starts a point it cannot finish, and reports what remains', async () => {
    const account = new FakeAccount(
      [...daily({ resourceId: 'i-1', type: 'ec2-instance', volumes: 3 }, 6), ...daily({ resourceId: 'vol-a' }, 6)],
      new Set(['i-1', 'vol-a']),
    );

    const summary = await run(account, PRIMARY, { budget: 7 });

    // Oldest first across resources: i-1@6d (3), vol-a@6d (1), i-1@5d (3) = 7; vol-a@5d would be the 8th.
    expect(account.deleteCalls).toHaveLength(7);
    expect(account.slots('i-1')).toEqual([0, 1, 2, 3, 4].map(slotDaysAgo));
    expect(account.slots('vol-a')).toEqual([0, 1, 2, 3, 4, 5].map(slotDaysAgo));
    expect(summary).toMatchObject({ continuation: true, stoppedBecause: 'budget', remaining: { points: 5, snapshots: 9 } });
    expect(account.stored.filter((s) => s.tags[TAG.resourceId] === 'i-1').length % 3).toBe(0);
  });

  it('lets one point larger than the whole budget go alone, so a run always makes progress', async () => {
    const account = new FakeAccount(daily({ resourceId: 'i-1', type: 'ec2-instance', volumes: 4 }, 4), new Set(['i-1']));

    const summary = await run(account, PRIMARY, { budget: 2 });

    expect(account.deleteCalls).toHaveLength(4);
    expect(account.slots('i-1')).toEqual([0, 1, 2, 3].map(slotDaysAgo));
    expect(summary).toMatchObject({ continuation: true, stoppedBecause: 'budget', remaining: { points: 1, snapshots: 4 } });
  });

  it('stops when the invocation is about to run out of time and reports the continuation', async () => {
    const account = new FakeAccount(daily({ resourceId: 'vol-a' }, 9), new Set(['vol-a']));
    let remaining = 200_000;

    const summary = await run(account, PRIMARY, {
      deps: { remainingTimeMs: () => (remaining -= 50_000), reserveMs: 60_000 },
    });

    // 150 s, 100 s, then 50 s < 60 s reserve: two points deleted.
    expect(account.deleteCalls).toHaveLength(2);
    expect(account.slots('vol-a')).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(slotDaysAgo));
    expect(summary).toMatchObject({ continuation: true, stoppedBecause: 'time', remaining: { points: 5, snapshots: 5 } });
  });

  it('under any budget, every run keeps all the plan keeps and the newest planned deletions, and the runs converge on the plan', async () => {
    const resourceArb = fc.record({
      volumes: fc.integer({ min: 1, max: 4 }),
      days: fc.integer({ min: 1, max: 15 }),
      errorAt: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(resourceArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 9 }), async (resources, budget) => {
        const snapshots = resources.flatMap((spec, index) =>
          Array.from({ length: spec.days }, (_, daysAgo) =>
            point({ resourceId: `r-${index}`, type: spec.volumes > 1 ? 'ec2-instance' : 'ebs-volume', volumes: spec.volumes, daysAgo: daysAgo + 1, state: daysAgo + 1 === spec.errorAt ? 'error' : 'completed' }),
          ).flat(),
        );
        const ids = resources.map((_, index) => `r-${index}`);
        const account = new FakeAccount(snapshots, new Set(ids));
        // The whole plan, from a dry run: what must survive every partial run.
        const dry = await run(account, PRIMARY, { dryRun: true, deps: { missedSlotGraceMs: 2 * DAY } });
        const planned = dry.plans.flatMap((plan) => plan.resources.flatMap((resource) => resource.points.map((p) => ({ ...p, resourceId: resource.resourceId }))));
        const keeps = planned.filter((p) => p.action === 'keep');
        const deletes = planned.filter((p) => p.action === 'delete');

        for (let runs = 0; runs < 100; runs += 1) {
          const before = new Set(account.stored.map((s) => s.id));
          const summary = await run(account, PRIMARY, { budget, deps: { missedSlotGraceMs: 2 * DAY } });
          const stored = new Set(account.stored.map((s) => s.id));
          const deletedNow = [...before].filter((id) => !stored.has(id));
          const largest = Math.max(...planned.map((p) => p.snapshotIds.length));
          expect(deletedNow.length).toBeLessThanOrEqual(Math.max(budget, largest));
          for (const kept of keeps) for (const id of kept.snapshotIds) expect(stored.has(id)).toBe(true);
          for (const resourceId of ids) {
            const own = deletes.filter((p) => p.resourceId === resourceId).sort((a, b) => a.time.localeCompare(b.time));
            const left = own.map((p) => p.snapshotIds.every((id) => stored.has(id)));
            // Whole points only, and what is left of the planned deletions is always the newest of them.
            for (const p of own) expect(new Set(p.snapshotIds.map((id) => stored.has(id))).size).toBe(1);
            expect(left).toEqual([...left].sort((a, b) => Number(a) - Number(b)));
          }
          expect(summary.continuation).toBe(summary.remaining.points > 0);
          if (!summary.continuation) break;
        }
        const survivors = new Set(account.stored.map((s) => s.id));
        expect(survivors).toEqual(new Set(keeps.flatMap((p) => p.snapshotIds)));
      }),
      { numRuns: 60, seed: 20261031 },
    );
  });

  it('skips a snapshot an AMI uses, reports it, and goes on with the others', async () => {
    const snapshots = [...daily({ resourceId: 'i-1', type: 'ec2-instance', volumes: 2 }, 4), ...daily({ resourceId: 'vol-a' }, 4)];
    const account = new FakeAccount(snapshots, new Set(['i-1', 'vol-a']));
    const held = account.stored.find((s) => s.tags[TAG.resourceId] === 'i-1' && s.tags[TAG.slot] === slotDaysAgo(4));
    account.inUse.add(held?.id ?? '');

    const summary = await run(account);

    expect(summary.outcomes.filter((o) => o.status === 'skipped-in-use')).toEqual([
      expect.objectContaining({ snapshotId: held?.id, pointId: `i-1@${slotDaysAgo(4)}`, reason: expect.stringContaining('in use by ami-1') }),
    ]);
    expect(account.stored.map((s) => s.id)).toContain(held?.id);
    expect(account.slots('vol-a')).toEqual([0, 1, 2].map(slotDaysAgo));
    expect(resourceReport(summary, 'gold', 'i-1')?.points.find((p) => p.slot === slotDaysAgo(4))?.outcome).toBe('partly-deleted');
    expect(summary.counts).toMatchObject({ skippedInUse: 1, failed: 0, pointsDeleted: 3 });
  });

  it('reports a failed deletion with its reason and carries on', async () => {
    const account = new FakeAccount(daily({ resourceId: 'vol-a' }, 4), new Set(['vol-a']));
    const oldest = account.stored[0]?.id ?? '';
    account.failing.set(oldest, Object.assign(new Error('not authorized to perform ec2:DeleteSnapshot'), { name: 'UnauthorizedOperation' }));

    const summary = await run(account);

    expect(summary.outcomes[0]).toMatchObject({ snapshotId: oldest, status: 'failed', errorName: 'UnauthorizedOperation', reason: 'not authorized to perform ec2:DeleteSnapshot' });
    expect(account.slots('vol-a')).toEqual([0, 1, 2, 4].map(slotDaysAgo));
    expect(summary.counts).toMatchObject({ failed: 1, pointsDeleted: 1 });
  });

  it('on a dry run deletes nothing and returns the whole plan with what it would delete', async () => {
    const account = new FakeAccount([...daily({ resourceId: 'vol-a' }, 9), ...daily({ resourceId: 'i-1', type: 'ec2-instance', volumes: 2 }, 5)], new Set(['vol-a', 'i-1']));

    const summary = await run(account, PRIMARY, { dryRun: true, budget: 1 });

    expect(account.deleteCalls).toEqual([]);
    expect(account.stored).toHaveLength(10 + 12);
    expect(summary).toMatchObject({ dryRun: true, continuation: false, counts: { delete: 10, wouldDelete: 7 + 6, snapshotsDeleted: 0 } });
    expect(resourceReport(summary, 'gold', 'vol-a')?.points.at(-1)).toMatchObject({ action: 'delete', reasons: ['expired'], outcome: 'would-delete' });
  });

  it('keeps every point of a plan that is no longer in the plans file and reports it as orphaned', async () => {
    const account = new FakeAccount(daily({ resourceId: 'vol-old', plan: 'retired' }, 30), new Set());

    const summary = await run(account);

    expect(account.deleteCalls).toEqual([]);
    expect(account.stored).toHaveLength(31);
    expect(summary.plans).toEqual([expect.objectContaining({ planId: 'retired', status: 'orphaned' })]);
    expect(summary.plans[0]?.resources[0]?.points.every((p) => p.action === 'keep' && p.reasons[0] === 'orphaned-plan')).toBe(true);
  });

  it("applies the copy rule's own retention in a DR Region and the plan's in the primary Region", async () => {
    const account = new FakeAccount(
      [...daily({ resourceId: 'vol-a' }, 9), ...daily({ resourceId: 'vol-a', region: DR }, 9)],
      new Set(['vol-a']),
    );

    const primary = await run(account, PRIMARY);
    const dr = await run(account, DR);

    expect(account.slots('vol-a', PRIMARY)).toHaveLength(3);
    expect(account.slots('vol-a', DR)).toEqual([0, 1, 2, 3, 4].map(slotDaysAgo));
    expect(primary).toMatchObject({ role: 'primary', plans: [{ planId: 'gold', policy: 'plan' }] });
    expect(dr).toMatchObject({ role: 'dr', plans: [{ planId: 'gold', policy: 'copy' }] });
  });

  it('keeps every point of a plan found in a DR Region the plan does not copy to', async () => {
    const account = new FakeAccount(daily({ resourceId: 'vol-b', plan: 'bronze', region: DR }, 30), new Set(['vol-b']));

    const summary = await run(account, DR);

    expect(account.deleteCalls).toEqual([]);
    expect(summary.plans).toEqual([expect.objectContaining({ planId: 'bronze', status: 'no-rule-for-region' })]);
  });

  it('lets the points of a source that no longer exists follow retention but keeps the last one', async () => {
    // vol-gone was deleted 20 days ago; bronze keeps 10 days, so every point is past its age.
    const account = new FakeAccount([...daily({ resourceId: 'vol-gone', plan: 'bronze' }, 40, 20), ...daily({ resourceId: 'vol-b', plan: 'bronze' }, 15)], new Set(['vol-b']));

    const summary = await run(account);

    expect(account.slots('vol-gone')).toEqual([slotDaysAgo(20)]);
    const gone = resourceReport(summary, 'bronze', 'vol-gone');
    expect(gone).toMatchObject({ sourceExists: false, latestScheduledBackupFailed: false });
    expect(gone?.points[0]).toMatchObject({ slot: slotDaysAgo(20), action: 'keep', reasons: ['newest-completed', 'min-keep', 'source-gone-last'] });
    expect(gone?.points.slice(1).every((p) => p.action === 'delete' && p.outcome === 'deleted')).toBe(true);
    expect(account.slots('vol-b')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(slotDaysAgo));
  });

  it('deletes nothing of a resource whose newest point is in error, and still prunes the others', async () => {
    const account = new FakeAccount(
      [...daily({ resourceId: 'vol-a' }, 9, 1), ...point({ resourceId: 'vol-a', daysAgo: 0, state: 'error' }), ...daily({ resourceId: 'vol-c' }, 9)],
      new Set(['vol-a', 'vol-c']),
    );

    const summary = await run(account);

    expect(account.slots('vol-a')).toHaveLength(10);
    expect(account.slots('vol-c')).toHaveLength(3);
    expect(resourceReport(summary, 'gold', 'vol-a')).toMatchObject({
      latestScheduledBackupFailed: true,
      failedBecause: `its newest recovery point (${slotDaysAgo(0)}) is in error or incomplete`,
    });
    expect(resourceReport(summary, 'gold', 'vol-a')?.points.every((p) => p.action === 'keep' && p.reasons.includes('latest-backup-failed'))).toBe(true);
  });

  it('deletes nothing of an existing resource whose latest scheduled slot was missed, in the primary Region only', async () => {
    // The newest point is two days old: the slots of yesterday and today were missed.
    const account = new FakeAccount([...daily({ resourceId: 'vol-a' }, 9, 2), ...daily({ resourceId: 'vol-a', region: DR }, 9, 2)], new Set(['vol-a']));

    const primary = await run(account, PRIMARY);
    const dr = await run(account, DR);

    expect(account.slots('vol-a', PRIMARY)).toHaveLength(8);
    expect(resourceReport(primary, 'gold', 'vol-a')?.failedBecause).toBe(`slot ${slotDaysAgo(0)} was missed (newest completed recovery point is ${slotDaysAgo(2)})`);
    expect(account.slots('vol-a', DR)).toHaveLength(5);
    expect(resourceReport(dr, 'gold', 'vol-a')?.latestScheduledBackupFailed).toBe(false);
  });

  it('does not count a slot as missed while its grace has not passed', async () => {
    const account = new FakeAccount(daily({ resourceId: 'vol-a' }, 9, 1), new Set(['vol-a']));

    // One hour after today's slot: yesterday's point is the newest expected one.
    const summary = await pruneRecoveryPoints(
      { config, region: PRIMARY, now: new Date(LATEST_SLOT + 3_600_000), budget: 100 },
      account.deps({ missedSlotGraceMs: 2 * 3_600_000 }),
    );

    expect(resourceReport(summary, 'gold', 'vol-a')?.latestScheduledBackupFailed).toBe(false);
    expect(account.slots('vol-a')).toHaveLength(3);
  });

  it('never touches a snapshot without our ownership tag, even if the catalog returns one', async () => {
    const foreign = daily({ resourceId: 'vol-a', tags: { [TAG.stack]: 'someone-else' } }, 9);
    const untagged = daily({ resourceId: 'vol-a' }, 9).map((s) => ({ ...s, tags: Object.fromEntries(Object.entries(s.tags).filter(([k]) => k !== TAG.stack)) }));
    const account = new FakeAccount([...foreign, ...untagged], new Set(['vol-a']));

    const summary = await run(account);

    expect(account.deleteCalls).toEqual([]);
    expect(summary.counts.points).toBe(0);
  });

  it('keeps snapshots of ours that carry no readable slot, instead of guessing their time', async () => {
    const noSlot = point({ resourceId: 'vol-a', daysAgo: 30 }).map((s) => ({ ...s, startTime: new Date('2020-01-01T00:00:00Z'), tags: { ...s.tags, [TAG.slot]: 'yesterday' } }));
    const account = new FakeAccount([...noSlot, ...daily({ resourceId: 'vol-a' }, 2)], new Set(['vol-a']));

    const summary = await run(account);

    expect(account.deleteCalls).toEqual([]);
    expect(summary.plans.find((plan) => plan.status === 'unrecognised')?.resources[0]?.points[0]).toMatchObject({ action: 'keep', reasons: ['not-a-recovery-point'] });
  });

  it('keeps an old error point whole while one of its snapshots is still pending, and cleans it up once all settled', async () => {
    // Deleting the settled half would leave the pending snapshot to complete alone as a "completed" point of the instance.
    const broken = point({ resourceId: 'i-1', type: 'ec2-instance', daysAgo: 5, volumes: 2, state: 'error' });
    const stillPending = { ...broken[1]!, state: 'pending' as const, status: 'pending' };
    const account = new FakeAccount([broken[0]!, stillPending, ...daily({ resourceId: 'i-1', type: 'ec2-instance' }, 3)], new Set(['i-1']));

    const whilePending = await run(account);
    account.stored = account.stored.map((s) => (s.id === stillPending.id ? { ...s, state: 'completed' as const, status: 'completed' } : s));
    const settled = await run(account);

    expect(whilePending.outcomes.filter((o) => o.pointId === `i-1@${slotDaysAgo(5)}`)).toEqual([]);
    expect(resourceReport(whilePending, 'gold', 'i-1')?.points.find((p) => p.slot === slotDaysAgo(5))).toMatchObject({ state: 'pending', action: 'keep', reasons: ['pending'] });
    expect(settled.outcomes.filter((o) => o.pointId === `i-1@${slotDaysAgo(5)}`).map((o) => [o.snapshotId, o.status])).toEqual([
      [broken[0]?.id, 'deleted'],
      [stillPending.id, 'deleted'],
    ]);
    expect(account.slots('i-1')).toEqual([0, 1, 2].map(slotDaysAgo));
  });

  it('never plans or deletes snapshots Data Lifecycle Manager made, even after their plan moved to engine: lambda', async () => {
    // gold ran on DLM until 5 days ago (its instance snapshots carry DLM's tags, no slot tag), then on lambda.
    const dlmMade = [9, 8, 7, 6, 5].flatMap((daysAgo) =>
      point({ resourceId: 'i-1', type: 'ec2-instance', daysAgo, volumes: 2 }).map((s) => {
        const { [TAG.slot]: _slot, ...tags } = s.tags;
        return { ...s, startTime: new Date(LATEST_SLOT - daysAgo * DAY + 60_000), tags: { ...tags, [TAG.engine]: 'dlm', 'aws:dlm:lifecycle-policy-id': 'policy-0abc' } };
      }),
    );
    const dlmVolume = point({ resourceId: 'vol-d', daysAgo: 20 }).map((s) => ({ ...s, startTime: new Date(LATEST_SLOT - 20 * DAY), tags: { [TAG.stack]: STACK, [TAG.plan]: 'gold', [TAG.engine]: 'dlm' } }));
    const ours = daily({ resourceId: 'i-1', type: 'ec2-instance' }, 4);
    const account = new FakeAccount([...dlmMade, ...dlmVolume, ...ours], new Set(['i-1']));

    const summary = await run(account);

    const storedIds = account.stored.map((s) => s.id);
    expect([...dlmMade, ...dlmVolume].every((s) => storedIds.includes(s.id))).toBe(true);
    // Our own points are planned among themselves: count 3 keeps the newest 3 of ours.
    expect(account.slots('i-1').filter((slot) => slot !== undefined)).toEqual([0, 1, 2].map(slotDaysAgo));
    expect(account.deleteCalls.sort()).toEqual(ours.filter((s) => (s.tags[TAG.slot] ?? '') < slotDaysAgo(2)).map((s) => s.id).sort());
    expect(summary.counts.failed).toBe(0);
    const dlmReport = summary.plans.find((plan) => plan.planId === 'gold' && plan.status === 'dlm-engine');
    expect(dlmReport?.resources.flatMap((r) => r.points).map((p) => [p.action, p.reasons])).toEqual([
      ...Array.from({ length: 6 }, () => ['keep', ['dlm-engine']]),
    ]);
  });

  it('deletes only the failed attempts of a DR copy whose retry completed, never the good copy', async () => {
    const [failed] = point({ resourceId: 'vol-a', region: DR, daysAgo: 6, state: 'error', tags: { [TAG.sourceSnapshotId]: 'snap-src-6' } });
    const [retried] = point({ resourceId: 'vol-a', region: DR, daysAgo: 6, tags: { [TAG.sourceSnapshotId]: 'snap-src-6' } });
    const account = new FakeAccount([failed!, retried!, ...daily({ resourceId: 'vol-a', region: DR }, 5)], new Set(['vol-a']));

    const summary = await run(account, DR);

    expect(account.stored.map((s) => s.id)).not.toContain(failed?.id);
    expect(account.stored.map((s) => s.id)).toContain(retried?.id);
    expect(resourceReport(summary, 'gold', 'vol-a')?.points.find((p) => p.slot === slotDaysAgo(6))).toMatchObject({
      action: 'delete',
      reasons: ['error-past-grace'],
      outcome: 'failed-attempts-deleted',
    });
  });
});

describe('pruneEveryRegion', () => {
  it('prunes each Region with its own ports and records a Region that fails without stopping the others', async () => {
    const primary = new FakeAccount(daily({ resourceId: 'vol-a' }, 9), new Set(['vol-a']));
    const dr = new FakeAccount(daily({ resourceId: 'vol-a', region: DR }, 9), new Set(['vol-a']));
    const broken = { listOurs: async () => Promise.reject(Object.assign(new Error('Request has expired'), { name: 'RequestExpired' })) };

    const summary = await pruneEveryRegion({ config, regions: [PRIMARY, 'eu-north-1', DR], now: NOW, budget: 100 }, (region) =>
      region === PRIMARY ? primary.deps() : region === DR ? dr.deps() : { ...primary.deps(), catalog: broken },
    );

    expect(summary.regions.map((region) => region.region)).toEqual([PRIMARY, DR]);
    expect(summary.failedRegions).toEqual([{ region: 'eu-north-1', errorName: 'RequestExpired', reason: 'Request has expired' }]);
    expect(summary).toMatchObject({ pointsPruned: 7 + 5, failures: 1, continuation: false });
  });

  it('keeps a primary point whose copy to the DR Region is still running, and prunes it once the copy is done', async () => {
    // gold keeps 3 points in the primary: the one of 5 days ago is due, but its copy is still being made.
    const primary = new FakeAccount(daily({ resourceId: 'vol-a' }, 5), new Set(['vol-a']));
    const dueSource = primary.stored.find((snapshot) => snapshot.tags[TAG.slot] === slotDaysAgo(5)) as StoredSnapshot;
    const copyOf = (source: StoredSnapshot, state: PointState) =>
      point({ resourceId: 'vol-a', region: DR, daysAgo: 5, state, tags: { [TAG.sourceSnapshotId]: source.id, [TAG.sourceRegion]: PRIMARY } });
    const dr = new FakeAccount(copyOf(dueSource, 'pending'), new Set(['vol-a']));
    const prune = () => pruneEveryRegion({ config, regions: [PRIMARY, DR], now: NOW, budget: 100 }, (region) => (region === PRIMARY ? primary.deps() : dr.deps()));

    const whileCopying = await prune();
    const kept = resourceReport(whileCopying.regions[0] as PruneRegionSummary, 'gold', 'vol-a')?.points.find((entry) => entry.slot === slotDaysAgo(5));
    dr.stored = dr.stored.map((copy) => ({ ...copy, state: 'completed', status: 'completed' }));
    await prune();

    expect(whileCopying.regions.map((region) => region.region)).toEqual([PRIMARY, DR]);
    expect(kept).toMatchObject({ action: 'keep', reasons: ['copy-pending'] });
    // The older points (no copy) went at once; the 5-day-old one only once its copy completed.
    expect(primary.slots('vol-a')).toEqual([0, 1, 2].map(slotDaysAgo));
  });

  it('looks at the DR Regions for pending copies, deleting nothing there, when only the primary Region is pruned', async () => {
    const primary = new FakeAccount(daily({ resourceId: 'vol-a' }, 5), new Set(['vol-a']));
    const dueSource = primary.stored.find((snapshot) => snapshot.tags[TAG.slot] === slotDaysAgo(5)) as StoredSnapshot;
    // Nine old copies the DR rule (count 5) would prune, and the pending copy of the due source.
    const dr = new FakeAccount(
      [...daily({ resourceId: 'vol-a', region: DR }, 14, 6), ...point({ resourceId: 'vol-a', region: DR, daysAgo: 5, state: 'pending', tags: { [TAG.sourceSnapshotId]: dueSource.id } })],
      new Set(['vol-a']),
    );
    const drBefore = dr.stored.length;

    const summary = await pruneEveryRegion({ config, regions: [PRIMARY], now: NOW, budget: 100 }, (region) => (region === PRIMARY ? primary.deps() : dr.deps()));

    expect(summary.regions.map((region) => region.region)).toEqual([PRIMARY]);
    expect(primary.slots('vol-a')).toEqual([0, 1, 2, 5].map(slotDaysAgo));
    expect(dr.stored).toHaveLength(drBefore);
    expect(dr.deleteCalls).toEqual([]);
  });
});

describe('pruneRecoveryPoints never deletes the newest good point on tags or listings it cannot trust', () => {
  it('takes an instance point missing some of its volume copies as not whole, and deletes none of the whole ones it would replace', async () => {
    // The DR rule keeps 5: today's point has 2 of its 3 volume copies (the third waits for a copy slot).
    const size = { [TAG.pointSize]: '3' };
    const whole = daily({ resourceId: 'i-1', type: 'ec2-instance', region: DR, volumes: 3, tags: size }, 6, 1);
    const partial = point({ resourceId: 'i-1', type: 'ec2-instance', region: DR, volumes: 2, tags: size, daysAgo: 0 });
    const account = new FakeAccount([...whole, ...partial], new Set(['i-1']));

    const summary = await run(account, DR);

    // Counted as whole, today's point would have let the one of 6 days ago go, and with count 1 every whole one.
    expect(account.slots('i-1', DR)).toEqual([0, 1, 2, 3, 4, 5, 6].map(slotDaysAgo));
    expect(resourceReport(summary, 'gold', 'i-1')).toMatchObject({ failedBecause: `its newest recovery point (${slotDaysAgo(0)}) is in error or incomplete` });
    expect(resourceReport(summary, 'gold', 'i-1')?.points[0]).toMatchObject({ slot: slotDaysAgo(0), state: 'error', action: 'keep' });
  });

  it('cleans up what a partly failed deletion left of an old instance point once the error grace has passed', async () => {
    // A throttled run deleted 2 of the 3 snapshots of the point of 20 days ago; the whole points follow retention.
    const size = { [TAG.pointSize]: '3' };
    const leftover = point({ resourceId: 'i-1', type: 'ec2-instance', volumes: 1, tags: size, daysAgo: 20 });
    const account = new FakeAccount([...leftover, ...daily({ resourceId: 'i-1', type: 'ec2-instance', volumes: 3, tags: size }, 3)], new Set(['i-1']));

    const summary = await run(account);

    expect(account.slots('i-1')).toEqual([0, 1, 2].map(slotDaysAgo));
    expect(resourceReport(summary, 'gold', 'i-1')?.points.find((entry) => entry.slot === slotDaysAgo(20))).toMatchObject({ action: 'delete', reasons: ['error-past-grace'], outcome: 'deleted' });
  });

  it.each(['1', 'slot-1', 'Oct 31'])('keeps a snapshot whose slot tag reads %p hands off, instead of taking it for a point of 2001', async (garbage) => {
    const misread = point({ resourceId: 'vol-a', daysAgo: 0 }).map((s) => ({ ...s, tags: { ...s.tags, [TAG.slot]: garbage } }));
    const account = new FakeAccount([...daily({ resourceId: 'vol-a' }, 3, 1), ...misread], new Set(['vol-a']));

    await run(account);

    expect(account.stored.map((s) => s.id)).toContain(misread[0]?.id);
    expect(account.slots('vol-a').sort()).toEqual([garbage, ...[1, 2, 3].map(slotDaysAgo)].sort());
  });

  it('keeps a snapshot whose slot tag lies after the run hands off, so it never stands in for the newest point', async () => {
    const future = point({ resourceId: 'vol-a', daysAgo: -60 });
    const account = new FakeAccount([...future, ...daily({ resourceId: 'vol-a' }, 2)], new Set(['vol-a']));

    const summary = await run(account);

    expect(account.deleteCalls).toEqual([]);
    expect(summary.plans.find((plan) => plan.status === 'unrecognised')?.resources.flatMap((resource) => resource.points.map((entry) => entry.slot))).toEqual([slotDaysAgo(-60)]);
  });

  it('keeps snapshots with an empty resource-id tag hands off, instead of planning different volumes as one resource', async () => {
    const unnamed = [3, 2, 1, 0].flatMap((daysAgo) => point({ resourceId: '', daysAgo }).map((s) => ({ ...s, sourceVolumeId: `vol-${daysAgo}` })));
    const account = new FakeAccount(unnamed, new Set(['vol-0', 'vol-1', 'vol-2', 'vol-3']));

    await run(account);

    expect(account.deleteCalls).toEqual([]);
  });

  it('plans an RDS instance and an Aurora cluster of the same identifier as two resources, each keeping its own newest points', async () => {
    // The instance prod was deleted after day 4; the cluster prod goes on. gold keeps 3 points of each.
    const instance = daily({ resourceId: 'prod', type: 'rds-instance', kind: 'rds-instance' }, 8, 4);
    const cluster = daily({ resourceId: 'prod', type: 'aurora-cluster', kind: 'rds-cluster' }, 8, 0);
    const account = new FakeAccount([...instance, ...cluster], new Set(['aurora-cluster:prod']));

    const summary = await run(account);

    const slotsOf = (kind: StoredSnapshot['kind']) => account.stored.filter((s) => s.kind === kind).map((s) => s.tags[TAG.slot]).sort().reverse();
    expect(slotsOf('rds-instance')).toEqual([4, 5, 6].map(slotDaysAgo));
    // Their points of one slot share an id (prod@slot): what either keeps, both keep (the planner's duplicate-id rule).
    expect(slotsOf('rds-cluster')).toEqual([0, 1, 2, 4, 5, 6].map(slotDaysAgo));
    expect(summary.plans[0]?.resources.map((resource) => [resource.resourceType, resource.resourceId, resource.sourceExists])).toEqual([
      ['rds-instance', 'prod', false],
      ['aurora-cluster', 'prod', true],
    ]);
  });
});

describe('pruneEveryRegion when a DR Region cannot be listed', () => {
  const throttled = { listOurs: async () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' })) };
  const noRetry = { attempts: 1, baseDelayMs: 0, sleep: async () => undefined };

  it.each([
    ['both Regions are pruned', [PRIMARY, DR]],
    ['only the primary Region is pruned', [PRIMARY]],
  ])('deletes nothing in the primary Region that the plan copies there, and reports the Region, when %s', async (_case, regions) => {
    // gold keeps 3 in the primary: 3, 4 and 5 days ago are due, but whether their copies still run is unknown.
    const primary = new FakeAccount(daily({ resourceId: 'vol-a' }, 5), new Set(['vol-a']));
    const bronze = new FakeAccount(daily({ plan: 'bronze', resourceId: 'vol-b' }, 12), new Set(['vol-b']));
    primary.stored.push(...bronze.stored);

    const summary = await pruneEveryRegion({ config, regions, now: NOW, budget: 100 }, (region) =>
      region === PRIMARY ? primary.deps({ retry: noRetry }) : { ...primary.deps({ retry: noRetry }), catalog: throttled },
    );

    expect(primary.slots('vol-a')).toEqual([0, 1, 2, 3, 4, 5].map(slotDaysAgo));
    expect(resourceReport(summary.regions[0] as PruneRegionSummary, 'gold', 'vol-a')?.points.filter((entry) => entry.action === 'keep' && entry.reasons.includes('copy-state-unknown'))).toHaveLength(3);
    // bronze copies nowhere: its retention (10 days) still applies.
    expect(primary.slots('vol-b')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(slotDaysAgo));
    expect(summary.failedRegions.map((failed) => [failed.region, failed.errorName])).toEqual([[DR, 'RequestLimitExceeded']]);
    expect(summary.failures).toBe(1);
  });
});
