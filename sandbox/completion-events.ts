/**
 * Snapshot-completion events in the shape AWS documents them (the same shape as tests/fixtures/events, which
 * a unit test compares them with), for what create-snapshots made in the sandbox.
 */
import type { SQSEvent } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import { MOTO_ACCOUNT_ID } from './aws-clients.js';

const ACCOUNT = MOTO_ACCOUNT_ID;
const instant = (time: Date) => `${time.toISOString().slice(0, 19)}Z`;
const ebsArn = (region: string, kind: 'snapshot' | 'volume', id: string) => `arn:aws:ec2::${region}:${kind}/${id}`;

export interface EbsSnapshotEventInput {
  region: string;
  snapshotId: string;
  volumeId: string;
  /** When the snapshot started (the slot) and completed (the event's time). */
  startTime: Date;
  time: Date;
  result?: 'succeeded' | 'failed';
  cause?: string;
}

/** `EBS Snapshot Notification`, event createSnapshot. */
export function ebsSnapshotEvent(input: EbsSnapshotEventInput): Record<string, unknown> {
  const snapshot = ebsArn(input.region, 'snapshot', input.snapshotId);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account: ACCOUNT,
    time: instant(input.time),
    region: input.region,
    resources: [snapshot],
    detail: {
      event: 'createSnapshot',
      result: input.result ?? 'succeeded',
      cause: input.cause ?? '',
      'request-id': '',
      snapshot_id: snapshot,
      source: ebsArn(input.region, 'volume', input.volumeId),
      startTime: instant(input.startTime),
      endTime: instant(new Date(input.time.getTime() - 1000)),
    },
  };
}

/** `EBS Multi-Volume Snapshots Completion Status`, event createSnapshots: one entry per volume of the set. */
export function ebsMultiVolumeEvent(input: { region: string; snapshots: Array<{ snapshotId: string; volumeId: string }>; startTime: Date; time: Date }): Record<string, unknown> {
  const arns = input.snapshots.map((snapshot) => ebsArn(input.region, 'snapshot', snapshot.snapshotId));
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EBS Multi-Volume Snapshots Completion Status',
    source: 'aws.ec2',
    account: ACCOUNT,
    time: instant(input.time),
    region: input.region,
    resources: arns,
    detail: {
      event: 'createSnapshots',
      result: 'succeeded',
      cause: '',
      'request-id': '',
      startTime: instant(input.startTime),
      endTime: instant(new Date(input.time.getTime() - 1000)),
      snapshots: input.snapshots.map((snapshot, index) => ({
        snapshot_id: arns[index],
        source: ebsArn(input.region, 'volume', snapshot.volumeId),
        status: 'completed',
      })),
    },
  };
}

/** `RDS DB Snapshot Event` RDS-EVENT-0042 or `RDS DB Cluster Snapshot Event` RDS-EVENT-0075: manual snapshot created. */
export function rdsSnapshotEvent(input: { region: string; identifier: string; cluster: boolean; time: Date }): Record<string, unknown> {
  const arn = `arn:aws:rds:${input.region}:${ACCOUNT}:${input.cluster ? 'cluster-snapshot' : 'snapshot'}:${input.identifier}`;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': input.cluster ? 'RDS DB Cluster Snapshot Event' : 'RDS DB Snapshot Event',
    source: 'aws.rds',
    account: ACCOUNT,
    time: instant(input.time),
    region: input.region,
    resources: [arn],
    detail: {
      EventCategories: [input.cluster ? 'backup' : 'creation'],
      SourceType: input.cluster ? 'CLUSTER_SNAPSHOT' : 'SNAPSHOT',
      SourceArn: arn,
      Date: input.time.toISOString(),
      Message: input.cluster ? 'Manual cluster snapshot created' : 'Manual snapshot created',
      SourceIdentifier: input.identifier,
      EventID: input.cluster ? 'RDS-EVENT-0075' : 'RDS-EVENT-0042',
    },
  };
}

/**
 * What copy-snapshot receives: the events as the copy-completion queue's event source hands them over, one SQS
 * record per event with the event as its body (infra/resources/copy-completion-queue.yml), each on its first
 * delivery.
 */
export function queueBatch(events: readonly unknown[], options: { region: string; queue?: string }): SQSEvent {
  const queueArn = `arn:aws:sqs:${options.region}:${ACCOUNT}:${options.queue ?? 'copy-completion'}`;
  return {
    Records: events.map((event) => {
      const body = JSON.stringify(event);
      const sent = String(Date.now());
      return {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: 'AIDAEVENTBRIDGE', ApproximateFirstReceiveTimestamp: sent },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: options.region,
      };
    }),
  };
}
