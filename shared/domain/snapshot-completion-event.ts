import * as z from 'zod/mini';
import { BadInputError } from './errors.js';
import type { SnapshotKind } from './recovery-points.js';

/**
 * The EventBridge events that say "a snapshot is complete", as AWS documents them:
 * - EBS `createSnapshot` (detail-type `EBS Snapshot Notification`), one snapshot;
 * - EBS `createSnapshots` (detail-type `EBS Multi-Volume Snapshots Completion Status`), one per volume;
 * - RDS `RDS-EVENT-0042` "Manual snapshot created" (`RDS DB Snapshot Event`) and `RDS-EVENT-0075`
 *   "Manual cluster snapshot created" (`RDS DB Cluster Snapshot Event`).
 * The EventBridge rules in infra/functions/copy-snapshot.yml match exactly these.
 */
export const EBS_SNAPSHOT_DETAIL_TYPE = 'EBS Snapshot Notification';
export const EBS_MULTI_VOLUME_DETAIL_TYPE = 'EBS Multi-Volume Snapshots Completion Status';
export const RDS_SNAPSHOT_DETAIL_TYPE = 'RDS DB Snapshot Event';
export const RDS_CLUSTER_SNAPSHOT_DETAIL_TYPE = 'RDS DB Cluster Snapshot Event';
export const RDS_MANUAL_SNAPSHOT_CREATED = 'RDS-EVENT-0042';
export const RDS_MANUAL_CLUSTER_SNAPSHOT_CREATED = 'RDS-EVENT-0075';

/** One snapshot named by a completion event. */
export interface CompletedSnapshotRef {
  kind: SnapshotKind;
  /** EBS snapshot id (`snap-…`) or RDS snapshot identifier. */
  id: string;
}

/** What a completion event says, normalised; `ignored` lists what it names but did not complete. */
export interface SnapshotCompletion {
  eventId: string;
  region: string;
  time: Date;
  completed: CompletedSnapshotRef[];
  ignored: Array<{ id: string; reason: string }>;
}

// AWS adds fields to events over time: only the fields read here are required, the rest pass through.
const envelope = {
  id: z.string({ error: 'id must be the event id string' }).check(z.minLength(1, { error: 'id must not be empty' })),
  region: z.string({ error: 'region must be the AWS Region the event comes from' }).check(z.minLength(1, { error: 'region must not be empty' })),
  time: z.iso.datetime({ offset: true, error: 'time must be an ISO-8601 timestamp' }),
};

const EBS_SNAPSHOT_ARN = /^arn:aws[a-z-]*:ec2:[a-z0-9-]*:[a-z0-9-]*:snapshot\/(snap-[0-9a-f]+)$/;
const ebsSnapshotArn = (field: string) =>
  z.string({ error: `${field} must be an EBS snapshot ARN` }).check(
    z.regex(EBS_SNAPSHOT_ARN, { error: (issue) => `${field} "${String(issue.input)}" is not an EBS snapshot ARN (arn:aws:ec2:…:snapshot/snap-…)` }),
  );

const ebsSingleSchema = z.object({
  ...envelope,
  source: z.literal('aws.ec2'),
  'detail-type': z.literal(EBS_SNAPSHOT_DETAIL_TYPE),
  detail: z.object(
    {
      event: z.string({ error: 'detail.event must be the EBS event name' }),
      result: z.string({ error: 'detail.result must be succeeded or failed' }),
      cause: z.optional(z.string({ error: 'detail.cause must be text' })),
      snapshot_id: ebsSnapshotArn('detail.snapshot_id'),
    },
    { error: 'detail must be an object' },
  ),
});

const ebsMultiSchema = z.object({
  ...envelope,
  source: z.literal('aws.ec2'),
  'detail-type': z.literal(EBS_MULTI_VOLUME_DETAIL_TYPE),
  detail: z.object(
    {
      event: z.string({ error: 'detail.event must be the EBS event name' }),
      result: z.string({ error: 'detail.result must be succeeded or failed' }),
      cause: z.optional(z.string({ error: 'detail.cause must be text' })),
      snapshots: z.array(
        z.object(
          {
            snapshot_id: ebsSnapshotArn('detail.snapshots[].snapshot_id'),
            status: z.string({ error: 'detail.snapshots[].status must be the snapshot status' }),
          },
          { error: 'detail.snapshots[] must be objects with snapshot_id and status' },
        ),
        { error: 'detail.snapshots must be the list of snapshots of the multi-volume set' },
      ),
    },
    { error: 'detail must be an object' },
  ),
});

const RDS_SNAPSHOT_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(snapshot|cluster-snapshot):(.+)$/;
const rdsSchema = z.object({
  ...envelope,
  source: z.literal('aws.rds'),
  'detail-type': z.enum([RDS_SNAPSHOT_DETAIL_TYPE, RDS_CLUSTER_SNAPSHOT_DETAIL_TYPE]),
  detail: z.object(
    {
      EventID: z.string({ error: 'detail.EventID must be an RDS event id such as RDS-EVENT-0042' }),
      SourceArn: z.string({ error: 'detail.SourceArn must be the snapshot ARN' }).check(
        z.regex(RDS_SNAPSHOT_ARN, { error: (issue) => `detail.SourceArn "${String(issue.input)}" is not an RDS snapshot or cluster snapshot ARN` }),
      ),
      Message: z.optional(z.string({ error: 'detail.Message must be text' })),
    },
    { error: 'detail must be an object' },
  ),
});

const KNOWN_EVENTS =
  `aws.ec2 "${EBS_SNAPSHOT_DETAIL_TYPE}" or "${EBS_MULTI_VOLUME_DETAIL_TYPE}", ` +
  `aws.rds "${RDS_SNAPSHOT_DETAIL_TYPE}" or "${RDS_CLUSTER_SNAPSHOT_DETAIL_TYPE}"`;

/** Messages name their field already; anything zod phrased itself gets the path in front. */
function issuesOf(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return !path || issue.message.startsWith(String(issue.path[0])) ? issue.message : `${path}: ${issue.message}`;
  });
}

function parseWith<T>(schema: z.ZodMiniType<T>, event: unknown, what: string, entry = 'copy-snapshot'): T {
  const parsed = schema.safeParse(event, { jitless: true });
  if (!parsed.success) throw new BadInputError(`${entry} received a malformed ${what} event`, issuesOf(parsed.error));
  return parsed.data;
}

function ebsSnapshotId(arn: string): string {
  return (EBS_SNAPSHOT_ARN.exec(arn) as RegExpExecArray)[1] as string;
}

/**
 * Reads a snapshot-completion event delivered by EventBridge. Events of the right kind that do not
 * report a completed snapshot (a failed result, another RDS event id) come back with nothing completed
 * and the reason in `ignored`; anything else of the wrong shape throws BadInputError naming the fields.
 */
export function parseSnapshotCompletion(event: unknown): SnapshotCompletion {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new BadInputError('copy-snapshot received something that is not an EventBridge event', [`expected an object, got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}`]);
  }
  const { source, 'detail-type': detailType } = event as Record<string, unknown>;
  const base = (parsed: { id: string; region: string; time: string }) => ({ eventId: parsed.id, region: parsed.region, time: new Date(parsed.time) });

  if (source === 'aws.ec2' && detailType === EBS_SNAPSHOT_DETAIL_TYPE) {
    const parsed = parseWith(ebsSingleSchema, event, EBS_SNAPSHOT_DETAIL_TYPE);
    const id = ebsSnapshotId(parsed.detail.snapshot_id);
    if (parsed.detail.event !== 'createSnapshot') {
      return { ...base(parsed), completed: [], ignored: [{ id, reason: `EBS event ${parsed.detail.event} is not a snapshot creation` }] };
    }
    if (parsed.detail.result !== 'succeeded') {
      return { ...base(parsed), completed: [], ignored: [{ id, reason: `snapshot creation ${parsed.detail.result}${parsed.detail.cause ? `: ${parsed.detail.cause}` : ''}` }] };
    }
    return { ...base(parsed), completed: [{ kind: 'ebs', id }], ignored: [] };
  }

  if (source === 'aws.ec2' && detailType === EBS_MULTI_VOLUME_DETAIL_TYPE) {
    const parsed = parseWith(ebsMultiSchema, event, EBS_MULTI_VOLUME_DETAIL_TYPE);
    const completion: SnapshotCompletion = { ...base(parsed), completed: [], ignored: [] };
    for (const snapshot of parsed.detail.snapshots) {
      const id = ebsSnapshotId(snapshot.snapshot_id);
      if (parsed.detail.event !== 'createSnapshots') completion.ignored.push({ id, reason: `EBS event ${parsed.detail.event} is not a snapshot creation` });
      else if (snapshot.status !== 'completed') completion.ignored.push({ id, reason: `snapshot is ${snapshot.status}${parsed.detail.cause ? ` (${parsed.detail.cause})` : ''}` });
      else completion.completed.push({ kind: 'ebs', id });
    }
    return completion;
  }

  if (source === 'aws.rds' && (detailType === RDS_SNAPSHOT_DETAIL_TYPE || detailType === RDS_CLUSTER_SNAPSHOT_DETAIL_TYPE)) {
    const parsed = parseWith(rdsSchema, event, detailType);
    const [, resource, id] = RDS_SNAPSHOT_ARN.exec(parsed.detail.SourceArn) as RegExpExecArray;
    const cluster = parsed['detail-type'] === RDS_CLUSTER_SNAPSHOT_DETAIL_TYPE;
    if ((resource === 'cluster-snapshot') !== cluster) {
      throw new BadInputError(`copy-snapshot received a malformed ${detailType} event`, [
        `detail.SourceArn "${parsed.detail.SourceArn}" is a ${resource} ARN, which an ${detailType} never carries`,
      ]);
    }
    const wanted = cluster ? RDS_MANUAL_CLUSTER_SNAPSHOT_CREATED : RDS_MANUAL_SNAPSHOT_CREATED;
    if (parsed.detail.EventID !== wanted) {
      const what = parsed.detail.Message ? ` (${parsed.detail.Message})` : '';
      return { ...base(parsed), completed: [], ignored: [{ id: id as string, reason: `${parsed.detail.EventID}${what} does not mean a manual snapshot was created (${wanted} does)` }] };
    }
    return { ...base(parsed), completed: [{ kind: cluster ? 'rds-cluster' : 'rds-instance', id: id as string }], ignored: [] };
  }

  throw new BadInputError('copy-snapshot received an event it does not handle', [
    `source "${String(source)}" with detail-type "${String(detailType)}" (expected ${KNOWN_EVENTS})`,
  ]);
}

/** A failed EBS snapshot or copy, as its completion event reports it. */
export interface SnapshotFailure {
  eventId: string;
  region: string;
  time: Date;
  /** createSnapshot, createSnapshots or copySnapshot. */
  operation: string;
  cause: string;
  /** The failed snapshots (for a copy: the copy in the event's Region). */
  snapshotIds: string[];
}

/**
 * Reads an EBS completion event with result `failed` (the failure-notice rule matches only those).
 * Anything else throws BadInputError naming what is wrong, so a misrouted event never sends an email.
 */
export function parseSnapshotFailure(event: unknown): SnapshotFailure {
  const entry = 'notify-failure';
  const { source, 'detail-type': detailType } = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const failure = (parsed: { id: string; region: string; time: string; detail: { event: string; result: string; cause?: string | undefined } }, ids: string[]) => {
    if (parsed.detail.result !== 'failed') {
      throw new BadInputError(`${entry} received an event that reports no failure`, [`detail.result is "${parsed.detail.result}", expected "failed"`]);
    }
    return { eventId: parsed.id, region: parsed.region, time: new Date(parsed.time), operation: parsed.detail.event, cause: parsed.detail.cause || 'no cause given', snapshotIds: ids };
  };
  if (source === 'aws.ec2' && detailType === EBS_SNAPSHOT_DETAIL_TYPE) {
    const parsed = parseWith(ebsSingleSchema, event, EBS_SNAPSHOT_DETAIL_TYPE, entry);
    return failure(parsed, [ebsSnapshotId(parsed.detail.snapshot_id)]);
  }
  if (source === 'aws.ec2' && detailType === EBS_MULTI_VOLUME_DETAIL_TYPE) {
    const parsed = parseWith(ebsMultiSchema, event, EBS_MULTI_VOLUME_DETAIL_TYPE, entry);
    return failure(parsed, parsed.detail.snapshots.map((snapshot) => ebsSnapshotId(snapshot.snapshot_id)));
  }
  throw new BadInputError(`${entry} received an event it does not handle`, [
    `source "${String(source)}" with detail-type "${String(detailType)}" (expected aws.ec2 "${EBS_SNAPSHOT_DETAIL_TYPE}" or "${EBS_MULTI_VOLUME_DETAIL_TYPE}" with result failed)`,
  ]);
}
