import * as z from 'zod/mini';
import { parseEntryPayload, scheduledTimeField, schedulerContextFields } from './entry-payload.js';

const reportRunSchema = z.strictObject({
  scheduledTime: scheduledTimeField,
  send: z.optional(z.boolean({ error: 'send must be true or false' })),
  ...schedulerContextFields,
});

export interface ReportRun {
  /** The report's clock: the scheduler's scheduled time, so replays and the sandbox report as of that moment. */
  scheduledTime: Date;
  /** Publish to SNS (default) or only return the report and emit its metrics. */
  send: boolean;
}

export function parseReportRun(event: unknown): ReportRun {
  const data = parseEntryPayload(reportRunSchema, event, 'report received a payload that is not a report run');
  return { scheduledTime: new Date(data.scheduledTime), send: data.send ?? true };
}
