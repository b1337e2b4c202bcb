import { activityLogOf } from '../shared/aws/activity-log.js';
import { drillRunRecord, renderDrillReport, type DrillReport } from '../shared/domain/drill-report.js';
import { readDrillState } from '../shared/domain/drill-state.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createLogging } from '../shared/runtime/observability.js';

// Restore drill, state RenderReport: the verdict, the email and the metric data; the state machine sends them.
const observability = createLogging('drill-report');
const { logger } = observability;
// The daily report reads the latest drill of each plan from the run log.
const activityLog = activityLogOf({
  region: process.env.AWS_REGION ?? 'us-east-1',
  ...(process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {}),
  ...(process.env.ACTIVITY_TABLE ? { activityTable: process.env.ACTIVITY_TABLE } : {}),
});

export const handler = lambdaStack(observability, async (event: unknown): Promise<DrillReport> => {
  const { state, unreadable } = readDrillState(event);
  const report = renderDrillReport(state, unreadable);
  if (unreadable.length) logger.warn('parts of the drill state could not be read', { unreadable });
  const activity = drillRunRecord(report.result);
  if (activity) await activityLog?.record(activity);
  logger.info('drill verdict', { verdict: report.verdict, summary: report.summary, drillId: report.result.drillId, planId: report.result.planId });
  return report;
});
