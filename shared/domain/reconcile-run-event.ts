import { z } from 'zod';
import { BadInputError } from './errors.js';

/**
 * The payload of the fixed reconcile schedule (infra/resources/reconcile-schedule.yml): the scheduler fills
 * `<aws.scheduler.scheduled-time>` in at delivery, and that time is the run's clock.
 */
const reconcileRunSchema = z.strictObject({
  scheduledTime: z.iso.datetime({ offset: true, error: 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z' }),
  scheduleArn: z.string().optional(),
  executionId: z.string().optional(),
  attempt: z.union([z.string(), z.number()]).optional(),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).optional(),
});

export interface ReconcileRun {
  now: Date;
  dryRun: boolean;
}

export function parseReconcileRun(event: unknown): ReconcileRun {
  const parsed = reconcileRunSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadInputError(
      'reconcile received a payload that is not a scheduled reconcile run',
      parsed.error.issues.map((issue) => (issue.code === 'unrecognized_keys' ? `unexpected field(s) ${issue.keys.join(', ')}` : issue.message)),
    );
  }
  return { now: new Date(parsed.data.scheduledTime), dryRun: parsed.data.dryRun ?? false };
}
