/**
 * The steps of a restore drill, one function per state of statemachines/restore-drill.asl.json. Each step is
 * idempotent (a retried step finds what an earlier attempt did) and reads the time it is given, never a clock.
 */
import {
  CleanupIncompleteError,
  CleanupPendingError,
  NoRecoveryPointError,
  RestoreFailedError,
  RestoreTimedOutError,
  RestoreValidationError,
  TransientAwsError,
  UserValidationError,
} from '../domain/drill-errors.js';
import {
  describeSelectedPoint,
  DRILL_TIMING,
  drillDatabaseIdentifier,
  drillResourceTags,
  latestCompletedPoint,
  parseDrillRequest,
  planDrill,
  recoveryPointAvailableAt,
  recoveryPointDataTime,
  restoreKindOf,
  type DrillContext,
  type DrillExecution,
  type RestoreKind,
  type SelectedRecoveryPoint,
} from '../domain/drill.js';
import type { CleanupResult, ReadinessResult, ResourceStatus, RestoredResource, RestoreResult, ValidationResult } from '../domain/drill-state.js';
import { formatDuration } from '../domain/durations.js';
import { BadInputError } from '../domain/errors.js';
import { classifyFailure } from '../domain/failure-classification.js';
import type { PlansConfig } from '../domain/plan-schema.js';
import type { Tags } from '../domain/recovery-point-tags.js';
import type { StoredRecoveryPoint } from '../domain/recovery-points.js';
import { findPlan } from '../runtime/plans.js';

/** Our recovery points of one plan in one Region (the snapshot catalog, grouped). */
export interface RecoveryPointSource {
  listPoints(query: { stack: string; planId: string; region: string }): Promise<StoredRecoveryPoint[]>;
}

/** A resource as the service reports it now. */
export interface ObservedResource {
  kind: RestoreKind;
  id: string;
  /** False when the service no longer knows it (deleted). */
  exists: boolean;
  /** Raw service status: `creating`, `available`, `error`, `deleting`, … */
  status: string;
  sizeGiB?: number;
  endpoint?: string;
  port?: number;
  members: Array<{ id: string; status: string }>;
}

/** A resource carrying our drill tags, as found by tag (cleanup, janitor). Aurora members are `rds-instance`s with a cluster. */
export interface DrillResource {
  kind: RestoreKind;
  id: string;
  region: string;
  status: string;
  tags: Tags;
  clusterId: string | null;
}

export interface RestoreDbInstanceRequest {
  identifier: string;
  snapshotId: string;
  instanceClass: string;
  subnetGroup: string | null;
  securityGroupIds: string[];
  availabilityZone: string | null;
  tags: Tags;
}

export interface RestoreAuroraClusterRequest {
  clusterIdentifier: string;
  instanceIdentifier: string;
  snapshotId: string;
  instanceClass: string;
  subnetGroup: string | null;
  securityGroupIds: string[];
  tags: Tags;
}

/** Restores, observes and deletes drill resources in one Region (EC2 and RDS there). */
export interface DrillBackend {
  readonly region: string;
  restoreVolume(request: { snapshotId: string; availabilityZone: string | null; clientToken: string; tags: Tags }): Promise<{ volumeId: string }>;
  restoreDbInstance(request: RestoreDbInstanceRequest): Promise<void>;
  restoreAuroraCluster(request: RestoreAuroraClusterRequest): Promise<void>;
  observe(resource: RestoredResource): Promise<ObservedResource>;
  findDrillResources(query: { stack: string; drillId?: string }): Promise<DrillResource[]>;
  /** Deletes without a final snapshot or retained backups; throws CleanupPendingError when it cannot be deleted yet. */
  deleteDrillResource(resource: DrillResource): Promise<void>;
}

/** Invokes the plan's validation function with the restored resource and returns its raw answer. */
export interface ValidationFunctionInvoker {
  invoke(functionName: string, payload: unknown): Promise<{ functionError: string | null; payload: unknown }>;
}

/**
 * Runs a step, turning throttling, 5xx and network errors into TransientAwsError, the name the state
 * machine retries on; everything else keeps its own name and is caught by the drill's cleanup path.
 */
export async function drillStep<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const failure = classifyFailure(error);
    if (failure.kind === 'transient') throw new TransientAwsError(`${failure.name}: ${failure.message}`, { cause: error });
    throw error;
  }
}

const DONE_STATUSES = new Set(['available']);
const FAILED_STATUSES = new Set([
  'error',
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'restore-error',
  'storage-full',
]);
const GONE_STATUSES = new Set(['deleting', 'deleted']);
/**
 * EBS volumes restore in seconds to minutes, databases in tens of minutes: poll accordingly, then every 5 % of
 * the time waited so far (at most 5 min), which keeps a day-long wait far below the 25,000-event history limit
 * and the measured RTO within 5 % of the truth.
 */
const POLL_SECONDS: Record<RestoreKind, number> = { 'ebs-volume': 15, 'rds-instance': 60, 'aurora-cluster': 60 };
const POLL_GROWTH = 0.05;
const MAX_POLL_SECONDS = 300;

/**
 * Step 1: the input names a plan that exists, a Region holding its points (primary, dr, or a copy Region) and,
 * when given, a resource with recovery points of that plan. Reads only; creates nothing.
 */
export async function validateDrillInput(
  event: { input: unknown; execution: DrillExecution },
  deps: { config: PlansConfig; stack: string; points: RecoveryPointSource },
): Promise<DrillContext> {
  const request = parseDrillRequest(event.input);
  const plan = findPlan(deps.config, request.planId);
  const drill = planDrill(deps.config, plan, request, event.execution);
  if (drill.resourceId !== null) {
    const regions = [...new Set([deps.config.primaryRegion, drill.region])];
    const points = (await Promise.all(regions.map((region) => deps.points.listPoints({ stack: deps.stack, planId: plan.id, region })))).flat();
    if (!points.some((point) => point.resourceId === drill.resourceId)) {
      const known = [...new Set(points.filter((point) => point.slot).map((point) => point.resourceId))].sort();
      throw new BadInputError(`resource "${drill.resourceId}" has no recovery points of plan "${plan.id}" in ${regions.join(' or ')}`, [
        known.length ? `resources with recovery points of this plan: ${known.join(', ')}` : 'the plan has no recovery points yet',
      ]);
    }
  }
  return drill;
}

/**
 * Step 2: the latest completed recovery point of ours for the resource in the drill's Region, among those
 * that were restorable when the drill started: data from before the start and, where the service or our copy
 * tag says when it completed, completed by then (a DR copy landing after the start would understate the RPO).
 * Achieved RPO = drill start − the time the point holds data from.
 */
export async function selectRecoveryPoint(drill: DrillContext, deps: { stack: string; points: RecoveryPointSource }): Promise<SelectedRecoveryPoint> {
  const startedAt = Date.parse(drill.startedAt);
  const existing = (await deps.points.listPoints({ stack: deps.stack, planId: drill.planId, region: drill.region })).filter(
    (point) => recoveryPointDataTime(point).getTime() <= startedAt,
  );
  const completedLate = (point: StoredRecoveryPoint) => (recoveryPointAvailableAt(point)?.getTime() ?? Number.NEGATIVE_INFINITY) > startedAt;
  const point = latestCompletedPoint(
    existing.filter((candidate) => !completedLate(candidate)),
    drill.resourceId,
  );
  if (!point) {
    const what = drill.resourceId ? `resource "${drill.resourceId}"` : `any resource of plan "${drill.planId}"`;
    const ofResource = existing.filter((candidate) => drill.resourceId === null || candidate.resourceId === drill.resourceId);
    const pending = ofResource.filter((candidate) => candidate.state !== 'completed').length;
    const late = ofResource.filter((candidate) => candidate.state === 'completed' && completedLate(candidate)).length;
    const notes = [...(pending ? [`${pending} pending or failed`] : []), ...(late ? [`${late} completed only after the drill started`] : [])];
    throw new NoRecoveryPointError(`no completed recovery point of ${what} in ${drill.region} at ${drill.startedAt}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  }
  const selected = describeSelectedPoint(point, drill);
  if (restoreKindOf(selected.resourceType) !== 'ebs-volume' && !drill.settings.instanceClass) {
    throw new BadInputError(`plan "${drill.planId}" has no drill.instanceClass`, [
      `drills that restore ${selected.resourceType} need the instance class to restore into (e.g. db.t3.medium)`,
    ]);
  }
  return selected;
}

/**
 * Step 3: restores the point, every resource tagged with the drill id, our ownership tag and the expiry.
 * EBS: one volume per snapshot (ClientToken = drill id); RDS: one instance; Aurora: the cluster plus one
 * instance. Identifiers derive from the drill id, so a retried restore meets what it already made. `now`
 * (the state's entered time) is recorded as when the restore was requested.
 */
export async function restoreRecoveryPoint(
  drill: DrillContext,
  point: SelectedRecoveryPoint,
  now: Date,
  deps: { stack: string; backend: DrillBackend },
): Promise<RestoreResult> {
  const requestedAt = now.toISOString();
  const tags = drillResourceTags(deps.stack, drill);
  const { settings } = drill;
  const kind = restoreKindOf(point.resourceType);
  if (kind === 'ebs-volume') {
    const resources: RestoredResource[] = [];
    for (const [index, snapshot] of point.snapshots.entries()) {
      const clientToken = point.snapshots.length === 1 ? drill.id : `${drill.id}-${index + 1}`;
      const { volumeId } = await deps.backend.restoreVolume({ snapshotId: snapshot.id, availabilityZone: settings.availabilityZone, clientToken, tags });
      resources.push({ kind, id: volumeId, region: drill.region, snapshotId: snapshot.id, expectedSizeGiB: snapshot.sizeGiB, memberInstanceIds: [] });
    }
    return { resources, requestedAt };
  }
  const snapshot = point.snapshots[0];
  if (!snapshot) throw new NoRecoveryPointError(`recovery point ${point.id} has no snapshot`);
  if (!settings.instanceClass) throw new BadInputError(`plan "${drill.planId}" has no drill.instanceClass`);
  const network = { subnetGroup: settings.subnetGroup, securityGroupIds: settings.securityGroupIds };
  if (kind === 'rds-instance') {
    const identifier = drillDatabaseIdentifier(drill.id);
    await deps.backend.restoreDbInstance({ identifier, snapshotId: snapshot.id, instanceClass: settings.instanceClass, availabilityZone: settings.availabilityZone, tags, ...network });
    return { resources: [{ kind, id: identifier, region: drill.region, snapshotId: snapshot.id, expectedSizeGiB: null, memberInstanceIds: [] }], requestedAt };
  }
  const clusterIdentifier = drillDatabaseIdentifier(drill.id);
  const instanceIdentifier = drillDatabaseIdentifier(drill.id, 1);
  await deps.backend.restoreAuroraCluster({ clusterIdentifier, instanceIdentifier, snapshotId: snapshot.id, instanceClass: settings.instanceClass, tags, ...network });
  return {
    resources: [{ kind, id: clusterIdentifier, region: drill.region, snapshotId: snapshot.id, expectedSizeGiB: null, memberInstanceIds: [instanceIdentifier] }],
    requestedAt,
  };
}

function isAvailable(observed: ObservedResource): boolean {
  return observed.exists && DONE_STATUSES.has(observed.status) && observed.members.every((member) => DONE_STATUSES.has(member.status));
}

function describeStatus(observed: ObservedResource): string {
  const members = observed.members.map((member) => `, instance ${member.id} ${member.status}`).join('');
  return `${observed.kind} ${observed.id} ${observed.exists ? observed.status : 'gone'}${members}`;
}

/**
 * Step 4 (polled): are the restored resources available? A resource in a state it never leaves fails the
 * drill at once, and so does one the service does not know, once DRILL_TIMING.notVisibleGraceMs have passed
 * since the restore was requested (before, EC2's eventual consistency may just not show it yet); still waiting
 * at `now` past the deadline fails it with RestoreTimedOutError.
 */
export async function checkRestoreReady(
  drill: DrillContext,
  restore: RestoreResult,
  now: Date,
  deps: { backend: DrillBackend },
): Promise<ReadinessResult> {
  const observed = await Promise.all(restore.resources.map((resource) => deps.backend.observe(resource)));
  const mayBeNotVisibleYet = now.getTime() - Date.parse(restore.requestedAt ?? drill.startedAt) < DRILL_TIMING.notVisibleGraceMs;
  const broken = observed.filter(
    (resource) =>
      (!resource.exists && !mayBeNotVisibleYet) || FAILED_STATUSES.has(resource.status) || resource.members.some((member) => FAILED_STATUSES.has(member.status)),
  );
  if (broken.length) throw new RestoreFailedError(`the restore failed: ${broken.map(describeStatus).join('; ')}`);
  const ready = observed.every(isAvailable);
  const deadline = Date.parse(drill.restoreDeadline);
  if (!ready && now.getTime() >= deadline) {
    throw new RestoreTimedOutError(
      `not available ${formatDuration(drill.restoreTimeoutMs)} after the drill started (the restore timeout: twice the RTO of ${formatDuration(drill.rtoMs)}, within 30 min–24 h); last seen: ${observed.map(describeStatus).join('; ')}`,
    );
  }
  const base = Math.min(...restore.resources.map((resource) => POLL_SECONDS[resource.kind]));
  const waitedSeconds = (now.getTime() - Date.parse(drill.startedAt)) / 1000;
  const cadence = Math.min(MAX_POLL_SECONDS, Math.max(base, Math.round(waitedSeconds * POLL_GROWTH)));
  return {
    ready,
    nextCheckInSeconds: Math.max(1, Math.min(cadence, Math.ceil((deadline - now.getTime()) / 1000))),
    statuses: observed.map((resource) => ({ kind: resource.kind, id: resource.id, status: resource.exists ? resource.status : 'not visible yet' })),
  };
}

const userAnswerProblem = (answer: unknown): string | undefined => {
  if (typeof answer !== 'object' || answer === null) return `answered ${JSON.stringify(answer)}, not an object`;
  const { passed, message } = answer as { passed?: unknown; message?: unknown };
  if (typeof passed !== 'boolean') return 'answered without a boolean "passed"';
  if (message !== undefined && typeof message !== 'string') return 'answered a "message" that is not text';
  return undefined;
};

/**
 * Step 5: the restore is usable. EBS: `available` with the snapshot's size; RDS and Aurora: `available` with
 * an endpoint (and Aurora's instance available). Then the plan's validation function, if any, receives the
 * restored resources and answers {passed, message}.
 */
export async function validateRestore(
  drill: DrillContext,
  point: SelectedRecoveryPoint,
  restore: RestoreResult,
  deps: { backend: DrillBackend; invoker: ValidationFunctionInvoker },
): Promise<ValidationResult> {
  const observed = await Promise.all(restore.resources.map((resource) => deps.backend.observe(resource)));
  const checks: string[] = [];
  const problems: string[] = [];
  restore.resources.forEach((resource, index) => {
    const seen = observed[index] as ObservedResource;
    const name = `${resource.kind} ${resource.id}`;
    if (!isAvailable(seen)) problems.push(`${describeStatus(seen)}, not available`);
    else if (resource.kind === 'ebs-volume') {
      if (resource.expectedSizeGiB !== null && seen.sizeGiB !== resource.expectedSizeGiB) problems.push(`${name} has ${seen.sizeGiB ?? '?'} GiB, the snapshot ${resource.expectedSizeGiB} GiB`);
      else checks.push(`${name} is available with the snapshot's size (${seen.sizeGiB ?? '?'} GiB)`);
    } else if (!seen.endpoint) problems.push(`${name} is available but has no endpoint`);
    else checks.push(`${name} is available at ${seen.endpoint}${seen.port ? `:${seen.port}` : ''}${seen.members.length ? ` with instance ${seen.members.map((member) => member.id).join(', ')} available` : ''}`);
  });
  if (problems.length) throw new RestoreValidationError(`the restore is not usable: ${problems.join('; ')}`);

  const functionName = drill.settings.validationFunction;
  if (!functionName) return { checks, user: null };
  const answer = await deps.invoker.invoke(functionName, {
    drillId: drill.id,
    planId: drill.planId,
    region: drill.region,
    resourceId: point.resourceId,
    resourceType: point.resourceType,
    recoveryPoint: { id: point.id, slot: point.slot, snapshotIds: point.snapshots.map((snapshot) => snapshot.id) },
    restored: restore.resources.map((resource, index) => {
      const seen = observed[index] as ObservedResource;
      return {
        kind: resource.kind,
        id: resource.id,
        region: resource.region,
        ...(seen.sizeGiB !== undefined ? { sizeGiB: seen.sizeGiB } : {}),
        ...(seen.endpoint ? { endpoint: seen.endpoint } : {}),
        ...(seen.port ? { port: seen.port } : {}),
        memberInstanceIds: resource.memberInstanceIds,
      };
    }),
  });
  if (answer.functionError) throw new UserValidationError(`validation function ${functionName} failed: ${answer.functionError}`);
  const problem = userAnswerProblem(answer.payload);
  if (problem) throw new UserValidationError(`validation function ${functionName} ${problem}; it must answer {"passed": true|false, "message": "…"}`);
  const { passed, message } = answer.payload as { passed: boolean; message?: string };
  const verdict = { functionName, passed, message: message ?? (passed ? 'passed' : 'failed') };
  if (!passed) throw new UserValidationError(`validation function ${functionName} failed the restore: ${verdict.message}`);
  return { checks, user: verdict };
}

/** Deletion order: instances (Aurora members included) before the clusters that hold them. */
const DELETE_ORDER: Record<RestoreKind, number> = { 'rds-instance': 0, 'ebs-volume': 1, 'aurora-cluster': 2 };

/**
 * Deletes each resource, instances before clusters. A delete the service cannot do yet (CleanupPendingError) or
 * that failed for a passing reason (throttling, 5xx, network) is pending: the state machine retries Cleanup.
 */
async function deleteAll(resources: readonly DrillResource[], backend: DrillBackend): Promise<{ pending: string[]; failed: string[] }> {
  const pending: string[] = [];
  const failed: string[] = [];
  for (const resource of [...resources].sort((a, b) => DELETE_ORDER[a.kind] - DELETE_ORDER[b.kind])) {
    if (GONE_STATUSES.has(resource.status)) continue;
    try {
      await backend.deleteDrillResource(resource);
    } catch (error) {
      const name = `${resource.kind} ${resource.id}`;
      const failure = classifyFailure(error);
      if (error instanceof CleanupPendingError) pending.push(`${name} (${error.message})`);
      else if (failure.kind === 'transient') pending.push(`${name} (${failure.name}: ${failure.message})`);
      else failed.push(`${name}: ${failure.name}: ${failure.message}`);
    }
  }
  return { pending, failed };
}

const sameResource = (a: { kind: RestoreKind; id: string }, b: { kind: RestoreKind; id: string }) => a.kind === b.kind && a.id === b.id;

/**
 * What the restore step said it made, as drill resources (Aurora: the cluster and its member instances), with
 * the tags it made them with: so a resource the tag search does not list yet is deleted all the same.
 */
function restoredDrillResources(drill: DrillContext, restore: RestoreResult | undefined, stack: string): Array<{ resource: DrillResource; restored: RestoredResource }> {
  const tags = drillResourceTags(stack, drill);
  return (restore?.resources ?? []).flatMap((restored) => [
    ...restored.memberInstanceIds.map((id) => ({
      resource: { kind: 'rds-instance' as const, id, region: restored.region, status: 'unknown', tags, clusterId: restored.id },
      restored: { ...restored, kind: 'rds-instance' as const, id, memberInstanceIds: [] },
    })),
    { resource: { kind: restored.kind, id: restored.id, region: restored.region, status: 'unknown', tags, clusterId: null }, restored },
  ]);
}

/**
 * Step 7 (always): deletes every resource tagged with the drill's id in its Region (found by tag, so what a
 * failed or timed-out step made is found too) and every resource the restore step returned (found by id, as a
 * just-made resource may not be listed by tag yet), then confirms each is gone or deleting. What cannot be
 * deleted yet, failed to delete for a passing reason, or does not read as deleting yet throws
 * CleanupPendingError (retried); a delete refused for good throws CleanupIncompleteError (the janitor's part).
 */
export async function cleanupDrill(
  drill: DrillContext | undefined,
  restore: RestoreResult | undefined,
  deps: { stack: string; backendFor: (region: string) => DrillBackend },
): Promise<CleanupResult> {
  if (!drill) return { skipped: 'nothing to clean up: the drill stopped before it had a Region and an id, so it created nothing', deleted: [], remaining: [] };
  const backend = deps.backendFor(drill.region);
  const found = await backend.findDrillResources({ stack: deps.stack, drillId: drill.id });
  const restored = restoredDrillResources(drill, restore, deps.stack).filter(({ resource }) => resource.region === drill.region);
  const targets = [...found, ...restored.map(({ resource }) => resource).filter((resource) => !found.some((candidate) => sameResource(candidate, resource)))];
  const { pending, failed } = await deleteAll(targets, backend);
  if (failed.length) throw new CleanupIncompleteError(`could not delete ${failed.join('; ')}${pending.length ? `; not deleted yet either: ${pending.join('; ')}` : ''}`);
  if (pending.length) throw new CleanupPendingError(`cannot delete yet: ${pending.join('; ')}`);
  const listed = await backend.findDrillResources({ stack: deps.stack, drillId: drill.id });
  const unlisted = restored.filter(({ resource }) => !listed.some((candidate) => sameResource(candidate, resource)));
  const observed = await Promise.all(unlisted.map(({ restored: resource }) => backend.observe(resource)));
  const after = [
    ...listed.map((resource) => ({ kind: resource.kind, id: resource.id, status: resource.status })),
    ...observed.filter((resource) => resource.exists).map((resource) => ({ kind: resource.kind, id: resource.id, status: resource.status })),
  ];
  const remaining = after.filter((resource) => !GONE_STATUSES.has(resource.status));
  if (remaining.length) {
    // Deleted a moment ago, or listed only now (tags and lists are eventually consistent): the retry settles it.
    throw new CleanupPendingError(`not deleting yet after the delete: ${remaining.map((resource) => `${resource.kind} ${resource.id} ${resource.status}`).join(', ')}`);
  }
  const status = (resource: DrillResource): ResourceStatus => ({
    kind: resource.kind,
    id: resource.id,
    status: after.find((candidate) => sameResource(candidate, resource))?.status ?? 'deleted',
  });
  return { skipped: null, deleted: targets.map(status), remaining: [] };
}
