import type { Plan, ResourceType } from '../domain/plan-schema.js';
import { formatSlot, recoveryPointTags, type Tags } from '../domain/recovery-point-tags.js';
import { classifyFailure, type FailureKind } from '../domain/failure-classification.js';

/** A resource the plan selects, as the adapters found it. */
export interface ProtectedResource {
  type: ResourceType;
  id: string;
  tags: Tags;
  /** Why a snapshot cannot be taken now (e.g. RDS status `modifying`); undefined when it can. */
  notReadyReason?: string;
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
  createRecoveryPoint(resource: ProtectedResource, request: { planId: string; slot: Date; tags: Tags }): Promise<CreatedRecoveryPoint>;
}

export type ResourceOutcome =
  | { resourceId: string; type: ResourceType; status: 'created'; snapshotIds: string[] }
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
}

/** Production settings: 5 attempts with exponential backoff and jitter, 15 s+ after a per-volume rate error. */
export const CREATE_SNAPSHOTS_DEFAULTS = {
  retry: { attempts: 5, baseDelayMs: 500, perVolumeRateDelayMs: 15_000 },
  concurrency: 8,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
} satisfies Partial<CreateSnapshotsDeps>;

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

async function createWithRetry(
  deps: CreateSnapshotsDeps,
  backend: SnapshotBackend,
  resource: ProtectedResource,
  request: { planId: string; slot: Date; tags: Tags },
): Promise<ResourceOutcome> {
  const base = { resourceId: resource.id, type: resource.type };
  for (let attempt = 1; ; attempt += 1) {
    try {
      let ran = false;
      const create = () => {
        ran = true;
        return backend.createRecoveryPoint(resource, request);
      };
      const key = `${request.planId}#${resource.id}#${formatSlot(request.slot)}`;
      const result = deps.guard ? await deps.guard(key, create) : await create();
      // A guard that answers from its store did not run the create: an earlier invocation did.
      const existed = result.existed || !ran;
      return { ...base, status: existed ? 'already-done' : 'created', snapshotIds: result.snapshotIds };
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'in-progress-elsewhere') {
        return { ...base, status: 'skipped', reason: 'another invocation is creating this slot right now' };
      }
      const delay =
        failure.kind === 'per-volume-rate'
          ? deps.retry.perVolumeRateDelayMs * (1 + deps.random())
          : deps.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + deps.random());
      const outOfTime = deps.remainingTimeMs !== undefined && deps.remainingTimeMs() < delay + 5_000;
      const retryable = failure.kind === 'transient' || failure.kind === 'per-volume-rate';
      if (!retryable || attempt >= deps.retry.attempts || outOfTime) {
        return { ...base, status: 'failed', kind: failure.kind, errorName: failure.name, reason: failure.message };
      }
      await deps.sleep(delay);
    }
  }
}

/**
 * Takes one recovery point per selected resource for the plan's slot. Idempotent per (resource, slot):
 * existing points are found first and reported as already done; one resource's failure never stops the rest.
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

  await mapWithConcurrency(work, deps.concurrency, async ({ backend, resource, existing }) => {
    const base = { resourceId: resource.id, type: resource.type };
    if (existing?.length) return report({ ...base, status: 'already-done', snapshotIds: existing });
    if (resource.notReadyReason) {
      return report({ ...base, status: 'failed', kind: 'permanent', errorName: 'ResourceNotReady', reason: resource.notReadyReason });
    }
    if (request.dryRun) return report({ ...base, status: 'skipped', reason: 'dry run: would create a snapshot' });
    const tags = recoveryPointTags({ stack: deps.stack, plan, resource, slot });
    report(await createWithRetry(deps, backend, resource, { planId: plan.id, slot, tags }));
  });

  const count = (status: ResourceOutcome['status']) => outcomes.filter((outcome) => outcome.status === status).length;
  return {
    planId: plan.id,
    slot: slotText,
    dryRun: Boolean(request.dryRun),
    resources: outcomes.length,
    created: count('created'),
    alreadyDone: count('already-done'),
    skipped: count('skipped'),
    failed: count('failed'),
    outcomes,
  };
}
