import type { ResourceType } from './plan-schema.js';
import { TAG, type Tags } from './recovery-point-tags.js';
import type { PointState, RecoveryPoint } from './retention-planner.js';

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
}

function worstState(states: PointState[]): PointState {
  if (states.includes('error')) return 'error';
  if (states.includes('pending')) return 'pending';
  return 'completed';
}

/**
 * Groups snapshots into recovery points by (Region, plan, resource, slot): an EC2 instance's point is all
 * the volume snapshots of one CreateSnapshots call. A point is completed only when all its snapshots are.
 * Snapshots without our resource and slot tags are returned as single-snapshot points keyed by their id,
 * so the retention planner sees them (and keeps them, as not ours).
 */
export function groupRecoveryPoints(snapshots: readonly StoredSnapshot[]): StoredRecoveryPoint[] {
  const groups = new Map<string, StoredSnapshot[]>();
  for (const snapshot of snapshots) {
    const resourceId = snapshot.tags[TAG.resourceId];
    const slot = snapshot.tags[TAG.slot];
    const key = resourceId && slot ? `${snapshot.region}|${snapshot.tags[TAG.plan] ?? ''}|${resourceId}|${slot}` : `${snapshot.region}|${snapshot.id}`;
    groups.set(key, [...(groups.get(key) ?? []), snapshot]);
  }
  return [...groups.values()].map((members) => {
    const first = members[0] as StoredSnapshot;
    const resourceId = first.tags[TAG.resourceId] ?? first.sourceVolumeId ?? first.id;
    const slot = first.tags[TAG.slot] ?? '';
    const slotTime = slot ? Date.parse(slot) : Number.NaN;
    const startTimes = members.flatMap((member) => (member.startTime ? [member.startTime.getTime()] : []));
    const time = new Date(Number.isNaN(slotTime) ? (startTimes.length ? Math.min(...startTimes) : 0) : slotTime);
    return {
      id: first.tags[TAG.slot] ? `${resourceId}@${slot}` : first.id,
      resourceId,
      time,
      state: worstState(members.map((member) => member.state)),
      tags: first.tags,
      planId: first.tags[TAG.plan] ?? '',
      resourceType: first.tags[TAG.resourceType] as ResourceType | undefined,
      region: first.region,
      slot,
      snapshots: members,
    };
  });
}
