/**
 * Snapshot-start throughput: a plan of N volumes through the real fan-out (the scheduled run queues the
 * slot, two workers drain it) against EC2's CreateSnapshot bucket (burst 100, 5/s), simulated by the fault
 * layer on a scaled clock. Figure: simulated time until the last create was accepted, over the lower bound
 * (N − burst) / refill.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ApiRateLimiter, useRateLimit } from '../shared/aws/api-rate-limiter.js';
import { Ec2SnapshotBackend } from '../shared/aws/ec2-snapshot-backend.js';
import { EC2_CATEGORY_SIZES } from '../shared/domain/api-rate-limits.js';
import { parsePlansFile } from '../shared/domain/plans-file.js';
import { CREATE_SNAPSHOTS_DEFAULTS, createQueuedSnapshots, createSnapshots, type SnapshotWorkItem } from '../shared/use-cases/create-snapshots.js';
import { FaultInjector } from '../tests/support/fault-injection.js';
import { scaledClock } from './scaled-clock.js';
import { SimulatedEc2 } from './simulated-ec2.js';

export interface ThroughputFigure {
  resources: number;
  simulatedSeconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  throttled: number;
  created: number;
  duplicates: number;
}

const WORKERS = 2;
const BATCH = 10;
/** Network and service time of one call, in simulated ms. */
const LATENCY_MS = 60;

const PLAN = parsePlansFile(`
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 * * * ? *) }
    rpo: 2h
    rto: 1h
    retention: { count: 7 }
`).plans[0];

function client(ec2: SimulatedEc2, faults: FaultInjector, limiter: ApiRateLimiter): EC2Client {
  const instance = new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, retryMode: 'adaptive', maxAttempts: 6, requestHandler: ec2.handler as never });
  useRateLimit(instance as never, limiter, 'eu-west-1');
  faults.attach(instance as never, 'eu-west-1');
  return instance;
}

export async function benchSnapshotThroughput(resources: number, scale = 50): Promise<ThroughputFigure> {
  const clock = scaledClock(scale);
  const ec2 = new SimulatedEc2(resources, { 'backup:plan': 'gold' });
  const faults = new FaultInjector({ throttle: { share: 1, overrides: {} }, clock, latencyMs: LATENCY_MS });
  const deps = { ...CREATE_SNAPSHOTS_DEFAULTS, stack: 'bench', sleep: clock.sleep };
  const queue: SnapshotWorkItem[] = [];

  // The scheduled run: its own container and limiter (share 0.95), lists the plan and queues the slot.
  const producer = new Ec2SnapshotBackend(client(ec2, faults, new ApiRateLimiter({ share: 0.95, overrides: {} }, clock)));
  await createSnapshots(
    { plan: PLAN as NonNullable<typeof PLAN>, slot: new Date('2026-11-26T11:00:00Z') },
    { ...deps, backends: [producer], fanOut: { queue: { enqueue: async (items) => void queue.push(...items) }, inlineMax: 20 } },
  );

  // Two workers (the event source's maximum concurrency), each with its own container's buckets (share 0.475).
  const workers = Array.from({ length: WORKERS }, async () => {
    const backend = new Ec2SnapshotBackend(client(ec2, faults, new ApiRateLimiter({ share: 0.475, overrides: {} }, clock)));
    while (queue.length) {
      const batch = queue.splice(0, BATCH).map((item) => ({ item, receiveCount: 1 }));
      const results = await createQueuedSnapshots(batch, { ...deps, backends: [backend] });
      queue.push(...results.filter((result) => result.retry).map((result) => result.item));
    }
  });
  await Promise.all(workers);

  const createdAt = faults.stats.lastPassedAt.get('ec2:CreateSnapshot') ?? Number.NaN;
  const { burst, refillPerSecond } = EC2_CATEGORY_SIZES['resource-create-delete'];
  const lowerBoundSeconds = Math.max(0, resources - burst) / refillPerSecond;
  const perVolume = new Map<string, number>();
  for (const snapshot of ec2.snapshots) perVolume.set(snapshot.volumeId, (perVolume.get(snapshot.volumeId) ?? 0) + 1);
  return {
    resources,
    simulatedSeconds: createdAt / 1000,
    lowerBoundSeconds,
    ratio: createdAt / 1000 / lowerBoundSeconds,
    throttled: faults.stats.throttled,
    created: perVolume.size,
    duplicates: ec2.snapshots.length - perVolume.size,
  };
}
