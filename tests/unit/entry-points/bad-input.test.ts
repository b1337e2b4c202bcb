import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDrillRequest } from '../../../shared/domain/drill.js';
import { parseJanitorRun } from '../../../shared/domain/drill-janitor-event.js';
import { PlanValidationError } from '../../../shared/domain/errors.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { parsePruneRun } from '../../../shared/domain/prune-run-event.js';
import { parseReconcileRun } from '../../../shared/domain/reconcile-run-event.js';
import { parseReportRun } from '../../../shared/domain/report-run-event.js';
import { parseScheduledRun } from '../../../shared/domain/scheduled-run-event.js';
import { parseSnapshotCompletion, parseSnapshotFailure } from '../../../shared/domain/snapshot-completion-event.js';
import { parseSnapshotWorkItem } from '../../../shared/domain/snapshot-work-item.js';
import { parseSyncDlmRun } from '../../../shared/domain/sync-dlm-run-event.js';
import { runCli } from '../../support/cli.js';

/**
 * The catalogue of bad input every entry point refuses before it calls AWS: scheduler payloads, EventBridge
 * events, the restore-drill input, the plans file and CLI arguments. Each case names the entry point and
 * the precise message it must give (handlers parse first, so a refusal here means nothing was created or
 * deleted; the integration tests check that on moto for the handlers).
 */
const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/events', name), 'utf8')) as Record<string, unknown>;
const withDetail = (name: string, detail: Record<string, unknown>) => {
  const event = fixture(name);
  return { ...event, detail: { ...(event.detail as object), ...detail } };
};
const TIME = '2026-11-26T15:00:00Z';

const cases: Array<[entry: string, parse: (input: unknown) => unknown, input: unknown, message: string]> = [
  ['create-snapshots', parseScheduledRun, { scheduledTime: TIME }, 'create-snapshots received a payload that is not a scheduled run: planId is required'],
  ['create-snapshots', parseScheduledRun, { planId: 'gold', scheduledTime: 'yesterday' }, 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z'],
  ['create-snapshots', parseScheduledRun, { planId: '', scheduledTime: TIME }, 'planId must not be empty'],
  ['create-snapshots', parseScheduledRun, { planId: 'gold', scheduledTime: TIME, dryRun: 'yes' }, 'dryRun must be true or false'],
  ['create-snapshots', parseScheduledRun, { planId: 'gold', scheduledTime: TIME, plan: 'gold' }, 'unexpected field(s) plan'],
  ['create-snapshots', parseScheduledRun, 'gold', 'create-snapshots received a payload that is not a scheduled run: the payload must be a JSON object, not string'],
  ['create-snapshots', parseScheduledRun, null, 'create-snapshots received a payload that is not a scheduled run: the payload must be a JSON object, not null'],
  ['prune', parsePruneRun, [TIME], 'prune received a payload that is not a prune run: the payload must be a JSON object, not a list'],
  ['prune', parsePruneRun, { scheduledTime: TIME, region: 'eu-westeros-1' }, 'unknown Region "eu-westeros-1" (expected an AWS Region name such as eu-west-1)'],
  ['prune', parsePruneRun, { scheduledTime: TIME, budget: 0 }, 'budget must be at least 1 snapshot deletion'],
  ['prune', parsePruneRun, { scheduledTime: TIME, budget: 2.5 }, 'budget must be a whole number of snapshot deletions'],
  ['prune', parsePruneRun, { scheduledTime: TIME, budget: 1_000_000 }, 'budget must be at most 10000 snapshot deletions'],
  ['prune', parsePruneRun, {}, 'prune received a payload that is not a prune run: scheduledTime is required'],
  ['prune', parsePruneRun, { scheduledTime: TIME, dryrun: true }, 'unexpected field(s) dryrun'],
  ['reconcile', parseReconcileRun, { scheduledTime: 42 }, 'reconcile received a payload that is not a scheduled reconcile run'],
  ['reconcile', parseReconcileRun, { scheduledTime: TIME, dryRun: 1 }, 'dryRun must be true or false'],
  // A time that has not come: the run's clock is its scheduled time, so a prune would expire points early.
  ['create-snapshots', (input) => parseScheduledRun(input, new Date(TIME)), { planId: 'gold', scheduledTime: '2026-11-26T16:01:00Z' }, "scheduledTime 2026-11-26T16:01:00Z is 1 h 1 min after this function's clock (2026-11-26T15:00:00.000Z); a run acts only for a time that has come"],
  ['prune', (input) => parsePruneRun(input, new Date(TIME)), { scheduledTime: '2027-01-01T00:00:00Z' }, "prune received a payload that is not a prune run: scheduledTime 2027-01-01T00:00:00Z is"],
  ['reconcile', (input) => parseReconcileRun(input, new Date(TIME)), { scheduledTime: '2026-11-27T15:00:00Z' }, "scheduledTime 2026-11-27T15:00:00Z is 1 d after this function's clock"],
  ['report', parseReportRun, { scheduledTime: 'tomorrow morning' }, 'report received a payload that is not a report run: scheduledTime must be an ISO-8601 timestamp'],
  ['report', parseReportRun, { scheduledTime: TIME, send: 'no' }, 'send must be true or false'],
  ['report', parseReportRun, { scheduledTime: TIME, email: 'me@example.com' }, 'unexpected field(s) email'],
  ['drill-janitor', parseJanitorRun, { dryRun: true }, 'drill-janitor received a payload that is not a janitor run: scheduledTime is required'],
  ['drill-janitor', parseJanitorRun, { scheduledTime: TIME, olderThan: '1d' }, 'unexpected field(s) olderThan'],
  ['sync-dlm', parseSyncDlmRun, { dryRun: 'true' }, 'sync-dlm received a payload that is not a sync run: dryRun must be true or false'],
  ['sync-dlm', parseSyncDlmRun, { plans: ['gold'] }, 'unexpected field(s) plans'],
  ['copy-snapshot', parseSnapshotCompletion, [], 'copy-snapshot received something that is not an EventBridge event: expected an object, got an array'],
  ['copy-snapshot', parseSnapshotCompletion, { source: 'aws.s3', 'detail-type': 'Object Created' }, 'copy-snapshot received an event it does not handle'],
  ['copy-snapshot', parseSnapshotCompletion, withDetail('ebs-create-snapshot-succeeded.json', { snapshot_id: 'snap-123' }), 'is not an EBS snapshot ARN'],
  ['copy-snapshot', parseSnapshotCompletion, { ...fixture('ebs-create-snapshot-succeeded.json'), time: 'noon' }, 'time must be an ISO-8601 timestamp'],
  ['copy-snapshot', parseSnapshotCompletion, withDetail('rds-db-snapshot-created.json', { SourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:orders' }), 'is not an RDS snapshot or cluster snapshot ARN'],
  ['copy-snapshot', parseSnapshotCompletion, withDetail('ebs-create-snapshots-succeeded.json', { snapshots: 'all' }), 'detail.snapshots must be the list of snapshots'],
  ['copy-snapshot', parseSnapshotCompletion, withDetail('ebs-create-snapshots-succeeded.json', { snapshots: ['snap-1'] }), 'detail.snapshots[] must be objects with snapshot_id and status'],
  ['copy-snapshot', parseSnapshotCompletion, withDetail('ebs-create-snapshot-succeeded.json', { cause: 42 }), 'detail.cause must be text'],
  ['copy-snapshot', parseSnapshotCompletion, withDetail('rds-db-snapshot-created.json', { Message: ['created'] }), 'detail.Message must be text'],
  ['create-snapshots-worker', (input) => parseSnapshotWorkItem(input as string), '{"planId":"gold","slot":"2026-11-26T15:00Z","resourceId":"vol-1","type":"ebs-volume","tags":{"team":7}}', 'tags must map tag keys to text values'],
  ['create-snapshots-worker', (input) => parseSnapshotWorkItem(input as string), '["gold"]', 'the snapshot worker received a message that is not a work item: the payload must be a JSON object, not a list'],
  ['notify-failure', parseSnapshotFailure, fixture('ebs-create-snapshot-succeeded.json'), 'notify-failure received an event that reports no failure: detail.result is "succeeded", expected "failed"'],
  ['notify-failure', parseSnapshotFailure, fixture('rds-db-snapshot-created.json'), 'notify-failure received an event it does not handle'],
  ['notify-failure', parseSnapshotFailure, 'failed', 'notify-failure received an event it does not handle'],
  ['restore-drill', parseDrillRequest, 'gold', 'the restore drill input must be a JSON object'],
  ['restore-drill', parseDrillRequest, { plan: 'gold' }, 'unexpected field(s) plan (allowed: planId, resourceId, region, startedAt, trigger)'],
  ['restore-drill', parseDrillRequest, { planId: 'gold', region: '' }, 'region must not be empty'],
  ['restore-drill', parseDrillRequest, { planId: 'gold', trigger: 'cron' }, 'trigger must be one of'],
  ['restore-drill', parseDrillRequest, { planId: 'gold', startedAt: 'now' }, 'startedAt must be'],
];

describe('entry points refuse bad input with a precise BadInputError', () => {
  it.each(cases)('%s refuses %j', (_entry, parse, input, message) => {
    let caught: unknown;
    try {
      parse(input);
    } catch (error) {
      caught = error;
    }

    expect(caught).toMatchObject({ name: 'BadInputError' });
    expect((caught as Error).message).toContain(message);
  });

  it('covers every kind of entry point', () => {
    expect(new Set(cases.map(([entry]) => entry))).toEqual(
      new Set(['create-snapshots', 'prune', 'reconcile', 'report', 'drill-janitor', 'sync-dlm', 'copy-snapshot', 'notify-failure', 'restore-drill', 'create-snapshots-worker']),
    );
  });
});

describe('the plans file refuses bad input with file, line, plan and field', () => {
  it.each([
    ['plans: [', 'YAML syntax error'],
    ['version: 1\nprimaryRegion: eu-west-1\nplans: []\n', 'must declare at least one plan'],
    ['version: 1\nprimaryRegion: mars-1\nplans: []\n', 'unknown Region "mars-1"'],
  ])('%j', (source, message) => {
    expect(() => parsePlansFile(source, 'bad.yml')).toThrow(PlanValidationError);
    expect(() => parsePlansFile(source, 'bad.yml')).toThrow(message);
  });
});

describe('the CLI refuses bad arguments with exit code 2', () => {
  it.each([
    [['backup', 'run'], 'error: backup run needs --plan <id>'],
    [['backup', 'run', '--plan'], "error: Option '--plan <value>' argument missing"],
    [['plan', 'validate', '--no-such-flag'], "error: Unknown option '--no-such-flag'"],
    [['explode'], 'error: unknown command "explode"'],
    // runCli's clock reads 2026-11-26T15:30Z: a run that deletes or creates refuses a time that has not come.
    [['prune', '--at', '2027-01-01T00:00:00Z'], 'error: --at "2027-01-01T00:00:00Z" has not come yet (it is 2026-11-26T15:30:00.000Z)'],
    [['backup', 'run', '--plan', 'gold', '--at', '2026-11-26T17:00:00Z'], 'error: --at "2026-11-26T17:00:00Z" has not come yet'],
    [['reconcile', '--at', '2026-12-01T00:00:00Z'], 'error: --at "2026-12-01T00:00:00Z" has not come yet'],
  ])('%j', async (argv, message) => {
    const result = await runCli(argv);

    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
  });
});
