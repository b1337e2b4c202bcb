import { describe, expect, it, jest } from '@jest/globals';
import { resourceKey, type StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { lambdaContext, useHandlerEnvironment } from '../../support/lambda.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-26T07:00:00Z');
const STACK = 'backup-orchestrator-test';
/** How many volumes the listing holds, and how many daily points each. */
let volumes = 0;
let pointsPerVolume = 40;

function listing(): StoredSnapshot[] {
  return Array.from({ length: volumes * pointsPerVolume }, (_, index) => {
    const volume = `vol-${String(Math.floor(index / pointsPerVolume)).padStart(6, '0')}`;
    return {
      kind: 'ebs',
      id: `snap-${String(index).padStart(9, '0')}`,
      region: 'eu-west-1',
      state: 'completed',
      status: 'completed',
      tags: {
        [TAG.stack]: STACK,
        [TAG.plan]: 'gold',
        [TAG.resourceId]: volume,
        [TAG.resourceType]: 'ebs-volume',
        [TAG.slot]: `${new Date(NOW.getTime() - (index % pointsPerVolume) * DAY - 5 * 3_600_000).toISOString().slice(0, 11)}02:00Z`,
      },
    };
  });
}

// The account in memory: nothing reaches AWS.
jest.unstable_mockModule('../../../shared/aws/snapshot-catalog.js', () => ({
  SnapshotCatalog: class {
    async listOurs() {
      return listing();
    }
  },
}));
jest.unstable_mockModule('../../../shared/aws/source-inventory.js', () => ({
  AwsSourceInventory: class {
    async existing(resources: ReadonlyArray<{ type: string | undefined; id: string }>) {
      return new Set(resources.map((resource) => resourceKey(resource as Parameters<typeof resourceKey>[0])));
    }
  },
}));

describe('prune handler, dry run', () => {
  useHandlerEnvironment({
    endpoint: 'http://127.0.0.1:9',
    region: 'eu-west-1',
    plansYaml: `
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 2 * * ? *) }
    rpo: 26h
    rto: 1h
    retention: { count: 30 }
`,
  });
  const event = { scheduledTime: NOW.toISOString(), dryRun: true };

  it('answers every planned point of a small estate', async () => {
    volumes = 3;
    const { handler } = await import('../../../functions/prune.js');

    const summary = await handler(event, lambdaContext('prune'));

    const plan = summary.regions[0]?.plans[0] as { resources: Array<{ points: unknown[] }> };
    expect(plan.resources.map((resource) => resource.points.length)).toEqual([40, 40, 40]);
  });

  it('answers totals for an estate whose full plan would pass Lambda\'s 6 MB answer, so the dry run still answers', async () => {
    volumes = 2_000;
    const { handler } = await import('../../../functions/prune.js');

    const summary = await handler(event, lambdaContext('prune'));

    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(6 * 1024 * 1024);
    expect(summary.regions[0]?.plans[0]).toMatchObject({ planId: 'gold', resources: 2_000, keep: 60_000, delete: 20_000 });
  });

  it('still answers when it would delete 70,000 snapshots (a retention cut), listing the first 1,000 and how many it left out', async () => {
    volumes = 2_000;
    pointsPerVolume = 65;
    const { handler } = await import('../../../functions/prune.js');

    const summary = await handler(event, lambdaContext('prune'));

    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(6 * 1024 * 1024);
    expect(summary.regions[0]).toMatchObject({ outcomesLeftOut: 69_000 });
    expect(summary.regions[0]?.outcomes).toHaveLength(1_000);
    expect(summary.regions[0]?.plans[0]).toMatchObject({ planId: 'gold', resources: 2_000, keep: 60_000, delete: 70_000 });
  });
});
