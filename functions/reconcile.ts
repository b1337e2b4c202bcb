import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { activityLogOf } from '../shared/aws/activity-log.js';
import { copyAdapters } from '../shared/aws/copy-adapters.js';
import { parseReconcileRun } from '../shared/domain/reconcile-run-event.js';
import { copyClaim } from '../shared/runtime/copy-claim.js';
import { readCopySettings } from '../shared/runtime/copy-settings.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { readRetryDelays } from '../shared/runtime/retry-settings.js';
import { createObservability } from '../shared/runtime/observability.js';
import { loadPlans } from '../shared/runtime/plans.js';
import { copyActivity } from '../shared/use-cases/copy-activity.js';
import type { CopyOutcome } from '../shared/use-cases/copy-snapshots.js';
import { reconcileCopies, type ReconcileSummary } from '../shared/use-cases/reconcile-copies.js';

const observability = createObservability('reconcile');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const retryDelays = readRetryDelays();
const settings = readCopySettings();
const { backend, keys } = copyAdapters(env);
const claim = copyClaim(env);
const activityLog = activityLogOf(env);

function logOutcome(outcome: CopyOutcome): void {
  if (outcome.status === 'failed') logger.error(`copy ${outcome.status}`, { ...outcome });
  else logger.info(`copy ${outcome.status}`, { ...outcome });
}

/** The fixed schedule (every 15 minutes) invokes it; the scheduled time is the run's clock. */
export const handler = lambdaStack(observability, async (event: unknown, context: Context): Promise<ReconcileSummary> => {
  const run = parseReconcileRun(event);
  claim?.registerLambdaContext(context);
  const summary = await reconcileCopies(run, {
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
