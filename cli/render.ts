import { formatDuration } from '../shared/domain/durations.js';
import type { Plan } from '../shared/domain/plan-schema.js';
import { nextOccurrence } from '../shared/domain/schedule-expression.js';
import type { CreateSnapshotsSummary, ResourceOutcome } from '../shared/use-cases/create-snapshots.js';

const STATUS_MARK: Record<ResourceOutcome['status'], string> = {
  created: '+',
  'already-done': '=',
  queued: '>',
  skipped: '-',
  failed: '!',
};

export function renderOutcome(outcome: ResourceOutcome): string {
  const what = `${outcome.type} ${outcome.resourceId}`;
  switch (outcome.status) {
    case 'created':
      return `  ${STATUS_MARK.created} ${what}: created ${outcome.snapshotIds.join(', ')}`;
    case 'already-done':
      return `  ${STATUS_MARK['already-done']} ${what}: already done (${outcome.snapshotIds.join(', ')})`;
    case 'queued':
      return `  ${STATUS_MARK.queued} ${what}: queued for the snapshot workers`;
    case 'skipped':
      return `  ${STATUS_MARK.skipped} ${what}: skipped, ${outcome.reason}`;
    case 'failed':
      return `  ${STATUS_MARK.failed} ${what}: FAILED (${outcome.errorName}) ${outcome.reason}`;
  }
}

export function renderSummary(summary: CreateSnapshotsSummary): string {
  const lines = [
    `plan ${summary.planId}, slot ${summary.slot}${summary.dryRun ? ' (dry run: nothing created)' : ''}`,
    ...summary.outcomes.map(renderOutcome),
    `  ${summary.resources} resources: ${summary.created} created, ${summary.alreadyDone} already done, ${summary.skipped} skipped, ${summary.failed} failed`,
  ];
  return lines.join('\n');
}

function describeRetention(policy: Plan['retention']): string {
  const parts: string[] = [];
  if (policy.count) parts.push(`newest ${policy.count}`);
  if (policy.maxAgeMs) parts.push(`everything younger than ${formatDuration(policy.maxAgeMs)}`);
  for (const [tier, count] of Object.entries(policy.tiers ?? {})) parts.push(`${count} ${tier}`);
  return `${parts.join(' + ')}; always at least ${policy.minKeep}`;
}

/** `plan show`: what each plan selects, when it runs, what it keeps and where it copies. */
export function renderPlan(plan: Plan, primaryRegion: string, now: Date): string {
  const runs: string[] = [];
  let cursor = now;
  for (let index = 0; index < 3; index += 1) {
    const next = nextOccurrence(plan.schedule.expression, cursor, plan.schedule.timezone);
    if (!next) break;
    runs.push(next.toISOString().replace('.000Z', 'Z'));
    cursor = next;
  }
  const lines = [
    `${plan.id}${plan.description ? ` — ${plan.description}` : ''}`,
    `  engine      ${plan.engine}`,
    `  selects     ${plan.selection.resourceTypes.join(', ')} tagged ${plan.selection.tagKey}=${plan.selection.tagValues.join('|')} in ${primaryRegion}`,
    `  runs        ${plan.schedule.expression.source} (${plan.schedule.timezone}); next: ${runs.join(', ') || 'never'}`,
    `  objectives  RPO ${formatDuration(plan.rpoMs)}, RTO ${formatDuration(plan.rtoMs)}`,
    `  keeps       ${describeRetention(plan.retention)}`,
    ...(plan.copies.length
      ? plan.copies.map(
          (copy) =>
            `  copies to   ${copy.region}${copy.encrypted ? ` encrypted with ${copy.kmsKeyId}` : ' (not re-encrypted)'}; keeps ${describeRetention(copy.retention)}`,
        )
      : ['  copies to   (no DR copies)']),
    ...(plan.drill
      ? [`  drills      from ${plan.drill.region}${plan.drill.schedule ? ` on ${plan.drill.schedule.expression.source}` : ' when started by hand'}`]
      : []),
  ];
  return lines.join('\n');
}
