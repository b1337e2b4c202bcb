import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { activityLogOf } from '../shared/aws/activity-log.js';
import { dynamoDbClient } from '../shared/aws/clients.js';
import { boundedFailures } from '../shared/domain/activity.js';
import { snapshotBackends } from '../shared/aws/snapshot-backends.js';
import { parseScheduledRun } from '../shared/domain/scheduled-run-event.js';
import { slotFor } from '../shared/domain/schedule-slot.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { findPlan, loadPlans } from '../shared/runtime/plans.js';
import { CREATE_SNAPSHOTS_DEFAULTS, createSnapshots, type CreateSnapshotsSummary } from '../shared/use-cases/create-snapshots.js';

const observability = createObservability('create-snapshots');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const clientSettings = { region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) };
const backends = snapshotBackends(clientSettings);

// A DynamoDB claim per (plan, resource, slot): two concurrent deliveries of one schedule cannot both create.
const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: 7 * 24 * 3600 });
const persistenceStore = env.idempotencyTable
  ? new DynamoDBPersistenceLayer({ tableName: env.idempotencyTable, awsSdkV3Client: dynamoDbClient(clientSettings) })
  : undefined;
const guard = persistenceStore
  ? <T>(key: string, create: () => Promise<T>) =>
      makeIdempotent(async (_claim: { key: string }) => create(), { persistenceStore, config: idempotencyConfig, keyPrefix: 'create-snapshots' })({ key })
  : undefined;

const activityLog = activityLogOf(env);

export const handler = lambdaStack(observability, async (event: unknown, context: Context): Promise<CreateSnapshotsSummary> => {
  const run = parseScheduledRun(event);
  const plan = findPlan(plans, run.planId);
  idempotencyConfig.registerLambdaContext(context);
  logger.appendKeys({ planId: plan.id });
  metrics.addDimension('plan', plan.id);
  if (plan.engine === 'dlm') {
    logger.warn('plan runs on Data Lifecycle Manager; create-snapshots leaves it alone');
    return { planId: plan.id, slot: '', dryRun: run.dryRun, resources: 0, created: 0, alreadyDone: 0, skipped: 0, failed: 0, outcomes: [] };
  }
  const summary = await createSnapshots(
    { plan, slot: slotFor(plan, run.scheduledTime), dryRun: run.dryRun },
    {
      ...CREATE_SNAPSHOTS_DEFAULTS,
      stack: env.stack,
      backends,
      ...(guard ? { guard } : {}),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      onProgress: (outcome) => {
        const log = outcome.status === 'failed' ? logger.error.bind(logger) : logger.info.bind(logger);
        log(`recovery point ${outcome.status}`, { ...outcome });
      },
    },
  );
  metrics.addMetric('SnapshotsCreated', MetricUnit.Count, summary.created);
  metrics.addMetric('SnapshotsAlreadyDone', MetricUnit.Count, summary.alreadyDone);
  metrics.addMetric('SnapshotFailures', MetricUnit.Count, summary.failed);
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
  logger.info('slot done', { slot: summary.slot, created: summary.created, alreadyDone: summary.alreadyDone, skipped: summary.skipped, failed: summary.failed });
  return summary;
});
