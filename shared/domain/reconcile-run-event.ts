import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, schedulerContextFields } from './entry-payload.js';

/**
 * The payload of the fixed reconcile schedule (infra/resources/reconcile-schedule.yml): the scheduler fills
 * `<aws.scheduler.scheduled-time>` in at delivery, and that time is the run's clock.
 */
const reconcileRunSchema = z.strictObject({ scheduledTime: scheduledTimeField, dryRun: z.optional(dryRunField), ...schedulerContextFields });

export interface ReconcileRun {
  now: Date;
  dryRun: boolean;
}

export function parseReconcileRun(event: unknown): ReconcileRun {
  const data = parseEntryPayload(reconcileRunSchema, event, 'reconcile received a payload that is not a scheduled reconcile run');
  return { now: new Date(data.scheduledTime), dryRun: data.dryRun ?? false };
}
