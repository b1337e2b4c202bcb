import { DeleteSnapshotCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DeleteDBClusterSnapshotCommand, DeleteDBSnapshotCommand, type RDSClient } from '@aws-sdk/client-rds';
import { TAG } from '../domain/recovery-point-tags.js';
import { isDlmSnapshot, type StoredSnapshot } from '../domain/recovery-points.js';
import type { DeleteResult, SnapshotDeleter } from '../use-cases/prune-recovery-points.js';
import { isSnapshotNotFound } from './stored-snapshot.js';

/** A delete was asked for a snapshot that does not carry this stack's ownership tag: refused before any call. */
export class NotOurSnapshotError extends Error {
  override readonly name = 'NotOurSnapshotError';
}

/** A delete was asked for a snapshot Data Lifecycle Manager made: its policy owns its retention, refused before any call. */
export class DlmSnapshotRefusedError extends Error {
  override readonly name = 'DlmSnapshotRefusedError';
}


function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

/**
 * Deletes EBS snapshots (DeleteSnapshot) and RDS instance and cluster snapshots in one Region. A snapshot
 * an AMI uses is reported `in-use`, one already gone `already-gone`; everything else that fails throws.
 */
export class AwsSnapshotDeleter implements SnapshotDeleter {
  constructor(
    private readonly ec2: EC2Client,
    private readonly rds: RDSClient,
    readonly region: string,
  ) {}

  async delete(snapshot: StoredSnapshot, stack: string): Promise<DeleteResult> {
    // Defence in depth: the role only allows deleting tagged snapshots, and this code never asks otherwise.
    if (!stack || snapshot.tags[TAG.stack] !== stack) {
      throw new NotOurSnapshotError(`refusing to delete ${snapshot.id}: it does not carry ${TAG.stack}=${stack}`);
    }
    if (isDlmSnapshot(snapshot)) {
      throw new DlmSnapshotRefusedError(`refusing to delete ${snapshot.id}: Data Lifecycle Manager made it, and its policy owns its retention`);
    }
    if (snapshot.region !== this.region) {
      throw new NotOurSnapshotError(`refusing to delete ${snapshot.id}: it is in ${snapshot.region}, this deleter works in ${this.region}`);
    }
    try {
      if (snapshot.kind === 'ebs') await this.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot.id }));
      else if (snapshot.kind === 'rds-instance') await this.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshot.id }));
      else await this.rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshot.id }));
      return { status: 'deleted' };
    } catch (error) {
      const name = errorName(error);
      if (name === 'InvalidSnapshot.InUse') return { status: 'in-use', reason: (error as Error).message };
      if (isSnapshotNotFound(error)) return { status: 'already-gone' };
      throw error;
    }
  }
}
