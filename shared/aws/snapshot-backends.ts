import type { SnapshotBackend } from '../use-cases/create-snapshots.js';
import { ec2Client, rdsClient, type ClientSettings } from './clients.js';
import { Ec2SnapshotBackend } from './ec2-snapshot-backend.js';
import { RdsSnapshotBackend } from './rds-snapshot-backend.js';

/** Every service create-snapshots knows, wired to the default clients for one Region. */
export function snapshotBackends(settings: ClientSettings): SnapshotBackend[] {
  return [new Ec2SnapshotBackend(ec2Client(settings)), new RdsSnapshotBackend(rdsClient(settings))];
}
