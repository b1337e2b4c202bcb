import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, scheduledTimeNotAhead, schedulerContextFields } from './entry-payload.js';

/**
 * The payload of the fixed reconcile schedule (infra/resources/reconcile-schedule.yml): the scheduler fills
 * `<aws.scheduler.scheduled-time>` in at delivery, and that time is the run's clock.
 */
const reconcileRunSchema = z.strictObject({ scheduledTime: scheduledTimeField, dryRun: z.optional(dryRunField), ...schedulerContextFields });

export interface ReconcileRun {
  now: Date;
  dryRun: boolean;
}

/** Parses the reconcile (and copy pump) payload; anything else, or a scheduled time after `clockNow`, is a BadInputError. */
export function parseReconcileRun(event: unknown, clockNow = new Date()): ReconcileRun {
  const refusal = 'reconcile received a payload that is not a scheduled reconcile run';
  const data = parseEntryPayload(reconcileRunSchema, event, refusal);
  return { now: scheduledTimeNotAhead(data.scheduledTime, clockNow, refusal), dryRun: data.dryRun ?? false };
}
