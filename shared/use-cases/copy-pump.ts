import { copyServiceOf, type CopyService } from '../domain/copies.js';
import { TAG } from '../domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../domain/recovery-points.js';
import { bestCopy, CopyRun, withRetry, type BacklogCopy, type CopyDeps, type CopyOutcome } from './copy-snapshots.js';

/** One waiting copy as the backlog hands it out; `receipt` lets the pump remove it once it is settled. */
export interface BacklogEntry {
  copy: BacklogCopy;
  receipt: string;
}

/** The copy backlog as the pump reads it (an SQS queue: received entries stay invisible for a while). */
export interface CopyBacklogReader {
  /** About how many copies wait; 0 lets the pump stop before any EC2 or RDS call. */
  waiting(): Promise<number>;
  receive(max: number): Promise<BacklogEntry[]>;
  remove(entries: readonly BacklogEntry[]): Promise<void>;
}

export interface CopyPumpSummary {
  now: string;
  waiting: number;
  received: number;
  started: number;
  alreadyCopied: number;
  /** Still no free slot: back in the backlog for the next run. */
  deferred: number;
  /** The plan or its copy rule for that Region is gone: nothing to copy any more. */
  dropped: number;
  failed: number;
  outcomes: CopyOutcome[];
}

const RECEIVE = 10;

/**
 * The copy pump, run every minute by a schedule: fills the free copy slots of each DR Region from the backlog
 * of copies that found none when their source completed, so slots never wait for the next reconcile. It
 * looks only at what it needs — our copies in flight in the Regions of the entries it received, and our copies
 * of those sources — and stops as soon as a batch starts nothing, leaving the rest for the next minute.
 */
export async function pumpCopies(
  request: { now: Date },
  deps: Omit<CopyDeps, 'backlog'> & { backlog: CopyBacklogReader; remainingTimeMs?: () => number },
): Promise<CopyPumpSummary> {
  const summary: CopyPumpSummary = { now: request.now.toISOString(), waiting: 0, received: 0, started: 0, alreadyCopied: 0, deferred: 0, dropped: 0, failed: 0, outcomes: [] };
  const { backlog, remainingTimeMs, ...copyDeps } = deps;
  summary.waiting = await backlog.waiting();
  if (!summary.waiting) return summary;
  const { backend } = deps;
  if (!backend.listInFlight || !backend.listCopiesOf) throw new Error('the copy pump needs a backend that lists copies in flight');
  // Without a backlog writer: a copy that still finds no slot stays where it is, in the backlog.
  const run = new CopyRun(copyDeps, request.now, false);
  const seeded = new Map<string, Set<CopyService>>();

  while (!remainingTimeMs || remainingTimeMs() > 30_000) {
    const entries = await backlog.receive(RECEIVE);
    if (!entries.length) break;
    summary.received += entries.length;
    const byRegion = new Map<string, BacklogEntry[]>();
    for (const entry of entries) byRegion.set(entry.copy.region, [...(byRegion.get(entry.copy.region) ?? []), entry]);

    const settled: BacklogEntry[] = [];
    let startedNow = 0;
    for (const [region, regionEntries] of byRegion) {
      const services = new Set(regionEntries.map((entry) => copyServiceOf(entry.copy.source.kind)));
      const known = seeded.get(region);
      if (!known || [...services].some((service) => !known.has(service))) {
        const all = new Set([...(known ?? []), ...services]);
        run.seedDestination(region, await withRetry(deps, () => (backend.listInFlight as NonNullable<typeof backend.listInFlight>).call(backend, region, deps.stack, all)));
        seeded.set(region, all);
      }
      const existing = await withRetry(deps, () =>
        (backend.listCopiesOf as NonNullable<typeof backend.listCopiesOf>).call(backend, region, deps.stack, regionEntries.map((entry) => entry.copy.source)),
      );
      for (const entry of regionEntries) {
        const { source, planId, attempt } = entry.copy;
        const plan = deps.plans.plans.find((candidate) => candidate.id === planId);
        const rule = plan?.copies.find((candidate) => candidate.region === region);
        if (!plan || !rule || plan.engine !== 'lambda') {
          summary.dropped += 1;
          settled.push(entry);
          continue;
        }
        const copies = existing.filter((copy: StoredSnapshot) => copy.tags[TAG.sourceSnapshotId] === source.id);
        const best = bestCopy(copies);
        if (best) {
          run.record({ planId, sourceId: source.id, kind: source.kind, region, status: 'already-copied', copyId: best.id, state: best.state });
          settled.push(entry);
          continue;
        }
        const outcome = await run.copy(source, plan, rule, attempt);
        if (outcome.status === 'started') startedNow += 1;
        if (outcome.status !== 'deferred') settled.push(entry);
      }
    }
    await backlog.remove(settled);
    // A batch that started nothing found every slot it needs taken: the rest waits for the next run.
    if (startedNow === 0 && settled.length < entries.length) break;
  }

  summary.outcomes = run.outcomes;
  for (const outcome of run.outcomes) {
    if (outcome.status === 'started') summary.started += 1;
    else if (outcome.status === 'already-copied') summary.alreadyCopied += 1;
    else if (outcome.status === 'deferred') summary.deferred += 1;
    else if (outcome.status === 'failed' || outcome.status === 'blocked') summary.failed += 1;
  }
  return summary;
}
