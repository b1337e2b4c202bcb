import type { Snapshot } from '@aws-sdk/client-ec2';
import type { DBClusterSnapshot, DBSnapshot } from '@aws-sdk/client-rds';
import { fromTagList } from '../domain/recovery-point-tags.js';
import { pointStateOf, type StoredSnapshot } from '../domain/recovery-points.js';

/** The errors EC2 and RDS give for a snapshot that does not exist, or no longer does. */
export function isSnapshotNotFound(error: unknown): boolean {
  return /^(InvalidSnapshot\.NotFound|DB(Cluster)?SnapshotNotFound(Fault)?)$/.test((error as { name?: string } | undefined)?.name ?? '');
}

/** EC2 and RDS describe the same facts under different names: one mapping each, shared by every adapter. */
export function fromEbsSnapshot(snapshot: Snapshot, region: string): StoredSnapshot {
  return {
    kind: 'ebs',
    id: snapshot.SnapshotId ?? '',
    region,
    state: pointStateOf('ebs', snapshot.State),
    status: snapshot.State ?? 'unknown',
    ...(snapshot.StartTime ? { startTime: new Date(snapshot.StartTime) } : {}),
    ...(snapshot.CompletionTime ? { completedAt: new Date(snapshot.CompletionTime) } : {}),
    ...(snapshot.VolumeId ? { sourceVolumeId: snapshot.VolumeId } : {}),
    ...(snapshot.VolumeSize !== undefined ? { sizeGiB: snapshot.VolumeSize } : {}),
    ...(snapshot.FullSnapshotSizeInBytes !== undefined ? { storedBytes: snapshot.FullSnapshotSizeInBytes } : {}),
    ...(snapshot.Encrypted !== undefined ? { encrypted: snapshot.Encrypted } : {}),
    ...(snapshot.KmsKeyId ? { kmsKeyId: snapshot.KmsKeyId } : {}),
    tags: fromTagList(snapshot.Tags),
  };
}

export function fromRdsSnapshot(snapshot: DBSnapshot, region: string): StoredSnapshot {
  return {
    kind: 'rds-instance',
    id: snapshot.DBSnapshotIdentifier ?? '',
    ...(snapshot.DBSnapshotArn ? { arn: snapshot.DBSnapshotArn } : {}),
    region,
    state: pointStateOf('rds-instance', snapshot.Status),
    status: snapshot.Status ?? 'unknown',
    ...(snapshot.SnapshotCreateTime ? { startTime: new Date(snapshot.SnapshotCreateTime) } : {}),
    ...(snapshot.DBInstanceIdentifier ? { sourceVolumeId: snapshot.DBInstanceIdentifier } : {}),
    ...(snapshot.AllocatedStorage !== undefined ? { sizeGiB: snapshot.AllocatedStorage } : {}),
    ...(snapshot.Encrypted !== undefined ? { encrypted: snapshot.Encrypted } : {}),
    ...(snapshot.KmsKeyId ? { kmsKeyId: snapshot.KmsKeyId } : {}),
    tags: fromTagList(snapshot.TagList),
  };
}

export function fromRdsClusterSnapshot(snapshot: DBClusterSnapshot, region: string): StoredSnapshot {
  return {
    kind: 'rds-cluster',
    id: snapshot.DBClusterSnapshotIdentifier ?? '',
    ...(snapshot.DBClusterSnapshotArn ? { arn: snapshot.DBClusterSnapshotArn } : {}),
    region,
    state: pointStateOf('rds-cluster', snapshot.Status),
    status: snapshot.Status ?? 'unknown',
    ...(snapshot.SnapshotCreateTime ? { startTime: new Date(snapshot.SnapshotCreateTime) } : {}),
    ...(snapshot.DBClusterIdentifier ? { sourceVolumeId: snapshot.DBClusterIdentifier } : {}),
    ...(snapshot.AllocatedStorage !== undefined ? { sizeGiB: snapshot.AllocatedStorage } : {}),
    ...(snapshot.StorageEncrypted !== undefined ? { encrypted: snapshot.StorageEncrypted } : {}),
    ...(snapshot.KmsKeyId ? { kmsKeyId: snapshot.KmsKeyId } : {}),
    tags: fromTagList(snapshot.TagList),
  };
}
