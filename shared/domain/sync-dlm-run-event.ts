import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, schedulerContextFields } from './entry-payload.js';

/**
 * What sync-dlm accepts: the daily schedule's payload (infra/resources/sync-dlm-schedule.yml), or `{}` /
 * `{"dryRun": true}` from an operator right after a deploy.
 */
const syncDlmRunSchema = z.strictObject({ scheduledTime: z.optional(scheduledTimeField), dryRun: z.optional(dryRunField), ...schedulerContextFields });

export interface SyncDlmRun {
  dryRun: boolean;
  scheduledTime?: Date;
}

/** Parses the sync-dlm payload; anything else is a BadInputError naming each wrong field. */
export function parseSyncDlmRun(event: unknown): SyncDlmRun {
  const data = parseEntryPayload(syncDlmRunSchema, event ?? {}, 'sync-dlm received a payload that is not a sync run');
  return { dryRun: data.dryRun ?? false, ...(data.scheduledTime ? { scheduledTime: new Date(data.scheduledTime) } : {}) };
}
