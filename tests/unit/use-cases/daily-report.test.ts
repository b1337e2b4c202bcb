import { describe, expect, it } from '@jest/globals';
import type { ActivityRecord } from '../../../shared/domain/activity.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { DLM_TAG, TAG } from '../../../shared/domain/recovery-point-tags.js';
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
      [TAG.resourceType]: resourceId.startsWith('i-') ? 'ec2-instance' : 'ebs-volume',
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

const DAY = 24 * HOUR;
const KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Dependencies with nothing in them but the given plans; each case adds what it is about. */
function bare(plans: DailyReportDeps['config'], overrides: Partial<DailyReportDeps> = {}): DailyReportDeps {
  return {
    stack: 'prod',
    config: plans,
    now: NOW,
    timezone: 'UTC',
    settings: { drillStaleDays: 30, pricePerGbMonth: 0.05, currency: 'USD' },
    inventory: async () => [],
    snapshots: async () => [],
    activity: async () => [],
    dlmTargets: async () => [],
    ...overrides,
  };
}

describe('gatherDailyReport: an RDS instance and an Aurora cluster with the same identifier', () => {
  const rdsPoint = (type: 'rds-instance' | 'aurora-cluster', hoursAgo: number): StoredSnapshot =>
    snapshot('eu-west-1', 'orders', hoursAgo, {
      kind: type === 'rds-instance' ? 'rds-instance' : 'rds-cluster',
      id: `orders-${type}-${hoursAgo}`,
      status: 'available',
      tags: { [TAG.plan]: 'db', [TAG.resourceType]: type },
    });
  const dbPlans = (types: string) =>
    parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: db
    selection: { resourceTypes: [${types}] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
`);

  it('judges each against the RPO on its own: a stale instance is not hidden by a fresh cluster of the same name', async () => {
    // Prepare
    const input = bare(dbPlans('rds-instance, aurora-cluster'), {
      inventory: async () => [resource('rds-instance', 'orders', { 'backup:plan': 'db' }), resource('aurora-cluster', 'orders', { 'backup:plan': 'db' })],
      snapshots: async (region) => (region === 'eu-west-1' ? [rdsPoint('aurora-cluster', 1), rdsPoint('rds-instance', 30)] : []),
    });

    // Act
    const report = await gatherDailyReport(input);

    // Assess
    const resources = report.plans[0]?.resources ?? [];
    expect(resources.map((item) => [item.type, item.resourceId, item.regions[0]?.ageMs, item.regions[0]?.compliant]).sort()).toEqual([
      ['aurora-cluster', 'orders', HOUR, true],
      ['rds-instance', 'orders', 30 * HOUR, false],
    ]);
  });

  it('lists an unselected Aurora cluster as unprotected although a plan protects an RDS instance of the same name', async () => {
    // Prepare
    const input = bare(dbPlans('rds-instance'), {
      inventory: async () => [resource('rds-instance', 'orders', { 'backup:plan': 'db' }), resource('aurora-cluster', 'orders', {})],
      snapshots: async (region) => (region === 'eu-west-1' ? [rdsPoint('rds-instance', 1)] : []),
    });

    // Act
    const report = await gatherDailyReport(input);

    // Assess
    expect(report.unprotected).toEqual([{ type: 'aurora-cluster', id: 'orders' }]);
    expect(report.plans[0]?.resources.map((item) => [item.type, item.resourceId])).toEqual([['rds-instance', 'orders']]);
  });
});

describe('gatherDailyReport: an engine: dlm volume plan with a DR copy', () => {
  const bronze = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: bronze
    engine: dlm
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 2h
    retention: { count: 6 }
    copies: [{ region: eu-central-1, kmsKeyId: '${KEY_ARN}', retention: { maxAge: 7d } }]
`);

  /** A DLM volume-policy snapshot: its policy's TagsToAdd only, no resource-id tag (DLM has no variable for it). */
  function dlmVolumeSnapshot(id: string, region: string, sourceVolumeId: string, startedHoursAgo: number): StoredSnapshot {
    return {
      kind: 'ebs',
      id,
      region,
      state: 'completed',
      status: 'completed',
      sizeGiB: 50,
      startTime: new Date(NOW.getTime() - startedHoursAgo * HOUR),
      sourceVolumeId,
      tags: {
        ...(region === 'eu-west-1' ? { [DLM_TAG.policyId]: 'policy-0abc' } : {}),
        [TAG.stack]: 'prod',
        [TAG.plan]: 'bronze',
        [TAG.engine]: 'dlm',
        [TAG.resourceType]: 'ebs-volume',
      },
    };
  }
  const volumes = async (): Promise<InventoryEntry[]> => [
    resource('ebs-volume', 'vol-data', { 'backup:plan': 'bronze' }),
    resource('ebs-volume', 'vol-logs', { 'backup:plan': 'bronze' }),
  ];
  const dlmTargets = async () => [{ resourceTypes: ['ebs-volume' as const], targetTags: [{ key: 'backup:plan', value: 'bronze' }] }];

  it("judges the DR Region by the plan's newest copy, labelled plan-level, since EC2 does not say which volume a copy is of", async () => {
    // Prepare: EC2 reports an arbitrary volume id (vol-ffffffff) on cross-Region copies.
    const input = bare(bronze, {
      inventory: volumes,
      dlmTargets,
      snapshots: async (region) =>
        region === 'eu-west-1'
          ? [dlmVolumeSnapshot('snap-data', region, 'vol-data', 2), dlmVolumeSnapshot('snap-logs', region, 'vol-logs', 2)]
          : [dlmVolumeSnapshot('snap-copy-1', region, 'vol-ffffffff', 1), dlmVolumeSnapshot('snap-copy-2', region, 'vol-ffffffff', 1.5)],
    });

    // Act
    const report = await gatherDailyReport(input);

    // Assess
    const regions = report.plans[0]?.resources.map((item) => [item.resourceId, item.regions.map((region) => [region.region, region.compliant, region.scope ?? 'resource'])]);
    expect(regions).toEqual([
      ['vol-data', [['eu-west-1', true, 'resource'], ['eu-central-1', true, 'plan']]],
      ['vol-logs', [['eu-west-1', true, 'resource'], ['eu-central-1', true, 'plan']]],
    ]);
    expect(report.plans[0]?.resources[0]?.regions[1]?.ageMs).toBe(HOUR);
  });

  it("still reports a breach in the DR Region when the plan's newest copy there is older than the RPO, and in the primary per volume", async () => {
    // Prepare: vol-logs was not snapshotted for a day; DLM's last copy is 20 hours old.
    const input = bare(bronze, {
      inventory: volumes,
      dlmTargets,
      snapshots: async (region) =>
        region === 'eu-west-1'
          ? [dlmVolumeSnapshot('snap-data', region, 'vol-data', 2), dlmVolumeSnapshot('snap-logs', region, 'vol-logs', 24)]
          : [dlmVolumeSnapshot('snap-copy-1', region, 'vol-ffffffff', 20)],
    });

    // Act
    const report = await gatherDailyReport(input);

    // Assess
    const regions = report.plans[0]?.resources.map((item) => [item.resourceId, item.regions.map((region) => region.compliant)]);
    expect(regions).toEqual([
      ['vol-data', [true, false]],
      ['vol-logs', [false, false]],
    ]);
  });
});

describe('gatherDailyReport: a new resource without a recovery point yet', () => {
  const created = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * HOUR);
  const withVolume = (createdAt: Date, snapshots: DailyReportDeps['snapshots'] = async () => []) =>
    deps({ inventory: async () => [{ ...resource('ebs-volume', 'vol-new', { 'backup:plan': 'gold' }), createdAt }], snapshots });
  const statusOf = async (input: DailyReportDeps) =>
    (await gatherDailyReport(input)).plans.find((item) => item.planId === 'gold')?.resources.find((item) => item.resourceId === 'vol-new')?.regions;

  it('is compliant without a point (pending) while inside its first RPO window, and a breach once past it', async () => {
    // Act
    const young = await statusOf(withVolume(created(1)));
    const old = await statusOf(withVolume(created(9)));

    // Assess
    expect(young).toEqual([
      { region: 'eu-west-1', compliant: true },
      { region: 'eu-central-1', compliant: true },
    ]);
    expect(old?.[0]).toEqual({ region: 'eu-west-1', compliant: false });
  });

  it('gives the DR Region the RPO plus 12 hours for its first copy', async () => {
    // Prepare: a point in the primary Region, no copy yet.
    const primaryOnly: DailyReportDeps['snapshots'] = async (region) => (region === 'eu-west-1' ? [snapshot(region, 'vol-new', 1)] : []);

    // Act
    const within = await statusOf(withVolume(created(19), primaryOnly));
    const past = await statusOf(withVolume(created(21), primaryOnly));

    // Assess
    expect(within?.map((region) => region.compliant)).toEqual([true, true]);
    expect(past?.[1]).toEqual({ region: 'eu-central-1', compliant: false });
  });

  it('does not take a creation time after the report for a new resource beyond a few minutes', async () => {
    // A clock that runs ahead (or a report of a past time) must not turn a missing point into "pending".
    const ahead = await statusOf(withVolume(new Date(NOW.getTime() + 3 * HOUR)));

    expect(ahead?.[0]).toEqual({ region: 'eu-west-1', compliant: false });
  });
});

describe('gatherDailyReport: drills against the plan drill schedule', () => {
  const scheduled = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: weekly
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    drill: { schedule: { expression: cron(0 3 ? * MON *) } }
  - id: quarterly
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    drill: { schedule: { expression: cron(0 3 1 1/3 ? *) } }
`);
  const drillRecord = (planId: string, at: Date): ActivityRecord => ({
    at,
    kind: 'drill',
    source: 'restore-drill',
    planId,
    failures: [],
    drill: { at, passed: true, region: 'eu-west-1', resourceId: 'vol-a', rtoObjectiveMs: HOUR, rpoObjectiveMs: 8 * HOUR },
  });
  const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
  // NOW is Thursday 2026-11-26: the weekly drill was due Monday 2026-11-23 03:00, the quarterly one 2026-10-01 03:00.
  const weeklyDue = new Date('2026-11-23T03:00:00Z');
  const quarterlyDue = new Date('2026-10-01T03:00:00Z');
  const quarterlyRan = new Date('2026-10-01T03:30:00Z');

  it('flags a weekly drill that missed its last runs as stale, judged against the last scheduled run', async () => {
    const report = await gatherDailyReport(bare(scheduled, { activity: async () => [drillRecord('weekly', daysAgo(20)), drillRecord('quarterly', quarterlyRan)] }));

    expect(report.drills.find((item) => item.planId === 'weekly')).toMatchObject({ stale: true, dueAt: weeklyDue });
  });

  it('does not flag a quarterly drill that ran at its last scheduled run, 56 days ago, and reads the run log back that far', async () => {
    // Prepare
    const asked: Date[] = [];
    const input = bare(scheduled, {
      activity: async (from) => {
        asked.push(from);
        return [drillRecord('weekly', daysAgo(2)), drillRecord('quarterly', quarterlyRan)].filter((record) => record.at >= from);
      },
    });

    // Act
    const report = await gatherDailyReport(input);

    // Assess
    expect(asked[0]?.getTime()).toBeLessThanOrEqual(quarterlyDue.getTime());
    expect(report.drills.map((item) => [item.planId, item.stale])).toEqual([
      ['weekly', false],
      ['quarterly', false],
    ]);
    expect(report.warnings).toEqual([]);
  });

  it('says plainly, without counting it stale, when the last scheduled drill is older than the run log keeps and none is in it', async () => {
    const report = await gatherDailyReport(bare(scheduled, { activity: async () => [drillRecord('weekly', daysAgo(2))] }));

    expect(report.drills.find((item) => item.planId === 'quarterly')).toEqual({ planId: 'quarterly', stale: false, dueAt: quarterlyDue, beyondRunLog: true });
    expect(report.warnings).toEqual([
      'plan quarterly: its last scheduled drill (2026-10-01T03:00:00.000Z) is older than the run log keeps (40 days), so the report cannot tell whether it ran: see that drill\'s email',
    ]);
  });

  it('still flags a plan without a drill schedule after drillStaleDays', async () => {
    const unscheduled = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: adhoc
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
`);
    const report = await gatherDailyReport(bare(unscheduled, { activity: async () => [drillRecord('adhoc', daysAgo(31))] }));

    expect(report.drills).toEqual([{ planId: 'adhoc', lastDrill: expect.objectContaining({ at: daysAgo(31) }), stale: true }]);
  });
});

describe('gatherDailyReport: coverage by a DLM instance policy', () => {
  it('does not list the volumes of an instance that a DLM instance policy snapshots as unprotected', async () => {
    // Prepare
    const input = deps({
      inventory: async () => [
        resource('ec2-instance', 'i-legacy', { Backup: 'dlm' }),
        resource('ebs-volume', 'vol-legacy-root', {}, ['i-legacy']),
        resource('ebs-volume', 'vol-loose', {}, ['i-other']),
      ],
      dlmTargets: async () => [{ resourceTypes: ['ec2-instance'], targetTags: [{ key: 'Backup', value: 'dlm' }] }],
    });

    // Act
    const report = await gatherDailyReport(input);

    // Assess
    expect(report.unprotected).toEqual([{ type: 'ebs-volume', id: 'vol-loose' }]);
  });
});
