import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, scheduledTimeNotAhead, schedulerContextFields } from './entry-payload.js';

/**
 * The payload each EventBridge Scheduler schedule sends (see the generated AWS::Scheduler::Schedule Input):
 * the scheduler fills `<aws.scheduler.scheduled-time>` and friends in at delivery time.
 */
const scheduledRunSchema = z.strictObject({
  planId: z.string({ error: 'planId must be a plan id string' }).check(z.minLength(1, { error: 'planId must not be empty' })),
  scheduledTime: scheduledTimeField,
  dryRun: z.optional(dryRunField),
  ...schedulerContextFields,
});

export interface ScheduledRun {
  planId: string;
  scheduledTime: Date;
  dryRun: boolean;
  executionId?: string;
}

/** Parses the create-snapshots payload; anything else, or a scheduled time after `clockNow`, is a BadInputError. */
export function parseScheduledRun(event: unknown, clockNow = new Date()): ScheduledRun {
  const refusal = 'create-snapshots received a payload that is not a scheduled run';
  const data = parseEntryPayload(scheduledRunSchema, event, refusal);
  return {
    planId: data.planId,
    scheduledTime: scheduledTimeNotAhead(data.scheduledTime, clockNow, refusal),
    dryRun: data.dryRun ?? false,
    ...(data.executionId ? { executionId: data.executionId } : {}),
  };
}
