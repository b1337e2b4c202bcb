import { describe, expect, it } from '@jest/globals';
import type { ActivityRecord } from '../../../shared/domain/activity.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import { gatherDailyReport, type DailyReportDeps, type InventoryEntry } from '../../../shared/use-cases/daily-report.js';

const NOW = new Date('2026-11-26T07:00:00Z');
const HOUR = 3_600_000;
const config = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, ec2-instance, rds-instance] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    copies: [{ region: eu-central-1, kmsKeyId: alias/dr }]
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
`);

const resource = (type: InventoryEntry['type'], id: string, tags: Record<string, string>, coveredBy: string[] = []): InventoryEntry => ({
  type,
  id,
  tags,
  coveredBy,
  ...(tags.Name ? { name: tags.Name } : {}),
});

function snapshot(region: string, resourceId: string, slotHoursAgo: number, extra: Partial<StoredSnapshot> & { tags?: Record<string, string> } = {}): StoredSnapshot {
  const slot = new Date(NOW.getTime() - slotHoursAgo * HOUR);
  return {
    kind: 'ebs',
    id: `snap-${resourceId}-${slotHoursAgo}-${region}`,
    region,
    state: 'completed',
    status: 'completed',
    sizeGiB: 100,
    ...extra,
    tags: {
      [TAG.stack]: 'prod',
      [TAG.plan]: 'gold',
      [TAG.resourceId]: resourceId,
      [TAG.resourceType]: 'ebs-volume',
      [TAG.slot]: `${slot.toISOString().slice(0, 16)}Z`,
      ...extra.tags,
    },
  };
}

function deps(overrides: Partial<DailyReportDeps> = {}): DailyReportDeps {
  return {
    stack: 'prod',
    config,
    now: NOW,
    timezone: 'Europe/Paris',
    settings: { drillStaleDays: 30, pricePerGbMonth: 0.05, currency: 'USD' },
    inventory: async () => [
      resource('ebs-volume', 'vol-web', { 'backup:plan': 'gold', Name: 'web' }),
      resource('ebs-volume', 'vol-root', { 'backup:plan': 'gold' }, ['i-app']),
      resource('ec2-instance', 'i-app', { 'backup:plan': 'gold' }),
      resource('ebs-volume', 'vol-scratch', { Name: 'scratch' }),
      resource('ebs-volume', 'vol-dlm', { Team: 'data' }),
      resource('ebs-volume', 'vol-silver', { 'backup:plan': 'silver' }),
    ],
    snapshots: async (region) =>
      region === 'eu-west-1'
        ? [snapshot(region, 'vol-web', 3), snapshot(region, 'vol-web', 7), snapshot(region, 'i-app', 11), snapshot(region, 'vol-gone', 30, { storedBytes: 2 * 1024 ** 3 })]
        : [
            snapshot(region, 'vol-web', 0.5, {
              tags: { [TAG.sourceTime]: new Date(NOW.getTime() - 3 * HOUR).toISOString(), [TAG.copyCompletedAt]: new Date(NOW.getTime() - 2 * HOUR).toISOString() },
            }),
          ],
    activity: async () => [],
    dlmTargets: async () => [{ resourceTypes: ['ebs-volume'], targetTags: [{ key: 'Team', value: 'data' }] }],
    ...overrides,
  };
}

describe('gatherDailyReport', () => {
  it('reports the newest good point of each resource per Region against the RPO, with the DR copy at its source time and its lag', async () => {
    const report = await gatherDailyReport(deps());
    const gold = report.plans.find((plan) => plan.planId === 'gold');
    const web = gold?.resources.find((resource) => resource.resourceId === 'vol-web');

    expect(web?.regions).toEqual([
      { region: 'eu-west-1', latestGoodAt: new Date(NOW.getTime() - 3 * HOUR), ageMs: 3 * HOUR, compliant: true },
      { region: 'eu-central-1', latestGoodAt: new Date(NOW.getTime() - 3 * HOUR), ageMs: 3 * HOUR, compliant: true, copyLagMs: HOUR },
    ]);
  });

  it("reads an EBS copy's lag from the completion time EBS reports, the last of a multi-volume point's copies, and none while one is unknown", async () => {
    const copied = (resourceId: string, volume: string, completedHoursAgo?: number) =>
      snapshot('eu-central-1', resourceId, 0.5, {
        id: `snap-${volume}`,
        ...(completedHoursAgo !== undefined ? { completedAt: new Date(NOW.getTime() - completedHoursAgo * HOUR) } : {}),
        tags: { [TAG.sourceTime]: new Date(NOW.getTime() - 3 * HOUR).toISOString() },
      });
    const report = await gatherDailyReport(
      deps({
        snapshots: async (region) =>
          region === 'eu-west-1'
            ? [snapshot(region, 'vol-web', 3), snapshot(region, 'i-app', 3)]
            : [copied('vol-web', 'web', 2.5), copied('i-app', 'root', 2.5), copied('i-app', 'data')],
      }),
    );
    const dr = (resourceId: string) => report.plans.find((plan) => plan.planId === 'gold')?.resources.find((resource) => resource.resourceId === resourceId)?.regions[1];

    expect(dr('vol-web')).toMatchObject({ region: 'eu-central-1', copyLagMs: 0.5 * HOUR });
    expect(dr('i-app')).toMatchObject({ region: 'eu-central-1', compliant: true });
    expect(dr('i-app')?.copyLagMs).toBeUndefined();
  });

  it('marks a point older than the RPO, and a Region without any point, as not compliant', async () => {
    const report = await gatherDailyReport(deps());
    const app = report.plans.find((plan) => plan.planId === 'gold')?.resources.find((resource) => resource.resourceId === 'i-app');

    expect(app?.regions).toEqual([
      { region: 'eu-west-1', latestGoodAt: new Date(NOW.getTime() - 11 * HOUR), ageMs: 11 * HOUR, compliant: false },
      { region: 'eu-central-1', compliant: false },
    ]);
  });

  it('protects an instance as a whole, keeps a deleted resource that still has points, and lists what nothing covers', async () => {
    const report = await gatherDailyReport(deps());
    const gold = report.plans.find((plan) => plan.planId === 'gold');

    expect(gold?.resources.map((r) => [r.resourceId, r.exists]).sort()).toEqual([['i-app', true], ['vol-gone', false], ['vol-web', true]]);
    expect(report.unprotected).toEqual([{ type: 'ebs-volume', id: 'vol-scratch', name: 'scratch' }]);
  });

  it('estimates storage per plan and Region and says whether it is measured or an upper bound', async () => {
    const report = await gatherDailyReport(deps());

    expect(report.storage).toEqual([
      { planId: 'gold', region: 'eu-west-1', snapshots: 4, bytes: 3 * 100 * 1024 ** 3 + 2 * 1024 ** 3, basis: 'mixed' },
      { planId: 'gold', region: 'eu-central-1', snapshots: 1, bytes: 100 * 1024 ** 3, basis: 'upper-bound' },
    ]);
  });

  it('counts the last 24 hours only, and takes the latest drill per plan, flagging plans without a recent one', async () => {
    const drill = { at: new Date(NOW.getTime() - 48 * HOUR), passed: true, region: 'eu-central-1', resourceId: 'vol-web', rtoMs: 872_000, rtoObjectiveMs: HOUR, achievedRpoMs: 3 * HOUR, rpoObjectiveMs: 8 * HOUR };
    const records: ActivityRecord[] = [
      { at: new Date(NOW.getTime() - 2 * HOUR), kind: 'snapshot', source: 'create-snapshots', planId: 'gold', created: 3, failures: [] },
      { at: new Date(NOW.getTime() - 30 * HOUR), kind: 'snapshot', source: 'create-snapshots', planId: 'gold', created: 9, failures: [] },
      { at: drill.at, kind: 'drill', source: 'restore-drill', planId: 'gold', failures: [], drill },
    ];

    const report = await gatherDailyReport(deps({ activity: async () => records }));

    expect(report.activity.created).toBe(3);
    expect(report.drills).toEqual([
      { planId: 'gold', lastDrill: drill, stale: false },
      { planId: 'silver', stale: true },
    ]);
  });

  it('still reports when DLM or a Region cannot be read, and says so', async () => {
    const report = await gatherDailyReport(
      deps({
        dlmTargets: async () => {
          throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
        },
        snapshots: async (region) => {
          if (region === 'eu-central-1') throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
          return [];
        },
      }),
    );

    expect(report.warnings).toEqual([
      'DLM policies could not be read (AccessDeniedException: not authorized); DLM coverage is not counted',
      'snapshots in eu-central-1 could not be listed (TimeoutError: timeout)',
    ]);
    expect(report.unprotected.map((r) => r.id)).toContain('vol-dlm');
  });
});
