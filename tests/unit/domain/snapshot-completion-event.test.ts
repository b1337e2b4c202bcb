import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../../shared/domain/errors.js';
import { parseSnapshotCompletion } from '../../../shared/domain/snapshot-completion-event.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/events');
const fixture = (name: string): Record<string, unknown> & { detail: Record<string, unknown> } =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

function rejection(event: unknown): BadInputError {
  try {
    parseSnapshotCompletion(event);
  } catch (error) {
    if (error instanceof BadInputError) return error;
    throw error;
  }
  throw new Error('expected a BadInputError');
}

describe('parseSnapshotCompletion', () => {
  it('reads an EBS createSnapshot success: the snapshot id out of its ARN, the Region and time of the event', () => {
    expect(parseSnapshotCompletion(fixture('ebs-create-snapshot-succeeded'))).toEqual({
      eventId: '3f1c2a4e-8b7d-4c1e-9f2a-6d5b4c3a2e10',
      region: 'eu-west-1',
      time: new Date('2026-11-26T11:04:12Z'),
      completed: [{ kind: 'ebs', id: 'snap-0a1b2c3d4e5f60718' }],
      ignored: [],
    });
  });

  it('reads every volume snapshot of an EBS createSnapshots success', () => {
    expect(parseSnapshotCompletion(fixture('ebs-create-snapshots-succeeded')).completed).toEqual([
      { kind: 'ebs', id: 'snap-01111111111111111' },
      { kind: 'ebs', id: 'snap-02222222222222222' },
    ]);
  });

  it('accepts snapshot ARNs with the Region in its usual place as well as where the documented example puts it', () => {
    const event = fixture('ebs-create-snapshot-succeeded');
    event.detail.snapshot_id = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';

    expect(parseSnapshotCompletion(event).completed).toEqual([{ kind: 'ebs', id: 'snap-0a1b2c3d4e5f60718' }]);
  });

  it('reads the RDS manual snapshot and cluster snapshot "created" events', () => {
    expect(parseSnapshotCompletion(fixture('rds-db-snapshot-created')).completed).toEqual([{ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' }]);
    expect(parseSnapshotCompletion(fixture('rds-db-cluster-snapshot-created')).completed).toEqual([{ kind: 'rds-cluster', id: 'bo-gold-ledger-20261126-1100' }]);
  });

  it('names nothing to copy for failed creations, with the cause', () => {
    expect(parseSnapshotCompletion(fixture('ebs-create-snapshot-failed'))).toMatchObject({
      completed: [],
      ignored: [{ id: 'snap-0f9e8d7c6b5a40312', reason: 'snapshot creation failed: Source volume vol-0123456789abcdef0 was deleted before the snapshot completed' }],
    });
    expect(parseSnapshotCompletion(fixture('ebs-create-snapshots-failed')).ignored).toEqual([
      { id: 'snap-01111111111111111', reason: 'snapshot is error (Snapshot snap-01111111111111111 is in status error)' },
      { id: 'snap-02222222222222222', reason: 'snapshot is error (Snapshot snap-01111111111111111 is in status error)' },
    ]);
  });

  it('names nothing to copy for an RDS event that does not mean "created"', () => {
    expect(parseSnapshotCompletion(fixture('rds-db-cluster-snapshot-creating'))).toMatchObject({
      completed: [],
      ignored: [
        {
          id: 'bo-gold-ledger-20261126-1100',
          reason: 'RDS-EVENT-0074 (Creating manual cluster snapshot) does not mean a manual snapshot was created (RDS-EVENT-0075 does)',
        },
      ],
    });
  });

  it('rejects an event from another service or of another detail-type, saying which it handles', () => {
    const error = rejection({ ...fixture('ebs-create-snapshot-succeeded'), 'detail-type': 'EBS Volume Notification' });

    expect(error.message).toBe(
      'copy-snapshot received an event it does not handle: source "aws.ec2" with detail-type "EBS Volume Notification" (expected aws.ec2 "EBS Snapshot Notification" or "EBS Multi-Volume Snapshots Completion Status", aws.rds "RDS DB Snapshot Event" or "RDS DB Cluster Snapshot Event")',
    );
  });

  it('rejects an EBS event without a snapshot ARN, or with something else in its place, naming the field', () => {
    const missing = fixture('ebs-create-snapshot-succeeded');
    delete missing.detail.snapshot_id;
    const wrong = fixture('ebs-create-snapshot-succeeded');
    wrong.detail.snapshot_id = 'snap-0a1b2c3d4e5f60718';

    expect(rejection(missing).details).toEqual(['detail.snapshot_id must be an EBS snapshot ARN']);
    expect(rejection(wrong).details).toEqual(['detail.snapshot_id "snap-0a1b2c3d4e5f60718" is not an EBS snapshot ARN (arn:aws:ec2:…:snapshot/snap-…)']);
  });

  it('rejects a multi-volume event without its list of snapshots, and an event without id, Region or time', () => {
    const noList = fixture('ebs-create-snapshots-succeeded');
    delete noList.detail.snapshots;
    const noEnvelope = fixture('rds-db-snapshot-created');
    delete noEnvelope.id;
    delete noEnvelope.region;
    noEnvelope.time = 'yesterday';

    expect(rejection(noList).details).toEqual(['detail.snapshots must be the list of snapshots of the multi-volume set']);
    expect(rejection(noEnvelope).details).toEqual([
      'id must be the event id string',
      'region must be the AWS Region the event comes from',
      'time must be an ISO-8601 timestamp',
    ]);
  });

  it('rejects an RDS event whose source ARN is not a snapshot of the kind the detail-type says', () => {
    const instanceArn = fixture('rds-db-snapshot-created');
    instanceArn.detail.SourceArn = 'arn:aws:rds:eu-west-1:123456789012:db:orders';
    const swapped = fixture('rds-db-cluster-snapshot-created');
    swapped.detail.SourceArn = 'arn:aws:rds:eu-west-1:123456789012:snapshot:bo-gold-orders-20261126-1100';

    expect(rejection(instanceArn).details).toEqual(['detail.SourceArn "arn:aws:rds:eu-west-1:123456789012:db:orders" is not an RDS snapshot or cluster snapshot ARN']);
    expect(rejection(swapped).details).toEqual([
      'detail.SourceArn "arn:aws:rds:eu-west-1:123456789012:snapshot:bo-gold-orders-20261126-1100" is a snapshot ARN, which an RDS DB Cluster Snapshot Event never carries',
    ]);
  });

  it('rejects something that is not an event at all', () => {
    expect(rejection(null).message).toBe('copy-snapshot received something that is not an EventBridge event: expected an object, got null');
    expect(rejection([1]).name).toBe('BadInputError');
  });
});
