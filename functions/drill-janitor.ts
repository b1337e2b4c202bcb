import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parseJanitorRun } from '../shared/domain/drill-janitor-event.js';
import { drillAdapters, drillRegions } from '../shared/runtime/drill-runtime.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { loadPlans } from '../shared/runtime/plans.js';
import { runDrillJanitor, type JanitorSummary } from '../shared/use-cases/drill-janitor.js';

// drill-janitor: a fixed schedule deletes drill resources past their expiry (a drill killed mid-way).
const observability = createObservability('drill-janitor');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const { backendFor } = drillAdapters(env);

export const handler = lambdaStack(observability, async (event: unknown): Promise<JanitorSummary> => {
  const run = parseJanitorRun(event);
  const summary = await runDrillJanitor({ now: run.now, dryRun: run.dryRun, regions: drillRegions(plans) }, { stack: env.stack, backendFor });
  for (const outcome of summary.outcomes) {
    const log = outcome.status === 'failed' ? logger.error.bind(logger) : logger.info.bind(logger);
    log(`drill resource ${outcome.status}`, { ...outcome });
  }
  metrics.addMetric('DrillResourcesExpiredDeleted', MetricUnit.Count, run.dryRun ? 0 : summary.deleted);
  metrics.addMetric('DrillJanitorFailures', MetricUnit.Count, summary.failed);
  logger.info('janitor done', { dryRun: summary.dryRun, deleted: summary.deleted, kept: summary.kept, pending: summary.pending, failed: summary.failed });
  return summary;
});
