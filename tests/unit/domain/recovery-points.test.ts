import { describe, expect, it } from '@jest/globals';
import { parseSlot, TAG } from '../../../shared/domain/recovery-point-tags.js';
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

describe('groupRecoveryPoints with tags that cannot be trusted whole', () => {
  it('takes an instance point with fewer snapshots than its point-size tag as in error, so it never counts as a whole point', () => {
    const size = { [TAG.pointSize]: '3' };
    const points = groupRecoveryPoints([
      ...['snap-1', 'snap-2', 'snap-3'].map((id) => snapshot(id, ours('i-1', '2026-10-01T02:00Z', size))),
      ...['snap-4', 'snap-5'].map((id) => snapshot(id, ours('i-1', '2026-10-02T02:00Z', size))),
      snapshot('snap-6', ours('i-1', '2026-10-03T02:00Z', size), { state: 'error' }),
      ...['snap-7', 'snap-8'].map((id) => snapshot(id, ours('i-1', '2026-10-04T02:00Z'))),
    ]);

    expect(points.map((point) => [point.slot, point.snapshots.length, point.state])).toEqual([
      ['2026-10-01T02:00Z', 3, 'completed'],
      ['2026-10-02T02:00Z', 2, 'error'],
      ['2026-10-03T02:00Z', 1, 'error'],
      // Made before the tag existed: whole as far as anyone can tell.
      ['2026-10-04T02:00Z', 2, 'completed'],
    ]);
  });

  it('counts a point\'s snapshots by what they are of, so a duplicate copy of one volume never makes a point whole', () => {
    const size = { [TAG.pointSize]: '3' };
    const copyOf = (id: string, source: string) => snapshot(id, ours('i-1', '2026-10-01T02:00Z', { ...size, [TAG.sourceSnapshotId]: source }), { region: 'eu-central-1', sourceVolumeId: 'vol-ffffffff' });
    const primary = (id: string, volume: string) => snapshot(id, ours('i-1', '2026-10-02T02:00Z', size), { sourceVolumeId: volume });

    const points = groupRecoveryPoints([
      copyOf('snap-a1', 'snap-a'),
      copyOf('snap-a2', 'snap-a'),
      copyOf('snap-b1', 'snap-b'),
      primary('snap-c', 'vol-root'),
      primary('snap-d', 'vol-data'),
      primary('snap-e', 'vol-logs'),
    ]);

    expect(points.map((point) => [point.region, point.slot, point.snapshots.length, point.state])).toEqual([
      ['eu-central-1', '2026-10-01T02:00Z', 3, 'error'],
      ['eu-west-1', '2026-10-02T02:00Z', 3, 'completed'],
    ]);
  });

  it('reads no time from a slot tag formatSlot did not write: such a snapshot is a point of its own, timed by its start', () => {
    const started = new Date('2026-10-05T10:00:00Z');
    const points = groupRecoveryPoints(['1', 'slot-1', 'Oct 31', '2026-10-01T02:00:00Z'].map((slot, index) => snapshot(`snap-${index}`, ours('vol-1', slot), { startTime: started })));

    expect(points.map((point) => [point.id, point.time.toISOString()])).toEqual(
      ['snap-0', 'snap-1', 'snap-2', 'snap-3'].map((id) => [id, started.toISOString()]),
    );
  });

  it('keeps an RDS instance and an Aurora cluster of the same identifier apart', () => {
    const points = groupRecoveryPoints([
      snapshot('bo-gold-prod-1', ours('prod', '2026-10-01T02:00Z', { [TAG.resourceType]: 'rds-instance' }), { kind: 'rds-instance' }),
      snapshot('bo-gold-prod-1', ours('prod', '2026-10-01T02:00Z', { [TAG.resourceType]: 'aurora-cluster' }), { kind: 'rds-cluster' }),
    ]);

    expect(points.map((point) => [point.resourceType, point.snapshots.map((s) => s.kind)])).toEqual([
      ['rds-instance', ['rds-instance']],
      ['aurora-cluster', ['rds-cluster']],
    ]);
  });
});

describe('parseSlot', () => {
  it.each(['2026-11-26T15:00Z', '1970-01-01T00:00Z'])('reads %s, a slot as formatSlot writes it', (slot) => {
    expect(parseSlot(slot)?.toISOString()).toBe(`${slot.slice(0, 16)}:00.000Z`);
  });

  it.each([undefined, '', '1', 'slot-1', 'Oct 31', '2026-11-26T15:00:00Z', '2026-11-26T15:00+01:00', '2026-02-30T00:00Z', '2026-11-26 15:00Z'])(
    'refuses %p, which Date.parse might read as some other time',
    (slot) => {
      expect(parseSlot(slot)).toBeUndefined();
    },
  );
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

describe('groupRecoveryPoints with snapshots Data Lifecycle Manager made for an engine: dlm plan', () => {
  /** Tags a DLM policy written by sync-dlm puts on a snapshot: DLM's own, our TagsToAdd, and (instances) VariableTags. */
  const dlmTags = (extra: Record<string, string> = {}) => ({
    'aws:dlm:lifecycle-policy-id': 'policy-0abc',
    'aws:dlm:lifecycle-schedule-name': 'schedule',
    [TAG.stack]: 'prod',
    [TAG.plan]: 'bronze',
    [TAG.engine]: 'dlm',
    ...extra,
  });
  const instanceRun = (instanceId: string, run: string) => dlmTags({ [TAG.resourceType]: 'ec2-instance', [TAG.resourceId]: instanceId, [TAG.dlmRun]: run });

  it('makes one point of the volume snapshots of one instance in one DLM run, timed by their earliest start', () => {
    // Act
    const points = groupRecoveryPoints([
      snapshot('snap-root', instanceRun('i-1', 'run-a'), { startTime: new Date('2026-11-26T04:00:07Z'), sourceVolumeId: 'vol-root' }),
      snapshot('snap-data', instanceRun('i-1', 'run-a'), { startTime: new Date('2026-11-26T04:00:05Z'), sourceVolumeId: 'vol-data', state: 'pending' }),
      snapshot('snap-next', instanceRun('i-1', 'run-b'), { startTime: new Date('2026-11-26T08:00:03Z'), sourceVolumeId: 'vol-root' }),
      snapshot('snap-other', instanceRun('i-2', 'run-a'), { startTime: new Date('2026-11-26T04:00:09Z'), sourceVolumeId: 'vol-x' }),
    ]);

    // Assess
    expect(points.map((point) => [point.id, point.resourceId, point.time.toISOString(), point.state, point.snapshots.map((s) => s.id)])).toEqual([
      ['i-1@2026-11-26T04:00Z', 'i-1', '2026-11-26T04:00:05.000Z', 'pending', ['snap-root', 'snap-data']],
      ['i-1@2026-11-26T08:00Z', 'i-1', '2026-11-26T08:00:03.000Z', 'completed', ['snap-next']],
      ['i-2@2026-11-26T04:00Z', 'i-2', '2026-11-26T04:00:09.000Z', 'completed', ['snap-other']],
    ]);
    expect(points[0]).toMatchObject({ planId: 'bronze', resourceType: 'ec2-instance', slot: '2026-11-26T04:00Z', region: 'eu-west-1', dlmPolicyId: 'policy-0abc' });
  });

  it('makes each volume-policy snapshot a point of its volume', () => {
    // Act
    const points = groupRecoveryPoints([
      snapshot('snap-1', dlmTags({ [TAG.resourceType]: 'ebs-volume' }), { sourceVolumeId: 'vol-1', startTime: new Date('2026-11-26T02:00:11Z') }),
      snapshot('snap-2', dlmTags({ [TAG.resourceType]: 'ebs-volume' }), { sourceVolumeId: 'vol-2', startTime: new Date('2026-11-26T02:00:12Z') }),
    ]);

    // Assess
    expect(points.map((point) => [point.id, point.resourceId, point.resourceType, point.slot, point.planId])).toEqual([
      ['snap-1', 'vol-1', 'ebs-volume', '2026-11-26T02:00Z', 'bronze'],
      ['snap-2', 'vol-2', 'ebs-volume', '2026-11-26T02:00Z', 'bronze'],
    ]);
  });

  it('recognises a DLM cross-Region copy by the tags it copied, and dates it by the run when the run timestamp is readable', () => {
    // Prepare: DLM's aws: tags are not user tags, so a copy carries only ours.
    const copied = (run: string) => ({ [TAG.stack]: 'prod', [TAG.plan]: 'bronze', [TAG.engine]: 'dlm', [TAG.resourceType]: 'ec2-instance', [TAG.resourceId]: 'i-1', [TAG.dlmRun]: run });

    // Act
    const points = groupRecoveryPoints([
      snapshot('snap-c1', copied('2026-11-26T04:00:00.000Z'), { region: 'eu-central-1', startTime: new Date('2026-11-26T04:40:00Z') }),
      snapshot('snap-c2', copied('2026-11-26T04:00:00.000Z'), { region: 'eu-central-1', startTime: new Date('2026-11-26T04:41:00Z') }),
      snapshot('snap-c3', copied('not-a-time'), { region: 'eu-central-1', startTime: new Date('2026-11-26T08:45:00Z') }),
    ]);

    // Assess
    expect(points.map((point) => [point.resourceId, point.time.toISOString(), point.snapshots.length, point.dlmPolicyId])).toEqual([
      ['i-1', '2026-11-26T04:00:00.000Z', 2, undefined],
      ['i-1', '2026-11-26T08:45:00.000Z', 1, undefined],
    ]);
  });

  it('groups instance snapshots without a run tag by the minute they started', () => {
    const points = groupRecoveryPoints([
      snapshot('snap-1', dlmTags({ [TAG.resourceId]: 'i-1' }), { startTime: new Date('2026-11-26T04:00:05Z') }),
      snapshot('snap-2', dlmTags({ [TAG.resourceId]: 'i-1' }), { startTime: new Date('2026-11-26T04:00:40Z') }),
    ]);

    expect(points.map((point) => [point.id, point.snapshots.length])).toEqual([['i-1@2026-11-26T04:00Z', 2]]);
  });

  it('never mistakes a snapshot of a lambda plan for a DLM one', () => {
    const points = groupRecoveryPoints([snapshot('snap-1', ours('vol-1', '2026-10-01T02:00Z'), { startTime: new Date('2026-11-26T09:00:00Z') })]);

    expect(points[0]).toMatchObject({ id: 'vol-1@2026-10-01T02:00Z', time: new Date('2026-10-01T02:00:00Z') });
    expect(points[0]?.dlmPolicyId).toBeUndefined();
  });
});
