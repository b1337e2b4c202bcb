import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, scheduledTimeNotAhead, schedulerContextFields } from './entry-payload.js';
import { isKnownRegion } from './regions.js';

/** Most snapshot deletions one prune run makes in one Region (a safety rail and a bound on API calls). */
export const MAX_PRUNE_BUDGET = 10_000;

/**
 * The payload the prune schedule sends (infra/resources/prune-schedule.yml): the scheduler fills
 * `<aws.scheduler.scheduled-time>` in at delivery, and that time is the run's clock, so a replay or the
 * sandbox can simulate any moment.
 */
const pruneRunSchema = z.strictObject({
  region: z.optional(
    z
      .string({ error: 'region must be an AWS Region name such as eu-west-1' })
      .check(z.refine(isKnownRegion, { error: (issue) => `unknown Region "${String(issue.input)}" (expected an AWS Region name such as eu-west-1)` })),
  ),
  scheduledTime: scheduledTimeField,
  dryRun: z.optional(dryRunField),
  budget: z.optional(
    z
      .int({ error: 'budget must be a whole number of snapshot deletions' })
      .check(
        z.gte(1, { error: 'budget must be at least 1 snapshot deletion' }),
        z.lte(MAX_PRUNE_BUDGET, { error: `budget must be at most ${MAX_PRUNE_BUDGET} snapshot deletions` }),
      ),
  ),
  ...schedulerContextFields,
});

export interface PruneRun {
  /** Only this Region; undefined: the primary Region and every DR Region of the plans. */
  region?: string;
  scheduledTime: Date;
  dryRun: boolean;
  budget?: number;
  executionId?: string;
}

/** Parses the prune payload; anything else, or a scheduled time after `clockNow`, is a BadInputError naming each wrong field. */
export function parsePruneRun(event: unknown, clockNow = new Date()): PruneRun {
  const refusal = 'prune received a payload that is not a prune run';
  const { region, scheduledTime, dryRun, budget, executionId } = parseEntryPayload(pruneRunSchema, event, refusal);
  return {
    ...(region ? { region } : {}),
    scheduledTime: scheduledTimeNotAhead(scheduledTime, clockNow, refusal),
    dryRun: dryRun ?? false,
    ...(budget !== undefined ? { budget } : {}),
    ...(executionId ? { executionId } : {}),
  };
}
