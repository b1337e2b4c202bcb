import { describe, expect, it, jest } from '@jest/globals';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import type { DailyReportDeps } from '../../../shared/use-cases/daily-report.js';
import { lambdaContext, useHandlerEnvironment } from '../../support/lambda.js';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-26T07:00:00Z');
const STACK = 'backup-orchestrator-test';

function point(resourceId: string, hoursAgo: number): StoredSnapshot {
  return {
    kind: 'ebs',
    id: `snap-${resourceId}`,
    region: 'eu-west-1',
    state: 'completed',
    status: 'completed',
    sizeGiB: 10,
    tags: {
      [TAG.stack]: STACK,
      [TAG.plan]: 'gold',
      [TAG.resourceId]: resourceId,
      [TAG.resourceType]: 'ebs-volume',
      [TAG.slot]: `${new Date(NOW.getTime() - hoursAgo * HOUR).toISOString().slice(0, 16)}Z`,
    },
  };
}

// vol-gone was deleted 3 days ago: its last point is kept and ages forever. vol-late exists and is 10 h old.
jest.unstable_mockModule('../../../shared/aws/report-sources.js', () => ({
  reportSources: (): Pick<DailyReportDeps, 'inventory' | 'snapshots' | 'activity' | 'dlmTargets'> => ({
    inventory: async () => [
      { type: 'ebs-volume', id: 'vol-late', tags: { 'backup:plan': 'gold' }, coveredBy: [] },
      { type: 'ebs-volume', id: 'vol-new', tags: { 'backup:plan': 'gold' }, coveredBy: [], createdAt: new Date(NOW.getTime() - HOUR) },
    ],
    snapshots: async (region) => (region === 'eu-west-1' ? [point('vol-gone', 72), point('vol-late', 10)] : []),
    activity: async () => [],
    dlmTargets: async () => [],
  }),
}));

describe('report handler', () => {
  it('publishes the RPO metrics the alarms watch from what the email counts: not a deleted resource, nor a new one', async () => {
    // Prepare
    useHandlerEnvironment({
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1',
      plansYaml: `
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
`,
    });
    const added: Array<[string, number]> = [];
    const spy = jest.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, name, _unit, value) {
      added.push([name, value]);
      return this;
    });
    const { handler } = (await import('../../../functions/report.js')) as unknown as {
      handler: (event: unknown, context: Context) => Promise<{ headline: string; problems: number }>;
    };

    // Act
    const result = await handler({ scheduledTime: NOW.toISOString(), send: false }, lambdaContext('report'));
    spy.mockRestore();

    // Assess: one breach (vol-late), in the email and in the metrics alike; the oldest age is vol-late's, not vol-gone's.
    expect(result.headline).toBe('2 problems: 1 RPO breach, 1 stale drill');
    expect(added.filter(([name]) => name.startsWith('Rpo'))).toEqual([
      ['RpoBreaches', 1],
      ['RpoAgeSeconds', 10 * 3600],
    ]);
  });
});
