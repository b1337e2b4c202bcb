import { z } from 'zod';
import { parseEntryPayload } from './entry-payload.js';

const reportRunSchema = z.strictObject({
  scheduledTime: z.iso.datetime({ offset: true, error: 'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T07:00:00Z' }),
  send: z.boolean({ error: 'send must be true or false' }).optional(),
  scheduleArn: z.string().optional(),
  executionId: z.string().optional(),
  attempt: z.union([z.string(), z.number()]).optional(),
});

export interface ReportRun {
  /** The report's clock: the scheduler's scheduled time, so replays and the sandbox report as of that moment. */
  scheduledTime: Date;
  /** Publish to SNS (default) or only return the report. */
  send: boolean;
}

export function parseReportRun(event: unknown): ReportRun {
  const data = parseEntryPayload(reportRunSchema, event, 'report received a payload that is not a report run');
  return { scheduledTime: new Date(data.scheduledTime), send: data.send ?? true };
}
