import type { ResourceType } from './plan-schema.js';
import { DLM_TAG, formatSlot, parseSlot, TAG, type Tags } from './recovery-point-tags.js';
import type { PointState, RecoveryPoint } from './retention-planner.js';

/**
 * Names one resource across types: an RDS instance and an Aurora cluster may share an identifier, so an id
 * alone does not say which resource a point is of.
 */
export function resourceKey(resource: { type: ResourceType | undefined; id: string }): string {
  return `${resource.type ?? ''}:${resource.id}`;
}

/** The three kinds of snapshot this stack makes. */
export type SnapshotKind = 'ebs' | 'rds-instance' | 'rds-cluster';

/** One snapshot as stored by EC2 or RDS, normalised; a recovery point is one or more of these. */
export interface StoredSnapshot {
  kind: SnapshotKind;
  /** EBS snapshot id, or RDS snapshot identifier. */
  id: string;
  /** RDS snapshot ARN (needed for cross-Region copies); EBS snapshots have none here. */
  arn?: string;
  region: string;
  state: PointState;
  /** Raw service status (e.g. `pending`, `available`, `error`), for reports. */
  status: string;
  startTime?: Date;
  /** When the service says the snapshot completed (EBS CompletionTime); RDS reports no such time. */
  completedAt?: Date;
  /** EBS: the source volume; RDS: the source instance or cluster. */
  sourceVolumeId?: string;
  sizeGiB?: number;
  /** Bytes actually stored, where the API reports it (EBS FullSnapshotSizeInBytes). */
  storedBytes?: number;
  encrypted?: boolean;
  kmsKeyId?: string;
  tags: Tags;
}

const EBS_STATES: Record<string, PointState> = { completed: 'completed', pending: 'pending', error: 'error', recoverable: 'pending', recovering: 'pending' };
const RDS_STATES: Record<string, PointState> = { available: 'completed', creating: 'pending', copying: 'pending', pending: 'pending', failed: 'error', error: 'error' };

/** Maps a service status to a point state; anything unknown is pending, so it is neither trusted nor deleted. */
export function pointStateOf(kind: SnapshotKind, status: string | undefined): PointState {
  const table = kind === 'ebs' ? EBS_STATES : RDS_STATES;
  return table[(status ?? '').toLowerCase()] ?? 'pending';
}

/** A recovery point of one resource in one Region: every snapshot taken for it in one slot. */
export interface StoredRecoveryPoint extends RecoveryPoint {
  planId: string;
  resourceType: ResourceType | undefined;
  region: string;
  slot: string;
  snapshots: StoredSnapshot[];
  /** Set on points Data Lifecycle Manager made (engine: dlm): the policy, when DLM's own tag says it. */
  dlmPolicyId?: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** True for a snapshot Data Lifecycle Manager took for an engine: dlm plan, or a DLM cross-Region copy of one. */
export function isDlmSnapshot(snapshot: StoredSnapshot): boolean {
  return snapshot.tags[DLM_TAG.policyId] !== undefined || snapshot.tags[TAG.engine] === 'dlm';
}

/**
 * DLM snapshots carry no slot tag. An instance policy tags each volume snapshot with the instance id and the
 * run's timestamp (VariableTags), so one run of one instance is one point; a volume policy makes one snapshot
 * per volume per run, so each snapshot is its own point.
 */
function dlmGroupKey(snapshot: StoredSnapshot): string {
  const instanceId = snapshot.tags[TAG.resourceId];
  if (!instanceId) return `dlm|${snapshot.region}|${snapshot.id}`;
  const run = snapshot.tags[TAG.dlmRun] ?? (snapshot.startTime ? formatSlot(snapshot.startTime) : snapshot.id);
  return `dlm|${snapshot.region}|${snapshot.tags[TAG.plan] ?? ''}|${instanceId}|${run}`;
}

/**
 * A DLM point: its resource is the instance-id tag or else the snapshot's volume (for a DR copy of a volume
 * snapshot EC2 reports an arbitrary volume id, so such copies cannot be tied to their volume); its time is the
 * earliest start of its snapshots, or the run timestamp when that is a readable instant no later than it.
 */
function dlmRecoveryPoint(members: StoredSnapshot[]): StoredRecoveryPoint {
  const first = members[0] as StoredSnapshot;
  const instanceId = first.tags[TAG.resourceId];
  const resourceId = instanceId ?? first.sourceVolumeId ?? first.id;
  const startTimes = members.flatMap((member) => (member.startTime ? [member.startTime.getTime()] : []));
  const started = startTimes.length ? Math.min(...startTimes) : undefined;
  // A DR copy starts after its source; the run timestamp DLM wrote on the source (copied with it) says when the data is from.
  const runTag = first.tags[TAG.dlmRun] ?? '';
  const run = ISO_INSTANT.test(runTag) ? Date.parse(runTag) : Number.NaN;
  const at = started === undefined ? undefined : !Number.isNaN(run) && run <= started ? run : started;
  const time = new Date(at ?? 0);
  const slot = at === undefined ? '' : formatSlot(time);
  const policyId = first.tags[DLM_TAG.policyId];
  return {
    id: instanceId && slot ? `${resourceId}@${slot}` : first.id,
    resourceId,
    time,
    state: worstState(members.map((member) => member.state)),
    tags: first.tags,
    planId: first.tags[TAG.plan] ?? '',
    resourceType: (first.tags[TAG.resourceType] as ResourceType | undefined) ?? (instanceId ? 'ec2-instance' : 'ebs-volume'),
    region: first.region,
    slot,
    snapshots: members,
    ...(policyId ? { dlmPolicyId: policyId } : {}),
  };
}

function worstState(states: PointState[]): PointState {
  if (states.includes('error')) return 'error';
  if (states.includes('pending')) return 'pending';
  return 'completed';
}

/**
 * Groups snapshots into recovery points by (Region, plan, resource, slot): an EC2 instance's point is all
 * the volume snapshots of one CreateSnapshots call. A point is completed only when all its snapshots are, and
 * it holds as many as its point-size tag says (fewer: in error). Snapshots without our resource tag and a well-formed slot
 * tag are returned as single-snapshot points keyed by their id, so the retention planner sees them (and keeps
 * them, as not ours). Snapshots Data Lifecycle Manager made for an engine: dlm plan are that plan's points,
 * timed by their start time (see dlmGroupKey).
 */
export function groupRecoveryPoints(snapshots: readonly StoredSnapshot[]): StoredRecoveryPoint[] {
  const groups = new Map<string, StoredSnapshot[]>();
  for (const snapshot of snapshots) {
    const resourceId = snapshot.tags[TAG.resourceId];
    const slot = snapshot.tags[TAG.slot];
    // The resource type is part of the key: an RDS instance and an Aurora cluster may share an identifier.
    const key = isDlmSnapshot(snapshot)
      ? dlmGroupKey(snapshot)
      : resourceId && parseSlot(slot)
        ? `${snapshot.region}|${snapshot.tags[TAG.plan] ?? ''}|${snapshot.tags[TAG.resourceType] ?? ''}|${resourceId}|${slot}`
        : `${snapshot.region}|${snapshot.id}`;
    groups.set(key, [...(groups.get(key) ?? []), snapshot]);
  }
  return [...groups.values()].map((members) => {
    const first = members[0] as StoredSnapshot;
    if (isDlmSnapshot(first)) return dlmRecoveryPoint(members);
    const resourceId = first.tags[TAG.resourceId] || first.sourceVolumeId || first.id;
    const slot = first.tags[TAG.slot] ?? '';
    const slotTime = parseSlot(slot)?.getTime();
    const startTimes = members.flatMap((member) => (member.startTime ? [member.startTime.getTime()] : []));
    const time = new Date(slotTime ?? (startTimes.length ? Math.min(...startTimes) : 0));
    // A point with fewer snapshots than it was made with is not whole: in error, so never counted as good
    // (retention cleans it up after the error grace, as any failed point; until then a copy may still land).
    // Counted by what each snapshot is of (a copy's source snapshot, else its volume), so a duplicate copy of one
    // volume never stands in for another volume's copy still missing.
    const size = Number(first.tags[TAG.pointSize]);
    const distinct = new Set(members.map((member) => member.tags[TAG.sourceSnapshotId] ?? member.sourceVolumeId ?? member.id)).size;
    const partial = Number.isInteger(size) && distinct < size;
    return {
      id: slotTime !== undefined && first.tags[TAG.resourceId] ? `${resourceId}@${slot}` : first.id,
      resourceId,
      time,
      state: worstState([...members.map((member) => member.state), ...(partial ? (['error'] as const) : [])]),
      tags: first.tags,
      planId: first.tags[TAG.plan] ?? '',
      resourceType: first.tags[TAG.resourceType] as ResourceType | undefined,
      region: first.region,
      slot,
      snapshots: members,
    };
  });
}
