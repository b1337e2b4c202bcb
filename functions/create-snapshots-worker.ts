import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { activityLogOf } from '../shared/aws/activity-log.js';
import { snapshotBackends } from '../shared/aws/snapshot-backends.js';
import { boundedFailures } from '../shared/domain/activity.js';
import { parseSnapshotWorkItem, type SnapshotWorkItem } from '../shared/domain/snapshot-work-item.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { readRetryDelays } from '../shared/runtime/retry-settings.js';
import { createObservability } from '../shared/runtime/observability.js';
import { snapshotClaim } from '../shared/runtime/claims.js';
import { CREATE_SNAPSHOTS_DEFAULTS, createQueuedSnapshots, type WorkItemOutcome } from '../shared/use-cases/create-snapshots.js';

// Same service name as the scheduled run: the per-plan SnapshotFailures alarms watch both.
const observability = createObservability('create-snapshots');
const { logger, metrics } = observability;
const env = readEnvironment();
const retryDelays = readRetryDelays();
const clientSettings = { region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) };
const backends = snapshotBackends(clientSettings);
const claim = snapshotClaim(env);
const activityLog = activityLogOf(env);
/** The queue's maxReceiveCount: a failure on the last delivery is final (recorded, then the message goes to the DLQ). */
const maxReceiveCount = Number(process.env.WORK_MAX_RECEIVE_COUNT ?? '5');

/** One record per (plan, slot) of the batch: what the workers created and what finally failed, for the daily report. */
async function recordActivity(results: Array<WorkItemOutcome & { final: boolean }>): Promise<void> {
  const groups = new Map<string, Array<WorkItemOutcome & { final: boolean }>>();
  for (const result of results) {
    const key = `${result.item.planId}|${result.item.slot}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  for (const group of groups.values()) {
    const { planId, slot } = (group[0] as WorkItemOutcome).item;
    const created = group.filter((result) => result.outcome.status === 'created').length;
    const failures = group.flatMap(({ outcome, retry, final }) =>
      outcome.status === 'failed' && (!retry || final) ? [{ resourceId: outcome.resourceId, errorName: outcome.errorName, reason: outcome.reason }] : [],
    );
    const single = metrics.singleMetric();
    single.addDimension('plan', planId);
    single.addMetric('SnapshotFailures', MetricUnit.Count, failures.length);
    if (!created && !failures.length) continue;
    await activityLog?.record({ at: new Date(slot), kind: 'snapshot', source: 'create-snapshots', planId, region: env.region, created, ...boundedFailures(failures) });
  }
}

/**
 * The snapshot workers: the SQS event source hands them up to ten work items; each is created on the shared,
 * guarded path. Transient failures go back to the queue (ReportBatchItemFailures) to be tried again; after
 * the last delivery they are recorded as failed and the message lands in the dead-letter queue.
 */
export const handler = lambdaStack(observability, async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  claim?.registerLambdaContext(context);
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  const items: Array<{ item: SnapshotWorkItem; receiveCount: number; final: boolean; messageId: string }> = [];
  for (const record of event.Records ?? []) {
    try {
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
      items.push({ item: parseSnapshotWorkItem(record.body), receiveCount, final: receiveCount >= maxReceiveCount, messageId: record.messageId });
    } catch (error) {
      // Never right on a later try: left to the dead-letter queue and its alarm.
      logger.error('work item refused', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  const results = await createQueuedSnapshots(items, {
    ...CREATE_SNAPSHOTS_DEFAULTS,
    retry: retryDelays.createSnapshots,
    stack: env.stack,
    backends,
    ...(claim ? { guard: claim.guard } : {}),
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
    onProgress: (outcome) => {
      const log = outcome.status === 'failed' ? logger.error.bind(logger) : logger.info.bind(logger);
      log(`recovery point ${outcome.status}`, { ...outcome });
    },
  });
  const withFinal = results.map((result, index) => ({ ...result, final: items[index]?.final ?? false }));
  for (const [index, result] of withFinal.entries()) {
    if (result.retry) batchItemFailures.push({ itemIdentifier: items[index]?.messageId ?? '' });
  }
  metrics.addMetric('SnapshotsCreated', MetricUnit.Count, results.filter((result) => result.outcome.status === 'created').length);
  metrics.addMetric('SnapshotsAlreadyDone', MetricUnit.Count, results.filter((result) => result.outcome.status === 'already-done').length);
  metrics.addMetric('SnapshotsRetried', MetricUnit.Count, results.filter((result) => result.retry).length);
  await recordActivity(withFinal);
  logger.info('work items done', { items: items.length, retried: batchItemFailures.length });
  return { batchItemFailures };
});
