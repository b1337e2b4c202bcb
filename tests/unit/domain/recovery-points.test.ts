import { describe, expect, it } from '@jest/globals';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { groupRecoveryPoints, pointStateOf, type StoredSnapshot } from '../../../shared/domain/recovery-points.js';

const ours = (resourceId: string, slot: string, extra: Record<string, string> = {}) => ({
  [TAG.stack]: 'prod',
  [TAG.plan]: 'gold',
  [TAG.resourceId]: resourceId,
  [TAG.resourceType]: resourceId.startsWith('i-') ? 'ec2-instance' : 'ebs-volume',
  [TAG.slot]: slot,
  ...extra,
});

function snapshot(id: string, tags: Record<string, string>, extra: Partial<StoredSnapshot> = {}): StoredSnapshot {
  return { kind: 'ebs', id, region: 'eu-west-1', state: 'completed', status: 'completed', tags, ...extra };
}

describe('groupRecoveryPoints', () => {
  it('makes one point of every volume snapshot an instance got in one slot, timed by the slot tag, not the service clock', () => {
    const points = groupRecoveryPoints([
      snapshot('snap-1', ours('i-1', '2026-10-01T02:00Z'), { startTime: new Date('2026-11-26T09:00:00Z'), sourceVolumeId: 'vol-root' }),
      snapshot('snap-2', ours('i-1', '2026-10-01T02:00Z'), { sourceVolumeId: 'vol-data' }),
      snapshot('snap-3', ours('i-1', '2026-10-02T02:00Z')),
    ]);

    expect(points.map((point) => [point.id, point.time.toISOString(), point.snapshots.map((s) => s.id)])).toEqual([
      ['i-1@2026-10-01T02:00Z', '2026-10-01T02:00:00.000Z', ['snap-1', 'snap-2']],
      ['i-1@2026-10-02T02:00Z', '2026-10-02T02:00:00.000Z', ['snap-3']],
    ]);
    expect(points[0]).toMatchObject({ resourceId: 'i-1', planId: 'gold', resourceType: 'ec2-instance', region: 'eu-west-1', slot: '2026-10-01T02:00Z', state: 'completed' });
  });

  it('gives a point the worst state of its snapshots: any error makes it error, else any pending makes it pending', () => {
    const points = groupRecoveryPoints([
      snapshot('snap-1', ours('i-1', '2026-10-01T02:00Z')),
      snapshot('snap-2', ours('i-1', '2026-10-01T02:00Z'), { state: 'pending' }),
      snapshot('snap-3', ours('i-1', '2026-10-01T02:00Z'), { state: 'error' }),
      snapshot('snap-4', ours('i-1', '2026-10-02T02:00Z')),
      snapshot('snap-5', ours('i-1', '2026-10-02T02:00Z'), { state: 'pending' }),
    ]);

    expect(points.map((point) => point.state)).toEqual(['error', 'pending']);
  });

  it('keeps Regions and plans apart even for the same resource and slot', () => {
    const points = groupRecoveryPoints([
      snapshot('snap-1', ours('vol-1', '2026-10-01T02:00Z')),
      snapshot('snap-2', ours('vol-1', '2026-10-01T02:00Z'), { region: 'eu-central-1' }),
      snapshot('snap-3', ours('vol-1', '2026-10-01T02:00Z', { [TAG.plan]: 'silver' })),
    ]);

    expect(points.map((point) => `${point.region}/${point.planId}/${point.snapshots.length}`)).toEqual(['eu-west-1/gold/1', 'eu-central-1/gold/1', 'eu-west-1/silver/1']);
  });

  it('returns a snapshot without resource or slot tags as a point of its own, keyed by its id', () => {
    const points = groupRecoveryPoints([
      snapshot('snap-1', { [TAG.stack]: 'prod' }, { sourceVolumeId: 'vol-9', startTime: new Date('2026-10-05T10:00:00Z') }),
      snapshot('snap-2', { [TAG.stack]: 'prod' }, { sourceVolumeId: 'vol-9' }),
    ]);

    expect(points.map((point) => [point.id, point.resourceId, point.slot, point.time.toISOString()])).toEqual([
      ['snap-1', 'vol-9', '', '2026-10-05T10:00:00.000Z'],
      ['snap-2', 'vol-9', '', '1970-01-01T00:00:00.000Z'],
    ]);
  });
});

describe('pointStateOf', () => {
  it('maps EBS and RDS statuses, and anything unknown to pending', () => {
    expect(['completed', 'pending', 'error', 'recoverable'].map((status) => pointStateOf('ebs', status))).toEqual(['completed', 'pending', 'error', 'pending']);
    expect(['available', 'creating', 'copying', 'failed', 'Available'].map((status) => pointStateOf('rds-cluster', status))).toEqual([
      'completed',
      'pending',
      'pending',
      'error',
      'completed',
    ]);
    expect(pointStateOf('rds-instance', 'incompatible-restore')).toBe('pending');
    expect(pointStateOf('ebs', undefined)).toBe('pending');
  });
});
