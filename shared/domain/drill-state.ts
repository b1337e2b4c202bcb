/**
 * The data a restore drill carries from state to state (statemachines/restore-drill.asl.json), with the zod
 * schemas each step parses its part with: a drift between the ASL and the handlers fails loudly and precisely.
 */
import * as z from 'zod/mini';
import { DRILL_TRIGGERS, type DrillContext, type RestoreKind, type SelectedRecoveryPoint } from './drill.js';
import { BadInputError } from './errors.js';
import { RESOURCE_TYPES } from './resource-types.js';

const RESTORE_KINDS = ['ebs-volume', 'rds-instance', 'aurora-cluster'] as const satisfies readonly RestoreKind[];

/** A resource a drill restored: a volume, an RDS instance, or an Aurora cluster with its member instances. */
export interface RestoredResource {
  kind: RestoreKind;
  id: string;
  region: string;
  snapshotId: string;
  /** EBS: the snapshot's size, which the restored volume must have. */
  expectedSizeGiB: number | null;
  /** Aurora: the instance(s) created in the cluster so it can serve queries. */
  memberInstanceIds: string[];
}

export interface RestoreResult {
  resources: RestoredResource[];
  /**
   * When the restore was requested (the state's entered time): a resource not visible yet is waited for a while
   * after it. Absent in results of executions started before it was recorded; the drill's start stands in.
   */
  requestedAt?: string;
}

export interface ResourceStatus {
  kind: RestoreKind;
  id: string;
  status: string;
}

export interface ReadinessResult {
  ready: boolean;
  nextCheckInSeconds: number;
  statuses: ResourceStatus[];
}

export interface UserValidationVerdict {
  functionName: string;
  passed: boolean;
  message: string;
}

export interface ValidationResult {
  /** What was checked and found right, one sentence each. */
  checks: string[];
  user: UserValidationVerdict | null;
}

export interface CleanupResult {
  /** Why nothing was looked for (the drill never got a Region and id); null when cleanup ran. */
  skipped: string | null;
  deleted: ResourceStatus[];
  /** Found after deleting, neither gone nor deleting (normally empty: CleanupIncompleteError is thrown instead). */
  remaining: ResourceStatus[];
}

/** An error caught by a state's Catch: Step Functions' {Error, Cause}. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

const iso = z.iso.datetime({ offset: true });
const nonEmpty = z.string().check(z.minLength(1));

export const drillContextSchema = z.object({
  id: nonEmpty,
  executionArn: nonEmpty,
  trigger: z.enum(DRILL_TRIGGERS),
  planId: nonEmpty,
  region: nonEmpty,
  regionRole: z.enum(['primary', 'dr']),
  resourceId: z.nullable(z.string()),
  startedAt: iso,
  restoreDeadline: iso,
  expiresAt: iso,
  rpoMs: z.number(),
  rtoMs: z.number(),
  restoreTimeoutMs: z.number(),
  settings: z.object({
    instanceClass: z.nullable(z.string()),
    subnetGroup: z.nullable(z.string()),
    securityGroupIds: z.array(z.string()),
    availabilityZone: z.nullable(z.string()),
    validationFunction: z.nullable(z.string()),
    networkSettingsSkipped: z.boolean(),
  }),
}) satisfies z.ZodMiniType<DrillContext>;

export const selectedRecoveryPointSchema = z.object({
  id: z.string(),
  resourceId: z.string(),
  resourceType: z.enum(RESOURCE_TYPES),
  region: z.string(),
  slot: z.string(),
  dataTime: iso,
  isCopy: z.boolean(),
  achievedRpoMs: z.number(),
  snapshots: z
    .array(z.object({ kind: z.enum(['ebs', 'rds-instance', 'rds-cluster']), id: z.string(), arn: z.nullable(z.string()), sizeGiB: z.nullable(z.number()) }))
    .check(z.minLength(1)),
}) satisfies z.ZodMiniType<SelectedRecoveryPoint>;

const restoredResourceSchema = z.object({
  kind: z.enum(RESTORE_KINDS),
  id: z.string(),
  region: z.string(),
  snapshotId: z.string(),
  expectedSizeGiB: z.nullable(z.number()),
  memberInstanceIds: z.array(z.string()),
}) satisfies z.ZodMiniType<RestoredResource>;

export const restoreResultSchema = z.object({ resources: z.array(restoredResourceSchema), requestedAt: z.optional(iso) }) satisfies z.ZodMiniType<RestoreResult>;

const statusSchema = z.object({ kind: z.enum(RESTORE_KINDS), id: z.string(), status: z.string() }) satisfies z.ZodMiniType<ResourceStatus>;

export const validationResultSchema = z.object({
  checks: z.array(z.string()),
  user: z.nullable(z.object({ functionName: z.string(), passed: z.boolean(), message: z.string() })),
}) satisfies z.ZodMiniType<ValidationResult>;

export const cleanupResultSchema = z.object({
  skipped: z.nullable(z.string()),
  deleted: z.array(statusSchema),
  remaining: z.array(statusSchema),
}) satisfies z.ZodMiniType<CleanupResult>;

const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.optional(z.string()) });

/** A Lambda task's result as the state machine keeps it (`ResultSelector: {"Payload.$": "$.Payload"}`). */
const payload = <T extends z.ZodMiniType>(schema: T) => z.object({ Payload: schema });

/**
 * The whole state as Cleanup and RenderReport receive it. Every part is optional: a failure can happen before
 * any of them exists. `errors` holds what each failed state's Catch caught, keyed by state name.
 */
export const drillStateSchema = z.object({
  input: z.optional(z.unknown()),
  drill: z.optional(payload(drillContextSchema)),
  recoveryPoint: z.optional(payload(selectedRecoveryPointSchema)),
  restore: z.optional(payload(restoreResultSchema)),
  validation: z.optional(payload(validationResultSchema)),
  validated: z.optional(z.object({ at: iso })),
  cleanup: z.optional(payload(cleanupResultSchema)),
  errors: z.optional(z.record(z.string(), caughtErrorSchema)),
});

export type DrillState = z.output<typeof drillStateSchema>;

/** zod/mini loads no English messages (they would undo its saving): the issue's own facts say what was wrong. */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, received ${z.util.parsedType(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${z.util.joinValues(issue.values, '|')}`;
    case 'invalid_format':
      return issue.format === 'datetime' ? 'expected an ISO-8601 timestamp' : `expected the ${issue.format} format`;
    case 'too_small':
      return `expected ${issue.origin} of at least ${issue.minimum}${issue.origin === 'string' ? ' character(s)' : issue.origin === 'array' ? ' item(s)' : ''}`;
    default:
      return issue.message;
  }
}

/**
 * Parses the part of the state one step receives. The state machine builds it, so a mismatch is a bug in the
 * definition or a handler: a BadInputError naming the step and the fields.
 */
export function parseStepEvent<T extends z.ZodMiniType>(step: string, schema: T, event: unknown): z.output<T> {
  // reportInput: the received type is then known to describeIssue.
  const parsed = schema.safeParse(event, { reportInput: true, jitless: true });
  if (!parsed.success) {
    throw new BadInputError(
      `${step} received state data it cannot use`,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${describeIssue(issue)}`),
    );
  }
  return parsed.data;
}

/**
 * The whole state, read leniently: parts that do not parse are dropped (the report must be written whatever
 * went wrong), and the names of the dropped parts are returned so the report can say so.
 */
export function readDrillState(event: unknown): { state: DrillState; unreadable: string[] } {
  const raw = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
  const state: Record<string, unknown> = {};
  const unreadable: string[] = [];
  for (const [key, schema] of Object.entries(drillStateSchema.shape)) {
    if (raw[key] === undefined) continue;
    const parsed = (schema as z.ZodMiniType).safeParse(raw[key], { jitless: true });
    if (parsed.success) state[key] = parsed.data;
    else unreadable.push(key);
  }
  return { state: state as DrillState, unreadable };
}
