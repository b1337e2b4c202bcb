import { BadInputError } from './errors.js';
import { isCalendarDay } from './zoned-time.js';

/*
 * What sync-dlm accepts: the daily schedule's payload (infra/resources/sync-dlm-schedule.yml), or `{}` /
 * `{"dryRun": true}` from an operator right after a deploy.
 *
 * Checked here by hand, not with a zod schema as every other entry point is: sync-dlm builds no other schema,
 * and loading and running zod for these five flat fields was a tenth of its cold start (the bench's cold-start
 * row). The rules and messages are those of entry-payload.ts's fields; tests/unit/domain/sync-dlm-run-event.test.ts
 * holds this check to a strict zod schema of those fields on generated payloads.
 */

export interface SyncDlmRun {
  dryRun: boolean;
  scheduledTime?: Date;
}

const REFUSAL = 'sync-dlm received a payload that is not a sync run';

/** The field, and the message when its value is wrong, in the order zod reports them (the schema's order). */
const FIELDS: ReadonlyArray<readonly [string, (value: unknown) => boolean, string]> = [
  ['scheduledTime', isTimestamp, 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z'],
  ['dryRun', (value) => typeof value === 'boolean', 'dryRun must be true or false'],
  // The scheduler's own context fields (entry-payload.ts schedulerContextFields).
  ['scheduleArn', (value) => typeof value === 'string', 'scheduleArn must be text'],
  ['executionId', (value) => typeof value === 'string', 'executionId must be text'],
  ['attempt', (value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)), 'attempt must be a number'],
];
const KNOWN = new Set(FIELDS.map(([name]) => name));

/** RFC 3339 with seconds and a Z or ±hh:mm offset, as zod's `iso.datetime({ offset: true })` takes it. */
const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

function isTimestamp(value: unknown): boolean {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  if (!match) return false;
  return isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** Parses the sync-dlm payload; anything else is a BadInputError naming each wrong field. */
export function parseSyncDlmRun(event: unknown): SyncDlmRun {
  const payload = event ?? {};
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw new BadInputError(REFUSAL, [`the payload must be a JSON object, not ${Array.isArray(payload) ? 'a list' : typeof payload}`]);
  }
  const data = payload as Record<string, unknown>;
  const problems = FIELDS.flatMap(([name, valid, message]) => (data[name] !== undefined && !valid(data[name]) ? [message] : []));
  const unexpected = Object.keys(data).filter((key) => !KNOWN.has(key));
  if (unexpected.length) problems.push(`unexpected field(s) ${unexpected.join(', ')}`);
  if (problems.length) throw new BadInputError(REFUSAL, problems);
  return { dryRun: data.dryRun === true, ...(typeof data.scheduledTime === 'string' ? { scheduledTime: new Date(data.scheduledTime) } : {}) };
}
