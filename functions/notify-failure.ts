import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { activityLogOf } from '../shared/aws/activity-log.js';
import { ec2Client, snsClient } from '../shared/aws/clients.js';
import { documentClient } from '../shared/aws/document-client.js';
import { claimNotice, publishNotification, settleNotice } from '../shared/aws/notifications.js';
import { fromTagList } from '../shared/domain/recovery-point-tags.js';
import { parseSnapshotFailure } from '../shared/domain/snapshot-completion-event.js';
import { ConfigurationError, readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { notifyFailure, type NotifyFailureResult } from '../shared/use-cases/notify-failure.js';

const observability = createObservability('notify-failure');
const { logger, metrics } = observability;
const env = readEnvironment();
const topicArn = process.env.NOTIFICATION_TOPIC_ARN;
if (!topicArn || !env.idempotencyTable) throw new ConfigurationError('notify-failure needs NOTIFICATION_TOPIC_ARN and IDEMPOTENCY_TABLE');
const at = (region: string) => ({ region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) });
const home = at(env.region);
const activityLog = activityLogOf(env);
/** A notice claim outlives its hour and Lambda's retries of the event. */
const CLAIM_SECONDS = 2 * 3600;

export const handler = lambdaStack(observability, async (event: unknown): Promise<NotifyFailureResult> => {
  const failure = parseSnapshotFailure(event);
  const result = await notifyFailure(failure, {
    stack: env.stack,
    describe: async (region, snapshotIds) => {
      // A filter, unlike SnapshotIds, does not fail the whole call when one snapshot is already gone.
      const answer = await ec2Client(at(region)).send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: snapshotIds }] }));
      return (answer.Snapshots ?? []).flatMap((snapshot) => (snapshot.SnapshotId ? [{ snapshotId: snapshot.SnapshotId, tags: fromTagList(snapshot.Tags) }] : []));
    },
    claim: (key, eventId) => claimNotice(documentClient(home), env.idempotencyTable as string, key, eventId, CLAIM_SECONDS),
    settle: (key, eventId, outcome) => settleNotice(documentClient(home), env.idempotencyTable as string, key, eventId, outcome, CLAIM_SECONDS),
    publish: async (notice) => {
      await publishNotification(snsClient(home), topicArn, notice);
    },
    record: async (record, key) => {
      await activityLog?.record(record, key);
    },
  });
  metrics.addMetric('FailedSnapshotEvents', MetricUnit.Count, failure.snapshotIds.length - result.ignored.length);
  metrics.addMetric('FailureNotices', MetricUnit.Count, result.notified.length);
  logger.info('failure event handled', { eventId: failure.eventId, operation: failure.operation, ...result });
  return result;
});
