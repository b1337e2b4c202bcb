import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { rdsSnapshotIdentifier, TAG, toTagList } from '../../shared/domain/recovery-point-tags.js';
import { parsePlansFile } from '../../shared/domain/plans-file.js';
import { SnapshotCatalog } from '../../shared/aws/snapshot-catalog.js';
import { AwsSnapshotDeleter } from '../../shared/aws/snapshot-deleter.js';
import { AwsSourceInventory } from '../../shared/aws/source-inventory.js';
import { pruneEveryRegion } from '../../shared/use-cases/prune-recovery-points.js';
import { ec2, rds } from '../../sandbox/aws-clients.js';
import { createDbInstance } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';

const PRIMARY = 'eu-west-1';
const STACK = 'backup-orchestrator-test';
const PLANS = `
version: 1
primaryRegion: ${PRIMARY}
plans:
  - id: gold
    selection: { resourceTypes: [rds-instance] }
    schedule: { expression: cron(0 2 * * ? *), timezone: UTC }
    rpo: 36h
    rto: 4h
    retention: { count: 3 }
`;
const config = parsePlansFile(PLANS, 'plans.yml');
const NOW = new Date('2026-10-31T06:00:00Z');
const DAYS = ['2026-10-20', '2026-10-25', '2026-10-28', '2026-10-29', '2026-10-30', '2026-10-31'];

let moto: MotoServer;
const client = () => rds(moto.endpoint, PRIMARY);

/** The tags create-snapshots writes on the gold point of `orders` for one day's 02:00 slot. */
const ourTags = (day: string) => ({
  [TAG.stack]: STACK,
  [TAG.plan]: 'gold',
  [TAG.resourceId]: 'orders',
  [TAG.resourceType]: 'rds-instance',
  [TAG.slot]: `${day}T02:00Z`,
});
const ourIdentifier = (day: string) => rdsSnapshotIdentifier('gold', 'orders', new Date(`${day}T02:00:00Z`), 'instance');

async function prune() {
  const sources = new AwsSourceInventory(ec2(moto.endpoint, PRIMARY), client());
  return pruneEveryRegion({ config, regions: [PRIMARY], now: NOW, budget: 500 }, (region) => ({
    stack: STACK,
    catalog: new SnapshotCatalog(ec2(moto.endpoint, region), rds(moto.endpoint, region), region),
    sources,
    deleter: new AwsSnapshotDeleter(ec2(moto.endpoint, region), rds(moto.endpoint, region), region),
  }));
}

async function snapshotExists(identifier: string): Promise<boolean> {
  const all = await client().send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }));
  return (all.DBSnapshots ?? []).some((snapshot) => snapshot.DBSnapshotIdentifier === identifier);
}

beforeAll(async () => {
  moto = await startMotoServer();
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  await createDbInstance(client(), { id: 'orders', tags: { 'backup:plan': 'gold' } });
  for (const day of DAYS) {
    await client().send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: ourIdentifier(day), DBInstanceIdentifier: 'orders', Tags: toTagList(ourTags(day)) }));
  }
});

describe('prune and snapshots of other databases that carry our tags', () => {
  it("never deletes the team's own manual snapshot of a database restored from one of our snapshots", async () => {
    // Prepare: after an incident the team restores orders from the 20 October point. Given no tags, RDS gives the
    // restored instance the snapshot's tags (the README says so too), and with CopyTagsToSnapshot every manual
    // snapshot of it carries them: our stack, plan, resource-id "orders" and the slot of 20 October.
    await client().send(
      new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'orders-restored', DBSnapshotIdentifier: ourIdentifier('2026-10-20'), CopyTagsToSnapshot: true }),
    );
    await client().send(
      new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'orders-restored-before-upgrade', DBInstanceIdentifier: 'orders-restored', Tags: toTagList(ourTags('2026-10-20')) }),
    );

    // Act
    const summary = await prune();

    // Assess: retention did its job on our points…
    expect(await snapshotExists(ourIdentifier('2026-10-25'))).toBe(false);
    expect(summary.failures).toBe(0);
    // …but a snapshot of another database (DBInstanceIdentifier orders-restored), taken by people, is not a recovery point of ours.
    expect({ userSnapshotKept: await snapshotExists('orders-restored-before-upgrade') }).toEqual({ userSnapshotKept: true });
  }, 120_000);

  it('never deletes a copy the team made of a recovery point to keep it beyond retention', async () => {
    // Prepare: the team keeps the 25 October point for an audit with "Copy snapshot" and "Copy tags" on.
    await client().send(
      new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: ourIdentifier('2026-10-25'), TargetDBSnapshotIdentifier: 'orders-audit-keep', CopyTags: true }),
    );

    // Act
    await prune();

    // Assess
    expect(await snapshotExists(ourIdentifier('2026-10-25'))).toBe(false);
    expect({ auditCopyKept: await snapshotExists('orders-audit-keep') }).toEqual({ auditCopyKept: true });
  }, 120_000);
});
