import type { DlmSyncOutcome, DlmSyncSummary } from '../shared/use-cases/sync-dlm.js';

const VERB: Record<DlmSyncOutcome['action'], { done: string; planned: string }> = {
  create: { done: 'created', planned: 'would create' },
  update: { done: 'updated', planned: 'would update' },
  replace: { done: 'replaced', planned: 'would replace' },
  delete: { done: 'deleted', planned: 'would delete' },
  unchanged: { done: 'unchanged', planned: 'unchanged' },
};

const REASON: Record<NonNullable<DlmSyncOutcome['reason']>, string> = {
  'plan-removed': 'its plan is no longer in the plans file',
  'plan-not-on-dlm': 'its plan no longer runs on engine: dlm',
  duplicate: 'another policy already serves this plan',
};

function renderOutcome(outcome: DlmSyncOutcome): string {
  const mark = outcome.status === 'failed' ? '✗' : outcome.action === 'unchanged' ? '=' : outcome.status === 'planned' ? '~' : '✓';
  const verb = outcome.status === 'failed' ? `could not ${outcome.action}` : VERB[outcome.action][outcome.status === 'planned' ? 'planned' : 'done'];
  const policy = outcome.policyId ? ` ${outcome.policyId}` : '';
  const replaced = outcome.replacedPolicyId ? ` (replacing ${outcome.replacedPolicyId}: DLM cannot change a policy's resource type)` : '';
  const why = outcome.reason ? ` — ${REASON[outcome.reason]}` : '';
  const error = outcome.status === 'failed' ? ` — ${outcome.errorName}: ${outcome.error}` : '';
  return [`${mark} plan ${outcome.planId}: ${verb} policy${policy}${replaced}${why}${error}`, ...outcome.changes.map((change) => `    ${change}`)].join('\n');
}

/** The sync (or its dry run) as an operator reads it: one block per plan, the changed fields under it. */
export function renderDlmSync(summary: DlmSyncSummary): string {
  const lines = summary.outcomes.map(renderOutcome);
  if (!lines.length) lines.push('no engine: dlm plan and no policy of this stack: nothing to do');
  for (const policyId of summary.untouched) lines.push(`! ${policyId} carries our ownership tag but no plan tag: left alone`);
  const totals = summary.dryRun
    ? `dry run for ${summary.stack}: nothing was changed`
    : `${summary.stack}: ${summary.created} created, ${summary.updated} updated, ${summary.replaced} replaced, ${summary.deleted} deleted, ${summary.unchanged} unchanged, ${summary.failed} failed`;
  return [...lines, '', totals].join('\n');
}
