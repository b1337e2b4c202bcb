import { copyAdapters } from '../shared/aws/copy-adapters.js';
import { formatDuration } from '../shared/domain/durations.js';
import type { PlansConfig } from '../shared/domain/plan-schema.js';
import { readCopySettings } from '../shared/runtime/copy-settings.js';
import type { CopyOutcome } from '../shared/use-cases/copy-snapshots.js';
import { reconcileCopies, type ReconcileSummary } from '../shared/use-cases/reconcile-copies.js';

/** `backup-orchestrator reconcile`: the scheduled reconcile, run now from the operator's machine. */
export function runReconcile(request: { config: PlansConfig; stack: string; now: Date; seenAt: () => Date; dryRun: boolean; endpoint?: string; env: NodeJS.ProcessEnv }): Promise<ReconcileSummary> {
  const { backend, keys } = copyAdapters(request.endpoint ? { endpoint: request.endpoint } : {});
  return reconcileCopies(
    { now: request.now, dryRun: request.dryRun, seenAt: request.seenAt },
    { stack: request.stack, plans: request.config, backend, keys, settings: readCopySettings(request.env) },
  );
}

/** Anything an operator must look at: failed or refused copies, unusable keys, stuck snapshots, Regions not checked. */
export function reconcileFoundProblems(summary: ReconcileSummary): boolean {
  return summary.failed > 0 || summary.problems.length > 0 || summary.exhausted.length > 0 || summary.stuck.length > 0 || summary.warnings.length > 0;
}

const MARK: Record<CopyOutcome['status'], string> = { started: '+', 'already-copied': '=', deferred: '~', blocked: '!', failed: '!', skipped: '-' };

function renderOutcome(outcome: CopyOutcome): string {
  const what = `  ${MARK[outcome.status]} ${outcome.kind} ${outcome.sourceId} (plan ${outcome.planId}) to ${outcome.region}`;
  switch (outcome.status) {
    case 'started':
      return `${what}: started ${outcome.copyId} (attempt ${outcome.attempt}${outcome.replaces ? `, replaces errored ${outcome.replaces.join(', ')}` : ''})`;
    case 'already-copied':
      return `${what}: already copied (${outcome.copyId}, ${outcome.state})`;
    case 'failed':
      return `${what}: FAILED (${outcome.errorName}) ${outcome.reason}`;
    default:
      return `${what}: ${outcome.status}, ${outcome.reason}`;
  }
}

export function renderReconcile(summary: ReconcileSummary): string {
  const lines = [`reconcile at ${summary.now}${summary.dryRun ? ' (dry run: nothing started, deleted or tagged)' : ''}`, ...summary.outcomes.map(renderOutcome)];
  const section = (title: string, entries: string[]) => {
    if (entries.length) lines.push(title, ...entries);
  };
  section('KMS key problems (one per plan and Region):', summary.problems.map((problem) => `  ! ${problem.message}`));
  section(
    'Copies in error on every allowed attempt (left for investigation):',
    summary.exhausted.map((copy) => `  ! ${copy.kind} ${copy.sourceId} (plan ${copy.planId}) to ${copy.region}: copy ${copy.copyId} errored ${copy.attempts} times`),
  );
  section(
    'Pending for too long:',
    summary.stuck.map(
      (stuck) =>
        `  ? ${stuck.what} ${stuck.id} in ${stuck.region}${stuck.sourceId ? ` (copy of ${stuck.sourceId})` : ''}: pending ${formatDuration(stuck.pendingForMs)}, since ${stuck.pendingSince}`,
    ),
  );
  section('Warnings:', summary.warnings.map((warning) => `  ? ${warning}`));
  lines.push(
    `${summary.sources} source${summary.sources === 1 ? '' : 's'}, ${summary.pairs} copies wanted: ${summary.copied} copied, ${summary.inFlight} in flight, ` +
      `${summary.started} started (${summary.redone} redone), ${summary.deferred} deferred, ${summary.blocked} blocked, ${summary.failed} failed, ` +
      `${summary.notRetained} not wanted by the DR retention; ` +
      `${summary.completionsRecorded} completion${summary.completionsRecorded === 1 ? '' : 's'} recorded`,
  );
  return lines.join('\n');
}
