import { copyAttemptOf, copyStartedAtOf, formatInstant, isCopy, needsCompletionTag, sourcesWorthCopying, sourceTimeOf } from '../domain/copies.js';
import type { CopyRule, Plan } from '../domain/plan-schema.js';
import { TAG } from '../domain/recovery-point-tags.js';
import type { SnapshotKind, StoredSnapshot } from '../domain/recovery-points.js';
import { bestCopy, CopyRun, type CopyDeps, type Destination, type CopyOutcome, type CopyProblem, withRetry } from './copy-snapshots.js';

/** A source or a copy pending for longer than the stuck threshold. */
export interface StuckSnapshot {
  what: 'source' | 'copy';
  planId: string;
  kind: SnapshotKind;
  id: string;
  region: string;
  /** For a copy: the snapshot it copies. */
  sourceId?: string;
  pendingSince: string;
  pendingForMs: number;
}

/** A source whose copy to a Region errored on every allowed attempt: reported, left for investigation. */
export interface ExhaustedCopy {
  planId: string;
  kind: SnapshotKind;
  sourceId: string;
  region: string;
  copyId: string;
  attempts: number;
}

export interface ReconcileSummary {
  now: string;
  dryRun: boolean;
  /** Completed sources within the lookback whose plan copies them somewhere. */
  sources: number;
  /** (source, destination) pairs looked at. */
  pairs: number;
  /** Pairs with a completed copy. */
  copied: number;
  /** Pairs whose copy is still in flight. */
  inFlight: number;
  /** Pairs left without a copy because the copy rule's retention would not keep it (e.g. pruned there already). */
  notRetained: number;
  started: number;
  /** Of the started copies, those that replace an errored one. */
  redone: number;
  deferred: number;
  blocked: number;
  failed: number;
  skipped: number;
  /** Completed RDS copies whose completion time was recorded by this run (EBS reports its own). */
  completionsRecorded: number;
  exhausted: ExhaustedCopy[];
  stuck: StuckSnapshot[];
  problems: CopyProblem[];
  /** What this run could not look at or record (a DR Region it could not list, a tag it could not write). */
  warnings: string[];
  /** Every copy this run started, deferred, blocked, failed or skipped (pairs already copied are only counted). */
  outcomes: CopyOutcome[];
}

function pendingFor(now: Date, since: Date | undefined): { pendingSince: string; pendingForMs: number } | undefined {
  return since ? { pendingSince: formatInstant(since), pendingForMs: now.getTime() - since.getTime() } : undefined;
}

/**
 * The scheduled repair of cross-Region copies: starts the copies a lost event never started (newest
 * sources first, within the in-flight limit, and only those the copy rule's retention would keep),
 * deletes and redoes errored copies up to the attempt limit then reports them, records when RDS copies
 * completed (copy lag; EBS reports CompletionTime itself), and flags sources and copies stuck in pending. A dry run only reports.
 */
export async function reconcileCopies(request: { now: Date; dryRun?: boolean; seenAt?: () => Date }, deps: CopyDeps): Promise<ReconcileSummary> {
  const { now } = request;
  const run = new CopyRun(deps, now, Boolean(request.dryRun));
  const { settings } = deps;
  const summary: ReconcileSummary = {
    now: now.toISOString(),
    dryRun: run.dryRun,
    sources: 0,
    pairs: 0,
    copied: 0,
    inFlight: 0,
    notRetained: 0,
    started: 0,
    redone: 0,
    deferred: 0,
    blocked: 0,
    failed: 0,
    skipped: 0,
    completionsRecorded: 0,
    exhausted: [],
    stuck: [],
    problems: run.problems,
    warnings: [],
    outcomes: run.outcomes,
  };
  // Data Lifecycle Manager copies the snapshots of dlm plans itself (its policy's cross-Region copy rules).
  const plans = new Map(deps.plans.plans.filter((plan) => plan.copies.length && plan.engine === 'lambda').map((plan) => [plan.id, plan]));
  if (!plans.size) return summary;
  const planOf = (snapshot: StoredSnapshot): Plan | undefined => plans.get(snapshot.tags[TAG.plan] ?? '');
  const isStuck = (pending: { pendingForMs: number } | undefined) => pending !== undefined && pending.pendingForMs > settings.stuckAfterMs;

  const sources = (await withRetry(deps, () => deps.backend.listOurs(deps.plans.primaryRegion, deps.stack))).filter(
    (snapshot) => snapshot.tags[TAG.stack] === deps.stack && !isCopy(snapshot) && planOf(snapshot),
  );
  for (const source of sources) {
    const pending = source.state === 'pending' ? pendingFor(now, sourceTimeOf(source)) : undefined;
    if (isStuck(pending)) {
      summary.stuck.push({ what: 'source', planId: planOf(source)?.id ?? '', kind: source.kind, id: source.id, region: source.region, ...(pending as NonNullable<typeof pending>) });
    }
  }

  // Every DR Region once: record completions and flag stuck copies, whether or not a source needs them.
  const regions = [...new Set([...plans.values()].flatMap((plan) => plan.copies.map((rule) => rule.region)))];
  const reachable = new Set<string>();
  for (const region of regions) {
    let destination: Destination;
    try {
      destination = await run.destination(region);
      reachable.add(region);
    } catch (error) {
      summary.warnings.push(`cannot list the copies in ${region}, so none was checked or started there: ${(error as Error).name}: ${(error as Error).message}`);
      continue;
    }
    for (const copy of destination.copies) {
      if (copy.tags[TAG.stack] !== deps.stack) continue;
      if (copy.state === 'completed' && needsCompletionTag(copy) && !run.dryRun) {
        // RDS reports no completion time: when this run saw it completed is an upper bound, within one reconcile
        // interval. That is the clock's time, not the run's (`now` is its scheduled time, earlier when it runs
        // late), and never before the copy began.
        const seen = request.seenAt?.() ?? now;
        const startedAt = copyStartedAtOf(copy);
        try {
          await deps.backend.tagCopy(copy, { [TAG.copyCompletedAt]: formatInstant(startedAt && startedAt > seen ? startedAt : seen) });
          summary.completionsRecorded += 1;
        } catch (error) {
          summary.warnings.push(`cannot record the completion of copy ${copy.id} in ${region}: ${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      const pending = copy.state === 'pending' ? pendingFor(now, copyStartedAtOf(copy)) : undefined;
      if (isStuck(pending)) {
        summary.stuck.push({
          what: 'copy',
          planId: copy.tags[TAG.plan] ?? '',
          kind: copy.kind,
          id: copy.id,
          region,
          sourceId: copy.tags[TAG.sourceSnapshotId] ?? '',
          ...(pending as NonNullable<typeof pending>),
        });
      }
    }
  }

  const since = now.getTime() - settings.lookbackMs;
  const candidates = sources
    .filter((source) => source.state === 'completed' && (sourceTimeOf(source)?.getTime() ?? 0) >= since)
    .sort((a, b) => (sourceTimeOf(b)?.getTime() ?? 0) - (sourceTimeOf(a)?.getTime() ?? 0) || a.id.localeCompare(b.id));
  summary.sources = candidates.length;

  // First what each (source, DR Region) pair needs, then which of the needed copies the DR retention keeps.
  const needed: Array<{ source: StoredSnapshot; plan: Plan; rule: CopyRule; copies: StoredSnapshot[] }> = [];
  for (const source of candidates) {
    const plan = planOf(source) as Plan;
    for (const rule of plan.copies) {
      if (!reachable.has(rule.region)) continue;
      summary.pairs += 1;
      const copies = (await run.destination(rule.region)).copiesOf(source);
      const state = bestCopy(copies)?.state;
      if (state === 'completed') summary.copied += 1;
      else if (state === 'pending') summary.inFlight += 1;
      else needed.push({ source, plan, rule, copies });
    }
  }
  const worth = new Map<string, Set<string>>();
  for (const { plan, rule } of needed) {
    const key = `${plan.id}|${rule.region}`;
    if (worth.has(key)) continue;
    worth.set(
      key,
      sourcesWorthCopying({
        sources: needed.filter((pair) => pair.plan === plan && pair.rule === rule).map((pair) => pair.source),
        inRegion: (await run.destination(rule.region)).copies,
        rule,
        planId: plan.id,
        stack: deps.stack,
        now,
      }),
    );
  }

  for (const { source, plan, rule, copies } of needed) {
    if (!worth.get(`${plan.id}|${rule.region}`)?.has(source.id)) {
      summary.notRetained += 1;
    } else if (copies.length) {
      const attempts = Math.max(...copies.map(copyAttemptOf));
      if (attempts >= settings.maxAttempts) {
        summary.exhausted.push({ planId: plan.id, kind: source.kind, sourceId: source.id, region: rule.region, copyId: (bestCopy(copies) as StoredSnapshot).id, attempts });
      } else {
        await run.copy(source, plan, rule, attempts + 1, copies);
      }
    } else {
      await run.copy(source, plan, rule, 1);
    }
  }

  for (const outcome of run.outcomes) {
    if (outcome.status === 'started') {
      summary.started += 1;
      if (outcome.replaces) summary.redone += 1;
    } else if (outcome.status === 'already-copied') {
      summary.inFlight += 1;
    } else {
      summary[outcome.status] += 1;
    }
  }
  return summary;
}
