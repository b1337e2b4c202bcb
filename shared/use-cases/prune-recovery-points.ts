/**
 * Retention with safety rails, one Region at a time: list our snapshots, group them into recovery points,
 * plan with the pure retention planner, delete what it expires (oldest first, within a budget and the
 * invocation's time) and report every decision and every snapshot's outcome.
 */
import { isNamedAsOurs } from '../domain/copies.js';
import { classifyFailure } from '../domain/failure-classification.js';
import type { Plan, PlansConfig, ResourceType } from '../domain/plan-schema.js';
import { CLOCK_SKEW_MS } from '../domain/durations.js';
import { formatSlot, parseSlot, TAG } from '../domain/recovery-point-tags.js';
import { groupRecoveryPoints, isDlmSnapshot, resourceKey, type StoredRecoveryPoint, type StoredSnapshot } from '../domain/recovery-points.js';
import {
  planRetentionForMany,
  type DeleteReason,
  type KeepReason,
  type PointState,
  type RetentionDecision,
  type RetentionPolicy,
} from '../domain/retention-planner.js';
import { previousOccurrence } from '../domain/schedule-expression.js';
import { retryTransient, TRANSIENT_RETRY_DEFAULTS, type TransientRetry } from './retry-transient.js';

// ---------------------------------------------------------------------------------------------------------
// Ports

/** Lists the snapshots carrying our ownership tag in one Region (SnapshotCatalog). */
export interface RecoveryPointCatalog {
  listOurs(query: { stack: string }): Promise<StoredSnapshot[]>;
}

/** Tells which source resources still exist in the primary Region. */
export interface SourceInventory {
  /** The given resources that still exist, by resourceKey; a resource of unknown type must be reported as existing. */
  existing(resources: ReadonlyArray<{ type: ResourceType | undefined; id: string }>): Promise<Set<string>>;
}

export type DeleteResult = { status: 'deleted' } | { status: 'already-gone' } | { status: 'in-use'; reason: string };

/** Deletes one snapshot; refuses (throws) one whose stored tags do not carry our ownership tag, or that DLM made. */
export interface SnapshotDeleter {
  delete(snapshot: StoredSnapshot, stack: string): Promise<DeleteResult>;
}

// ---------------------------------------------------------------------------------------------------------
// Report

/** Keep reasons of the planner, plus why a whole plan's points were left alone. */
/** `copy-pending`: a primary point whose copy to a DR Region is still running keeps its source until the copy is done. */
/** `copy-state-unknown`: the same, when a DR Region the plan copies to could not be listed this run. */
export type PruneKeepReason = KeepReason | 'orphaned-plan' | 'no-rule-for-region' | 'dlm-engine' | 'not-a-recovery-point' | 'copy-pending' | 'copy-state-unknown';

export type SnapshotOutcomeStatus = 'deleted' | 'already-gone' | 'skipped-in-use' | 'failed' | 'would-delete';

export interface SnapshotOutcome {
  snapshotId: string;
  kind: StoredSnapshot['kind'];
  region: string;
  planId: string;
  resourceId: string;
  pointId: string;
  status: SnapshotOutcomeStatus;
  errorName?: string;
  reason?: string;
}

/**
 * What happened to a point the plan deletes; `not-started` when the budget or the time ran out first;
 * `failed-attempts-deleted` when only the failed copy attempts of an error point went, because a retry of
 * the same source snapshot completed (the point is planned again, as completed, on the next run).
 */
export type PointOutcome = 'deleted' | 'partly-deleted' | 'not-deleted' | 'would-delete' | 'not-started' | 'failed-attempts-deleted';

export interface PrunePointReport {
  id: string;
  slot: string;
  time: string;
  state: PointState;
  snapshotIds: string[];
  action: 'keep' | 'delete';
  /** Keep reasons (in the planner's order), or the one delete reason. */
  reasons: Array<PruneKeepReason | DeleteReason>;
  outcome?: PointOutcome;
}

export interface PruneResourceReport {
  resourceId: string;
  resourceType: ResourceType | undefined;
  sourceExists: boolean;
  latestScheduledBackupFailed: boolean;
  /** Why the latest scheduled backup counts as failed, for the operator. */
  failedBecause?: string;
  /** Newest first. */
  points: PrunePointReport[];
}

export type PlanStatus = 'planned' | 'orphaned' | 'no-rule-for-region' | 'dlm-engine' | 'unrecognised';

export interface PrunePlanReport {
  planId: string;
  status: PlanStatus;
  /** Whose retention applied: the plan's own (primary Region) or its copy rule's (DR Region). */
  policy?: 'plan' | 'copy';
  resources: PruneResourceReport[];
}

export interface PruneCounts {
  points: number;
  keep: number;
  delete: number;
  pointsDeleted: number;
  snapshotsDeleted: number;
  alreadyGone: number;
  skippedInUse: number;
  failed: number;
  wouldDelete: number;
}

export interface PruneRegionSummary {
  region: string;
  role: 'primary' | 'dr';
  now: string;
  dryRun: boolean;
  budget: number;
  plans: PrunePlanReport[];
  outcomes: SnapshotOutcome[];
  counts: PruneCounts;
  /** True when deletions remain because the budget or the time ran out; the next scheduled run continues. */
  continuation: boolean;
  stoppedBecause?: 'budget' | 'time';
  remaining: { points: number; snapshots: number };
  /** DR Region: the source snapshots (in the primary Region) of our copies here that are still pending. */
  pendingCopySources: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Use case

export interface PruneRequest {
  config: PlansConfig;
  region: string;
  /** The run's clock: the schedule's scheduled time in Lambda, so a sandbox can simulate any moment. */
  now: Date;
  dryRun?: boolean;
  /** Most snapshot deletions this run may make in this Region. */
  budget: number;
  /**
   * Primary Region: source snapshots whose copy to a DR Region is still pending. Their points are kept
   * (`copy-pending`): a copy must not lose its source half-way, which would leave the DR Region nothing.
   */
  pendingCopySources?: ReadonlySet<string>;
  /**
   * Primary Region: DR Regions whose copies could not be listed this run, so their pending copies are not
   * known. A point the plan copies to one of them is kept (`copy-state-unknown`) rather than risk its copy.
   */
  unlistedCopyRegions?: ReadonlySet<string>;
}

export interface PruneDeps {
  stack: string;
  /** Tries per listing and per deletion after a transient failure (TRANSIENT_RETRY_DEFAULTS). */
  retry?: TransientRetry;
  catalog: RecoveryPointCatalog;
  /** Bound to the primary Region, whatever Region is pruned. */
  sources: SourceInventory;
  deleter: SnapshotDeleter;
  /** Remaining invocation time; no point is started with less than `reserveMs` left. */
  remainingTimeMs?: () => number;
  reserveMs?: number;
  /** How long after a slot its recovery point may still be missing before the slot counts as missed. */
  missedSlotGraceMs?: number;
  onOutcome?: (outcome: SnapshotOutcome) => void;
}

export const PRUNE_DEFAULTS = {
  budget: 500,
  reserveMs: 60_000,
  missedSlotGraceMs: 3_600_000,
} as const;

/**
 * The snapshots to delete for a point. An error point whose failed copies were retried successfully (same
 * source snapshot) loses only the failed attempts: the completed retry is a good copy, never cleanup.
 */
function deletionTargets(point: StoredRecoveryPoint, reason: PrunePointReport['reasons'][number]): { snapshots: StoredSnapshot[]; attemptsOnly: boolean } {
  if (reason !== 'error-past-grace') return { snapshots: point.snapshots, attemptsOnly: false };
  const retried = new Set(point.snapshots.filter((s) => s.state === 'completed').map((s) => s.tags[TAG.sourceSnapshotId]).filter(Boolean));
  const failed = point.snapshots.filter((s) => s.state === 'error');
  if (retried.size === 0 || failed.length === 0 || !failed.every((s) => retried.has(s.tags[TAG.sourceSnapshotId]))) return { snapshots: point.snapshots, attemptsOnly: false };
  return { snapshots: failed, attemptsOnly: true };
}

/**
 * A point with a snapshot still in flight is planned as pending (kept whole): deleting its settled snapshots
 * would leave the pending one to complete alone, as a "completed" point of the resource that it is not.
 */
function unsettledAsPending(point: StoredRecoveryPoint): StoredRecoveryPoint {
  return point.state !== 'pending' && point.snapshots.some((snapshot) => snapshot.state === 'pending') ? { ...point, state: 'pending' } : point;
}

interface Deletion {
  point: StoredRecoveryPoint;
  report: PrunePointReport;
}

const byTimeThenId = (a: StoredRecoveryPoint, b: StoredRecoveryPoint) =>
  a.time.getTime() - b.time.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function pointReport(point: StoredRecoveryPoint, decision: RetentionDecision | { action: 'keep'; reasons: PruneKeepReason[] }): PrunePointReport {
  return {
    id: point.id,
    slot: point.slot,
    time: point.time.toISOString(),
    state: point.state,
    snapshotIds: point.snapshots.map((snapshot) => snapshot.id),
    action: decision.action,
    reasons: decision.action === 'keep' ? [...decision.reasons] : [decision.reason],
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Every point of every resource kept for one reason: a plan we do not (or may not) prune here. */
function keepAll(planId: string, status: PlanStatus, reason: PruneKeepReason, points: StoredRecoveryPoint[]): PrunePlanReport {
  const resources = [...groupBy(points, (point) => point.resourceId).entries()].map(([resourceId, resourcePoints]) => ({
    resourceId,
    resourceType: resourcePoints[0]?.resourceType,
    sourceExists: true,
    latestScheduledBackupFailed: false,
    points: [...resourcePoints].sort(byTimeThenId).reverse().map((point) => pointReport(point, { action: 'keep', reasons: [reason] })),
  }));
  return { planId, status, resources };
}

/**
 * The latest scheduled backup of a resource failed when its newest point of ours is in error, or (primary
 * Region, source still there) when no completed point covers the latest slot whose grace has passed.
 */
function latestBackupFailure(
  points: readonly StoredRecoveryPoint[],
  plan: Plan,
  check: { missedSlots: boolean; now: Date; graceMs: number },
): string | undefined {
  const sorted = [...points].sort(byTimeThenId);
  const newest = sorted.at(-1);
  if (newest?.state === 'error') return `its newest recovery point (${newest.slot}) is in error or incomplete`;
  if (!check.missedSlots) return undefined;
  const expected = previousOccurrence(plan.schedule.expression, new Date(check.now.getTime() - check.graceMs), plan.schedule.timezone);
  if (!expected) return undefined;
  const newestCompleted = sorted.filter((point) => point.state === 'completed').at(-1);
  if (!newestCompleted) return `no completed recovery point for slot ${formatSlot(expected)}`;
  if (newestCompleted.time.getTime() < expected.getTime()) {
    return `slot ${formatSlot(expected)} was missed (newest completed recovery point is ${newestCompleted.slot})`;
  }
  return undefined;
}

/** The Regions prune visits for these plans: the primary Region, then every DR Region, each once. */
/** The source snapshots (in the primary Region) of the copies in `region` that are still pending. */
function pendingCopySourcesIn(snapshots: readonly StoredSnapshot[], region: string): string[] {
  return [...new Set(snapshots.filter((snapshot) => snapshot.region === region && snapshot.state === 'pending').flatMap((snapshot) => snapshot.tags[TAG.sourceSnapshotId] ?? []))];
}

export function pruneRegionsOf(config: PlansConfig): string[] {
  return [...new Set([config.primaryRegion, ...config.plans.flatMap((plan) => plan.copies.map((copy) => copy.region))])];
}

/** The Region's snapshots that carry this stack's ownership tag (transient failures retried). */
async function listOurSnapshots(deps: Pick<PruneDeps, 'catalog' | 'stack' | 'retry'>): Promise<StoredSnapshot[]> {
  const snapshots = await retryTransient(() => deps.catalog.listOurs({ stack: deps.stack }), deps.retry ?? TRANSIENT_RETRY_DEFAULTS);
  return snapshots.filter((snapshot) => snapshot.tags[TAG.stack] === deps.stack);
}

/**
 * Prunes one Region. Never deletes a snapshot without our ownership tag, of a plan missing from the plans
 * file, of a plan without a rule for this Region, or that the planner keeps; deletes points oldest first
 * (so an interrupted run leaves the newest), never starts a point it cannot finish within the budget,
 * and reports `continuation` with what remains when the budget or the time runs out.
 */
export async function pruneRecoveryPoints(request: PruneRequest, deps: PruneDeps): Promise<PruneRegionSummary> {
  const { config, region, now } = request;
  const dryRun = Boolean(request.dryRun);
  const role = region === config.primaryRegion ? 'primary' : 'dr';
  const graceMs = deps.missedSlotGraceMs ?? PRUNE_DEFAULTS.missedSlotGraceMs;

  const retry = deps.retry ?? TRANSIENT_RETRY_DEFAULTS;
  const listed = await listOurSnapshots(deps);
  // An RDS snapshot carrying our tags but not the name we give (someone's own, with our tags copied): hands off.
  const snapshots = listed.filter((snapshot) => isNamedAsOurs(snapshot));
  const namedOtherwise = groupRecoveryPoints(listed.filter((snapshot) => !isNamedAsOurs(snapshot))).filter((point) => point.region === region);
  const points = groupRecoveryPoints(snapshots).filter((point) => point.region === region);
  // DLM's policy owns the retention of what it made, whatever engine the plan runs on now: never planned here.
  const madeByDlm = (point: StoredRecoveryPoint) => point.snapshots.some(isDlmSnapshot);
  const dlmPointsByPlan = groupBy(points.filter(madeByDlm), (point) => point.planId);
  // A point's time comes from its slot tag (never the service's clock): without a readable one, hands off. A
  // slot later than this run (beyond clock skew) was written by a replayed or mistaken run: its time is not trusted.
  const readable = (point: StoredRecoveryPoint) =>
    Boolean(point.tags[TAG.resourceId]) && (parseSlot(point.slot)?.getTime() ?? Number.POSITIVE_INFINITY) <= now.getTime() + CLOCK_SKEW_MS;
  const recognised = points.filter((point) => !madeByDlm(point) && readable(point));
  const unrecognised = [...points.filter((point) => !madeByDlm(point) && !readable(point)), ...namedOtherwise];

  // Existence is asked once for every resource of the Region, in the primary Region.
  const pointResource = (point: StoredRecoveryPoint) => ({ type: point.resourceType, id: point.resourceId });
  const resourceKeys = new Map(recognised.map((point) => [resourceKey(pointResource(point)), pointResource(point)]));
  const existing = resourceKeys.size ? await retryTransient(() => deps.sources.existing([...resourceKeys.values()]), retry) : new Set<string>();

  const plans: PrunePlanReport[] = [];
  const deletions: Deletion[] = [];
  for (const [planId, planPoints] of groupBy(recognised, (point) => point.planId)) {
    const plan = config.plans.find((candidate) => candidate.id === planId);
    if (!plan) {
      plans.push(keepAll(planId, 'orphaned', 'orphaned-plan', planPoints));
      continue;
    }
    if (plan.engine === 'dlm') {
      plans.push(keepAll(planId, 'dlm-engine', 'dlm-engine', [...planPoints, ...(dlmPointsByPlan.get(planId) ?? [])]));
      dlmPointsByPlan.delete(planId);
      continue;
    }
    const policy: RetentionPolicy | undefined = role === 'primary' ? plan.retention : plan.copies.find((copy) => copy.region === region)?.retention;
    if (!policy) {
      plans.push(keepAll(planId, 'no-rule-for-region', 'no-rule-for-region', planPoints));
      continue;
    }

    const byResource = [...groupBy(planPoints, (point) => resourceKey(pointResource(point))).entries()];
    const facts = byResource.map(([key, points]) => {
      const resourceId = (points[0] as StoredRecoveryPoint).resourceId;
      const sourceExists = existing.has(key);
      const failedBecause = latestBackupFailure(points, plan, { missedSlots: role === 'primary' && sourceExists, now, graceMs });
      return { resourceId, resourcePoints: points.map(unsettledAsPending), sourceExists, failedBecause };
    });
    const decisions = planRetentionForMany(
      facts.map(({ resourcePoints, sourceExists, failedBecause }) => ({
        points: resourcePoints,
        context: {
          now,
          ownership: { tagKey: TAG.stack, value: deps.stack },
          planTag: { tagKey: TAG.plan, planId },
          latestScheduledBackupFailed: failedBecause !== undefined,
          sourceExists,
        },
      })),
      policy,
    );

    const report: PrunePlanReport = { planId, status: 'planned', policy: role === 'primary' ? 'plan' : 'copy', resources: [] };
    facts.forEach(({ resourceId, resourcePoints, sourceExists, failedBecause }, index) => {
      const resourceDecisions = decisions[index] ?? [];
      const reports = resourcePoints.map((point, pointIndex) => {
        const planned = resourceDecisions[pointIndex];
        const copyPending = role === 'primary' && planned?.action === 'delete' && point.snapshots.some((snapshot) => request.pendingCopySources?.has(snapshot.id));
        const copyUnknown = role === 'primary' && planned?.action === 'delete' && plan.copies.some((copy) => request.unlistedCopyRegions?.has(copy.region));
        const decision = copyPending
          ? { action: 'keep' as const, reasons: ['copy-pending' as const] }
          : copyUnknown
            ? { action: 'keep' as const, reasons: ['copy-state-unknown' as const] }
            : planned;
        // The planner answers for every point; a missing answer keeps the point.
        const pointReportValue = pointReport(point, decision ?? { action: 'keep', reasons: ['not-a-recovery-point'] });
        if (decision?.action === 'delete') deletions.push({ point, report: pointReportValue });
        return { point, report: pointReportValue };
      });
      report.resources.push({
        resourceId,
        resourceType: resourcePoints[0]?.resourceType,
        sourceExists,
        latestScheduledBackupFailed: failedBecause !== undefined,
        ...(failedBecause ? { failedBecause } : {}),
        points: reports.sort((a, b) => byTimeThenId(b.point, a.point)).map((entry) => entry.report),
      });
    });
    plans.push(report);
  }
  for (const [planId, planPoints] of dlmPointsByPlan) plans.push(keepAll(planId, 'dlm-engine', 'dlm-engine', planPoints));
  if (unrecognised.length) plans.push(keepAll('', 'unrecognised', 'not-a-recovery-point', unrecognised));

  const outcomes: SnapshotOutcome[] = [];
  const record = (outcome: SnapshotOutcome) => {
    outcomes.push(outcome);
    deps.onOutcome?.(outcome);
  };

  // Oldest first everywhere: whenever a run stops, every resource keeps its newest points.
  deletions.sort((a, b) => byTimeThenId(a.point, b.point));
  let attempted = 0;
  let stoppedBecause: 'budget' | 'time' | undefined;
  let pointsDeleted = 0;
  const reserveMs = deps.reserveMs ?? PRUNE_DEFAULTS.reserveMs;
  for (const deletion of deletions) {
    const { point, report } = deletion;
    const targets = deletionTargets(point, report.reasons[0] ?? 'expired');
    const base = { region, planId: point.planId, resourceId: point.resourceId, pointId: point.id };
    if (dryRun) {
      report.outcome = 'would-delete';
      for (const snapshot of targets.snapshots) record({ ...base, snapshotId: snapshot.id, kind: snapshot.kind, status: 'would-delete' });
      continue;
    }
    if (stoppedBecause) {
      report.outcome = 'not-started';
      continue;
    }
    // A point is deleted whole or not started; only a point larger than the whole budget may exceed it, alone.
    if (attempted + targets.snapshots.length > request.budget && attempted > 0) stoppedBecause = 'budget';
    else if (deps.remainingTimeMs && deps.remainingTimeMs() < reserveMs) stoppedBecause = 'time';
    if (stoppedBecause) {
      report.outcome = 'not-started';
      continue;
    }
    let gone = 0;
    for (const snapshot of targets.snapshots) {
      attempted += 1;
      const outcome = await deleteOne(snapshot, point, deps);
      record({ ...base, snapshotId: snapshot.id, kind: snapshot.kind, ...outcome });
      if (outcome.status === 'deleted' || outcome.status === 'already-gone') gone += 1;
    }
    report.outcome = gone === targets.snapshots.length ? (targets.attemptsOnly ? 'failed-attempts-deleted' : 'deleted') : gone > 0 ? 'partly-deleted' : 'not-deleted';
    if (report.outcome === 'deleted') pointsDeleted += 1;
  }

  const notStarted = deletions.filter((deletion) => deletion.report.outcome === 'not-started');
  const allPoints = plans.flatMap((plan) => plan.resources.flatMap((resource) => resource.points));
  const count = (status: SnapshotOutcomeStatus) => outcomes.filter((outcome) => outcome.status === status).length;
  return {
    region,
    role,
    now: now.toISOString(),
    dryRun,
    budget: request.budget,
    plans,
    outcomes,
    counts: {
      points: allPoints.length,
      keep: allPoints.filter((point) => point.action === 'keep').length,
      delete: deletions.length,
      pointsDeleted,
      snapshotsDeleted: count('deleted'),
      alreadyGone: count('already-gone'),
      skippedInUse: count('skipped-in-use'),
      failed: count('failed'),
      wouldDelete: count('would-delete'),
    },
    continuation: notStarted.length > 0,
    ...(stoppedBecause ? { stoppedBecause } : {}),
    remaining: {
      points: notStarted.length,
      snapshots: notStarted.reduce((sum, deletion) => sum + deletionTargets(deletion.point, deletion.report.reasons[0] ?? 'expired').snapshots.length, 0),
    },
    pendingCopySources: role === 'dr' ? pendingCopySourcesIn(snapshots, region) : [],
  };
}

/** Deletes one snapshot after re-checking, on the snapshot itself, that it is ours and of this point. */
async function deleteOne(
  snapshot: StoredSnapshot,
  point: StoredRecoveryPoint,
  deps: Pick<PruneDeps, 'stack' | 'deleter' | 'retry'>,
): Promise<Pick<SnapshotOutcome, 'status' | 'errorName' | 'reason'>> {
  const tags = snapshot.tags;
  if (tags[TAG.stack] !== deps.stack || tags[TAG.plan] !== point.planId || tags[TAG.resourceId] !== point.resourceId || tags[TAG.slot] !== point.slot) {
    return { status: 'failed', errorName: 'NotOurSnapshot', reason: `snapshot ${snapshot.id} does not carry this stack's tags for ${point.id}; not deleted` };
  }
  if (!isNamedAsOurs(snapshot)) {
    return { status: 'failed', errorName: 'NotOurSnapshot', reason: `snapshot ${snapshot.id} carries this stack's tags but not the name it gives ${point.id}; not deleted` };
  }
  // Points with a pending snapshot are kept whole (unsettledAsPending); never cut a snapshot short regardless.
  if (snapshot.state === 'pending') {
    return { status: 'failed', errorName: 'SnapshotPending', reason: `snapshot ${snapshot.id} is still ${snapshot.status}; not deleted` };
  }
  try {
    const result = await retryTransient(() => deps.deleter.delete(snapshot, deps.stack), deps.retry ?? TRANSIENT_RETRY_DEFAULTS);
    if (result.status === 'in-use') return { status: 'skipped-in-use', reason: result.reason };
    return { status: result.status };
  } catch (error) {
    const failure = classifyFailure(error);
    return { status: 'failed', errorName: failure.name, reason: failure.message };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Every Region

export interface PruneRunSummary {
  now: string;
  dryRun: boolean;
  regions: PruneRegionSummary[];
  /** Regions that could not be pruned at all (listing failed…); the others were still pruned. */
  failedRegions: Array<{ region: string; errorName: string; reason: string }>;
  continuation: boolean;
  pointsPruned: number;
  /** Failed snapshot deletions plus failed Regions. */
  failures: number;
}

/**
 * Prunes each Region in turn with its own ports. One Region's failure is recorded and the others are
 * still pruned; the time budget (remainingTimeMs in each Region's deps) is shared by the whole run.
 */
export async function pruneEveryRegion(
  request: Omit<PruneRequest, 'region'> & { regions: readonly string[] },
  depsFor: (region: string) => PruneDeps,
): Promise<PruneRunSummary> {
  const regions: PruneRegionSummary[] = [];
  const failedRegions: PruneRunSummary['failedRegions'] = [];
  // DR Regions first: the primary then keeps every source whose copy they still show pending.
  const order = [...request.regions].sort((a, b) => Number(a === request.config.primaryRegion) - Number(b === request.config.primaryRegion));
  const pendingCopySources = new Set<string>();
  // DR Regions whose pending copies are unknown: the primary then deletes nothing its plans copy there.
  const unlistedCopyRegions = new Set<string>();
  if (request.regions.includes(request.config.primaryRegion)) {
    // A DR Region not pruned this run is still listed (nothing more) for its pending copies.
    for (const region of pruneRegionsOf(request.config).filter((candidate) => !request.regions.includes(candidate))) {
      try {
        for (const source of pendingCopySourcesIn(await listOurSnapshots(depsFor(region)), region)) pendingCopySources.add(source);
      } catch (error) {
        const failure = classifyFailure(error);
        unlistedCopyRegions.add(region);
        failedRegions.push({ region, errorName: failure.name, reason: `its copies could not be listed (${failure.message}); the primary Region kept every point copied there` });
      }
    }
  }
  for (const region of order) {
    try {
      const summary = await pruneRecoveryPoints({ ...request, region, pendingCopySources, unlistedCopyRegions }, depsFor(region));
      for (const source of summary.pendingCopySources) pendingCopySources.add(source);
      regions.push(summary);
    } catch (error) {
      const failure = classifyFailure(error);
      if (region !== request.config.primaryRegion) unlistedCopyRegions.add(region);
      failedRegions.push({ region, errorName: failure.name, reason: failure.message });
    }
  }
  regions.sort((a, b) => request.regions.indexOf(a.region) - request.regions.indexOf(b.region));
  return {
    now: request.now.toISOString(),
    dryRun: Boolean(request.dryRun),
    regions,
    failedRegions,
    continuation: regions.some((summary) => summary.continuation),
    pointsPruned: regions.reduce((sum, summary) => sum + summary.counts.pointsDeleted, 0),
    failures: failedRegions.length + regions.reduce((sum, summary) => sum + summary.counts.failed, 0),
  };
}
