import type { SnapshotBackend } from '../use-cases/create-snapshots.js';
import { ec2Client, rdsClient, type ClientSettings } from './clients.js';
import { Ec2SnapshotBackend } from './ec2-snapshot-backend.js';
import { RdsSnapshotBackend } from './rds-snapshot-backend.js';

/**
 * Every service create-snapshots knows, wired to the default clients for one Region. EC2 creates go through
 * a client that never sends them twice (see Ec2SnapshotBackend); RDS creates carry deterministic identifiers,
 * so a repeat is refused as already existing.
 */
export function snapshotBackends(settings: ClientSettings): SnapshotBackend[] {
  return [new Ec2SnapshotBackend(ec2Client(settings), ec2Client({ ...settings, maxAttempts: 1 })), new RdsSnapshotBackend(rdsClient(settings))];
}
