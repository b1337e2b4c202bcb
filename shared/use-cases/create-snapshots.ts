import type { Plan, ResourceType } from '../domain/plan-schema.js';
import { formatSlot, recoveryPointTags, type Tags } from '../domain/recovery-point-tags.js';
import { classifyFailure, mayHaveTakenEffect, REFUSED_FOR_STATE, type FailureKind } from '../domain/failure-classification.js';
import type { SnapshotWorkItem } from '../domain/snapshot-work-item.js';

export type { SnapshotWorkItem } from '../domain/snapshot-work-item.js';

/** A resource the plan selects, as the adapters found it. */
export interface ProtectedResource {
  type: ResourceType;
  id: string;
  tags: Tags;
  /** EC2 instances: how many EBS volumes are attached, i.e. how many snapshots CreateSnapshots makes. */
  volumeCount?: number;
  /** Why a snapshot cannot be taken now (e.g. RDS status `modifying`); undefined when it can. */
  notReadyReason?: string;
  /** 'transient' when the state passes by itself (RDS `backing-up`, `modifying`): a later run will snapshot. */
  notReadyKind?: 'transient' | 'permanent';
  /**
   * Resources whose recovery point already contains this one (a volume's instances, an Aurora member's
   * cluster): when the plan snapshots one of them, this resource is skipped instead of snapshotted twice.
   */
  coveredBy?: string[];
}

export interface CreatedRecoveryPoint {
  snapshotIds: string[];
  /** True when the snapshot for this slot already existed (a retry or duplicate delivery). */
  existed: boolean;
}

/** What a service adapter (EC2, RDS) offers the use case; one backend per group of resource types. */
export interface SnapshotBackend {
  readonly resourceTypes: readonly ResourceType[];
  findResources(plan: Plan, types: readonly ResourceType[]): Promise<ProtectedResource[]>;
  /** Resource ids that already have a recovery point of ours in this slot (one listing for the whole plan). */
  findSlotRecoveryPoints(query: { stack: string; planId: string; slot: string }): Promise<Map<string, string[]>>;
  /**
   * The snapshots of one resource's recovery point in this slot, asked before a redelivered work item creates
   * again, after a create whose answer may have been lost, and before a resource is reported not ready (RDS
   * is `backing-up` while our own snapshot of the slot runs).
   */
  findSlotRecoveryPoint?(query: { stack: string; planId: string; slot: string; resourceId: string; type: ResourceType }): Promise<string[]>;
  createRecoveryPoint(resource: ProtectedResource, request: { planId: string; slot: Date; tags: Tags }): Promise<CreatedRecoveryPoint>;
}

/** Where the scheduled run puts the work it does not do itself (the SQS work queue). */
export interface SnapshotWorkQueue {
  enqueue(items: readonly SnapshotWorkItem[]): Promise<void>;
}

/** Why a create was not run: another invocation holds the claim of this (plan, resource, slot). */
export const IN_PROGRESS_ELSEWHERE = 'another invocation is creating this slot right now';

export type ResourceOutcome =
  | { resourceId: string; type: ResourceType; status: 'created'; snapshotIds: string[] }
  | { resourceId: string; type: ResourceType; status: 'queued' }
  | { resourceId: string; type: ResourceType; status: 'already-done'; snapshotIds: string[] }
  | { resourceId: string; type: ResourceType; status: 'skipped'; reason: string }
  | { resourceId: string; type: ResourceType; status: 'failed'; kind: FailureKind; errorName: string; reason: string };

export interface CreateSnapshotsSummary {
  planId: string;
  slot: string;
  dryRun: boolean;
  resources: number;
  created: number;
  alreadyDone: number;
  /** Handed to the snapshot workers: they create these and record them in the activity log. */
  queued: number;
  skipped: number;
  failed: number;
  outcomes: ResourceOutcome[];
}

export interface CreateSnapshotsDeps {
  stack: string;
  backends: readonly SnapshotBackend[];
  /** Wraps each create so that concurrent duplicate invocations cannot both create (e.g. a DynamoDB claim). */
  guard?: <T>(key: string, create: () => Promise<T>) => Promise<T>;
  retry: { attempts: number; baseDelayMs: number; perVolumeRateDelayMs: number };
  concurrency: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Remaining invocation time; retries stop when waiting longer would outlive the invocation. */
  remainingTimeMs?: () => number;
  onProgress?: (outcome: ResourceOutcome) => void;
  /**
   * Fan-out: a slot with more than `inlineMax` resources to snapshot is queued for the snapshot workers
   * instead of created here, so no invocation has to outlast Lambda's 15 minutes at EC2's 5 creates/s.
   */
  fanOut?: { queue: SnapshotWorkQueue; inlineMax: number };
}

/** Production settings: 5 attempts with exponential backoff and jitter, 15 s+ after a per-volume rate error. */
export const CREATE_SNAPSHOTS_DEFAULTS = {
  retry: { attempts: 5, baseDelayMs: 500, perVolumeRateDelayMs: 15_000 },
  concurrency: 8,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
} satisfies Partial<CreateSnapshotsDeps>;

/** Up to this many creates run inside the scheduled invocation (well within EC2's burst of 100); more are queued. */
export const CREATE_INLINE_MAX = 20;

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

/** A volume of an instance, or a member of a cluster, that the plan snapshots whole is not snapshotted again. */
function dropCoveredResources(resources: ProtectedResource[]): { kept: ProtectedResource[]; covered: ResourceOutcome[] } {
  const selected = new Map(resources.map((resource) => [resource.id, resource.type]));
  const kept: ProtectedResource[] = [];
  const covered: ResourceOutcome[] = [];
  for (const resource of resources) {
    const owner = resource.coveredBy?.find((id) => selected.has(id));
    if (owner) {
      const reason = `covered by ${selected.get(owner)} ${owner} of the same plan`;
      covered.push({ resourceId: resource.id, type: resource.type, status: 'skipped', reason });
    } else {
      kept.push(resource);
    }
  }
  return { kept, covered };
}

/** What a create leaves as its claim's answer: the recovery point, or why it may exist but could not be found. */
interface ClaimedCreate extends CreatedRecoveryPoint {
  /** A create that may have taken effect, and whose snapshot could not be looked for: never sent again blind. */
  uncertain?: { errorName: string; reason: string };
}

/** Fresh claims one invocation takes after 'uncertain' ones (each a DynamoDB read, no EC2 call) before it gives up. */
const MAX_CLAIM_GENERATIONS = 50;

/** Retries stop this long before the invocation's deadline. */
const DEADLINE_MARGIN_MS = 5_000;

function backoffMs(deps: CreateSnapshotsDeps, attempt: number): number {
  return deps.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + deps.random());
}

async function createWithRetry(
  deps: CreateSnapshotsDeps,
  backend: SnapshotBackend,
  resource: ProtectedResource,
  request: { planId: string; slot: Date; tags: Tags },
): Promise<ResourceOutcome> {
  const base = { resourceId: resource.id, type: resource.type };
  const slot = formatSlot(request.slot);
  const key = `${request.planId}#${resource.id}#${slot}`;
  const lookup = backend.findSlotRecoveryPoint?.bind(backend);
  // Each claim that ended 'uncertain' hands the slot to a fresh claim (key#2, #3…), which looks before it creates.
  let generation = 1;
  for (let attempt = 1; ; attempt += 1) {
    const step: { ran: boolean; made?: CreatedRecoveryPoint; waitedMs?: number } = { ran: false };
    const looksFirst = generation > 1;
    // Runs inside the claim: after a lost answer it looks for the snapshot before the claim is let go.
    const create = async (): Promise<ClaimedCreate> => {
      step.ran = true;
      if (looksFirst && lookup) {
        // An earlier create of the slot may have taken effect: never make a second snapshot.
        const found = await lookup({ stack: deps.stack, planId: request.planId, slot, resourceId: resource.id, type: resource.type });
        if (found.length) return { snapshotIds: found, existed: true };
      }
      try {
        step.made = await backend.createRecoveryPoint(resource, request);
        return step.made;
      } catch (error) {
        const failure = classifyFailure(error);
        if (!mayHaveTakenEffect(failure) || !lookup) throw error;
        // Give DescribeSnapshots time to show a snapshot EC2 did make, without outliving the invocation.
        const left = deps.remainingTimeMs ? Math.max(0, deps.remainingTimeMs() - DEADLINE_MARGIN_MS) : Infinity;
        step.waitedMs = Math.min(backoffMs(deps, attempt), left);
        await deps.sleep(step.waitedMs);
        let found: string[];
        try {
          found = await lookup({ stack: deps.stack, planId: request.planId, slot, resourceId: resource.id, type: resource.type });
        } catch (lookupError) {
          const lookup = classifyFailure(lookupError);
          const reason =
            `${failure.message}; the create may have taken effect and looking for its snapshot failed (${lookup.name}: ${lookup.message}), ` +
            'so it was not sent again and no second snapshot can be made; the next delivery or run of this slot looks for it before creating';
          return { snapshotIds: [], existed: false, uncertain: { errorName: failure.name, reason } };
        }
        if (found.length) return { snapshotIds: found, existed: false };
        // Not made: the claim is let go and the create is tried again below.
        throw error;
      }
    };
    try {
      const result = deps.guard ? await deps.guard(generation === 1 ? key : `${key}#${generation}`, create) : await create();
      if (result.uncertain) {
        // This invocation's own create: not sent again. An earlier one's, stored in the claim: the next claim
        // looks for its snapshot and creates only if there is none, so the slot is never locked by it.
        if (step.ran || generation >= MAX_CLAIM_GENERATIONS) return { ...base, status: 'failed', kind: 'transient', ...result.uncertain };
        generation += 1;
        // Moving to the next claim is no attempt at the create: a run of uncertain claims never uses up the retries.
        attempt -= 1;
        continue;
      }
      // A guard that answers from its store did not run the create: an earlier invocation did.
      const existed = result.existed || !step.ran;
      return { ...base, status: existed ? 'already-done' : 'created', snapshotIds: result.snapshotIds };
    } catch (error) {
      // The create answered and only the claim's record of it failed: that snapshot is this slot's, never make another.
      if (step.made) return { ...base, status: step.made.existed ? 'already-done' : 'created', snapshotIds: step.made.snapshotIds };
      const failure = classifyFailure(error);
      if (failure.kind === 'in-progress-elsewhere') {
        return { ...base, status: 'skipped', reason: IN_PROGRESS_ELSEWHERE };
      }
      // The look for a lost answer's snapshot already waited out this attempt's backoff.
      const delay =
        step.waitedMs !== undefined ? 0 : failure.kind === 'per-volume-rate' ? deps.retry.perVolumeRateDelayMs * (1 + deps.random()) : backoffMs(deps, attempt);
      const outOfTime = deps.remainingTimeMs !== undefined && deps.remainingTimeMs() < delay + DEADLINE_MARGIN_MS;
      const retryable = failure.kind === 'transient' || failure.kind === 'per-volume-rate';
      if (!retryable || attempt >= deps.retry.attempts || outOfTime) {
        return { ...base, status: 'failed', kind: failure.kind, errorName: failure.name, reason: failure.message };
      }
      if (delay > 0) await deps.sleep(delay);
    }
  }
}

/**
 * Takes one recovery point per selected resource for the plan's slot. Idempotent per (resource, slot):
 * existing points are found first and reported as already done; one resource's failure never stops the rest.
 * With `fanOut`, a slot with more to do than `inlineMax` is queued (one work item per resource) instead.
 */
export async function createSnapshots(
  request: { plan: Plan; slot: Date; dryRun?: boolean },
  deps: CreateSnapshotsDeps,
): Promise<CreateSnapshotsSummary> {
  const { plan, slot } = request;
  const slotText = formatSlot(slot);
  const outcomes: ResourceOutcome[] = [];
  const report = (outcome: ResourceOutcome) => {
    outcomes.push(outcome);
    deps.onProgress?.(outcome);
  };

  const work: Array<{ backend: SnapshotBackend; resource: ProtectedResource; existing?: string[] }> = [];
  for (const backend of deps.backends) {
    const types = backend.resourceTypes.filter((type) => plan.selection.resourceTypes.includes(type));
    if (!types.length) continue;
    const found = await backend.findResources(plan, types);
    const { kept, covered } = dropCoveredResources(found);
    covered.forEach(report);
    const existing = await backend.findSlotRecoveryPoints({ stack: deps.stack, planId: plan.id, slot: slotText });
    for (const resource of kept) work.push({ backend, resource, existing: existing.get(resource.id) });
  }

  const workItem = (resource: ProtectedResource): SnapshotWorkItem => ({
    planId: plan.id,
    slot: slotText,
    resourceId: resource.id,
    type: resource.type,
    tags: recoveryPointTags({ stack: deps.stack, plan, resource, slot }),
  });
  const todo: Array<{ backend: SnapshotBackend; resource: ProtectedResource }> = [];
  // Resources in a state that passes by itself (an RDS backup window): a worker tries again while it lasts.
  const tryLater: Array<{ item: SnapshotWorkItem; outcome: ResourceOutcome }> = [];
  for (const { backend, resource, existing } of work) {
    const base = { resourceId: resource.id, type: resource.type };
    if (existing?.length) report({ ...base, status: 'already-done', snapshotIds: existing });
    else if (resource.notReadyReason) {
      const outcome = await notReadyOutcome(deps, backend, resource, { planId: plan.id, slot: slotText });
      if (deps.fanOut && !request.dryRun && isPassingFailure(outcome)) tryLater.push({ item: { ...workItem(resource), notReady: resource.notReadyReason }, outcome });
      else report(outcome);
    } else if (request.dryRun) report({ ...base, status: 'skipped', reason: 'dry run: would create a snapshot' });
    else todo.push({ backend, resource });
  }

  if (deps.fanOut && todo.length > deps.fanOut.inlineMax) {
    await deps.fanOut.queue.enqueue(todo.map(({ resource }) => workItem(resource)));
    for (const { resource } of todo) report({ resourceId: resource.id, type: resource.type, status: 'queued' });
  } else {
    // A claim held elsewhere may belong to an invocation that crashed and holds it until its deadline, and a
    // throttle or 5xx may outlast this invocation's retries: never give up the slot while a queue can try later.
    await mapWithConcurrency(todo, deps.concurrency, async ({ backend, resource }) => {
      const tags = recoveryPointTags({ stack: deps.stack, plan, resource, slot });
      const outcome = await createWithRetry(deps, backend, resource, { planId: plan.id, slot, tags });
      if (isInProgressElsewhere(outcome) || isPassingFailure(outcome)) tryLater.push({ item: workItem(resource), outcome });
      else report(outcome);
    });
  }
  if (tryLater.length) await handOverForLater(deps, tryLater, report);

  return summarize(plan.id, slotText, Boolean(request.dryRun), outcomes);
}

/** True for the outcome of a create whose claim another invocation holds right now. */
export function isInProgressElsewhere(outcome: ResourceOutcome): boolean {
  return outcome.status === 'skipped' && outcome.reason === IN_PROGRESS_ELSEWHERE;
}

/** True for a create that failed for a passing reason (throttled, 5xx, the per-volume rate) after its retries. */
function isPassingFailure(outcome: ResourceOutcome): boolean {
  return outcome.status === 'failed' && (outcome.kind === 'transient' || outcome.kind === 'per-volume-rate');
}

/**
 * Creates that may succeed later go to the work queue, whose workers try again after each visibility timeout:
 * a claim another invocation holds (a crashed holder keeps it until its deadline, ≤ 15 min), and a passing
 * failure that outlasted this invocation's retries (several plans at one minute can drain EC2's bucket for
 * longer). Without a queue, or when queueing fails, they are failures, so the alarm and the run log see them.
 */
async function handOverForLater(
  deps: CreateSnapshotsDeps,
  entries: ReadonlyArray<{ item: SnapshotWorkItem; outcome: ResourceOutcome }>,
  report: (outcome: ResourceOutcome) => void,
): Promise<void> {
  const failed = (outcome: ResourceOutcome, why: string): ResourceOutcome =>
    outcome.status === 'failed'
      ? { ...outcome, reason: `${outcome.reason}; ${why}` }
      : { resourceId: outcome.resourceId, type: outcome.type, status: 'failed', kind: 'transient', errorName: 'IdempotencyAlreadyInProgressError', reason: `${IN_PROGRESS_ELSEWHERE}; ${why}` };
  if (!deps.fanOut) {
    for (const { outcome } of entries) report(isInProgressElsewhere(outcome) ? failed(outcome, 'no work queue to try again later') : outcome);
    return;
  }
  try {
    await deps.fanOut.queue.enqueue(entries.map(({ item }) => item));
  } catch (error) {
    const failure = classifyFailure(error);
    for (const { outcome } of entries) report(failed(outcome, `queueing it for a later try failed: ${failure.name}: ${failure.message}`));
    return;
  }
  for (const { item } of entries) report({ resourceId: item.resourceId, type: item.type, status: 'queued' });
}

/**
 * A resource that cannot be snapshotted now may be busy with our own snapshot of this slot (RDS `backing-up`
 * during a duplicate delivery): that is already done, not a failure.
 */
async function notReadyOutcome(
  deps: CreateSnapshotsDeps,
  backend: SnapshotBackend,
  resource: ProtectedResource,
  slot: { planId: string; slot: string },
): Promise<ResourceOutcome> {
  const base = { resourceId: resource.id, type: resource.type };
  const reason = resource.notReadyReason ?? 'not ready';
  if (backend.findSlotRecoveryPoint) {
    try {
      const found = await backend.findSlotRecoveryPoint({ stack: deps.stack, ...slot, resourceId: resource.id, type: resource.type });
      if (found.length) return { ...base, status: 'already-done', snapshotIds: found };
    } catch (error) {
      const lookup = classifyFailure(error);
      return { ...base, status: 'failed', kind: 'transient', errorName: 'ResourceNotReady', reason: `${reason}; looking for this slot's snapshot failed: ${lookup.name}: ${lookup.message}` };
    }
  }
  return { ...base, status: 'failed', kind: resource.notReadyKind ?? 'permanent', errorName: 'ResourceNotReady', reason };
}

function summarize(planId: string, slot: string, dryRun: boolean, outcomes: ResourceOutcome[]): CreateSnapshotsSummary {
  const count = (status: ResourceOutcome['status']) => outcomes.filter((outcome) => outcome.status === status).length;
  return {
    planId,
    slot,
    dryRun,
    resources: outcomes.length,
    created: count('created'),
    alreadyDone: count('already-done'),
    queued: count('queued'),
    skipped: count('skipped'),
    failed: count('failed'),
    outcomes,
  };
}

/** What became of one work item, and whether its message should come back for another try. */
export interface WorkItemOutcome {
  item: SnapshotWorkItem;
  outcome: ResourceOutcome;
  /** Transient failures and creates in progress elsewhere: the queue redelivers them later. */
  retry: boolean;
}

/**
 * The snapshot workers' use case: creates the recovery point of each queued work item through the same
 * guarded, retried path as the scheduled run. Safe to repeat: the claim answers for a create that already
 * ran, and a redelivered item (`receiveCount` > 1) first looks for its slot's snapshot, so a worker that
 * died after EC2 accepted the create does not create a second one. An item whose claim another invocation
 * still holds goes back to the queue, and on its `final` delivery is reported failed (then dead-lettered).
 */
export async function createQueuedSnapshots(
  items: ReadonlyArray<{ item: SnapshotWorkItem; receiveCount: number; final?: boolean }>,
  deps: Omit<CreateSnapshotsDeps, 'fanOut'>,
): Promise<WorkItemOutcome[]> {
  // Results in the order of `items`, so the caller can match each to its message.
  return mapWithConcurrency(items, deps.concurrency, async ({ item, receiveCount, final }): Promise<WorkItemOutcome> => {
    const base = { resourceId: item.resourceId, type: item.type };
    const backend = deps.backends.find((candidate) => candidate.resourceTypes.includes(item.type));
    const slot = new Date(item.slot);
    if (!backend || Number.isNaN(slot.getTime())) {
      const reason = backend ? `slot "${item.slot}" is not a time` : `no backend snapshots ${item.type}`;
      return { item, outcome: { ...base, status: 'failed', kind: 'permanent', errorName: 'BadWorkItem', reason }, retry: false };
    }
    if (receiveCount > 1 && backend.findSlotRecoveryPoint) {
      try {
        const existing = await backend.findSlotRecoveryPoint({ stack: deps.stack, planId: item.planId, slot: item.slot, resourceId: item.resourceId, type: item.type });
        if (existing.length) {
          const outcome: ResourceOutcome = { ...base, status: 'already-done', snapshotIds: existing };
          deps.onProgress?.(outcome);
          return { item, outcome, retry: false };
        }
      } catch (error) {
        const failure = classifyFailure(error);
        return { item, outcome: { ...base, status: 'failed', kind: failure.kind, errorName: failure.name, reason: failure.message }, retry: failure.kind !== 'permanent' };
      }
    }
    const resource: ProtectedResource = { type: item.type, id: item.resourceId, tags: {} };
    const created = await createWithRetry(deps, backend, resource, { planId: item.planId, slot, tags: item.tags });
    const heldElsewhere = isInProgressElsewhere(created);
    // Refused for the state the scheduled run found it in (still backing-up): the next delivery tries again.
    const stillNotReady = item.notReady !== undefined && created.status === 'failed' && REFUSED_FOR_STATE.includes(created.errorName);
    const outcome: ResourceOutcome =
      heldElsewhere && final
        ? { ...base, status: 'failed', kind: 'transient', errorName: 'IdempotencyAlreadyInProgressError', reason: `${IN_PROGRESS_ELSEWHERE}, still on the last delivery` }
        : stillNotReady && created.status === 'failed'
          ? { ...created, kind: 'transient', reason: `${item.notReady}, still (${created.reason})${final ? ', on the last delivery' : '; the next delivery tries again'}` }
          : created;
    deps.onProgress?.(outcome);
    const retry = heldElsewhere || stillNotReady || isPassingFailure(outcome);
    return { item, outcome, retry };
  });
}
