import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, schedulerContextFields } from './entry-payload.js';

/** What the drill janitor's fixed schedule sends; `scheduledTime` is the janitor's "now" (injected, testable). */
const janitorRunSchema = z.strictObject({ scheduledTime: scheduledTimeField, dryRun: z.optional(dryRunField), ...schedulerContextFields });

export interface JanitorRun {
  now: Date;
  dryRun: boolean;
}

export function parseJanitorRun(event: unknown): JanitorRun {
  const data = parseEntryPayload(janitorRunSchema, event, 'drill-janitor received a payload that is not a janitor run');
  return { now: new Date(data.scheduledTime), dryRun: data.dryRun ?? false };
}
