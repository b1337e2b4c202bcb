import type { Plan } from './plan-schema.js';
import { previousOccurrence } from './schedule-expression.js';

/**
 * The schedule slot a run belongs to: the latest occurrence of the plan's schedule at or before the
 * scheduled time. Retries and duplicate deliveries carry the same scheduled time, so they land in the same
 * slot — the key of "exactly one snapshot per (resource, slot)".
 */
export function slotFor(plan: Plan, scheduledTime: Date): Date {
  const slot = previousOccurrence(plan.schedule.expression, scheduledTime, plan.schedule.timezone);
  // A schedule that has no occurrence yet (first run of a fresh cron): the time itself, to the minute.
  return slot ?? new Date(Math.floor(scheduledTime.getTime() / 60_000) * 60_000);
}
