import { renderDrillReport, type DrillReport } from '../shared/domain/drill-report.js';
import { readDrillState } from '../shared/domain/drill-state.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';

// Restore drill, state RenderReport: the verdict, the email and the metric data; the state machine sends them.
const observability = createObservability('drill-report');
const { logger } = observability;

export const handler = lambdaStack(observability, async (event: unknown): Promise<DrillReport> => {
  const { state, unreadable } = readDrillState(event);
  const report = renderDrillReport(state, unreadable);
  if (unreadable.length) logger.warn('parts of the drill state could not be read', { unreadable });
  logger.info('drill verdict', { verdict: report.verdict, summary: report.summary, drillId: report.result.drillId, planId: report.result.planId });
  return report;
});
