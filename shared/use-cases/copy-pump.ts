import { copyServiceOf, type CopyService } from '../domain/copies.js';
import { classifyFailure } from '../domain/failure-classification.js';
import type { CopyRule, Plan } from '../domain/plan-schema.js';
import { TAG } from '../domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../domain/recovery-points.js';
import { bestCopy, CopyRun, withRetry, type BacklogCopy, type CopyBackend, type CopyDeps, type CopyOutcome } from './copy-snapshots.js';

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
  /** A dry run starts no copy and removes no backlog entry; `wouldStart` says what it would have started. */
  dryRun: boolean;
  waiting: number;
  received: number;
  started: number;
  wouldStart: number;
  alreadyCopied: number;
  /** Still no free slot: back in the backlog for the next run. */
  deferred: number;
  /** The plan or its copy rule for that Region is gone, or the source snapshot is: nothing to copy any more. */
  dropped: number;
  failed: number;
  /** What this run could not look at: a DR Region it could not list, whose entries stay in the backlog. */
  warnings: string[];
  outcomes: CopyOutcome[];
}

/** SQS hands out at most 10 messages a call. */
const RECEIVE = 10;
/** Entries settled together: one listing of their copies per Region and one look-up of their sources a round. */
const ROUND = 20;

/** Up to ROUND entries from the backlog, in as few receives as it takes; fewer when it runs dry. */
async function receiveRound(backlog: CopyBacklogReader): Promise<BacklogEntry[]> {
  const entries: BacklogEntry[] = [];
  while (entries.length < ROUND) {
    const asked = Math.min(RECEIVE, ROUND - entries.length);
    const batch = await backlog.receive(asked);
    entries.push(...batch);
    if (batch.length < asked) break;
  }
  return entries;
}

/** The sources of these entries as their Region holds them now, by Region and id: one batched look-up per source Region. */
async function rereadSources(backend: CopyBackend, deps: Pick<CopyDeps, 'retry'>, sources: readonly StoredSnapshot[]): Promise<Map<string, StoredSnapshot>> {
  const found = new Map<string, StoredSnapshot>();
  const byRegion = new Map<string, StoredSnapshot[]>();
  for (const source of sources) byRegion.set(source.region, [...(byRegion.get(source.region) ?? []), source]);
  for (const [region, regionSources] of byRegion) {
    const refs = [...new Map(regionSources.map((source) => [`${source.kind}|${source.id}`, { kind: source.kind, id: source.id }])).values()];
    const snapshots = await withRetry(deps, () => backend.describeMany(region, refs));
    for (const snapshot of snapshots) found.set(`${region}|${snapshot.kind}|${snapshot.id}`, snapshot);
  }
  return found;
}

/**
 * The copy pump, run every minute by a schedule: fills the free copy slots of each DR Region from the backlog
 * of copies that found none when their source completed, so slots never wait for the next reconcile. It
 * looks only at what it needs — our copies in flight in the Regions of the entries it received, our copies
 * of those sources, and (one batched look-up a round of up to 20 entries) the sources themselves, so a source deleted since it
 * was queued is dropped, not copied — and stops as soon as a batch starts nothing, leaving the rest for the
 * next minute. A dry run starts nothing and removes no entry; it reports what it would start.
 */
export async function pumpCopies(
  request: { now: Date; dryRun?: boolean },
  deps: Omit<CopyDeps, 'backlog'> & { backlog: CopyBacklogReader; remainingTimeMs?: () => number },
): Promise<CopyPumpSummary> {
  const dryRun = Boolean(request.dryRun);
  const summary: CopyPumpSummary = {
    now: request.now.toISOString(),
    dryRun,
    waiting: 0,
    received: 0,
    started: 0,
    wouldStart: 0,
    alreadyCopied: 0,
    deferred: 0,
    dropped: 0,
    failed: 0,
    warnings: [],
    outcomes: [],
  };
  const { backlog, remainingTimeMs, ...copyDeps } = deps;
  summary.waiting = await backlog.waiting();
  if (!summary.waiting) return summary;
  const { backend } = deps;
  // Without a backlog writer: a copy that still finds no slot stays where it is, in the backlog.
  const run = new CopyRun(copyDeps, request.now, dryRun);
  const seeded = new Map<string, Set<CopyService>>();

  while (!remainingTimeMs || remainingTimeMs() > 30_000) {
    const entries = await receiveRound(backlog);
    if (!entries.length) break;
    summary.received += entries.length;
    const byRegion = new Map<string, BacklogEntry[]>();
    for (const entry of entries) byRegion.set(entry.copy.region, [...(byRegion.get(entry.copy.region) ?? []), entry]);

    const settled: BacklogEntry[] = [];
    const toCopy: Array<{ entry: BacklogEntry; plan: Plan; rule: CopyRule }> = [];
    let startedNow = 0;
    // Entries of a Region that could not be listed: they wait for the Region, not for a slot.
    let unlisted = 0;
    for (const [region, regionEntries] of byRegion) {
      const services = new Set(regionEntries.map((entry) => copyServiceOf(entry.copy.source.kind)));
      let existing: StoredSnapshot[];
      try {
        const known = seeded.get(region);
        if (!known || [...services].some((service) => !known.has(service))) {
          const all = new Set([...(known ?? []), ...services]);
          run.seedDestination(region, await withRetry(deps, () => backend.listInFlight(region, deps.stack, all)));
          seeded.set(region, all);
        }
        // Every slot these entries need is taken: leave them in the backlog without looking any further.
        const destination = await run.destination(region);
        if ([...services].every((service) => destination.freeSlots(service) === 0)) {
          for (const entry of regionEntries) {
            const { source, planId } = entry.copy;
            const reason = destination.noRoom(copyServiceOf(source.kind)) ?? 'no free copy slot';
            run.record({ planId, sourceId: source.id, kind: source.kind, region, status: 'deferred', reason });
          }
          continue;
        }
        existing = await withRetry(deps, () => backend.listCopiesOf(region, deps.stack, regionEntries.map((entry) => entry.copy.source)));
      } catch (error) {
        // One Region that cannot be listed (a denying policy, a Region switched off) must not stop the others:
        // its entries stay in the backlog until it answers, as the reconciler leaves such a Region with a warning.
        const failure = classifyFailure(error);
        const reason = `cannot list the copies in ${region}: ${failure.name}: ${failure.message}`;
        summary.warnings.push(`${reason}; ${regionEntries.length} waiting copies stay in the backlog`);
        unlisted += regionEntries.length;
        for (const entry of regionEntries) {
          const { source, planId } = entry.copy;
          run.record({ planId, sourceId: source.id, kind: source.kind, region, status: 'deferred', reason });
        }
        continue;
      }
      for (const entry of regionEntries) {
        const { source, planId } = entry.copy;
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
        toCopy.push({ entry, plan, rule });
      }
    }
    // The source may have been pruned since it was queued: read it again, once for the whole round.
    const current = toCopy.length ? await rereadSources(backend, deps, toCopy.map(({ entry }) => entry.copy.source)) : new Map<string, StoredSnapshot>();
    for (const { entry, plan, rule } of toCopy) {
      const { source, attempt } = entry.copy;
      const fresh = current.get(`${source.region}|${source.kind}|${source.id}`);
      if (!fresh || fresh.tags[TAG.stack] !== deps.stack) {
        const why = fresh ? `no longer carries ${TAG.stack}=${deps.stack}` : `no longer exists in ${source.region}`;
        run.record({ planId: plan.id, sourceId: source.id, kind: source.kind, region: rule.region, status: 'skipped', reason: `source snapshot ${why}: nothing to copy` });
        summary.dropped += 1;
        settled.push(entry);
        continue;
      }
      const outcome = await run.copy(fresh, plan, rule, attempt);
      if (outcome.status === 'started') startedNow += 1;
      // In a dry run the copy stops at "would start" (a skipped outcome) and holds a slot in this run, like a start.
      if (dryRun && outcome.status === 'skipped') {
        startedNow += 1;
        summary.wouldStart += 1;
      }
      if (outcome.status !== 'deferred') settled.push(entry);
    }
    if (!dryRun) await backlog.remove(settled);
    // A round that started nothing found every slot it needs taken: the rest waits for the next run. Entries
    // only waiting for an unlistable Region are no such sign: the next round may hold other Regions' copies.
    if (startedNow === 0 && settled.length + unlisted < entries.length) break;
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
