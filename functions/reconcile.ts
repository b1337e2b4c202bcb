import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { parseReconcileRun } from '../shared/domain/reconcile-run-event.js';
import { copyOutcomeLogger, copyRuntime } from '../shared/runtime/copy-runtime.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { copyActivity } from '../shared/use-cases/copy-activity.js';
import { reconcileCopies, type ReconcileSummary } from '../shared/use-cases/reconcile-copies.js';
import * as clock from '../shared/runtime/clock.js';

const observability = createObservability('reconcile');
const { logger, metrics } = observability;
const { plans, env, retryDelays, settings, backend, keys, claim, activityLog } = copyRuntime();
const logOutcome = copyOutcomeLogger(logger);

/** The fixed schedule (every 15 minutes) invokes it; the scheduled time is the run's clock. */
export const handler = lambdaStack(observability, async (event: unknown, context: Context): Promise<ReconcileSummary> => {
  const run = parseReconcileRun(event, clock.now());
  claim?.registerLambdaContext(context);
  const summary = await reconcileCopies({ ...run, seenAt: clock.now }, {
    stack: env.stack,
    plans,
    backend,
    keys,
    settings,
    ...(claim ? { guard: claim.guard } : {}),
    retry: retryDelays.transient,
    onProgress: logOutcome,
  });
  for (const problem of summary.problems) logger.error(problem.message, { ...problem });
  for (const exhausted of summary.exhausted) logger.error(`copy still errored after ${exhausted.attempts} attempts; left for investigation`, { ...exhausted });
  for (const stuck of summary.stuck) logger.warn(`${stuck.what} pending for too long`, { ...stuck });
  for (const warning of summary.warnings) logger.warn(warning);
  metrics.addMetric('CopiesStarted', MetricUnit.Count, summary.started);
  metrics.addMetric('CopiesRedone', MetricUnit.Count, summary.redone);
  metrics.addMetric('CopiesDeferred', MetricUnit.Count, summary.deferred);
  metrics.addMetric('CopyFailures', MetricUnit.Count, summary.failed + summary.exhausted.length);
  metrics.addMetric('CopyKeyProblems', MetricUnit.Count, summary.problems.length);
  metrics.addMetric('StuckSnapshots', MetricUnit.Count, summary.stuck.length);
  if (!summary.dryRun) {
    for (const record of copyActivity({ at: run.now, source: 'reconcile', outcomes: summary.outcomes, problems: summary.problems })) await activityLog?.record(record);
  }
  logger.info('reconcile done', {
    dryRun: summary.dryRun,
    sources: summary.sources,
    pairs: summary.pairs,
    copied: summary.copied,
    inFlight: summary.inFlight,
    started: summary.started,
    redone: summary.redone,
    deferred: summary.deferred,
    completionsRecorded: summary.completionsRecorded,
  });
  return summary;
});
