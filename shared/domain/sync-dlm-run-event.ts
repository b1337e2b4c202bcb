import { z } from 'zod';
import { BadInputError } from './errors.js';

/**
 * What sync-dlm accepts: the daily schedule's payload (infra/resources/sync-dlm-schedule.yml), or `{}` /
 * `{"dryRun": true}` from an operator right after a deploy.
 */
const syncDlmRunSchema = z.strictObject({
  scheduledTime: z.iso.datetime({ offset: true, error: 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z' }).optional(),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).optional(),
  executionId: z.string({ error: 'executionId must be text' }).optional(),
  attempt: z.union([z.string(), z.number()], { error: 'attempt must be a number' }).optional(),
});

export interface SyncDlmRun {
  dryRun: boolean;
  scheduledTime?: Date;
}

/** Parses the sync-dlm payload; anything else is a BadInputError naming each wrong field. */
export function parseSyncDlmRun(event: unknown): SyncDlmRun {
  const parsed = syncDlmRunSchema.safeParse(event ?? {});
  if (!parsed.success) {
    throw new BadInputError(
      'sync-dlm received a payload that is not a sync run',
      parsed.error.issues.map((issue) => (issue.code === 'unrecognized_keys' ? `unexpected field(s) ${issue.keys.join(', ')}` : issue.message)),
    );
  }
  return { dryRun: parsed.data.dryRun ?? false, ...(parsed.data.scheduledTime ? { scheduledTime: new Date(parsed.data.scheduledTime) } : {}) };
}
