import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseJsonBody } from '../shared/domain/entry-payload.js';
import { parseSnapshotCompletion, type SnapshotCompletion } from '../shared/domain/snapshot-completion-event.js';
import * as clock from '../shared/runtime/clock.js';
import { copyOutcomeLogger, copyRuntime } from '../shared/runtime/copy-runtime.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { copyActivity } from '../shared/use-cases/copy-activity.js';
import { copyCompletedSnapshots } from '../shared/use-cases/copy-snapshots.js';

const observability = createObservability('copy-snapshot');
const { logger, metrics } = observability;
// Copies that find every slot taken wait in the backlog for the copy pump (functions/copy-pump.ts).
const { plans, env, retryDelays, settings, backend, keys, claim, backlog, activityLog } = copyRuntime();
const logOutcome = copyOutcomeLogger(logger);

/** A record's body as the completion event EventBridge put in the queue; throws BadInputError naming what is wrong. */
function completionOf(body: string): SnapshotCompletion {
  return parseSnapshotCompletion(parseJsonBody(body, 'copy-snapshot received a queue message that is not JSON'));
}

/**
 * The copy-completion queue's event source hands over up to 100 completion events (EventBridge rules in
 * infra/resources/copy-completion-queue.yml put them there), gathered for up to a minute: one use-case
 * call copies them all with one look-up of the sources and one listing per DR Region. A malformed event is
 * logged and dropped (it would never parse on a later try); events whose look-up or copy failed for a
 * reason that may pass go back to the queue (ReportBatchItemFailures).
 */
export const handler = lambdaStack(observability, async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  claim?.registerLambdaContext(context);
  const completions: SnapshotCompletion[] = [];
  const messageIds: string[] = [];
  for (const record of event.Records ?? []) {
    try {
      completions.push(completionOf(record.body));
      messageIds.push(record.messageId);
    } catch (error) {
      logger.error('completion event dropped: it cannot be read, now or later', { messageId: record.messageId, error: error as Error });
    }
  }
  const now = clock.now();
  const summary = await copyCompletedSnapshots(
    { completions, now },
    { stack: env.stack, plans, backend, keys, settings, ...(claim ? { guard: claim.guard } : {}), ...(backlog ? { backlog } : {}), retry: retryDelays.transient, onProgress: logOutcome },
  );
  for (const ignored of summary.ignored) logger.info('snapshot not copied', ignored);
  // One error per plan and Region whose key cannot be used, however many snapshots it blocked.
  for (const problem of summary.problems) logger.error(problem.message, { ...problem });
  for (const again of summary.retry) logger.warn('completion event goes back to the queue', { ...again, messageId: messageIds[again.index] });
  metrics.addMetric('CopiesStarted', MetricUnit.Count, summary.started);
  metrics.addMetric('CopiesDeferred', MetricUnit.Count, summary.deferred);
  metrics.addMetric('CopyFailures', MetricUnit.Count, summary.failed);
  metrics.addMetric('CopyKeyProblems', MetricUnit.Count, summary.problems.length);
  metrics.addMetric('CompletionEventsDropped', MetricUnit.Count, (event.Records ?? []).length - completions.length);
  for (const record of copyActivity({ at: now, source: 'copy-snapshot', outcomes: summary.outcomes, problems: summary.problems })) await activityLog?.record(record);
  logger.info('completion events done', { events: summary.events, started: summary.started, alreadyCopied: summary.alreadyCopied, deferred: summary.deferred, retried: summary.retry.length });
  return { batchItemFailures: summary.retry.map((again) => ({ itemIdentifier: messageIds[again.index] ?? '' })) };
});
