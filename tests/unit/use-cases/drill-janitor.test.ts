import { describe, expect, it } from '@jest/globals';
import { CleanupPendingError } from '../../../shared/domain/drill-errors.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { runDrillJanitor } from '../../../shared/use-cases/drill-janitor.js';
import type { DrillBackend, DrillResource } from '../../../shared/use-cases/restore-drill.js';

const STACK = 'bo-test';
const NOW = new Date('2026-11-26T15:00:00Z');

function resource(id: string, kind: DrillResource['kind'], tags: Record<string, string>, status = 'available'): DrillResource {
  return { kind, id, region: 'eu-west-1', status, tags, clusterId: null };
}
const drillTags = (expiresAt: string) => ({ [TAG.stack]: STACK, [TAG.drillId]: 'drill-1', [TAG.expiresAt]: expiresAt });

function backendWith(resources: DrillResource[], refuse: Record<string, Error> = {}): DrillBackend & { deleted: string[] } {
  const deleted: string[] = [];
  return {
    region: 'eu-west-1',
    deleted,
    restoreVolume: async () => Promise.reject(new Error('not expected')),
    restoreDbInstance: async () => Promise.reject(new Error('not expected')),
    restoreAuroraCluster: async () => Promise.reject(new Error('not expected')),
    observe: async () => Promise.reject(new Error('not expected')),
    findDrillResources: async () => resources,
    deleteDrillResource: async (target) => {
      if (refuse[target.id]) throw refuse[target.id];
      deleted.push(`${target.kind} ${target.id}`);
    },
  };
}

describe('runDrillJanitor', () => {
  it('deletes only expired drill resources of this stack, instances before clusters, and keeps the rest with a reason', async () => {
    const backend = backendWith([
      resource('bo-drill-a', 'aurora-cluster', drillTags('2026-11-26T14:00:00Z')),
      resource('bo-drill-a-1', 'rds-instance', drillTags('2026-11-26T14:00:00Z')),
      resource('vol-running', 'ebs-volume', drillTags('2026-11-26T18:00:00Z')),
      resource('vol-deleting', 'ebs-volume', drillTags('2026-11-26T14:00:00Z'), 'deleting'),
      resource('vol-no-expiry', 'ebs-volume', { [TAG.stack]: STACK, [TAG.drillId]: 'drill-2' }),
      resource('vol-other-stack', 'ebs-volume', { [TAG.stack]: 'someone-else', [TAG.drillId]: 'drill-3', [TAG.expiresAt]: '2026-11-26T14:00:00Z' }),
    ]);

    const summary = await runDrillJanitor({ now: NOW, dryRun: false, regions: ['eu-west-1'] }, { stack: STACK, backendFor: () => backend });

    expect(backend.deleted).toEqual(['rds-instance bo-drill-a-1', 'aurora-cluster bo-drill-a']);
    expect(summary).toMatchObject({ deleted: 2, kept: 4, pending: 0, failed: 0 });
    expect(Object.fromEntries(summary.outcomes.map((outcome) => [outcome.id, outcome.reason]))).toEqual({
      'bo-drill-a-1': 'expired at 2026-11-26T14:00:00.000Z',
      'bo-drill-a': 'expired at 2026-11-26T14:00:00.000Z',
      'vol-running': 'its drill may still run until 2026-11-26T18:00:00.000Z',
      'vol-deleting': 'already deleting',
      'vol-no-expiry': 'no readable backup-orchestrator:expires-at tag: delete it by hand once its drill is over',
      'vol-other-stack': 'not a drill resource of this stack',
    });
  });

  it('deletes nothing on a dry run, saying what it would delete', async () => {
    const backend = backendWith([resource('vol-old', 'ebs-volume', drillTags('2026-11-26T14:00:00Z'))]);

    const summary = await runDrillJanitor({ now: NOW, dryRun: true, regions: ['eu-west-1'] }, { stack: STACK, backendFor: () => backend });

    expect(backend.deleted).toEqual([]);
    expect(summary.outcomes).toEqual([{ region: 'eu-west-1', kind: 'ebs-volume', id: 'vol-old', drillId: 'drill-1', status: 'would-delete', reason: 'expired at 2026-11-26T14:00:00.000Z' }]);
  });

  it("records what cannot be deleted yet or at all, and a Region it cannot list, and still sweeps the other Regions", async () => {
    const primary = backendWith(
      [resource('bo-drill-b', 'rds-instance', drillTags('2026-11-26T14:00:00Z')), resource('vol-attached', 'ebs-volume', drillTags('2026-11-26T14:00:00Z'))],
      { 'bo-drill-b': new CleanupPendingError('still creating'), 'vol-attached': Object.assign(new Error('attached'), { name: 'VolumeInUse' }) },
    );
    const broken: DrillBackend = { ...backendWith([]), findDrillResources: async () => Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied' })) };
    const dr = backendWith([resource('vol-dr', 'ebs-volume', drillTags('2026-11-26T14:00:00Z'))]);
    const backends: Record<string, DrillBackend> = { 'eu-west-1': primary, 'eu-north-1': broken, 'eu-central-1': dr };

    const summary = await runDrillJanitor({ now: NOW, dryRun: false, regions: ['eu-west-1', 'eu-north-1', 'eu-central-1'] }, { stack: STACK, backendFor: (region) => backends[region] as DrillBackend });

    expect(summary).toMatchObject({ deleted: 1, pending: 1, failed: 2 });
    expect(summary.outcomes.map((outcome) => `${outcome.region} ${outcome.id} ${outcome.status}: ${outcome.reason}`)).toEqual([
      'eu-west-1 bo-drill-b pending: CleanupPendingError: still creating',
      'eu-west-1 vol-attached failed: VolumeInUse: attached',
      'eu-north-1 * failed: cannot list drill resources: AccessDenied: denied',
      'eu-central-1 vol-dr deleted: expired at 2026-11-26T14:00:00.000Z',
    ]);
  });
});
