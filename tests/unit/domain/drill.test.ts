import { describe, expect, it } from '@jest/globals';
import { drillResources } from '../../../infra/drill-schedules.js';
import {
  DRILL_TIMING,
  drillDatabaseIdentifier,
  drillExpiry,
  drillIdFor,
  drillResourceTags,
  latestCompletedPoint,
  parseDrillRequest,
  planDrill,
  recoveryPointAvailableAt,
  recoveryPointDataTime,
  resolveDrillRegion,
  restoreTimeoutMs,
} from '../../../shared/domain/drill.js';
import { BadInputError } from '../../../shared/domain/errors.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredRecoveryPoint } from '../../../shared/domain/recovery-points.js';

const CONFIG = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, rds-instance] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    copies:
      - { region: eu-central-1, encrypted: false }
      - { region: eu-north-1, encrypted: false }
    drill:
      region: dr
      instanceClass: db.t3.medium
      subnetGroup: drill-subnets
      securityGroupIds: [sg-0abc]
      availabilityZone: eu-central-1b
  - id: silver
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 30m
    retention: { count: 7 }
`);
const [GOLD, SILVER] = CONFIG.plans as [(typeof CONFIG.plans)[number], (typeof CONFIG.plans)[number]];
const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:sm:run-1', name: 'run-1', startTime: '2026-11-26T15:00:07.250Z' };

function point(resourceId: string, slot: string, state: 'completed' | 'pending' = 'completed', tags: Record<string, string> = {}): StoredRecoveryPoint {
  return {
    id: `${resourceId}@${slot}`,
    resourceId,
    time: new Date(slot),
    state,
    tags: { [TAG.slot]: slot, ...tags },
    planId: 'gold',
    resourceType: 'ebs-volume',
    region: 'eu-west-1',
    slot,
    snapshots: [],
  };
}

describe('parseDrillRequest', () => {
  it('reads planId, resourceId, region, startedAt and trigger, defaulting the trigger to console', () => {
    expect(parseDrillRequest({ planId: 'gold', resourceId: 'vol-1', region: 'dr', startedAt: '2026-11-26T15:00:00Z' })).toEqual({
      planId: 'gold',
      resourceId: 'vol-1',
      region: 'dr',
      startedAt: new Date('2026-11-26T15:00:00Z'),
      trigger: 'console',
    });
  });

  it('names every problem of a wrong input precisely', () => {
    expect(() => parseDrillRequest({ planId: '', startedAt: 'monday', extra: 1 })).toThrow(
      'the restore drill input is not valid: planId must not be empty; startedAt must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z; unexpected field(s) extra (allowed: planId, resourceId, region, startedAt, trigger)',
    );
    expect(() => parseDrillRequest(null)).toThrow('the restore drill input must be a JSON object');
    expect(() => parseDrillRequest([])).toThrow('the restore drill input must be a JSON object');
  });
});

describe('resolveDrillRegion', () => {
  it('maps primary to the primary Region, dr to the first copy Region, and accepts any copy Region by name', () => {
    expect(resolveDrillRegion(CONFIG, GOLD, 'primary')).toEqual({ region: 'eu-west-1', role: 'primary' });
    expect(resolveDrillRegion(CONFIG, GOLD, 'eu-west-1')).toEqual({ region: 'eu-west-1', role: 'primary' });
    expect(resolveDrillRegion(CONFIG, GOLD, 'dr')).toEqual({ region: 'eu-central-1', role: 'dr' });
    expect(resolveDrillRegion(CONFIG, GOLD, 'eu-north-1')).toEqual({ region: 'eu-north-1', role: 'dr' });
    expect(resolveDrillRegion(CONFIG, GOLD, undefined)).toEqual({ region: 'eu-central-1', role: 'dr' });
    expect(resolveDrillRegion(CONFIG, SILVER, undefined)).toEqual({ region: 'eu-west-1', role: 'primary' });
  });

  it('refuses a Region without recovery points of the plan, listing the allowed ones', () => {
    expect(() => resolveDrillRegion(CONFIG, GOLD, 'us-east-1')).toThrow('plan "gold" has no recovery points in "us-east-1": allowed regions: primary, dr, eu-west-1, eu-central-1, eu-north-1');
    expect(() => resolveDrillRegion(CONFIG, SILVER, 'dr')).toThrow('plan "silver" has no DR Region');
  });
});

describe('drill timing and identity', () => {
  it('waits twice the RTO for the restore, at least 30 min and at most 24 h', () => {
    expect(restoreTimeoutMs(3_600_000)).toBe(7_200_000);
    expect(restoreTimeoutMs(600_000)).toBe(1_800_000);
    expect(restoreTimeoutMs(7 * 86_400_000)).toBe(86_400_000);
  });

  it('derives a stable drill id from the execution and start, usable as ClientToken and RDS identifier', () => {
    const id = drillIdFor(EXECUTION.id, new Date('2026-11-26T15:00:07Z'));

    expect(id).toMatch(/^drill-20261126-1500-[0-9a-f]{8}$/);
    expect(drillIdFor(EXECUTION.id, new Date('2026-11-26T15:00:07Z'))).toBe(id);
    expect(drillIdFor(`${EXECUTION.id}-other`, new Date('2026-11-26T15:00:07Z'))).not.toBe(id);
    expect(drillDatabaseIdentifier(id, 1)).toMatch(/^bo-drill-20261126-1500-[0-9a-f]{8}-1$/);
    expect(drillDatabaseIdentifier(id, 1).length).toBeLessThanOrEqual(63);
  });

  it('tags drill resources with ownership, plan, drill id and expiry, and reads the expiry back', () => {
    const tags = drillResourceTags('bo-prod', { id: 'drill-x', planId: 'gold', expiresAt: '2026-11-26T20:00:00.000Z' });

    expect(tags).toEqual({
      Name: 'restore drill-x',
      [TAG.stack]: 'bo-prod',
      [TAG.plan]: 'gold',
      [TAG.drillId]: 'drill-x',
      [TAG.expiresAt]: '2026-11-26T20:00:00.000Z',
    });
    expect(drillExpiry(tags)).toEqual(new Date('2026-11-26T20:00:00Z'));
    expect(drillExpiry({ [TAG.expiresAt]: 'soon' })).toBeUndefined();
  });
});

describe('planDrill', () => {
  it("starts at the execution's start, with the deadline, expiry and the plan's settings for its drill Region", () => {
    const drill = planDrill(CONFIG, GOLD, { planId: 'gold', trigger: 'cli' }, EXECUTION);

    expect(drill).toMatchObject({
      executionArn: EXECUTION.id,
      trigger: 'cli',
      planId: 'gold',
      region: 'eu-central-1',
      regionRole: 'dr',
      resourceId: null,
      startedAt: '2026-11-26T15:00:07.250Z',
      restoreDeadline: '2026-11-26T17:00:07.250Z',
      expiresAt: '2026-11-26T20:00:07.250Z',
      rpoMs: 28_800_000,
      rtoMs: 3_600_000,
      settings: { instanceClass: 'db.t3.medium', subnetGroup: 'drill-subnets', securityGroupIds: ['sg-0abc'], availabilityZone: 'eu-central-1b', networkSettingsSkipped: false },
    });
  });

  it("leaves the plan's network settings out in another Region than they were written for", () => {
    const drill = planDrill(CONFIG, GOLD, { planId: 'gold', region: 'primary', trigger: 'cli' }, EXECUTION);

    expect(drill.settings).toEqual({ instanceClass: 'db.t3.medium', subnetGroup: null, securityGroupIds: [], availabilityZone: null, validationFunction: null, networkSettingsSkipped: true });
  });

  it('takes an earlier startedAt (the scheduled time) and refuses a later one, which would understate the RTO', () => {
    const scheduled = planDrill(CONFIG, SILVER, { planId: 'silver', startedAt: new Date('2026-11-26T15:00:00Z'), trigger: 'schedule' }, EXECUTION);

    expect(scheduled.startedAt).toBe('2026-11-26T15:00:00.000Z');
    expect(() => planDrill(CONFIG, SILVER, { planId: 'silver', startedAt: new Date('2026-11-26T15:05:00Z'), trigger: 'console' }, EXECUTION)).toThrow(
      'startedAt 2026-11-26T15:05:00.000Z is after the execution started (2026-11-26T15:00:07.250Z)',
    );
  });

  it('takes the scheduled time of a schedule the scheduler delivered an hour late', () => {
    const late = planDrill(CONFIG, SILVER, { planId: 'silver', startedAt: new Date('2026-11-26T14:00:00Z'), trigger: 'schedule' }, EXECUTION);

    expect(late).toMatchObject({ startedAt: '2026-11-26T14:00:00.000Z', restoreDeadline: '2026-11-26T15:00:00.000Z', expiresAt: '2026-11-26T18:00:00.000Z' });
  });

  it('refuses a startedAt earlier than any schedule delivery, naming it, the execution start and the bound', () => {
    const plan = () => planDrill(CONFIG, SILVER, { planId: 'silver', startedAt: new Date('2026-11-24T15:00:00Z'), trigger: 'console' }, EXECUTION);

    expect(plan).toThrow(
      'startedAt 2026-11-24T15:00:00.000Z is more than 1 h 1 min before the execution started (2026-11-26T15:00:07.250Z): the earliest accepted startedAt is 2026-11-26T13:59:07.250Z',
    );
    expect(plan).toThrow(BadInputError);
    expect(() => planDrill(CONFIG, SILVER, { planId: 'silver', startedAt: new Date('2026-11-26T13:59:07.249Z'), trigger: 'schedule' }, EXECUTION)).toThrow('is more than 1 h 1 min before');
  });

  it("accepts every delay the drill schedules' retry policy allows, and still expires such a drill's restore hours after its execution started", () => {
    const config = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    drill: { schedule: { expression: cron(0 3 ? * MON *) } }
`);
    const schedule = drillResources(config).DrillScheduleGold as { Properties: { Target: { RetryPolicy: { MaximumEventAgeInSeconds: number } } } };
    const maxEventAgeMs = schedule.Properties.Target.RetryPolicy.MaximumEventAgeInSeconds * 1000;
    const latest = { ...EXECUTION, startTime: new Date(Date.parse(EXECUTION.startTime) + maxEventAgeMs).toISOString() };

    // SILVER has the shortest restore timeout (30 min), so its restore expires soonest after its start.
    const drill = planDrill(CONFIG, SILVER, { planId: 'silver', startedAt: new Date(EXECUTION.startTime), trigger: 'schedule' }, latest);

    expect(DRILL_TIMING.maxStartDelayMs).toBeGreaterThanOrEqual(maxEventAgeMs);
    expect(Date.parse(drill.expiresAt) - Date.parse(latest.startTime)).toBeGreaterThanOrEqual(2 * 3_600_000);
  });
});

describe('recovery point selection', () => {
  it("uses a copy's source time, so copy lag counts, and the slot otherwise", () => {
    expect(recoveryPointDataTime(point('vol-1', '2026-11-26T12:00Z', 'completed', { [TAG.sourceTime]: '2026-11-26T11:58:41Z' }))).toEqual(new Date('2026-11-26T11:58:41Z'));
    expect(recoveryPointDataTime(point('vol-1', '2026-11-26T12:00Z'))).toEqual(new Date('2026-11-26T12:00Z'));
    expect(recoveryPointDataTime(point('vol-1', '2026-11-26T12:00Z', 'completed', { [TAG.sourceTime]: 'garbage' }))).toEqual(new Date('2026-11-26T12:00Z'));
  });

  it('knows when a point became restorable: its last snapshot completion, from EBS CompletionTime or the copy tag, else nothing', () => {
    const snapshot = (id: string, completedAt: string | undefined, tags: Record<string, string> = {}) => ({
      kind: 'ebs' as const,
      id,
      region: 'eu-central-1',
      state: 'completed' as const,
      status: 'completed',
      ...(completedAt ? { completedAt: new Date(completedAt) } : {}),
      tags,
    });

    expect(recoveryPointAvailableAt({ snapshots: [snapshot('a', '2026-11-26T12:40:00Z'), snapshot('b', '2026-11-26T12:55:00Z'), snapshot('c', undefined)] })).toEqual(new Date('2026-11-26T12:55:00Z'));
    expect(recoveryPointAvailableAt({ snapshots: [snapshot('a', undefined, { [TAG.copyCompletedAt]: '2026-11-26T13:10:00Z' })] })).toEqual(new Date('2026-11-26T13:10:00Z'));
    expect(recoveryPointAvailableAt({ snapshots: [snapshot('a', undefined)] })).toBeUndefined();
  });

  it("picks the resource's latest completed point, ignoring pending ones", () => {
    const points = [point('vol-1', '2026-11-26T08:00Z'), point('vol-1', '2026-11-26T12:00Z'), point('vol-1', '2026-11-26T16:00Z', 'pending'), point('vol-2', '2026-11-26T16:00Z')];

    expect(latestCompletedPoint(points, 'vol-1')?.id).toBe('vol-1@2026-11-26T12:00Z');
    expect(latestCompletedPoint(points, 'vol-3')).toBeUndefined();
  });

  it('without a resource, picks the newest completed point of any resource, ties to the lowest id', () => {
    const points = [point('vol-b', '2026-11-26T12:00Z'), point('vol-a', '2026-11-26T12:00Z'), point('vol-c', '2026-11-26T08:00Z')];

    expect(latestCompletedPoint(points, null)?.id).toBe('vol-a@2026-11-26T12:00Z');
  });
});
