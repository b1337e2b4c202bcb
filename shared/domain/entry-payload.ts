import type { z } from 'zod';
import { BadInputError } from './errors.js';

/** The scheduler's own fields every scheduled payload may carry besides its own. */
export const SCHEDULER_CONTEXT_FIELDS = ['scheduleArn', 'executionId', 'attempt'] as const;

/**
 * Parses an entry point's payload with a strict zod schema; anything else is a BadInputError that says
 * which entry point refused it and every wrong field, so nothing runs on a malformed event.
 */
export function parseEntryPayload<Schema extends z.ZodType>(schema: Schema, event: unknown, refusal: string): z.output<Schema> {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new BadInputError(
    refusal,
    parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unexpected field(s) ${issue.keys.join(', ')}`;
      if (issue.code === 'invalid_type' && issue.input === undefined) return `${issue.path.join('.')} is required`;
      return issue.message;
    }),
  );
}
