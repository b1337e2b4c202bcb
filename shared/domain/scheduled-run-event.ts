import { z } from 'zod';
import { BadInputError } from './errors.js';

/**
 * The payload each EventBridge Scheduler schedule sends (see the generated AWS::Scheduler::Schedule Input):
 * the scheduler fills `<aws.scheduler.scheduled-time>` and friends in at delivery time.
 */
const scheduledRunSchema = z.strictObject({
  planId: z.string({ error: 'planId must be a plan id string' }).min(1, { error: 'planId must not be empty' }),
  scheduledTime: z.iso.datetime({ offset: true, error: 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z' }),
  scheduleArn: z.string().optional(),
  executionId: z.string().optional(),
  attempt: z.union([z.string(), z.number()]).optional(),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).optional(),
});

export interface ScheduledRun {
  planId: string;
  scheduledTime: Date;
  dryRun: boolean;
  executionId?: string;
}

export function parseScheduledRun(event: unknown): ScheduledRun {
  const parsed = scheduledRunSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadInputError(
      'create-snapshots received a payload that is not a scheduled run',
      parsed.error.issues.map((issue) => (issue.code === 'unrecognized_keys' ? `unexpected field(s) ${issue.keys.join(', ')}` : issue.message)),
    );
  }
  return {
    planId: parsed.data.planId,
    scheduledTime: new Date(parsed.data.scheduledTime),
    dryRun: parsed.data.dryRun ?? false,
    ...(parsed.data.executionId ? { executionId: parsed.data.executionId } : {}),
  };
}
