import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DeleteVolumeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  RegisterImageCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import type { Context } from 'aws-lambda';
import { rdsSnapshotIdentifier, TAG, toTagList } from '../../shared/domain/recovery-point-tags.js';
import type { PruneRegionSummary, PruneRunSummary, SnapshotOutcome } from '../../shared/use-cases/prune-recovery-points.js';
import { ec2, rds } from '../../sandbox/aws-clients.js';
import { createAuroraCluster, createDbInstance, createInstanceWithVolumes, createVolume } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { runCli } from '../support/cli.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';

const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const STACK = 'backup-orchestrator-test'; // what useHandlerEnvironment sets as STACK_NAME
const OTHER_STACK = 'backup-orchestrator-other';
/** The prune run's scheduled time: four hours after the daily 02:00 UTC slot of 31 October. */
const NOW = '2026-10-31T06:00:00Z';
const PLANS = `
version: 1
primaryRegion: ${PRIMARY}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, ec2-instance, rds-instance, aurora-cluster] }
    schedule: { expression: cron(0 2 * * ? *), timezone: UTC }
    rpo: 36h
    rto: 4h
    retention: { minKeep: 3, tiers: { daily: 7, weekly: 4, monthly: 3 } }
    copies:
      - region: ${DR}
        encrypted: false
        retention: { count: 5 }
  - id: bronze
    selection: { resourceTypes: [ebs-volume, rds-instance] }
    schedule: { expression: cron(0 2 * * ? *), timezone: UTC }
    rpo: 36h
    rto: 4h
    retention: { maxAge: 14d }
`;

/** Every calendar day from `from` to `to`, inclusive, as YYYY-MM-DD. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += 86_400_000) out.push(new Date(ms).toISOString().slice(0, 10));
  return out;
}

const SIX_MONTHS = days('2026-05-01', '2026-10-31');

// The survivors, worked out by hand from the policies (not by the planner), for 2026-10-31T06:00Z.
/** gold, primary: newest 7 days, the Monday of the newest 4 ISO weeks, the 1st of the newest 3 months. */
const GOLD_KEEPS = new Set(['2026-08-01', '2026-09-01', '2026-10-01', '2026-10-05', '2026-10-12', '2026-10-19', ...days('2026-10-25', '2026-10-31')]);
/** bronze: younger than 14 days, i.e. after 2026-10-17T06:00Z. */
const BRONZE_KEEPS = new Set(days('2026-10-18', '2026-10-31'));
/** gold's copy rule in the DR Region: the newest 5. */
const DR_GOLD_KEEPS = new Set(days('2026-10-27', '2026-10-31'));

type Kind = 'ebs' | 'rds-instance' | 'rds-cluster';
interface Seeded {
  id: string;
  region: string;
  kind: Kind;
  resourceId: string;
  planId: string;
  day: string;
  /** ours: tagged by this stack; foreign: look-alikes of another stack or without the ownership tag; dlm: ours, made by DLM. */
  owner: 'ours' | 'foreign' | 'dlm';
}

let moto: MotoServer;
let handler: (event: unknown, context: Context) => Promise<PruneRunSummary>;
const seeded: Seeded[] = [];
const estate: Record<string, string> = {};
let plansFile = '';
let inUseSnapshotId = '';
let amiSnapshotIsOurs = false;

const clients = (region: string) => ({ ec2: ec2(moto.endpoint, region), rds: rds(moto.endpoint, region) });

function tagsFor(owner: string | undefined, planId: string, resourceId: string, resourceType: string, day: string): Record<string, string> {
  return {
    ...(owner ? { [TAG.stack]: owner } : {}),
    [TAG.plan]: planId,
    [TAG.resourceId]: resourceId,
    [TAG.resourceType]: resourceType,
    [TAG.slot]: `${day}T02:00Z`,
  };
}

/** Runs tasks a few at a time: moto answers concurrent requests, and six months of points are many. */
async function inBatches(tasks: Array<() => Promise<unknown>>, size = 24): Promise<void> {
  for (let start = 0; start < tasks.length; start += size) await Promise.all(tasks.slice(start, start + size).map((task) => task()));
}

interface PointSpec {
  region: string;
  planId: string;
  resourceId: string;
  resourceType: 'ebs-volume' | 'ec2-instance' | 'rds-instance' | 'aurora-cluster';
  /** What the snapshot is really taken of (a stand-in in the DR Region, where the source does not exist). */
  from: string;
  day: string;
  stack?: string | undefined;
  identifier?: string;
}

/** One recovery point, tagged as create-snapshots (or a copy) tags it; its time is the slot tag, moto's clock is ignored. */
async function seedPoint(spec: PointSpec): Promise<void> {
  const { ec2: ec2Client, rds: rdsClient } = clients(spec.region);
  const tags = tagsFor(spec.stack, spec.planId, spec.resourceId, spec.resourceType, spec.day);
  const owner = spec.stack === STACK ? 'ours' : 'foreign';
  const record = (id: string, kind: Kind) => seeded.push({ id, region: spec.region, kind, resourceId: spec.resourceId, planId: spec.planId, day: spec.day, owner });
  const TagSpecifications = [{ ResourceType: 'snapshot' as const, Tags: toTagList(tags) }];
  // A copy of an instance's point is one snapshot per volume: in the DR Region it is made from a stand-in volume.
  if (spec.from.startsWith('vol-')) {
    const result = await ec2Client.send(new CreateSnapshotCommand({ VolumeId: spec.from, TagSpecifications }));
    record(result.SnapshotId ?? '', 'ebs');
  } else if (spec.from.startsWith('i-')) {
    const result = await ec2Client.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: spec.from }, TagSpecifications }));
    for (const snapshot of result.Snapshots ?? []) record(snapshot.SnapshotId ?? '', 'ebs');
  } else {
    const identifier = spec.identifier ?? rdsSnapshotIdentifier(spec.planId, spec.resourceId, new Date(`${spec.day}T02:00:00Z`), 'instance');
    if (spec.resourceType === 'rds-instance') {
      await rdsClient.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: identifier, DBInstanceIdentifier: spec.from, Tags: toTagList(tags) }));
      record(identifier, 'rds-instance');
    } else {
      await rdsClient.send(new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: identifier, DBClusterIdentifier: spec.from, Tags: toTagList(tags) }));
      record(identifier, 'rds-cluster');
    }
  }
}

/** Every snapshot in a Region, ours or not: what survives must be exactly what we expect. */
async function allSnapshots(region: string): Promise<Set<string>> {
  const { ec2: ec2Client, rds: rdsClient } = clients(region);
  const ebs = await ec2Client.send(new DescribeSnapshotsCommand({}));
  const instances = await rdsClient.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }));
  const clusters = await rdsClient.send(new DescribeDBClusterSnapshotsCommand({ SnapshotType: 'manual' }));
  return new Set([
    ...(ebs.Snapshots ?? []).map((snapshot) => `${region}/${snapshot.SnapshotId}`),
    ...(instances.DBSnapshots ?? []).map((snapshot) => `${region}/${snapshot.DBSnapshotIdentifier}`),
    ...(clusters.DBClusterSnapshots ?? []).map((snapshot) => `${region}/${snapshot.DBClusterSnapshotIdentifier}`),
  ]);
}

async function everything(): Promise<Set<string>> {
  return new Set([...(await allSnapshots(PRIMARY)), ...(await allSnapshots(DR))]);
}

/** Whether the hand-worked policies keep a seeded snapshot. */
function expectedToSurvive(snapshot: Seeded): boolean {
  if (snapshot.owner !== 'ours') return true; // foreign, or made by Data Lifecycle Manager: never ours to prune
  if (snapshot.region === DR) return snapshot.planId !== 'gold' || DR_GOLD_KEEPS.has(snapshot.day);
  if (snapshot.planId === 'retired') return true; // orphaned: the plan left the plans file
  if (snapshot.resourceId === estate.volMissed) return true; // its latest slots were missed: nothing of it is deleted
  if (snapshot.resourceId === estate.volGone) return snapshot.day === '2026-10-11'; // source gone: only the last stays
  if (snapshot.planId === 'bronze') return BRONZE_KEEPS.has(snapshot.day);
  return GOLD_KEEPS.has(snapshot.day);
}

const key = (snapshot: Pick<Seeded, 'region' | 'id'>) => `${snapshot.region}/${snapshot.id}`;
const event = (extra: Record<string, unknown> = {}) => ({ scheduledTime: NOW, executionId: 'exec-1', attempt: '1', ...extra });

let before: Set<string>;

beforeAll(async () => {
  moto = await startMotoServer();
  const primary = clients(PRIMARY);
  const dr = clients(DR);
  const az = `${PRIMARY}a`;

  // The primary estate: volumes, an instance with two volumes, RDS instances and an Aurora cluster.
  estate.volA = (await createVolume(primary.ec2, { az, sizeGiB: 8, tags: { 'backup:plan': 'gold' } })).volumeId;
  estate.volMissed = (await createVolume(primary.ec2, { az, sizeGiB: 8, tags: { 'backup:plan': 'gold' } })).volumeId;
  estate.volB = (await createVolume(primary.ec2, { az, sizeGiB: 8, tags: { 'backup:plan': 'bronze' } })).volumeId;
  estate.volGone = (await createVolume(primary.ec2, { az, sizeGiB: 8, tags: { 'backup:plan': 'bronze' } })).volumeId;
  estate.app = (await createInstanceWithVolumes(primary.ec2, { az, extraVolumes: 1, tags: { 'backup:plan': 'gold' } })).instanceId;
  estate.orders = (await createDbInstance(primary.rds, { id: 'orders', tags: { 'backup:plan': 'gold' } })).dbInstanceIdentifier;
  estate.billing = (await createDbInstance(primary.rds, { id: 'billing', tags: { 'backup:plan': 'bronze' } })).dbInstanceIdentifier;
  estate.ledger = (await createAuroraCluster(primary.rds, { id: 'ledger', tags: { 'backup:plan': 'gold' } })).dbClusterIdentifier;
  // The DR Region holds copies only; stand-ins give moto something to snapshot there.
  const standInVolume = (await createVolume(dr.ec2, { az: `${DR}a`, sizeGiB: 8 })).volumeId;
  const standInDb = (await createDbInstance(dr.rds, { id: 'dr-stand-in' })).dbInstanceIdentifier;
  const standInCluster = (await createAuroraCluster(dr.rds, { id: 'dr-stand-in-cluster' })).dbClusterIdentifier;

  const tasks: Array<() => Promise<void>> = [];
  const ours = (spec: Omit<PointSpec, 'stack'>) => tasks.push(() => seedPoint({ ...spec, stack: STACK }));
  const P = { region: PRIMARY };
  for (const day of SIX_MONTHS) {
    ours({ ...P, planId: 'gold', resourceId: estate.volA, resourceType: 'ebs-volume', from: estate.volA, day });
    ours({ ...P, planId: 'gold', resourceId: estate.app, resourceType: 'ec2-instance', from: estate.app, day });
    ours({ ...P, planId: 'gold', resourceId: 'orders', resourceType: 'rds-instance', from: 'orders', day });
    ours({ ...P, planId: 'gold', resourceId: 'ledger', resourceType: 'aurora-cluster', from: 'ledger', day });
    ours({ ...P, planId: 'bronze', resourceId: estate.volB, resourceType: 'ebs-volume', from: estate.volB, day });
    ours({ ...P, planId: 'bronze', resourceId: 'billing', resourceType: 'rds-instance', from: 'billing', day });
    // Backups of this volume stopped three days ago although it still exists.
    if (day <= '2026-10-28') ours({ ...P, planId: 'gold', resourceId: estate.volMissed, resourceType: 'ebs-volume', from: estate.volMissed, day });
    // This volume was deleted after its backup of 11 October.
    if (day <= '2026-10-11') ours({ ...P, planId: 'bronze', resourceId: estate.volGone, resourceType: 'ebs-volume', from: estate.volGone, day });
  }
  // Points of a plan that has left the plans file.
  for (const day of days('2026-05-01', '2026-05-10')) ours({ ...P, planId: 'retired', resourceId: estate.volA, resourceType: 'ebs-volume', from: estate.volA, day });
  // Copies in the DR Region: the last 30 days of gold, and a few bronze points although bronze copies nowhere.
  for (const day of days('2026-10-02', '2026-10-31')) {
    ours({ region: DR, planId: 'gold', resourceId: estate.volA, resourceType: 'ebs-volume', from: standInVolume, day });
    for (let volume = 0; volume < 2; volume += 1) ours({ region: DR, planId: 'gold', resourceId: estate.app, resourceType: 'ec2-instance', from: standInVolume, day });
    ours({ region: DR, planId: 'gold', resourceId: 'orders', resourceType: 'rds-instance', from: standInDb, day });
    ours({ region: DR, planId: 'gold', resourceId: 'ledger', resourceType: 'aurora-cluster', from: standInCluster, day });
  }
  for (const day of days('2026-06-01', '2026-06-05')) ours({ region: DR, planId: 'bronze', resourceId: estate.volB, resourceType: 'ebs-volume', from: standInVolume, day });
  // Foreign look-alikes: identical tags but another stack, or no ownership tag at all, in both Regions.
  for (const day of days('2026-05-01', '2026-05-10')) {
    const foreign = (spec: PointSpec) => tasks.push(() => seedPoint(spec));
    foreign({ ...P, stack: OTHER_STACK, planId: 'gold', resourceId: estate.volA, resourceType: 'ebs-volume', from: estate.volA, day });
    foreign({ ...P, stack: undefined, planId: 'gold', resourceId: estate.volA, resourceType: 'ebs-volume', from: estate.volA, day });
    foreign({ ...P, stack: OTHER_STACK, planId: 'gold', resourceId: 'orders', resourceType: 'rds-instance', from: 'orders', day, identifier: `other-gold-orders-${day}` });
    foreign({ ...P, stack: undefined, planId: 'gold', resourceId: 'ledger', resourceType: 'aurora-cluster', from: 'ledger', day, identifier: `untagged-ledger-${day}` });
    foreign({ region: DR, stack: OTHER_STACK, planId: 'gold', resourceId: estate.volA, resourceType: 'ebs-volume', from: standInVolume, day });
  }
  await inBatches(tasks);
  // Data Lifecycle Manager made these for gold before gold moved to engine: lambda (DLM's tags, no slot tag).
  const dlmTags = { [TAG.stack]: STACK, [TAG.plan]: 'gold', [TAG.resourceId]: estate.app, [TAG.resourceType]: 'ec2-instance', [TAG.engine]: 'dlm', [TAG.dlmRun]: '2026-05-15T02:00:00.000Z' };
  const dlmMade = await primary.ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: estate.app }, TagSpecifications: [{ ResourceType: 'snapshot', Tags: toTagList(dlmTags) }] }));
  for (const snapshot of dlmMade.Snapshots ?? []) seeded.push({ id: snapshot.SnapshotId ?? '', region: PRIMARY, kind: 'ebs', resourceId: estate.app as string, planId: 'gold', day: '2026-05-15', owner: 'dlm' });
  await primary.ec2.send(new DeleteVolumeCommand({ VolumeId: estate.volGone }));

  // An AMI registered from one of our expired snapshots (vol A, 15 June) uses it: deleting it must fail InUse.
  const registered = seeded.find((snapshot) => snapshot.region === PRIMARY && snapshot.resourceId === estate.volA && snapshot.planId === 'gold' && snapshot.day === '2026-06-15');
  const image = await primary.ec2.send(
    new RegisterImageCommand({
      Name: 'restored-from-backup',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: registered?.id } }],
    }),
  );
  const described = await primary.ec2.send(new DescribeImagesCommand({ ImageIds: [image.ImageId ?? ''] }));
  // moto 5.2.1 ignores the mapping and backs the AMI with a snapshot of its own; AWS uses ours. Either way the
  // snapshot the AMI reports is the one in use: make sure it is tagged as that same recovery point of ours.
  inUseSnapshotId = described.Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId ?? '';
  amiSnapshotIsOurs = inUseSnapshotId === registered?.id;
  await primary.ec2.send(new CreateTagsCommand({ Resources: [inUseSnapshotId], Tags: toTagList(tagsFor(STACK, 'gold', estate.volA, 'ebs-volume', '2026-06-15')) }));

  plansFile = useHandlerEnvironment({ endpoint: moto.endpoint, region: PRIMARY, plansYaml: PLANS });
  ({ handler } = (await import('../../functions/prune.js')) as unknown as { handler: typeof handler });
  before = await everything();
}, 600_000);

afterAll(async () => {
  await moto?.stop();
});

describe('prune against moto: six months of daily recovery points in two Regions', () => {
  it('seeds what the scenario needs', () => {
    expect(seeded.filter((snapshot) => snapshot.owner === 'ours' && snapshot.region === PRIMARY && snapshot.planId === 'gold' && snapshot.resourceId === estate.app)).toHaveLength(184 * 2);
    expect(before.has(`${PRIMARY}/${inUseSnapshotId}`)).toBe(true);
  });

  it('prints the plan on a CLI dry run and deletes nothing', async () => {
    const result = await runCli(['prune', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', NOW, '--dry-run', '--region', DR], { STACK_NAME: STACK });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`prune ${DR} (dr Region) at 2026-10-31T06:00Z — dry run`);
    expect(result.stdout).toContain("plan gold (the copy rule's retention)");
    expect(result.stdout).toContain('plan bronze — no copy rule for this Region: every point kept');
    expect(result.stdout).toMatch(/delete 2026-10-26T02:00Z completed expired \[[^\]]+\] → would-delete/);
    expect(result.stdout).toMatch(/keep {3}2026-10-27T02:00Z completed count \[/);
    // 25 expired days of copies: vol A, the instance's two volumes, orders and ledger.
    expect(result.stdout).toContain('125 snapshots would be deleted (dry run: nothing deleted)');
    expect(await everything()).toEqual(before);
  });

  it('returns the whole plan on a dry run of the handler and deletes nothing', async () => {
    const summary = await handler(event({ dryRun: true }), lambdaContext('prune'));

    const primary = summary.regions.find((region) => region.region === PRIMARY) as PruneRegionSummary;
    const gold = primary.plans.find((plan) => plan.planId === 'gold');
    expect(summary.regions.map((region) => [region.region, region.role])).toEqual([
      [PRIMARY, 'primary'],
      [DR, 'dr'],
    ]);
    expect(gold?.resources.find((resource) => resource.resourceId === estate.volMissed)).toMatchObject({
      latestScheduledBackupFailed: true,
      failedBecause: 'slot 2026-10-31T02:00Z was missed (newest completed recovery point is 2026-10-28T02:00Z)',
    });
    expect(primary.plans.find((plan) => plan.planId === 'retired')).toMatchObject({ status: 'orphaned' });
    expect(summary.regions.every((region) => region.outcomes.every((outcome) => outcome.status === 'would-delete'))).toBe(true);
    expect(await everything()).toEqual(before);
  }, 180_000);

  it('prunes in budgeted runs, newest points always intact, until exactly the expected survivors are left', async () => {
    const outcomes: SnapshotOutcome[] = [];
    const runs: PruneRunSummary[] = [];
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const summary = await handler(event({ budget: 400 }), lambdaContext('prune'));
      runs.push(summary);
      outcomes.push(...summary.regions.flatMap((region) => region.outcomes));
      const now = await everything();
      // Whatever a run leaves, everything meant to survive is still there.
      for (const snapshot of seeded.filter(expectedToSurvive)) expect(now.has(key(snapshot))).toBe(true);
      if (!summary.continuation) break;
    }

    const expectedGone = new Set(seeded.filter((snapshot) => !expectedToSurvive(snapshot) && snapshot.id !== inUseSnapshotId).map(key));
    const expected = new Set([...before].filter((id) => !expectedGone.has(id)));
    // By hand: gold 171 expired days × (vol A, 2 instance volumes, orders, ledger); bronze 170 (vol B) + 170
    // (billing) + 163 (the gone volume); the DR copies 25 days × 5 snapshots. Less the one an AMI may hold.
    expect(before.size - expected.size).toBe(171 * 5 + 170 + 170 + 163 + 25 * 5 - (amiSnapshotIsOurs ? 1 : 0));
    expect(runs[0]).toMatchObject({ continuation: true, failures: 0 });
    expect(runs[0]?.regions[0]).toMatchObject({ region: PRIMARY, stoppedBecause: 'budget' });
    expect(runs.at(-1)?.continuation).toBe(false);
    expect(runs.every((run) => run.failures === 0 && run.failedRegions.length === 0)).toBe(true);
    expect(await everything()).toEqual(expected);
    // The snapshot the AMI uses was skipped and reported, not fatal.
    expect(outcomes.filter((outcome) => outcome.snapshotId === inUseSnapshotId).map((outcome) => outcome.status)).toContain('skipped-in-use');
    expect((await everything()).has(`${PRIMARY}/${inUseSnapshotId}`)).toBe(true);
    expect(amiSnapshotIsOurs || !(await everything()).has(`${PRIMARY}/${seeded.find((s) => s.resourceId === estate.volA && s.planId === 'gold' && s.day === '2026-06-15' && s.region === PRIMARY)?.id}`)).toBe(true);
  }, 300_000);

  it('leaves the expected survivors of each resource, by day', async () => {
    const now = await everything();
    const survivingDays = (region: string, planId: string, resourceId: string) =>
      [...new Set(seeded.filter((s) => s.owner === 'ours' && s.region === region && s.planId === planId && s.resourceId === resourceId && now.has(key(s))).map((s) => s.day))].sort();

    expect(survivingDays(PRIMARY, 'gold', 'orders')).toEqual([...GOLD_KEEPS].sort());
    expect(survivingDays(PRIMARY, 'gold', estate.app as string)).toEqual([...GOLD_KEEPS].sort());
    expect(survivingDays(PRIMARY, 'gold', 'ledger')).toEqual([...GOLD_KEEPS].sort());
    expect(survivingDays(PRIMARY, 'bronze', 'billing')).toEqual([...BRONZE_KEEPS].sort());
    expect(survivingDays(PRIMARY, 'bronze', estate.volGone as string)).toEqual(['2026-10-11']);
    expect(survivingDays(PRIMARY, 'gold', estate.volMissed as string)).toHaveLength(181);
    expect(survivingDays(DR, 'gold', 'ledger')).toEqual([...DR_GOLD_KEEPS].sort());
    expect(survivingDays(DR, 'gold', estate.app as string)).toEqual([...DR_GOLD_KEEPS].sort());
  });

  it('deletes nothing more on the next run, and only retries the snapshot the AMI still uses', async () => {
    const stable = await everything();

    const summary = await handler(event({ scheduledTime: '2026-10-31T07:00:00Z' }), lambdaContext('prune'));

    expect(await everything()).toEqual(stable);
    expect(summary.regions.flatMap((region) => region.outcomes).map((outcome) => [outcome.snapshotId, outcome.status])).toEqual([[inUseSnapshotId, 'skipped-in-use']]);
  });

  it('keeps the snapshots Data Lifecycle Manager made for a plan now on engine: lambda, and reports them as such', async () => {
    const dlmMade = seeded.filter((snapshot) => snapshot.owner === 'dlm');

    const summary = await handler(event({ scheduledTime: '2026-10-31T07:00:00Z', dryRun: true }), lambdaContext('prune'));

    expect(dlmMade).toHaveLength(2);
    const now = await everything();
    expect(dlmMade.every((snapshot) => now.has(key(snapshot)))).toBe(true);
    const report = summary.regions.find((region) => region.region === PRIMARY)?.plans.find((plan) => plan.planId === 'gold' && plan.status === 'dlm-engine');
    expect(report?.resources.flatMap((resource) => resource.points).map((point) => [point.snapshotIds.sort(), point.action, point.reasons])).toEqual([
      [dlmMade.map((snapshot) => snapshot.id).sort(), 'keep', ['dlm-engine']],
    ]);
  });

  it('rejects a malformed payload precisely and deletes nothing', async () => {
    const stable = await everything();

    await expect(handler({ scheduledTime: NOW, budget: -1, region: 'mars-1' }, lambdaContext('prune'))).rejects.toThrow(
      'prune received a payload that is not a prune run: unknown Region "mars-1" (expected an AWS Region name such as eu-west-1); budget must be at least 1 snapshot deletion',
    );
    expect(await everything()).toEqual(stable);
  });
});
