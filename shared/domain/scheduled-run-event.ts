import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, schedulerContextFields } from './entry-payload.js';

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

export function parseScheduledRun(event: unknown): ScheduledRun {
  const data = parseEntryPayload(scheduledRunSchema, event, 'create-snapshots received a payload that is not a scheduled run');
  return {
    planId: data.planId,
    scheduledTime: new Date(data.scheduledTime),
    dryRun: data.dryRun ?? false,
    ...(data.executionId ? { executionId: data.executionId } : {}),
  };
}
