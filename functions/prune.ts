import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { activityLogOf } from '../shared/aws/activity-log.js';
import { ec2Client, rdsClient } from '../shared/aws/clients.js';
import { boundedFailures } from '../shared/domain/activity.js';
import { SnapshotCatalog } from '../shared/aws/snapshot-catalog.js';
import { AwsSnapshotDeleter } from '../shared/aws/snapshot-deleter.js';
import { AwsSourceInventory } from '../shared/aws/source-inventory.js';
import { parsePruneRun } from '../shared/domain/prune-run-event.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { readRetryDelays } from '../shared/runtime/retry-settings.js';
import { createObservability } from '../shared/runtime/observability.js';
import { loadPlans } from '../shared/runtime/plans.js';
import * as clock from '../shared/runtime/clock.js';
import {
  PRUNE_DEFAULTS,
  pruneEveryRegion,
  pruneRegionsOf,
  type PrunePlanReport,
  type PruneRegionSummary,
  type PruneRunSummary,
} from '../shared/use-cases/prune-recovery-points.js';

const observability = createObservability('prune');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const retryDelays = readRetryDelays();
const settingsFor = (region: string) => ({ region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) });
// Source resources live in the primary Region, whichever Region's copies are pruned.
const sources = new AwsSourceInventory(ec2Client(settingsFor(plans.primaryRegion)), rdsClient(settingsFor(plans.primaryRegion)));

const activityLog = activityLogOf({ ...env, region: plans.primaryRegion });

type PlanTotals = Pick<PrunePlanReport, 'planId' | 'status' | 'policy'> & { resources: number; keep: number; delete: number };
type CompactRunSummary = Omit<PruneRunSummary, 'regions'> & {
  regions: Array<Omit<PruneRegionSummary, 'plans'> & { plans: PlanTotals[]; outcomesLeftOut?: number }>;
};

/** A real run returns per-plan totals instead of every point, so the answer stays far below Lambda's 6 MB. */
function planTotals(plan: PrunePlanReport): PlanTotals {
  const points = plan.resources.flatMap((resource) => resource.points);
  const keep = points.filter((point) => point.action === 'keep').length;
  return { planId: plan.planId, status: plan.status, ...(plan.policy ? { policy: plan.policy } : {}), resources: plan.resources.length, keep, delete: points.length - keep };
}

/** Lambda answers at most 6 MB; a dry run's full plan is returned while it stays well below. */
const DRY_RUN_ANSWER_LIMIT = 4_000_000;
/** Outcomes a too-large dry run still lists per Region (a real run's are bounded by its deletion budget). */
const DRY_RUN_OUTCOMES_SHOWN = 1_000;

function compact(summary: PruneRunSummary, outcomesShown = Number.POSITIVE_INFINITY): CompactRunSummary {
  return {
    ...summary,
    regions: summary.regions.map((region) => ({
      ...region,
      plans: region.plans.map(planTotals),
      outcomes: region.outcomes.slice(0, outcomesShown),
      ...(region.outcomes.length > outcomesShown ? { outcomesLeftOut: region.outcomes.length - outcomesShown } : {}),
    })),
  };
}

export const handler = lambdaStack(observability, async (event: unknown, context: Context): Promise<PruneRunSummary | CompactRunSummary> => {
  const run = parsePruneRun(event, clock.now());
  const summary = await pruneEveryRegion(
    { config: plans, regions: run.region ? [run.region] : pruneRegionsOf(plans), now: run.scheduledTime, dryRun: run.dryRun, budget: run.budget ?? PRUNE_DEFAULTS.budget },
    (region) => ({
      stack: env.stack,
      catalog: new SnapshotCatalog(ec2Client(settingsFor(region)), rdsClient(settingsFor(region)), region),
      sources,
      deleter: new AwsSnapshotDeleter(ec2Client(settingsFor(region)), rdsClient(settingsFor(region)), region),
      retry: retryDelays.transient,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      onOutcome: (outcome) => {
        if (outcome.status === 'failed') logger.error('snapshot not deleted', { ...outcome });
        else if (outcome.status === 'skipped-in-use') logger.warn('snapshot in use, skipped', { ...outcome });
      },
    }),
  );
  metrics.addMetric('PointsPruned', MetricUnit.Count, summary.pointsPruned);
  metrics.addMetric('PruneFailures', MetricUnit.Count, summary.failures);
  for (const failed of summary.failedRegions) logger.error('Region not pruned', failed);
  for (const region of summary.regions) {
    for (const plan of region.plans.filter((candidate) => candidate.status !== 'planned')) {
      logger.warn('recovery points kept untouched', { region: region.region, ...planTotals(plan) });
    }
    const { region: name, role, counts, continuation, remaining, stoppedBecause } = region;
    logger.info('Region pruned', { region: name, role, counts, continuation, remaining, stoppedBecause });
  }
  // A dry run answers every point it planned, unless that would pass Lambda's 6 MB answer (a large estate):
  // then the totals and the first outcomes, and the CLI's `prune --dry-run` prints the whole plan.
  if (run.dryRun) return Buffer.byteLength(JSON.stringify(summary)) <= DRY_RUN_ANSWER_LIMIT ? summary : compact(summary, DRY_RUN_OUTCOMES_SHOWN);
  await activityLog?.record({
    at: run.scheduledTime,
    kind: 'prune',
    source: 'prune',
    pruned: summary.pointsPruned,
    ...boundedFailures([
      ...summary.regions.flatMap((region) =>
        region.outcomes.flatMap((outcome) =>
          outcome.status === 'failed' || outcome.status === 'skipped-in-use'
            ? [{ resourceId: outcome.snapshotId, errorName: outcome.errorName ?? outcome.status, reason: outcome.reason ?? outcome.status }]
            : [],
        ),
      ),
      ...summary.failedRegions.map((failed) => ({ resourceId: failed.region, errorName: failed.errorName, reason: failed.reason })),
    ]),
  });
  return compact(summary);
});
