/**
 * What the sandbox feeds the functions must be what AWS would: completion events of the documented shape
 * (tests/fixtures/events), scheduler payloads from the stack's own schedule Inputs, and the example plans.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { parsePruneRun } from '../../../shared/domain/prune-run-event.js';
import { parseReconcileRun } from '../../../shared/domain/reconcile-run-event.js';
import { parseReportRun } from '../../../shared/domain/report-run-event.js';
import { parseSnapshotCompletion, parseSnapshotFailure } from '../../../shared/domain/snapshot-completion-event.js';
import { ebsMultiVolumeEvent, ebsSnapshotEvent, queueBatch, rdsSnapshotEvent } from '../../../sandbox/completion-events.js';
import { emailForm } from '../../../sandbox/mailbox.js';
import { eventRules, fillScheduleInput, matchesPattern, ROOT, scheduleInput } from '../../../sandbox/stack-definition.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/events', `${name}.json`), 'utf8'));

/** The structure of a JSON value: keys (sorted) and value types, arrays by their first element. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return [value.length ? shape(value[0]) : 'empty'];
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shape((value as Record<string, unknown>)[key])]));
  return typeof value;
}

const region = 'eu-west-1';
const slot = new Date('2026-11-26T11:00:00Z');
const time = new Date('2026-11-26T11:04:12Z');

/** The functions whose EventBridge rules in infra/functions/*.yml match an event. */
const routedTo = (event: unknown) => eventRules().filter((rule) => matchesPattern(rule.pattern, event)).map((rule) => rule.functionName);

describe('sandbox completion events', () => {
  it.each([
    ['ebs-create-snapshot-succeeded', () => ebsSnapshotEvent({ region, snapshotId: 'snap-0a1b2c3d4e5f60718', volumeId: 'vol-0123456789abcdef0', startTime: slot, time })],
    ['ebs-create-snapshot-failed', () => ebsSnapshotEvent({ region, snapshotId: 'snap-0a1b2c3d4e5f60718', volumeId: 'vol-0123456789abcdef0', startTime: slot, time, result: 'failed', cause: 'it broke' })],
    ['ebs-create-snapshots-succeeded', () => ebsMultiVolumeEvent({ region, snapshots: [{ snapshotId: 'snap-01111111111111111', volumeId: 'vol-01111111111111111' }], startTime: slot, time })],
    ['rds-db-snapshot-created', () => rdsSnapshotEvent({ region, identifier: 'bo-gold-orders-20261126-1100', cluster: false, time })],
    ['rds-db-cluster-snapshot-created', () => rdsSnapshotEvent({ region, identifier: 'bo-gold-ledger-20261126-1100', cluster: true, time })],
  ])('have the shape of the documented event %s', (name, build) => {
    expect(shape(build())).toEqual(shape(fixture(name)));
  });

  it('reach copy-snapshot when a snapshot completed, and read as the snapshots it names', () => {
    const ebs = ebsSnapshotEvent({ region, snapshotId: 'snap-0a1b2c3d4e5f60718', volumeId: 'vol-1', startTime: slot, time });
    const set = ebsMultiVolumeEvent({ region, snapshots: [{ snapshotId: 'snap-01111111111111111', volumeId: 'vol-1' }, { snapshotId: 'snap-02222222222222222', volumeId: 'vol-2' }], startTime: slot, time });
    const cluster = rdsSnapshotEvent({ region, identifier: 'bo-gold-ledger-20261126-1100', cluster: true, time });

    expect([routedTo(ebs), routedTo(set), routedTo(cluster)]).toEqual([['copySnapshot'], ['copySnapshot'], ['copySnapshot']]);
    // Through the copy-completion queue, as one SQS record each with the event as its body.
    expect(eventRules().filter((rule) => rule.functionName === 'copySnapshot').map((rule) => rule.queue)).toEqual(Array.from({ length: 4 }, () => 'CopyCompletionQueue'));
    expect(queueBatch([ebs, set], { region }).Records.map((record) => JSON.parse(record.body))).toEqual([ebs, set]);
    expect(parseSnapshotCompletion(set)).toMatchObject({ region, time, completed: [{ kind: 'ebs', id: 'snap-01111111111111111' }, { kind: 'ebs', id: 'snap-02222222222222222' }] });
    expect(parseSnapshotCompletion(cluster).completed).toEqual([{ kind: 'rds-cluster', id: 'bo-gold-ledger-20261126-1100' }]);
  });

  it('reach notify-failure, and only notify-failure, when a snapshot failed', () => {
    const failed = ebsSnapshotEvent({ region, snapshotId: 'snap-0a1b2c3d4e5f60718', volumeId: 'vol-1', startTime: slot, time, result: 'failed', cause: 'it broke' });

    expect(routedTo(failed)).toEqual(['notifyFailure']);
    expect(parseSnapshotFailure(failed)).toMatchObject({ operation: 'createSnapshot', cause: 'it broke', snapshotIds: ['snap-0a1b2c3d4e5f60718'] });
  });
});

describe('sandbox scheduler payloads', () => {
  const fire = { time: new Date('2026-11-26T07:00:00Z'), scheduleName: 'sandbox' };

  it("fill the stack's own schedule Inputs into payloads its functions accept", () => {
    expect(parseReconcileRun(fillScheduleInput(scheduleInput('infra/resources/reconcile-schedule.yml', 'ReconcileSchedule'), fire))).toEqual({ now: fire.time, dryRun: false });
    expect(parsePruneRun(fillScheduleInput(scheduleInput('infra/resources/prune-schedule.yml', 'PruneSchedule'), fire))).toMatchObject({ scheduledTime: fire.time, dryRun: false });
    expect(parseReportRun(fillScheduleInput(scheduleInput('infra/resources/report-schedule.yml', 'ReportSchedule'), fire))).toEqual({ scheduledTime: fire.time, send: true });
  });

  it('names a schedule the stack does not have', () => {
    expect(() => scheduleInput('infra/resources/prune-schedule.yml', 'NightlySchedule')).toThrow('infra/resources/prune-schedule.yml has no schedule NightlySchedule with a Target.Input');
  });
});

describe('sandbox plans', () => {
  it("are the example plans, except that gold runs every 6 hours", () => {
    const read = (file: string) => parsePlansFile(readFileSync(join(ROOT, file), 'utf8'), file);
    const comparable = (file: string) => JSON.parse(JSON.stringify(read(file), (key, value) => (key === 'expression' ? value.source : value))) as { plans: Array<{ schedule: { expression: string } }> };
    const example = comparable('backup-plans.yml');
    const sandbox = comparable('sandbox/backup-plans.yml');

    expect(sandbox.plans[0]?.schedule.expression).toBe('cron(0 */6 * * ? *)');
    (sandbox.plans[0] as { schedule: { expression: string } }).schedule.expression = 'cron(0 */4 * * ? *)';
    expect(sandbox).toEqual(example);
  });
});

describe('the sandbox mailbox', () => {
  it('reads what an email subscriber receives: the email form of a structured message, else the message', () => {
    expect(emailForm({ MessageStructure: 'json', Message: JSON.stringify({ default: '{"a":1}', email: 'Hello' }) })).toBe('Hello');
    expect(emailForm({ MessageStructure: 'json', Message: JSON.stringify({ default: 'only the default' }) })).toBe('only the default');
    expect(emailForm({ Message: 'plain text' })).toBe('plain text');
  });
});
