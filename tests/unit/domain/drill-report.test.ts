import { describe, expect, it } from '@jest/globals';
import type { DrillContext, SelectedRecoveryPoint } from '../../../shared/domain/drill.js';
import { causeMessage, drillRunRecord, objectivesLine, renderDrillReport, type DrillResult } from '../../../shared/domain/drill-report.js';
import { drillContextSchema, parseStepEvent, readDrillState, type DrillState } from '../../../shared/domain/drill-state.js';

const DRILL: DrillContext = {
  id: 'drill-20261126-1500-3f9a0c1d',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:bo-restore-drill:weekly',
  trigger: 'schedule',
  planId: 'gold',
  region: 'eu-central-1',
  regionRole: 'dr',
  resourceId: 'vol-0abc',
  startedAt: '2026-11-26T15:00:00.000Z',
  restoreDeadline: '2026-11-26T17:00:00.000Z',
  expiresAt: '2026-11-26T20:00:00.000Z',
  rpoMs: 8 * 3_600_000,
  rtoMs: 3_600_000,
  restoreTimeoutMs: 2 * 3_600_000,
  settings: { instanceClass: null, subnetGroup: null, securityGroupIds: [], availabilityZone: null, validationFunction: 'smoke', networkSettingsSkipped: false },
};

const POINT: SelectedRecoveryPoint = {
  id: 'vol-0abc@2026-11-26T11:50Z',
  resourceId: 'vol-0abc',
  resourceType: 'ebs-volume',
  region: 'eu-central-1',
  slot: '2026-11-26T11:50Z',
  dataTime: '2026-11-26T11:50:00.000Z',
  isCopy: true,
  achievedRpoMs: (3 * 60 + 10) * 60_000,
  snapshots: [{ kind: 'ebs', id: 'snap-copy', arn: null, sizeGiB: 10 }],
};

const PASSED: DrillState = {
  input: { planId: 'gold' },
  drill: { Payload: DRILL },
  recoveryPoint: { Payload: POINT },
  restore: { Payload: { resources: [{ kind: 'ebs-volume', id: 'vol-0def', region: 'eu-central-1', snapshotId: 'snap-copy', expectedSizeGiB: 10, memberInstanceIds: [] }] } },
  validation: { Payload: { checks: ["ebs-volume vol-0def is available with the snapshot's size (10 GiB)"], user: { functionName: 'smoke', passed: true, message: 'mounted, 3 files' } } },
  validated: { at: '2026-11-26T15:14:32.750Z' },
  cleanup: { Payload: { skipped: null, deleted: [{ kind: 'ebs-volume', id: 'vol-0def', status: 'deleting' }], remaining: [] } },
};

describe('renderDrillReport', () => {
  it('writes the PASS email: subject, readable body with the objectives line, then the JSON result', () => {
    const report = renderDrillReport(PASSED);

    expect(report.verdict).toBe('PASS');
    expect(report.subject).toBe('Restore drill PASS: plan gold, ebs-volume vol-0abc in eu-central-1');
    expect(report.summary).toBe('RTO objective 1 h, measured 14 min 32 s — PASS; RPO objective 8 h, achieved 3 h 10 min — PASS');
    expect(report.message.split('\n--- machine-readable result ---\n')[0]).toBe(
      [
        'Restore drill of plan gold: PASS',
        'RTO objective 1 h, measured 14 min 32 s — PASS; RPO objective 8 h, achieved 3 h 10 min — PASS',
        '',
        'Drill           drill-20261126-1500-3f9a0c1d (started by schedule)',
        'Region          eu-central-1 (DR Region)',
        'Resource        ebs-volume vol-0abc',
        'Recovery point  vol-0abc@2026-11-26T11:50Z, data from 2026-11-26T11:50:00.000Z (DR copy; RPO counts from its source)',
        'Snapshots       snap-copy',
        'Restored        ebs-volume vol-0def from snap-copy',
        "Validation      ebs-volume vol-0def is available with the snapshot's size (10 GiB)",
        '                smoke: passed — mounted, 3 files',
        'Started         2026-11-26T15:00:00.000Z',
        'Validated       2026-11-26T15:14:32.750Z',
        'Cleanup         ebs-volume vol-0def deleting',
        'Execution       arn:aws:states:eu-west-1:123456789012:execution:bo-restore-drill:weekly',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(report.message.split('\n--- machine-readable result ---\n')[1] ?? '')).toEqual(report.result);
    expect(report.result).toMatchObject({
      verdict: 'PASS',
      rto: { objectiveSeconds: 3600, measuredSeconds: 872.75, passed: true },
      rpo: { objectiveSeconds: 28800, achievedSeconds: 11400, passed: true },
      cleanup: { complete: true, error: null },
    });
    expect(report.cause).toBe('PASS: RTO objective 1 h, measured 14 min 32 s — PASS; RPO objective 8 h, achieved 3 h 10 min — PASS');
  });

  it('emits pass/fail, RTO seconds and achieved RPO seconds by plan', () => {
    expect(renderDrillReport(PASSED).metricData).toEqual([
      { MetricName: 'DrillPassed', Dimensions: [{ Name: 'plan', Value: 'gold' }], Unit: 'Count', Value: 1 },
      { MetricName: 'DrillFailed', Dimensions: [{ Name: 'plan', Value: 'gold' }], Unit: 'Count', Value: 0 },
      { MetricName: 'DrillRtoSeconds', Dimensions: [{ Name: 'plan', Value: 'gold' }], Unit: 'Seconds', Value: 872.75 },
      { MetricName: 'DrillAchievedRpoSeconds', Dimensions: [{ Name: 'plan', Value: 'gold' }], Unit: 'Seconds', Value: 11400 },
    ]);
  });

  it('fails a restore slower than the RTO and a point older than the RPO, each marked on its own', () => {
    const report = renderDrillReport({
      ...PASSED,
      recoveryPoint: { Payload: { ...POINT, achievedRpoMs: 9 * 3_600_000 } },
      validated: { at: '2026-11-26T16:20:00Z' },
    });

    expect(report.verdict).toBe('FAIL');
    expect(report.summary).toBe('RTO objective 1 h, measured 1 h 20 min — FAIL; RPO objective 8 h, achieved 9 h — FAIL');
    expect(report.subject).toBe('Restore drill FAIL: plan gold, ebs-volume vol-0abc in eu-central-1');
    expect(report.metricData.map((datum) => [datum.MetricName, datum.Value])).toEqual([
      ['DrillPassed', 0],
      ['DrillFailed', 1],
      ['DrillRtoSeconds', 4800],
      ['DrillAchievedRpoSeconds', 32400],
    ]);
  });

  it('says where a failed drill stopped and why, reading the message inside a Lambda error Cause', () => {
    const cause = JSON.stringify({ errorType: 'RestoreTimedOutError', errorMessage: 'not available 2 h after the drill started', trace: ['at x'] });
    const { restore: _restore, validation: _validation, validated: _validated, ...partial } = PASSED;

    const report = renderDrillReport({ ...partial, errors: { CheckRestoreReady: { Error: 'RestoreTimedOutError', Cause: cause } } });

    expect(report.verdict).toBe('FAIL');
    expect(report.message).toContain(
      'RTO objective 1 h, not measured (failed while waiting for the restore to be available) — FAIL; RPO objective 8 h, achieved 3 h 10 min — PASS\n' +
        'Failed while waiting for the restore to be available: not available 2 h after the drill started (RestoreTimedOutError)',
    );
    expect(report.result.failure).toEqual({ state: 'CheckRestoreReady', error: 'RestoreTimedOutError', message: 'not available 2 h after the drill started' });
    expect(report.metricData.map((datum) => datum.MetricName)).toEqual(['DrillPassed', 'DrillFailed', 'DrillAchievedRpoSeconds']);
  });

  it('fails a drill whose cleanup failed, and says the janitor will delete what is left', () => {
    const { cleanup: _cleanup, ...rest } = PASSED;

    const report = renderDrillReport({ ...rest, errors: { Cleanup: { Error: 'CleanupIncompleteError', Cause: 'could not delete ebs-volume vol-0def: VolumeInUse' } } });

    expect(report.verdict).toBe('FAIL');
    expect(report.summary).toBe('RTO objective 1 h, measured 14 min 32 s — PASS; RPO objective 8 h, achieved 3 h 10 min — PASS; cleanup INCOMPLETE');
    expect(report.message).toContain(
      'Cleanup         INCOMPLETE: could not delete ebs-volume vol-0def: VolumeInUse\n                the drill janitor deletes what is left after 2026-11-26T20:00:00.000Z',
    );
    expect(report.result.cleanup).toEqual({ complete: false, deleted: [], error: 'could not delete ebs-volume vol-0def: VolumeInUse (CleanupIncompleteError)' });
  });

  it('reports a bad input as BAD_INPUT with the precise cause, naming the plan asked for', () => {
    const report = renderDrillReport({
      input: { planId: 'platinum' },
      errors: { ValidateInput: { Error: 'UnknownPlanError', Cause: 'no plan "platinum" in the backup plans (known plans: gold, silver)' } },
      cleanup: { Payload: { skipped: 'nothing to clean up', deleted: [], remaining: [] } },
    });

    expect(report.verdict).toBe('BAD_INPUT');
    expect(report.cause).toBe('no plan "platinum" in the backup plans (known plans: gold, silver)');
    expect(report.subject).toBe('Restore drill not started (bad input): plan platinum');
    expect(report.message.split('\n--- machine-readable result ---\n')[0]).toBe(
      'Restore drill of plan platinum: not started (bad input)\nno plan "platinum" in the backup plans (known plans: gold, silver)\n\nNothing was restored, so there was nothing to clean up.\n',
    );
    expect(report.metricData).toEqual([
      { MetricName: 'DrillPassed', Dimensions: [{ Name: 'plan', Value: 'platinum' }], Unit: 'Count', Value: 0 },
      { MetricName: 'DrillFailed', Dimensions: [{ Name: 'plan', Value: 'platinum' }], Unit: 'Count', Value: 1 },
    ]);
  });

  it('keeps the SNS subject ASCII and under 100 characters', () => {
    const long = 'vol-' + 'x'.repeat(120);

    const report = renderDrillReport({ ...PASSED, recoveryPoint: { Payload: { ...POINT, resourceId: long } } });

    expect(report.subject.length).toBeLessThan(100);
    expect(report.subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('still writes a report from a state it can only partly read, and says which parts', () => {
    const { state, unreadable } = readDrillState({ input: 'x', drill: { Payload: { id: 42 } }, errors: { ValidateInput: { Error: 'Lambda.Unknown' } } });

    const report = renderDrillReport(state, unreadable);

    expect(unreadable).toEqual(['drill']);
    expect(report.verdict).toBe('FAIL');
    expect(report.summary).toBe('Lambda.Unknown (Lambda.Unknown)');
    expect(report.cause).toBe('FAIL: Lambda.Unknown (Lambda.Unknown)');
    expect(report.message).toContain('(parts of the drill state could not be read: drill)');
  });
});

describe('objectivesLine and causeMessage', () => {
  it('is null for a result without objectives, and reads plain or JSON causes', () => {
    expect(objectivesLine(renderDrillReport({ input: {} }).result)).toBeNull();
    expect(causeMessage({ Error: 'X', Cause: 'plain words' })).toBe('plain words');
    expect(causeMessage({ Error: 'X', Cause: '{"errorMessage":"from lambda"}' })).toBe('from lambda');
    expect(causeMessage({ Error: 'X' })).toBe('X');
  });
});

describe('drillRunRecord', () => {
  const result = (overrides: Partial<DrillResult>): DrillResult =>
    ({
      schema: 'backup-orchestrator/drill-result@1',
      verdict: 'PASS',
      drillId: 'drill-1',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:x:y',
      planId: 'gold',
      resourceId: 'vol-1',
      resourceType: 'ebs-volume',
      region: 'eu-central-1',
      regionRole: 'dr',
      startedAt: '2026-11-26T06:00:00.000Z',
      validatedAt: '2026-11-26T06:14:32.000Z',
      rto: { objectiveSeconds: 3600, measuredSeconds: 872, passed: true },
      rpo: { objectiveSeconds: 28800, achievedSeconds: 11400, passed: true },
      recoveryPoint: null,
      restored: [],
      validation: null,
      failure: null,
      cleanup: { complete: true, deleted: [], error: null },
      ...overrides,
    }) as DrillResult;

  it('records a drill with its RTO and achieved RPO against the objectives, at the validated time', () => {
    expect(drillRunRecord(result({}))).toEqual({
      at: new Date('2026-11-26T06:14:32.000Z'),
      kind: 'drill',
      source: 'restore-drill',
      planId: 'gold',
      region: 'eu-central-1',
      failures: [],
      drill: {
        at: new Date('2026-11-26T06:00:00.000Z'),
        passed: true,
        region: 'eu-central-1',
        resourceId: 'vol-1',
        rtoMs: 872_000,
        rtoObjectiveMs: 3_600_000,
        achievedRpoMs: 11_400_000,
        rpoObjectiveMs: 28_800_000,
      },
    });
  });

  it('records a failed drill with the failing state as its cause, and nothing for bad input', () => {
    const failed = drillRunRecord(result({ verdict: 'FAIL', validatedAt: null, failure: { state: 'RestoreRecoveryPoint', error: 'InsufficientDBInstanceCapacity', message: 'no capacity' } }));

    expect(failed?.drill).toMatchObject({ passed: false, cause: 'RestoreRecoveryPoint: no capacity' });
    expect(failed?.failures).toEqual([{ resourceId: 'vol-1', errorName: 'InsufficientDBInstanceCapacity', reason: 'no capacity' }]);
    expect(drillRunRecord(result({ verdict: 'BAD_INPUT', planId: null }))).toBeUndefined();
  });
});

describe('parseStepEvent', () => {
  it('names the step and, for each wrong field, what it expected and what it received', () => {
    const broken = { ...DRILL, id: 42, trigger: 'cron', startedAt: 'this morning', planId: '', settings: undefined };

    let message = '';
    try {
      parseStepEvent('drill-restore', drillContextSchema, broken);
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toContain('drill-restore received state data it cannot use');
    expect(message).toContain('id: expected string, received number');
    expect(message).toContain('trigger: expected one of "cli"|"schedule"|"console"');
    expect(message).toContain('startedAt: expected an ISO-8601 timestamp');
    expect(message).toContain('planId: expected string of at least 1 character(s)');
    expect(message).toContain('settings: expected object, received undefined');
  });

  it('returns the part when it is whole', () => {
    expect(parseStepEvent('drill-restore', drillContextSchema, DRILL)).toEqual(DRILL);
  });
});
