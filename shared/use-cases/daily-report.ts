import { ACTIVITY_RETENTION_MS, summarizeActivity, type ActivityRecord } from '../domain/activity.js';
import { copyCompletedAtOf } from '../domain/copies.js';
import type { Plan, PlansConfig, ResourceType } from '../domain/plan-schema.js';
import { planSelects } from '../domain/plan-selection.js';
import { TAG, type Tags } from '../domain/recovery-point-tags.js';
import { groupRecoveryPoints, resourceKey, type StoredRecoveryPoint, type StoredSnapshot } from '../domain/recovery-points.js';
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
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../domain/durations.js';
import { previousOccurrence } from '../domain/schedule-expression.js';

const GIB = 1024 ** 3;
/** A scheduled drill restores, validates and records within hours; a day also lets a late or retried one count. */
const DRILL_GRACE_MS = DAY_MS;
/** A DR Region's first copy is a full copy (hours for a large volume) started once the first point completes. */
const FIRST_COPY_ALLOWANCE_MS = 12 * HOUR_MS;
/** The report runs a little after its scheduled time and reads the inventory then: a resource may be that new. */
const CLOCK_SKEW_MS = 15 * MINUTE_MS;
/** The type of resource whose recovery point contains a member: a volume's instance, an RDS instance's cluster. */
const COVERING_TYPE: Partial<Record<ResourceType, ResourceType>> = { 'ebs-volume': 'ec2-instance', 'rds-instance': 'aurora-cluster' };

export interface InventoryEntry {
  type: ResourceType;
  id: string;
  name?: string;
  tags: Tags;
  coveredBy: string[];
  /** When the resource was created: without a point yet, it is pending while inside its first RPO window. */
  createdAt?: Date;
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

/**
 * The latest drill per plan. A plan with a drill schedule is judged against the latest scheduled run that
 * should have finished by now; a plan without one against the fixed drillStaleDays. When that run is older
 * than the run log keeps and no drill since is found, whether it ran cannot be told: said, not guessed.
 */
function latestDrills(config: PlansConfig, records: readonly ActivityRecord[], now: Date, staleDays: number): DrillStatus[] {
  return config.plans.map((plan) => {
    const drills = records.filter((record) => record.kind === 'drill' && record.planId === plan.id && record.drill);
    const last = drills.sort((a, b) => b.at.getTime() - a.at.getTime())[0]?.drill;
    const dueAt = drillDueAt(plan, now);
    const lastDrill = last ? { lastDrill: last } : {};
    if (!plan.drill?.schedule) {
      return { planId: plan.id, ...lastDrill, stale: !last || now.getTime() - last.at.getTime() > staleDays * DAY_MS };
    }
    if (!dueAt) return { planId: plan.id, ...lastDrill, stale: false };
    const ranSinceDue = last !== undefined && last.at.getTime() >= dueAt.getTime();
    const beyondRunLog = !ranSinceDue && now.getTime() - dueAt.getTime() > ACTIVITY_RETENTION_MS;
    return { planId: plan.id, ...lastDrill, stale: !ranSinceDue && !beyondRunLog, dueAt, ...(beyondRunLog ? { beyondRunLog } : {}) };
  });
}

/** The latest scheduled drill of a plan that should have finished by now, in the schedule's timezone. */
function drillDueAt(plan: Plan, now: Date): Date | undefined {
  const schedule = plan.drill?.schedule;
  return schedule ? previousOccurrence(schedule.expression, new Date(now.getTime() - DRILL_GRACE_MS), schedule.timezone) : undefined;
}

/** True while a resource without a good point is still inside its first window: no point was due yet. */
function isNew(resource: InventoryEntry | undefined, now: Date, allowanceMs: number): boolean {
  if (!resource?.createdAt) return false;
  const age = now.getTime() - resource.createdAt.getTime();
  return age >= -CLOCK_SKEW_MS && age <= allowanceMs;
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
  // The run log is read back far enough to see the latest scheduled drill of every plan (a quarterly one too).
  const dueTimes = config.plans.flatMap((plan) => drillDueAt(plan, now)?.getTime() ?? []);
  const activityFrom = new Date(Math.min(now.getTime() - ACTIVITY_RETENTION_MS, ...dueTimes));

  const [inventory, dlmTargets, records, ...perRegion] = await Promise.all([
    deps.inventory(),
    deps.dlmTargets().catch((error: Error) => {
      warnings.push(`DLM policies could not be read (${error.name}: ${error.message}); DLM coverage is not counted`);
      return [] as DlmTargetEntry[];
    }),
    deps.activity(activityFrom, now),
    ...regions.map((region) =>
      deps.snapshots(region).catch((error: Error) => {
        warnings.push(`snapshots in ${region} could not be listed (${error.name}: ${error.message})`);
        return [] as StoredSnapshot[];
      }),
    ),
  ]);
  const snapshotsByRegion = new Map(regions.map((region, index) => [region, perRegion[index] ?? []]));
  const pointsByRegion = new Map(regions.map((region) => [region, groupRecoveryPoints(snapshotsByRegion.get(region) ?? [])]));
  // Resources are named by type and id throughout: an RDS instance and an Aurora cluster may share an identifier.
  const keyOf = (resource: InventoryEntry) => resourceKey({ type: resource.type, id: resource.id });
  const existing = new Map(inventory.map((resource) => [keyOf(resource), resource]));
  const typesById = new Map<string, ResourceType[]>();
  for (const resource of inventory) typesById.set(resource.id, [...(typesById.get(resource.id) ?? []), resource.type]);
  // A point without a type tag belongs to the one live resource of its id, when there is exactly one.
  const typeOfPoint = (point: StoredRecoveryPoint): ResourceType | undefined => {
    const live = typesById.get(point.resourceId);
    return point.resourceType ?? (live?.length === 1 ? live[0] : undefined);
  };
  const pointKey = (point: StoredRecoveryPoint) => resourceKey({ type: typeOfPoint(point), id: point.resourceId });
  const coveringKeys = (resource: InventoryEntry): string[] => {
    const type = COVERING_TYPE[resource.type];
    return type ? resource.coveredBy.map((id) => resourceKey({ type, id })) : [];
  };

  const plans: PlanStatus[] = config.plans.map((plan) => {
    const planRegions = regionsOf(plan, config.primaryRegion);
    const selected = inventory.filter((resource) => planSelects(plan, resource));
    const selectedKeys = new Set(selected.map(keyOf));
    // A member of a selected instance or cluster is protected through it, not on its own.
    const protectedResources = selected.filter((resource) => !coveringKeys(resource).some((key) => selectedKeys.has(key)));
    const members = new Map(protectedResources.map((resource) => [keyOf(resource), { type: resource.type, id: resource.id }]));
    // Resources that are gone but still have recovery points of this plan stay in the report.
    for (const point of pointsByRegion.get(config.primaryRegion) ?? []) {
      const key = pointKey(point);
      if (point.planId === plan.id && !members.has(key) && !existing.has(key)) {
        members.set(key, { type: typeOfPoint(point) ?? 'ebs-volume', id: point.resourceId });
      }
    }
    const resources: ResourceStatus[] = [...members].map(([key, member]) => {
      const live = existing.get(key);
      const anyPoint = planRegions.flatMap((region) => pointsByRegion.get(region) ?? []).find((point) => pointKey(point) === key);
      const statuses: RegionRecoveryStatus[] = planRegions.map((region) => {
        const primary = region === config.primaryRegion;
        // DLM copies of volume snapshots cannot be tied to their volume (EC2 reports an arbitrary volume id on a
        // copy), so such a Region is judged by the newest copy of any of the plan's volumes there, and says so.
        const planLevel = !primary && plan.engine === 'dlm' && member.type === 'ebs-volume';
        const points = (pointsByRegion.get(region) ?? []).filter(
          (point) => point.planId === plan.id && (planLevel ? typeOfPoint(point) === 'ebs-volume' : pointKey(point) === key),
        );
        const scope = planLevel ? { scope: 'plan' as const } : {};
        const best = newestGood(points);
        if (!best) {
          // The first copy may only start once the first point completes, and takes a while itself.
          const allowance = plan.rpoMs + (primary ? 0 : FIRST_COPY_ALLOWANCE_MS);
          return { region, compliant: isNew(live, now, allowance), ...scope };
        }
        const ageMs = Math.max(0, now.getTime() - sourceTime(best).getTime());
        const lag = primary ? undefined : copyLagMs(best);
        return { region, latestGoodAt: sourceTime(best), ageMs, compliant: ageMs <= plan.rpoMs, ...(lag !== undefined ? { copyLagMs: lag } : {}), ...scope };
      });
      const type = live?.type ?? member.type;
      const name = live?.name ?? anyPoint?.tags.Name;
      return { resourceId: member.id, type, ...(name ? { name } : {}), exists: Boolean(live), regions: statuses };
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

  const protectedKeys = new Set(plans.flatMap((plan) => plan.resources.map((resource) => resourceKey({ type: resource.type, id: resource.resourceId }))));
  const targetedByDlm = (resource: InventoryEntry) =>
    dlmTargets.some(
      (target) => target.resourceTypes.includes(resource.type) && target.targetTags.some((tag) => resource.tags[tag.key] === tag.value),
    );
  // A volume of an instance a DLM instance policy snapshots is covered through that instance.
  const coveredByDlm = (resource: InventoryEntry) =>
    targetedByDlm(resource) || coveringKeys(resource).some((key) => existing.has(key) && targetedByDlm(existing.get(key) as InventoryEntry));
  const unprotected: UnprotectedResource[] = inventory
    .filter((resource) => !protectedKeys.has(keyOf(resource)) && !coveringKeys(resource).some((key) => protectedKeys.has(key)) && !coveredByDlm(resource))
    .map((resource) => ({ type: resource.type, id: resource.id, ...(resource.name ? { name: resource.name } : {}) }));

  const drills = latestDrills(config, records, now, deps.settings.drillStaleDays);
  for (const drill of drills) {
    if (drill.beyondRunLog && drill.dueAt) {
      warnings.push(
        `plan ${drill.planId}: its last scheduled drill (${drill.dueAt.toISOString()}) is older than the run log keeps ` +
          `(${ACTIVITY_RETENTION_MS / DAY_MS} days), so the report cannot tell whether it ran: see that drill's email`,
      );
    }
  }

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
    drills,
    storage: storageRows,
    warnings,
    settings: deps.settings,
  };
}
