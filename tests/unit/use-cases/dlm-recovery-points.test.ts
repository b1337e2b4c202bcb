import { describe, expect, it } from '@jest/globals';
import { planDrill, parseDrillRequest } from '../../../shared/domain/drill.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { DLM_TAG, TAG } from '../../../shared/domain/recovery-point-tags.js';
import { groupRecoveryPoints, type StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import { gatherDailyReport, type DailyReportDeps } from '../../../shared/use-cases/daily-report.js';
import { selectRecoveryPoint } from '../../../shared/use-cases/restore-drill.js';

// The daily report and restore drills read DLM-made snapshots as the recovery points of their engine: dlm plan.
const NOW = new Date('2026-11-26T07:00:00Z');
const HOUR = 3_600_000;
const KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const config = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: bronze
    engine: dlm
    selection: { resourceTypes: [ec2-instance] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 2h
    retention: { count: 6 }
    copies: [{ region: eu-central-1, kmsKeyId: '${KEY_ARN}', retention: { maxAge: 7d } }]
`);

/** A volume snapshot DLM took of an instance in one run, with the tags the sync-dlm policy asks for. */
function dlmSnapshot(id: string, instanceId: string, hoursAgo: number, region = 'eu-west-1', extra: Partial<StoredSnapshot> = {}): StoredSnapshot {
  const run = new Date(NOW.getTime() - hoursAgo * HOUR);
  const primary = region === 'eu-west-1';
  return {
    kind: 'ebs',
    id,
    region,
    state: 'completed',
    status: 'completed',
    sizeGiB: 50,
    // A DR copy starts after its source; EC2 stamps it with its own start time.
    startTime: new Date(run.getTime() + (primary ? 5_000 : HOUR / 2)),
    sourceVolumeId: primary ? `vol-${id}` : 'vol-ffffffff',
    ...extra,
    tags: {
      ...(primary ? { [DLM_TAG.policyId]: 'policy-0abc', [DLM_TAG.scheduleName]: 'schedule' } : {}),
      [TAG.stack]: 'prod',
      [TAG.plan]: 'bronze',
      [TAG.engine]: 'dlm',
      [TAG.resourceType]: 'ec2-instance',
      [TAG.resourceId]: instanceId,
      [TAG.dlmRun]: run.toISOString(),
    },
  };
}

const primarySnapshots = [
  dlmSnapshot('root-1', 'i-app', 3),
  dlmSnapshot('data-1', 'i-app', 3),
  dlmSnapshot('root-0', 'i-app', 7),
  dlmSnapshot('root-old', 'i-old', 30),
];
const drSnapshots = [dlmSnapshot('copy-root-1', 'i-app', 3, 'eu-central-1'), dlmSnapshot('copy-data-1', 'i-app', 3, 'eu-central-1')];

describe('daily report with an engine: dlm plan', () => {
  it("counts DLM-made snapshots as the plan's recovery points, per instance and Region, dated by the DLM run", async () => {
    // Prepare
    const deps: DailyReportDeps = {
      stack: 'prod',
      config,
      now: NOW,
      timezone: 'UTC',
      settings: { drillStaleDays: 30, pricePerGbMonth: 0.05, currency: 'USD' },
      inventory: async () => [
        { type: 'ec2-instance', id: 'i-app', tags: { 'backup:plan': 'bronze' }, coveredBy: [] },
        { type: 'ec2-instance', id: 'i-old', tags: { 'backup:plan': 'bronze' }, coveredBy: [] },
      ],
      snapshots: async (region) => (region === 'eu-west-1' ? primarySnapshots : drSnapshots),
      activity: async () => [],
      dlmTargets: async () => [{ resourceTypes: ['ec2-instance'], targetTags: [{ key: 'backup:plan', value: 'bronze' }] }],
    };

    // Act
    const report = await gatherDailyReport(deps);

    // Assess
    const bronze = report.plans.find((plan) => plan.planId === 'bronze');
    expect(bronze?.engine).toBe('dlm');
    expect(bronze?.resources.find((resource) => resource.resourceId === 'i-app')?.regions).toEqual([
      { region: 'eu-west-1', latestGoodAt: new Date(NOW.getTime() - 3 * HOUR), ageMs: 3 * HOUR, compliant: true },
      { region: 'eu-central-1', latestGoodAt: new Date(NOW.getTime() - 3 * HOUR), ageMs: 3 * HOUR, compliant: true },
    ]);
    expect(bronze?.resources.find((resource) => resource.resourceId === 'i-old')?.regions[0]).toMatchObject({ region: 'eu-west-1', compliant: false, ageMs: 30 * HOUR });
  });
});

describe('restore drill of an engine: dlm plan', () => {
  it('selects the newest DLM-made point of the instance and restores all its volume snapshots', async () => {
    // Prepare
    const drill = planDrill(config, config.plans[0]!, parseDrillRequest({ planId: 'bronze', resourceId: 'i-app' }), {
      id: 'arn:aws:states:eu-west-1:123456789012:execution:drill:one',
      name: 'one',
      startTime: NOW.toISOString(),
    });
    const points = { listPoints: async ({ region }: { region: string }) => groupRecoveryPoints(region === 'eu-west-1' ? primarySnapshots : drSnapshots) };

    // Act
    const selected = await selectRecoveryPoint(drill, { stack: 'prod', points });

    // Assess
    expect(selected).toMatchObject({
      resourceId: 'i-app',
      resourceType: 'ec2-instance',
      region: 'eu-west-1',
      slot: '2026-11-26T04:00Z',
      achievedRpoMs: 3 * HOUR,
    });
    expect(selected.snapshots.map((snapshot) => snapshot.id)).toEqual(['data-1', 'root-1']);
  });

  it('drills a DLM cross-Region copy in the DR Region, with the RPO of the run it copied', async () => {
    // Prepare
    const drill = planDrill(config, config.plans[0]!, parseDrillRequest({ planId: 'bronze', region: 'dr' }), {
      id: 'arn:aws:states:eu-west-1:123456789012:execution:drill:two',
      name: 'two',
      startTime: NOW.toISOString(),
    });
    const points = { listPoints: async ({ region }: { region: string }) => groupRecoveryPoints(region === 'eu-west-1' ? primarySnapshots : drSnapshots) };

    // Act
    const selected = await selectRecoveryPoint(drill, { stack: 'prod', points });

    // Assess
    expect(selected).toMatchObject({ resourceId: 'i-app', region: 'eu-central-1', achievedRpoMs: 3 * HOUR });
    expect(selected.snapshots.map((snapshot) => snapshot.id)).toEqual(['copy-data-1', 'copy-root-1']);
  });
});
