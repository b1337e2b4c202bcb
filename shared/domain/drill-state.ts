/**
 * The data a restore drill carries from state to state (statemachines/restore-drill.asl.json), with the zod
 * schemas each step parses its part with: a drift between the ASL and the handlers fails loudly and precisely.
 */
import * as z from 'zod';
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

export const drillContextSchema = z.object({
  id: z.string().min(1),
  executionArn: z.string().min(1),
  trigger: z.enum(DRILL_TRIGGERS),
  planId: z.string().min(1),
  region: z.string().min(1),
  regionRole: z.enum(['primary', 'dr']),
  resourceId: z.string().nullable(),
  startedAt: iso,
  restoreDeadline: iso,
  expiresAt: iso,
  rpoMs: z.number(),
  rtoMs: z.number(),
  restoreTimeoutMs: z.number(),
  settings: z.object({
    instanceClass: z.string().nullable(),
    subnetGroup: z.string().nullable(),
    securityGroupIds: z.array(z.string()),
    availabilityZone: z.string().nullable(),
    validationFunction: z.string().nullable(),
    networkSettingsSkipped: z.boolean(),
  }),
}) satisfies z.ZodType<DrillContext>;

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
    .array(z.object({ kind: z.enum(['ebs', 'rds-instance', 'rds-cluster']), id: z.string(), arn: z.string().nullable(), sizeGiB: z.number().nullable() }))
    .min(1),
}) satisfies z.ZodType<SelectedRecoveryPoint>;

const restoredResourceSchema = z.object({
  kind: z.enum(RESTORE_KINDS),
  id: z.string(),
  region: z.string(),
  snapshotId: z.string(),
  expectedSizeGiB: z.number().nullable(),
  memberInstanceIds: z.array(z.string()),
}) satisfies z.ZodType<RestoredResource>;

export const restoreResultSchema = z.object({ resources: z.array(restoredResourceSchema) }) satisfies z.ZodType<RestoreResult>;

const statusSchema = z.object({ kind: z.enum(RESTORE_KINDS), id: z.string(), status: z.string() }) satisfies z.ZodType<ResourceStatus>;

export const validationResultSchema = z.object({
  checks: z.array(z.string()),
  user: z.object({ functionName: z.string(), passed: z.boolean(), message: z.string() }).nullable(),
}) satisfies z.ZodType<ValidationResult>;

export const cleanupResultSchema = z.object({
  skipped: z.string().nullable(),
  deleted: z.array(statusSchema),
  remaining: z.array(statusSchema),
}) satisfies z.ZodType<CleanupResult>;

const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });

/** A Lambda task's result as the state machine keeps it (`ResultSelector: {"Payload.$": "$.Payload"}`). */
const payload = <T extends z.ZodType>(schema: T) => z.object({ Payload: schema });

/**
 * The whole state as Cleanup and RenderReport receive it. Every part is optional: a failure can happen before
 * any of them exists. `errors` holds what each failed state's Catch caught, keyed by state name.
 */
export const drillStateSchema = z.object({
  input: z.unknown().optional(),
  drill: payload(drillContextSchema).optional(),
  recoveryPoint: payload(selectedRecoveryPointSchema).optional(),
  restore: payload(restoreResultSchema).optional(),
  validation: payload(validationResultSchema).optional(),
  validated: z.object({ at: iso }).optional(),
  cleanup: payload(cleanupResultSchema).optional(),
  errors: z.record(z.string(), caughtErrorSchema).optional(),
});

export type DrillState = z.output<typeof drillStateSchema>;

/**
 * Parses the part of the state one step receives. The state machine builds it, so a mismatch is a bug in the
 * definition or a handler: a BadInputError naming the step and the fields.
 */
export function parseStepEvent<T extends z.ZodType>(step: string, schema: T, event: unknown): z.output<T> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    throw new BadInputError(
      `${step} received state data it cannot use`,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
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
    const parsed = (schema as z.ZodType).safeParse(raw[key]);
    if (parsed.success) state[key] = parsed.data;
    else unreadable.push(key);
  }
  return { state: state as DrillState, unreadable };
}
