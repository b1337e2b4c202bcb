import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { activityLogOf } from '../shared/aws/activity-log.js';
import { sqsClient } from '../shared/aws/clients.js';
import { boundedFailures } from '../shared/domain/activity.js';
import { snapshotBackends } from '../shared/aws/snapshot-backends.js';
import { SqsSnapshotWorkQueue } from '../shared/aws/snapshot-work-queue.js';
import { parseScheduledRun } from '../shared/domain/scheduled-run-event.js';
import { slotFor } from '../shared/domain/schedule-slot.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { readRetryDelays } from '../shared/runtime/retry-settings.js';
import { createObservability } from '../shared/runtime/observability.js';
import { findPlan, loadPlans } from '../shared/runtime/plans.js';
import { snapshotClaim } from '../shared/runtime/claims.js';
import { CREATE_INLINE_MAX, CREATE_SNAPSHOTS_DEFAULTS, createSnapshots, type CreateSnapshotsSummary } from '../shared/use-cases/create-snapshots.js';
import * as clock from '../shared/runtime/clock.js';

const observability = createObservability('create-snapshots');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const retryDelays = readRetryDelays();
const clientSettings = { region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) };
const backends = snapshotBackends(clientSettings);
// A DynamoDB claim per (plan, resource, slot): two concurrent deliveries of one schedule cannot both create.
const claim = snapshotClaim(env);
// Large slots go to the snapshot workers (functions/create-snapshots-worker.ts) through the work queue.
const fanOut = env.snapshotWorkQueueUrl
  ? { queue: new SqsSnapshotWorkQueue(sqsClient(clientSettings), env.snapshotWorkQueueUrl), inlineMax: CREATE_INLINE_MAX }
  : undefined;

const activityLog = activityLogOf(env);

export const handler = lambdaStack(observability, async (event: unknown, context: Context): Promise<CreateSnapshotsSummary> => {
  const run = parseScheduledRun(event, clock.now());
  const plan = findPlan(plans, run.planId);
  claim?.registerLambdaContext(context);
  logger.appendKeys({ planId: plan.id });
  metrics.addDimension('plan', plan.id);
  if (plan.engine === 'dlm') {
    logger.warn('plan runs on Data Lifecycle Manager; create-snapshots leaves it alone');
    return { planId: plan.id, slot: '', dryRun: run.dryRun, resources: 0, created: 0, alreadyDone: 0, queued: 0, skipped: 0, failed: 0, outcomes: [] };
  }
  const summary = await createSnapshots(
    { plan, slot: slotFor(plan, run.scheduledTime), dryRun: run.dryRun },
    {
      ...CREATE_SNAPSHOTS_DEFAULTS,
      retry: retryDelays.createSnapshots,
      stack: env.stack,
      backends,
      ...(claim ? { guard: claim.guard } : {}),
      ...(fanOut ? { fanOut } : {}),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      onProgress: (outcome) => {
        if (outcome.status === 'queued') return;
        const log = outcome.status === 'failed' ? logger.error.bind(logger) : logger.info.bind(logger);
        log(`recovery point ${outcome.status}`, { ...outcome });
      },
    },
  );
  metrics.addMetric('SnapshotsCreated', MetricUnit.Count, summary.created);
  metrics.addMetric('SnapshotsAlreadyDone', MetricUnit.Count, summary.alreadyDone);
  metrics.addMetric('SnapshotsQueued', MetricUnit.Count, summary.queued);
  metrics.addMetric('SnapshotFailures', MetricUnit.Count, summary.failed);
  // What this run did itself; the workers record what they create of the queued part, so the sums stay exact.
  if (activityLog && !summary.dryRun) {
    await activityLog.record({
      at: run.scheduledTime,
      kind: 'snapshot',
      source: 'create-snapshots',
      planId: plan.id,
      region: env.region,
      created: summary.created,
      ...boundedFailures(
        summary.outcomes.flatMap((outcome) =>
          outcome.status === 'failed' ? [{ resourceId: outcome.resourceId, errorName: outcome.errorName, reason: outcome.reason }] : [],
        ),
      ),
    });
  }
  logger.info('slot done', {
    slot: summary.slot,
    created: summary.created,
    alreadyDone: summary.alreadyDone,
    queued: summary.queued,
    skipped: summary.skipped,
    failed: summary.failed,
  });
  return summary;
});
