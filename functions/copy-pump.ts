import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { parseReconcileRun } from '../shared/domain/reconcile-run-event.js';
import { ConfigurationError } from '../shared/runtime/environment.js';
import { copyOutcomeLogger, copyRuntime } from '../shared/runtime/copy-runtime.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { copyActivity } from '../shared/use-cases/copy-activity.js';
import { pumpCopies, type CopyPumpSummary } from '../shared/use-cases/copy-pump.js';
import * as clock from '../shared/runtime/clock.js';

const observability = createObservability('copy-pump');
const { logger, metrics } = observability;
const { plans, env, retryDelays, settings, backend, keys, claim, backlog, activityLog } = copyRuntime();

/** Every minute (infra/resources/copy-pump-schedule.yml): fills free copy slots from the backlog; an empty backlog costs one SQS call. */
export const handler = lambdaStack(observability, async (event: unknown, context: Context): Promise<CopyPumpSummary> => {
  const run = parseReconcileRun(event, clock.now());
  if (!backlog) throw new ConfigurationError('missing environment variable(s): COPY_BACKLOG_QUEUE_URL');
  claim?.registerLambdaContext(context);
  const summary = await pumpCopies(
    { now: run.now, dryRun: run.dryRun },
    {
      stack: env.stack,
      plans,
      backend,
      keys,
      settings,
      backlog,
      ...(claim ? { guard: claim.guard } : {}),
      retry: retryDelays.transient,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      onProgress: copyOutcomeLogger(logger),
    },
  );
  for (const warning of summary.warnings) logger.warn(warning);
  metrics.addMetric('CopiesStarted', MetricUnit.Count, summary.started);
  metrics.addMetric('CopiesWaiting', MetricUnit.Count, summary.waiting);
  metrics.addMetric('CopyFailures', MetricUnit.Count, summary.failed);
  if (run.dryRun) {
    logger.info('copy pump dry run', { waiting: summary.waiting, wouldStart: summary.wouldStart, deferred: summary.deferred, dropped: summary.dropped });
    return summary;
  }
  for (const record of copyActivity({ at: run.now, source: 'copy-snapshot', outcomes: summary.outcomes, problems: [] })) await activityLog?.record(record);
  if (summary.waiting) logger.info('copy pump done', { waiting: summary.waiting, started: summary.started, deferred: summary.deferred, dropped: summary.dropped });
  return summary;
});
