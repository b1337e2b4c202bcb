import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { activityLogOf } from '../shared/aws/activity-log.js';
import { copyAdapters, copyBacklogOf } from '../shared/aws/copy-adapters.js';
import { parseSnapshotCompletion } from '../shared/domain/snapshot-completion-event.js';
import * as clock from '../shared/runtime/clock.js';
import { copyClaim } from '../shared/runtime/copy-claim.js';
import { readCopySettings } from '../shared/runtime/copy-settings.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { loadPlans } from '../shared/runtime/plans.js';
import { copyActivity } from '../shared/use-cases/copy-activity.js';
import { copyCompletedSnapshots, type CopyOutcome, type CopySnapshotsSummary } from '../shared/use-cases/copy-snapshots.js';
import { TRANSIENT_RETRY_DEFAULTS } from '../shared/use-cases/retry-transient.js';

const observability = createObservability('copy-snapshot');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const settings = readCopySettings();
const { backend, keys } = copyAdapters(env);
const claim = copyClaim(env);
// Copies that find every slot taken wait there for the copy pump (functions/copy-pump.ts).
const backlog = copyBacklogOf(env);
const activityLog = activityLogOf(env);

function logOutcome(outcome: CopyOutcome): void {
  if (outcome.status === 'failed') logger.error(`copy ${outcome.status}`, { ...outcome });
  else logger.info(`copy ${outcome.status}`, { ...outcome });
}

/** EventBridge delivers one snapshot-completion event (see infra/functions/copy-snapshot.yml for the rules). */
export const handler = lambdaStack(observability, async (event: unknown, context: Context): Promise<CopySnapshotsSummary> => {
  const completion = parseSnapshotCompletion(event);
  claim?.registerLambdaContext(context);
  logger.appendKeys({ eventId: completion.eventId });
  const now = clock.now();
  const summary = await copyCompletedSnapshots(
    { completion, now },
    { stack: env.stack, plans, backend, keys, settings, ...(claim ? { guard: claim.guard } : {}), ...(backlog ? { backlog } : {}), retry: TRANSIENT_RETRY_DEFAULTS, onProgress: logOutcome },
  );
  for (const ignored of summary.ignored) logger.info('snapshot not copied', ignored);
  // One error per plan and Region whose key cannot be used, however many snapshots it blocked.
  for (const problem of summary.problems) logger.error(problem.message, { ...problem });
  metrics.addMetric('CopiesStarted', MetricUnit.Count, summary.started);
  metrics.addMetric('CopiesDeferred', MetricUnit.Count, summary.deferred);
  metrics.addMetric('CopyFailures', MetricUnit.Count, summary.failed);
  metrics.addMetric('CopyKeyProblems', MetricUnit.Count, summary.problems.length);
  for (const record of copyActivity({ at: now, source: 'copy-snapshot', outcomes: summary.outcomes, problems: summary.problems })) await activityLog?.record(record);
  return summary;
});
