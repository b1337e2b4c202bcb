import * as z from 'zod/mini';
import { CLOCK_SKEW_MS, formatDuration } from './durations.js';
import { BadInputError } from './errors.js';

/** The scheduled time EventBridge Scheduler fills in at delivery: every scheduled run's clock. */
export const scheduledTimeField = z.iso.datetime({ offset: true, error: 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z' });

export const dryRunField = z.boolean({ error: 'dryRun must be true or false' });

/** The scheduler's own context fields a schedule's Input may carry besides the run's own. */
export const schedulerContextFields = {
  scheduleArn: z.optional(z.string({ error: 'scheduleArn must be text' })),
  executionId: z.optional(z.string({ error: 'executionId must be text' })),
  attempt: z.optional(z.union([z.string(), z.number()], { error: 'attempt must be a number' })),
};

/**
 * Parses an entry point's payload with a strict zod schema; anything else is a BadInputError that says
 * which entry point refused it and every wrong field, so nothing runs on a malformed event.
 */
export function parseEntryPayload<Schema extends z.ZodMiniType>(schema: Schema, event: unknown, refusal: string): z.output<Schema> {
  // reportInput: a value given but wrong is then told apart from a value missing. jitless: an entry point parses
  // one payload per invocation, too few for zod's compiled parser to repay its compilation at cold start.
  const parsed = schema.safeParse(event, { reportInput: true, jitless: true });
  if (parsed.success) return parsed.data;
  throw new BadInputError(
    refusal,
    parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unexpected field(s) ${issue.keys.join(', ')}`;
      if (issue.code === 'invalid_type' && issue.input === undefined && issue.path.length) return `${issue.path.join('.')} is required`;
      if (issue.code === 'invalid_type' && !issue.path.length) return `the payload must be a JSON object, not ${issue.input === null ? 'null' : Array.isArray(issue.input) ? 'a list' : typeof issue.input}`;
      return issue.message;
    }),
  );
}

/**
 * The run's scheduled time, refused (BadInputError) when it lies after `clockNow` by more than clock skew: a
 * run acts only for a time that has come. A prune told it is next year would expire a year of recovery points,
 * a create would tag a slot that has not happened.
 */
export function scheduledTimeNotAhead(scheduledTime: string, clockNow: Date, refusal: string): Date {
  const time = new Date(scheduledTime);
  const ahead = time.getTime() - clockNow.getTime();
  if (ahead > CLOCK_SKEW_MS) {
    throw new BadInputError(refusal, [`scheduledTime ${scheduledTime} is ${formatDuration(ahead)} after this function's clock (${clockNow.toISOString()}); a run acts only for a time that has come`]);
  }
  return time;
}

/** A queue message's body as JSON; a body that is not JSON is a BadInputError naming who refused it and why. */
export function parseJsonBody(body: string, refusal: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new BadInputError(refusal, [`${(error as Error).message}: ${body.slice(0, 120)}`]);
  }
}
