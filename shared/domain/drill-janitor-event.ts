import { z } from 'zod';
import { BadInputError } from './errors.js';

/** What the drill janitor's fixed schedule sends; `scheduledTime` is the janitor's "now" (injected, testable). */
const janitorRunSchema = z.strictObject({
  scheduledTime: z.iso.datetime({ offset: true, error: 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z' }),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).optional(),
});

export interface JanitorRun {
  now: Date;
  dryRun: boolean;
}

export function parseJanitorRun(event: unknown): JanitorRun {
  const parsed = janitorRunSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadInputError(
      'drill-janitor received a payload that is not a janitor run',
      parsed.error.issues.map((issue) => (issue.code === 'unrecognized_keys' ? `unexpected field(s) ${issue.keys.join(', ')}` : issue.message)),
    );
  }
  return { now: new Date(parsed.data.scheduledTime), dryRun: parsed.data.dryRun ?? false };
}
