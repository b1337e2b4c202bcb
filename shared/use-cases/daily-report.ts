import { summarizeActivity, type ActivityRecord } from '../domain/activity.js';
import { copyCompletedAtOf } from '../domain/copies.js';
import type { Plan, PlansConfig, ResourceType } from '../domain/plan-schema.js';
import { planSelects } from '../domain/plan-selection.js';
import { TAG, type Tags } from '../domain/recovery-point-tags.js';
import { groupRecoveryPoints, type StoredRecoveryPoint, type StoredSnapshot } from '../domain/recovery-points.js';
import type {
  DrillStatus,
  PlanStatus,
  RegionRecoveryStatus,
  ReportInput,
  ReportSettings,
  ResourceStatus,
  StorageEstimate,
  UnprotectedResource,
} from '../domain/report-model.js';
import { DAY_MS } from '../domain/durations.js';

const GIB = 1024 ** 3;

export interface InventoryEntry {
  type: ResourceType;
  id: string;
  name?: string;
  tags: Tags;
  coveredBy: string[];
}

export interface DlmTargetEntry {
  resourceTypes: ResourceType[];
  targetTags: Array<{ key: string; value: string }>;
}

export interface DailyReportDeps {
  stack: string;
  config: PlansConfig;
  now: Date;
  timezone: string;
  settings: ReportSettings;
  inventory: () => Promise<InventoryEntry[]>;
  /** Our snapshots in one Region. */
  snapshots: (region: string) => Promise<StoredSnapshot[]>;
  activity: (from: Date, to: Date) => Promise<ActivityRecord[]>;
  dlmTargets: () => Promise<DlmTargetEntry[]>;
}

/** When a recovery point's data was taken: a DR copy carries its source's time, so copy lag counts. */
function sourceTime(point: StoredRecoveryPoint): Date {
  const tagged = point.tags[TAG.sourceTime];
  const parsed = tagged ? Date.parse(tagged) : Number.NaN;
  return Number.isNaN(parsed) ? point.time : new Date(parsed);
}

/** A copied point is complete when its last copy is: unknown while any copy's completion time is. */
function copyLagMs(point: StoredRecoveryPoint): number | undefined {
  const completions = point.snapshots.map(copyCompletedAtOf);
  if (!completions.length || completions.some((completed) => completed === undefined)) return undefined;
  const completed = Math.max(...completions.map((completed) => (completed as Date).getTime()));
  return Math.max(0, completed - sourceTime(point).getTime());
}

function newestGood(points: readonly StoredRecoveryPoint[]): StoredRecoveryPoint | undefined {
  let best: StoredRecoveryPoint | undefined;
  for (const point of points) {
    if (point.state !== 'completed') continue;
    if (!best || sourceTime(point).getTime() > sourceTime(best).getTime()) best = point;
  }
  return best;
}

function regionsOf(plan: Plan, primary: string): string[] {
  return [primary, ...plan.copies.map((copy) => copy.region)];
}

function storage(plan: Plan, region: string, snapshots: readonly StoredSnapshot[]): StorageEstimate | undefined {
  const mine = snapshots.filter((snapshot) => snapshot.tags[TAG.plan] === plan.id);
  if (!mine.length) return undefined;
  const measured = mine.filter((snapshot) => snapshot.storedBytes !== undefined).length;
  const bytes = mine.reduce((total, snapshot) => total + (snapshot.storedBytes ?? (snapshot.sizeGiB ?? 0) * GIB), 0);
  const basis = measured === mine.length ? 'measured' : measured === 0 ? 'upper-bound' : 'mixed';
  return { planId: plan.id, region, snapshots: mine.length, bytes, basis };
}

function latestDrills(config: PlansConfig, records: readonly ActivityRecord[], now: Date, staleDays: number): DrillStatus[] {
  return config.plans.map((plan) => {
    const drills = records.filter((record) => record.kind === 'drill' && record.planId === plan.id && record.drill);
    const last = drills.sort((a, b) => b.at.getTime() - a.at.getTime())[0]?.drill;
    const stale = !last || now.getTime() - last.at.getTime() > staleDays * DAY_MS;
    return { planId: plan.id, ...(last ? { lastDrill: last } : {}), stale };
  });
}

/**
 * Gathers what the daily report says: per plan the newest good recovery point of each resource in every
 * Region against the RPO, coverage, the last 24 hours, drills and storage. Anything it cannot read becomes
 * a warning in the report rather than a missing email.
 */
export async function gatherDailyReport(deps: DailyReportDeps): Promise<ReportInput> {
  const { config, now } = deps;
  const warnings: string[] = [];
  const regions = [...new Set(config.plans.flatMap((plan) => regionsOf(plan, config.primaryRegion)))];

  const [inventory, dlmTargets, records, ...perRegion] = await Promise.all([
    deps.inventory(),
    deps.dlmTargets().catch((error: Error) => {
      warnings.push(`DLM policies could not be read (${error.name}: ${error.message}); DLM coverage is not counted`);
      return [] as DlmTargetEntry[];
    }),
    deps.activity(new Date(now.getTime() - 40 * DAY_MS), now),
    ...regions.map((region) =>
      deps.snapshots(region).catch((error: Error) => {
        warnings.push(`snapshots in ${region} could not be listed (${error.name}: ${error.message})`);
        return [] as StoredSnapshot[];
      }),
    ),
  ]);
  const snapshotsByRegion = new Map(regions.map((region, index) => [region, perRegion[index] ?? []]));
  const pointsByRegion = new Map(regions.map((region) => [region, groupRecoveryPoints(snapshotsByRegion.get(region) ?? [])]));
  const existing = new Map(inventory.map((resource) => [resource.id, resource]));

  const plans: PlanStatus[] = config.plans.map((plan) => {
    const planRegions = regionsOf(plan, config.primaryRegion);
    const selected = inventory.filter((resource) => planSelects(plan, resource));
    const selectedIds = new Set(selected.map((resource) => resource.id));
    // A member of a selected instance or cluster is protected through it, not on its own.
    const protectedResources = selected.filter((resource) => !resource.coveredBy.some((id) => selectedIds.has(id)));
    const ids = new Set(protectedResources.map((resource) => resource.id));
    // Resources that are gone but still have recovery points of this plan stay in the report.
    for (const point of pointsByRegion.get(config.primaryRegion) ?? []) {
      if (point.planId === plan.id && !ids.has(point.resourceId) && !existing.has(point.resourceId)) ids.add(point.resourceId);
    }
    const resources: ResourceStatus[] = [...ids].map((resourceId) => {
      const live = existing.get(resourceId);
      const anyPoint = planRegions.flatMap((region) => pointsByRegion.get(region) ?? []).find((point) => point.resourceId === resourceId);
      const statuses: RegionRecoveryStatus[] = planRegions.map((region) => {
        const points = (pointsByRegion.get(region) ?? []).filter((point) => point.planId === plan.id && point.resourceId === resourceId);
        const best = newestGood(points);
        if (!best) return { region, compliant: false };
        const ageMs = Math.max(0, now.getTime() - sourceTime(best).getTime());
        const lag = region === config.primaryRegion ? undefined : copyLagMs(best);
        return { region, latestGoodAt: sourceTime(best), ageMs, compliant: ageMs <= plan.rpoMs, ...(lag !== undefined ? { copyLagMs: lag } : {}) };
      });
      const type = live?.type ?? anyPoint?.resourceType ?? 'ebs-volume';
      const name = live?.name ?? anyPoint?.tags.Name;
      return { resourceId, type, ...(name ? { name } : {}), exists: Boolean(live), regions: statuses };
    });
    return {
      planId: plan.id,
      description: plan.description,
      engine: plan.engine,
      rpoMs: plan.rpoMs,
      rtoMs: plan.rtoMs,
      regions: planRegions,
      resources,
    };
  });

  const protectedIds = new Set(plans.flatMap((plan) => plan.resources.map((resource) => resource.resourceId)));
  const coveredByDlm = (resource: InventoryEntry) =>
    dlmTargets.some(
      (target) => target.resourceTypes.includes(resource.type) && target.targetTags.some((tag) => resource.tags[tag.key] === tag.value),
    );
  const unprotected: UnprotectedResource[] = inventory
    .filter((resource) => !protectedIds.has(resource.id) && !resource.coveredBy.some((id) => protectedIds.has(id)) && !coveredByDlm(resource))
    .map((resource) => ({ type: resource.type, id: resource.id, ...(resource.name ? { name: resource.name } : {}) }));

  const storageRows = config.plans.flatMap((plan) =>
    regionsOf(plan, config.primaryRegion).flatMap((region) => {
      const row = storage(plan, region, snapshotsByRegion.get(region) ?? []);
      return row ? [row] : [];
    }),
  );

  return {
    generatedAt: now,
    stack: deps.stack,
    primaryRegion: config.primaryRegion,
    timezone: deps.timezone,
    plans,
    unprotected,
    activity: summarizeActivity(records.filter((record) => now.getTime() - record.at.getTime() <= DAY_MS)),
    drills: latestDrills(config, records, now, deps.settings.drillStaleDays),
    storage: storageRows,
    warnings,
    settings: deps.settings,
  };
}
