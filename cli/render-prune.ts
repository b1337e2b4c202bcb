import type { PrunePlanReport, PruneRegionSummary, PruneRunSummary } from '../shared/use-cases/prune-recovery-points.js';

const PLAN_STATUS: Record<PrunePlanReport['status'], string> = {
  planned: '',
  orphaned: ' — not in the plans file: every point kept (orphaned)',
  'no-rule-for-region': ' — no copy rule for this Region: every point kept',
  'dlm-engine': ' — runs on Data Lifecycle Manager: every point kept',
  unrecognised: ' — snapshots of ours without a readable slot tag: every one kept',
};

const minute = (iso: string) => `${iso.slice(0, 16)}Z`;

function renderPlan(plan: PrunePlanReport): string[] {
  const policy = plan.policy === 'copy' ? " (the copy rule's retention)" : plan.policy === 'plan' ? " (the plan's retention)" : '';
  const lines = [`  plan ${plan.planId || '(none)'}${policy}${PLAN_STATUS[plan.status]}`];
  for (const resource of plan.resources) {
    const facts = [
      resource.resourceType ?? 'unknown type',
      resource.sourceExists ? 'source exists' : 'source gone',
      ...(resource.failedBecause ? [`latest backup failed: ${resource.failedBecause}; nothing of it deleted`] : []),
    ];
    lines.push(`    ${resource.resourceId} (${facts.join(', ')})`);
    for (const point of resource.points) {
      const what = point.action === 'keep' ? 'keep  ' : 'delete';
      const outcome = point.outcome ? ` → ${point.outcome}` : '';
      lines.push(`      ${what} ${minute(point.time)} ${point.state.padEnd(9)} ${point.reasons.join(', ')} [${point.snapshotIds.join(' ')}]${outcome}`);
    }
  }
  return lines;
}

export function renderPruneRegion(summary: PruneRegionSummary): string {
  const { counts } = summary;
  const done = summary.dryRun
    ? `${counts.wouldDelete} snapshots would be deleted (dry run: nothing deleted)`
    : `${counts.pointsDeleted} points deleted (${counts.snapshotsDeleted} snapshots), ${counts.alreadyGone} already gone, ${counts.skippedInUse} skipped in use, ${counts.failed} failed`;
  const lines = [
    `prune ${summary.region} (${summary.role} Region) at ${minute(summary.now)}${summary.dryRun ? ' — dry run' : ''}`,
    ...summary.plans.flatMap(renderPlan),
    ...summary.outcomes
      .filter((outcome) => outcome.status === 'failed' || outcome.status === 'skipped-in-use')
      .map((outcome) => `  ! ${outcome.snapshotId} (${outcome.pointId}): ${outcome.status === 'failed' ? `FAILED (${outcome.errorName})` : 'skipped, in use'} ${outcome.reason ?? ''}`.trimEnd()),
    `  ${counts.points} points: ${counts.keep} kept, ${counts.delete} to delete; ${done}`,
    ...(summary.continuation
      ? [`  stopped (${summary.stoppedBecause}): ${summary.remaining.points} points (${summary.remaining.snapshots} snapshots) left for the next run`]
      : []),
  ];
  return lines.join('\n');
}

/** `prune`: the plan of every Region (keep/delete with reasons, by plan and resource) and what was done. */
export function renderPruneRun(summary: PruneRunSummary): string {
  return [
    ...summary.regions.map(renderPruneRegion),
    ...summary.failedRegions.map((failed) => `prune ${failed.region}: FAILED (${failed.errorName}) ${failed.reason}; nothing deleted there`),
  ].join('\n\n');
}
