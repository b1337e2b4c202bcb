import {
  desiredDlmPolicy,
  diffDlmPolicies,
  needsNewDlmPolicy,
  type DlmPolicy,
  type DlmPolicyLike,
} from '../domain/dlm-policy.js';
import { classifyFailure, mayHaveTakenEffect } from '../domain/failure-classification.js';
import type { PlansConfig } from '../domain/plan-schema.js';
import { TAG } from '../domain/recovery-point-tags.js';

/** A lifecycle policy carrying our ownership tag, as read from DLM. */
export interface LiveDlmPolicy {
  policyId: string;
  /** The policy's own tags (ownership and plan). */
  tags: Record<string, string>;
  policy: DlmPolicyLike;
}

/** Port to DLM in the primary Region (shared/aws/dlm-policy-store.ts). */
export interface DlmPolicyStore {
  /** Every policy whose tags say `backup-orchestrator:stack = stack`, in full. */
  listOurs(stack: string): Promise<LiveDlmPolicy[]>;
  create(policy: DlmPolicy): Promise<string>;
  update(policyId: string, policy: DlmPolicy): Promise<void>;
  delete(policyId: string): Promise<void>;
}

export interface SyncDlmDeps {
  stack: string;
  executionRoleArn: string;
  store: DlmPolicyStore;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Attempts per DLM call when it fails transiently (throttling, 5xx). */
  maxAttempts: number;
  baseDelayMs: number;
  onOutcome?: (outcome: DlmSyncOutcome) => void;
}

export const SYNC_DLM_DEFAULTS = {
  maxAttempts: 6,
  baseDelayMs: 500,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
} satisfies Partial<SyncDlmDeps>;

/**
 * - create: the plan has no policy yet; update: its policy drifted; replace: the change needs a new policy
 *   (resource type), made before the old one is deleted; delete: a policy of ours whose plan is gone, no longer
 *   runs on DLM, or duplicates the plan's policy; unchanged: nothing differs.
 */
export type DlmSyncAction = 'create' | 'update' | 'replace' | 'delete' | 'unchanged';
export type DlmDeleteReason = 'plan-removed' | 'plan-not-on-dlm' | 'duplicate';

export interface DlmSyncOutcome {
  planId: string;
  action: DlmSyncAction;
  /** done, planned (dry run) or failed; unchanged plans are done. */
  status: 'done' | 'planned' | 'failed';
  /** The policy acted on (the new one for create/replace once made). */
  policyId?: string;
  /** replace: the policy that was (or would be) deleted. */
  replacedPolicyId?: string;
  reason?: DlmDeleteReason;
  /** One readable line per differing field: `path: live → desired`. */
  changes: string[];
  errorName?: string;
  error?: string;
  attempts: number;
}

export interface DlmSyncSummary {
  stack: string;
  dryRun: boolean;
  created: number;
  updated: number;
  replaced: number;
  deleted: number;
  unchanged: number;
  failed: number;
  outcomes: DlmSyncOutcome[];
  /** Policies with our ownership tag but no plan tag: not provably a plan's, so never touched. */
  untouched: string[];
}

class Attempts {
  count = 0;
}

/** Runs one DLM call, retrying transient failures (throttling, 5xx) with jittered exponential backoff. */
async function withRetry<T>(deps: SyncDlmDeps, attempts: Attempts, call: () => Promise<T>): Promise<T> {
  for (;;) {
    attempts.count += 1;
    try {
      return await call();
    } catch (error) {
      if (classifyFailure(error).kind !== 'transient' || attempts.count >= deps.maxAttempts) throw error;
      await deps.sleep(deps.baseDelayMs * 2 ** (attempts.count - 1) * (0.5 + deps.random() / 2));
    }
  }
}

/**
 * Creates the plan's policy, retrying transient failures like withRetry; but a create whose answer was lost (a
 * 5xx or a timeout) may have made the policy, and DLM takes no client token, so before sending it again the
 * plan's policies are listed and one made since (not in `known`) is taken as the answer. The store's client
 * must not resend a create by itself (functions/sync-dlm.ts gives it one attempt a call).
 */
async function createOnce(deps: SyncDlmDeps, attempts: Attempts, planId: string, desired: DlmPolicy, known: ReadonlySet<string>): Promise<string> {
  for (;;) {
    attempts.count += 1;
    try {
      return await deps.store.create(desired);
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind !== 'transient' || attempts.count >= deps.maxAttempts) throw error;
      await deps.sleep(deps.baseDelayMs * 2 ** (attempts.count - 1) * (0.5 + deps.random() / 2));
      if (mayHaveTakenEffect(failure)) {
        const made = (await withRetry(deps, attempts, () => deps.store.listOurs(deps.stack))).find(
          (policy) => policy.tags[TAG.stack] === deps.stack && policy.tags[TAG.plan] === planId && !known.has(policy.policyId),
        );
        if (made) return made.policyId;
      }
    }
  }
}

/**
 * Makes DLM hold exactly one policy per `engine: dlm` plan, as desiredDlmPolicy describes it: creates missing
 * policies, updates drifted ones (listing each changed field), deletes policies of ours whose plan is gone —
 * ours meaning tagged with our ownership tag and a plan tag; a policy without both is never touched. A failure
 * on one plan is recorded and the others go on; a dry run calls nothing that changes DLM. New and updated
 * policies come first, deletions last, so protection never lapses in between.
 */
export async function syncDlmPolicies(input: { config: PlansConfig; dryRun: boolean }, deps: SyncDlmDeps): Promise<DlmSyncSummary> {
  const { config, dryRun } = input;
  const live = await withRetry(deps, new Attempts(), () => deps.store.listOurs(deps.stack));
  const ours = live.filter((policy) => policy.tags[TAG.stack] === deps.stack);
  // The policies there were before this run: a create's lost answer is a policy not among them.
  const knownIds = new Set(live.map((policy) => policy.policyId));
  const byPlan = new Map<string, LiveDlmPolicy[]>();
  for (const policy of ours) {
    const planId = policy.tags[TAG.plan];
    if (planId) byPlan.set(planId, [...(byPlan.get(planId) ?? []), policy]);
  }
  for (const list of byPlan.values()) list.sort((a, b) => a.policyId.localeCompare(b.policyId));

  const outcomes: DlmSyncOutcome[] = [];
  const record = (outcome: DlmSyncOutcome) => {
    outcomes.push(outcome);
    deps.onOutcome?.(outcome);
  };
  const failed = (base: Omit<DlmSyncOutcome, 'status'>, error: unknown): DlmSyncOutcome => {
    const { name, message } = classifyFailure(error);
    return { ...base, status: 'failed', errorName: name, error: message };
  };
  const deletions: Array<{ planId: string; policy: LiveDlmPolicy; reason: DlmDeleteReason }> = [];
  const dlmPlans = config.plans.filter((plan) => plan.engine === 'dlm');

  for (const plan of dlmPlans) {
    const attempts = new Attempts();
    const policies = byPlan.get(plan.id) ?? [];
    let desired: DlmPolicy;
    try {
      desired = desiredDlmPolicy(plan, { stack: deps.stack, primaryRegion: config.primaryRegion, executionRoleArn: deps.executionRoleArn });
    } catch (error) {
      const first = policies[0];
      record(failed({ planId: plan.id, action: first ? 'update' : 'create', ...(first ? { policyId: first.policyId } : {}), changes: [], attempts: 0 }, error));
      continue;
    }
    // Of several policies (a replace whose delete failed), keep one that already matches the plan, else one that
    // an update can bring to it: keeping the stale one would replace it again and delete the right one, leaving
    // its snapshots to no policy.
    const current =
      policies.find((policy) => !diffDlmPolicies(desired, policy.policy).length) ??
      policies.find((policy) => !needsNewDlmPolicy(desired, policy.policy)) ??
      policies[0];
    const duplicates = policies.filter((policy) => policy !== current);
    // Only now: a plan the translation refuses keeps every policy it has, duplicates included.
    for (const duplicate of duplicates) deletions.push({ planId: plan.id, policy: duplicate, reason: 'duplicate' });
    if (!current) {
      const base = { planId: plan.id, action: 'create' as const, changes: diffDlmPolicies(desired, {}) };
      if (dryRun) {
        record({ ...base, status: 'planned', attempts: 0 });
        continue;
      }
      try {
        const policyId = await createOnce(deps, attempts, plan.id, desired, knownIds);
        record({ ...base, status: 'done', policyId, attempts: attempts.count });
      } catch (error) {
        record(failed({ ...base, attempts: attempts.count }, error));
      }
      continue;
    }
    const changes = diffDlmPolicies(desired, current.policy);
    if (!changes.length) {
      record({ planId: plan.id, action: 'unchanged', status: 'done', policyId: current.policyId, changes, attempts: 0 });
      continue;
    }
    if (needsNewDlmPolicy(desired, current.policy)) {
      const base = { planId: plan.id, action: 'replace' as const, replacedPolicyId: current.policyId, changes };
      if (dryRun) {
        record({ ...base, status: 'planned', attempts: 0 });
        continue;
      }
      try {
        const policyId = await createOnce(deps, attempts, plan.id, desired, knownIds);
        await withRetry(deps, attempts, () => deps.store.delete(current.policyId));
        record({ ...base, status: 'done', policyId, attempts: attempts.count });
      } catch (error) {
        record(failed({ ...base, attempts: attempts.count }, error));
      }
      continue;
    }
    const base = { planId: plan.id, action: 'update' as const, policyId: current.policyId, changes };
    if (dryRun) {
      record({ ...base, status: 'planned', attempts: 0 });
      continue;
    }
    try {
      await withRetry(deps, attempts, () => deps.store.update(current.policyId, desired));
      record({ ...base, status: 'done', attempts: attempts.count });
    } catch (error) {
      record(failed({ ...base, attempts: attempts.count }, error));
    }
  }

  const onDlm = new Set(dlmPlans.map((plan) => plan.id));
  const known = new Set(config.plans.map((plan) => plan.id));
  for (const [planId, policies] of byPlan) {
    if (onDlm.has(planId)) continue;
    for (const policy of policies) deletions.push({ planId, policy, reason: known.has(planId) ? 'plan-not-on-dlm' : 'plan-removed' });
  }
  for (const { planId, policy, reason } of deletions) {
    const attempts = new Attempts();
    const base = { planId, action: 'delete' as const, policyId: policy.policyId, reason, changes: [] };
    if (dryRun) {
      record({ ...base, status: 'planned', attempts: 0 });
      continue;
    }
    try {
      await withRetry(deps, attempts, () => deps.store.delete(policy.policyId));
      record({ ...base, status: 'done', attempts: attempts.count });
    } catch (error) {
      record(failed({ ...base, attempts: attempts.count }, error));
    }
  }

  const count = (action: DlmSyncAction) => outcomes.filter((outcome) => outcome.action === action && outcome.status === 'done').length;
  return {
    stack: deps.stack,
    dryRun,
    created: count('create'),
    updated: count('update'),
    replaced: count('replace'),
    deleted: count('delete'),
    unchanged: count('unchanged'),
    failed: outcomes.filter((outcome) => outcome.status === 'failed').length,
    outcomes,
    untouched: ours.filter((policy) => !policy.tags[TAG.plan]).map((policy) => policy.policyId),
  };
}
