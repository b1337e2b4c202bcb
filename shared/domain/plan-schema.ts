import * as z from 'zod/mini';
import { dlmPlanIssues } from './dlm-policy.js';
import { DURATION_FORMAT_HELP, formatDuration, parseDuration } from './durations.js';
import { isKnownRegion, partitionOf } from './regions.js';
import { RESOURCE_TYPES, type ResourceType } from './resource-types.js';
import type { RetentionPolicy, RetentionTiers } from './retention-planner.js';
import {
  longestGapMs,
  parseScheduleExpression,
  ScheduleExpressionError,
  type ScheduleExpression,
} from './schedule-expression.js';
import { isValidTimezone, timezoneSpellingIssue } from './zoned-time.js';

export { RESOURCE_TYPES, type ResourceType } from './resource-types.js';
export const DLM_RESOURCE_TYPES: readonly ResourceType[] = ['ebs-volume', 'ec2-instance'];
export const ENGINES = ['lambda', 'dlm'] as const;
export const TIER_NAMES = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

export const DEFAULT_SELECTION_TAG_KEY = 'backup:plan';
const DEFAULT_ERROR_GRACE_MS = 86_400_000;
/** A fixed start for the RPO-versus-schedule check, so validation never depends on the clock. */
const GAP_CHECK_FROM = new Date('2026-01-01T00:00:00Z');

const PLAN_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const PLAN_ID_MAX_LENGTH = 32;
/** A snapshot holds at most 50 tags; the stack's own take up to 12 (6 on every point, 6 more on a copy). */
const MAX_COPIED_SOURCE_TAGS = 38;
const KMS_KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(?:key\/[A-Za-z0-9-]+|alias\/[A-Za-z0-9/_-]+))$/;
const KMS_HELP = 'a key id, mrk- id, alias/name or key/alias ARN in that Region';

/**
 * The plans file's schema, built on first use, once, by the CLI and the package step. No Lambda bundle carries
 * it: a function checks the package step's validated plans at cold start without it (plans-data.ts,
 * plansFromBundle).
 */
function buildPlansFileSchema() {
  const text = (what: string) => z.string({ error: `must be ${what}` });
  const positiveInt = (what: string) =>
    z.int({ error: `must be a whole number (${what})` }).check(z.positive({ error: `must be at least 1 (${what})` }));

  const duration = (what: string) =>
    z.pipe(
      text(DURATION_FORMAT_HELP),
      z.transform((value: string, ctx) => {
        const ms = parseDuration(value);
        if (ms === undefined) {
          ctx.issues.push({ code: 'custom', message: `"${value}" is not ${DURATION_FORMAT_HELP} (${what})`, input: value });
          return z.NEVER;
        }
        return ms;
      }),
    );

  const region = text('an AWS Region name such as eu-west-1').check(
    z.refine(isKnownRegion, {
      error: (issue) => `unknown Region "${String(issue.input)}" (expected an AWS Region name such as eu-west-1)`,
    }),
  );

  const timezone = text('an IANA timezone such as Europe/Paris').check(
    z.refine(isValidTimezone, {
      error: (issue) => `unknown timezone "${String(issue.input)}" (expected an IANA name such as UTC or Europe/Paris)`,
    }),
    z.refine((zone: string) => !timezoneSpellingIssue(zone), {
      error: (issue) => `timezone "${String(issue.input)}": ${timezoneSpellingIssue(String(issue.input))} (EventBridge Scheduler takes the name as written)`,
    }),
  );

  const tagKey = text('a tag key').check(
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(128, { error: 'must be at most 128 characters' }),
    z.refine((key: string) => !key.toLowerCase().startsWith('aws:'), {
      error: 'tag keys starting with "aws:" are reserved by AWS; use a key of your own such as backup:plan',
    }),
  );

  const scheduleExpression = z.pipe(
    text('a cron(...) or rate(...) expression'),
    z.transform((value: string, ctx) => {
      try {
        return parseScheduleExpression(value);
      } catch (error) {
        if (!(error instanceof ScheduleExpressionError)) throw error;
        ctx.issues.push({ code: 'custom', message: error.message, input: value });
        return z.NEVER;
      }
    }),
  );

  const scheduleSchema = z.strictObject({
    expression: scheduleExpression,
    timezone: z.optional(timezone),
  });

  const tiersSchema = z.strictObject(
    Object.fromEntries(
      TIER_NAMES.map((tier) => [
        tier,
        z.optional(
          z
            .int({ error: `tier "${tier}" needs a count: how many ${tier} recovery points to keep (a whole number ≥ 1)` })
            .check(z.positive({ error: `tier "${tier}" must keep at least 1 point` })),
        ),
      ]),
    ) as Record<(typeof TIER_NAMES)[number], z.ZodMiniOptional<z.ZodMiniInt>>,
  );

  const retentionSchema = z
    .strictObject({
      count: z.optional(positiveInt('how many newest points to keep')),
      maxAge: z.optional(duration('how old a kept point may be')),
      tiers: z.optional(tiersSchema),
      minKeep: z._default(positiveInt('points kept whatever their age'), 1),
      keepLastWhenSourceGone: z._default(z.boolean({ error: 'must be true or false' }), true),
      errorGrace: z._default(duration('how long failed snapshots are kept for investigation'), DEFAULT_ERROR_GRACE_MS),
    })
    .check(
      z.refine((value) => value.count !== undefined || value.maxAge !== undefined || Object.values(value.tiers ?? {}).some(Boolean), {
        error: 'must say what to keep: at least one of count, maxAge or tiers',
      }),
    );

  const copySchema = z.strictObject({
    region,
    kmsKeyId: z.optional(text(KMS_HELP).check(z.regex(KMS_KEY_ID, { error: `must be ${KMS_HELP}` }))),
    encrypted: z._default(z.boolean({ error: 'must be true or false' }), true),
    retention: z.optional(retentionSchema),
  });

  const drillSchema = z.strictObject({
    schedule: z.optional(scheduleSchema),
    region: z._default(z.string({ error: 'must be "primary", "dr" or one of the plan\'s copy Regions' }), 'primary'),
    instanceClass: z.optional(
      text('an RDS instance class such as db.t3.medium').check(z.regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must be an RDS instance class such as db.t3.medium' })),
    ),
    subnetGroup: z.optional(text('a DB subnet group name')),
    securityGroupIds: z.optional(z.array(text('a security group id (sg-…)').check(z.regex(/^sg-[0-9a-f]+$/, { error: 'must be a security group id (sg-…)' })))),
    availabilityZone: z.optional(text('an Availability Zone such as eu-west-1a')),
    validationFunction: z.optional(text('a Lambda function name or ARN').check(z.minLength(1, { error: 'must not be empty' }))),
  });

  const selectionSchema = z.strictObject({
    resourceTypes: z
      .array(
        z.enum(RESOURCE_TYPES, {
          error: (issue) => `unknown resource type "${String(issue.input)}" (allowed: ${RESOURCE_TYPES.join(', ')})`,
        }),
        { error: `must be a list of resource types (${RESOURCE_TYPES.join(', ')})` },
      )
      .check(z.minLength(1, { error: `must name at least one resource type (${RESOURCE_TYPES.join(', ')})` })),
    tagKey: z.optional(tagKey),
    tagValues: z.optional(
      z.array(text('a tag value').check(z.maxLength(256, { error: 'must be at most 256 characters' }))).check(z.minLength(1, { error: 'must list at least one tag value' })),
    ),
  });

  const planSchema = z.strictObject({
    id: text('a plan id').check(
      z.regex(PLAN_ID, {
        error: (issue) =>
          `"${String(issue.input)}" is not a valid plan id: use lower-case letters, digits and single hyphens, starting with a letter (e.g. gold, prod-db)`,
      }),
      z.maxLength(PLAN_ID_MAX_LENGTH, { error: `must be at most ${PLAN_ID_MAX_LENGTH} characters` }),
    ),
    description: z.optional(text('text').check(z.maxLength(256, { error: 'must be at most 256 characters' }))),
    engine: z._default(z.enum(ENGINES, { error: (issue) => `unknown engine "${String(issue.input)}" (allowed: lambda, dlm)` }), 'lambda'),
    selection: selectionSchema,
    schedule: scheduleSchema,
    rpo: duration('the recovery point objective'),
    rto: duration('the recovery time objective'),
    snapshot: z._default(
      z.strictObject({
        copySourceTags: z._default(
          z.array(tagKey).check(
            z.maxLength(MAX_COPIED_SOURCE_TAGS, {
              error: `must list at most ${MAX_COPIED_SOURCE_TAGS} tag keys: EBS and RDS keep at most 50 tags on a snapshot, and the stack writes up to ${50 - MAX_COPIED_SOURCE_TAGS} of its own (ownership, plan, slot and, on copies, the copy's)`,
            }),
          ),
          [],
        ),
      }),
      { copySourceTags: [] },
    ),
    retention: retentionSchema,
    copies: z._default(z.array(copySchema, { error: 'must be a list of copy rules' }), []),
    drill: z.optional(drillSchema),
  });

  const plansFileSchema = z.strictObject({
    version: z.literal(1, { error: 'must be 1 (the only plans file version)' }),
    primaryRegion: region,
    defaults: z._default(z.strictObject({ tagKey: z.optional(tagKey), timezone: z.optional(timezone) }), {}),
    plans: z.array(planSchema, { error: 'must be a list of plans' }).check(z.minLength(1, { error: 'must declare at least one plan' })),
  });

  return plansFileSchema;
}

let builtSchema: ReturnType<typeof buildPlansFileSchema> | undefined;
const plansFileSchema = () => (builtSchema ??= buildPlansFileSchema());

type RawPlansFile = z.output<ReturnType<typeof buildPlansFileSchema>>;
type RawPlan = RawPlansFile['plans'][number];
type RawRetention = RawPlan['retention'];

export interface CopyRule {
  region: string;
  kmsKeyId?: string;
  encrypted: boolean;
  retention: RetentionPolicy;
}

export interface DrillSettings {
  schedule?: { expression: ScheduleExpression; timezone: string };
  /** 'primary', or a DR Region that holds copies of this plan. */
  region: string;
  instanceClass?: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  availabilityZone?: string;
  validationFunction?: string;
}

/** A validated plan with every default applied: what the rest of the code works with. */
export interface Plan {
  id: string;
  description: string;
  engine: (typeof ENGINES)[number];
  selection: { resourceTypes: ResourceType[]; tagKey: string; tagValues: string[] };
  schedule: { expression: ScheduleExpression; timezone: string };
  rpoMs: number;
  rtoMs: number;
  snapshot: { copySourceTags: string[] };
  retention: RetentionPolicy;
  copies: CopyRule[];
  drill?: DrillSettings;
}

export interface PlansConfig {
  version: 1;
  primaryRegion: string;
  plans: Plan[];
}

export interface SchemaIssue {
  /** Path from the file's root, e.g. ['plans', 0, 'schedule', 'expression']. */
  path: (string | number)[];
  message: string;
}

/**
 * A plan id in PascalCase (`db-1` → `Db1`), the part of the CloudFormation names of the plan's schedules and
 * alarms (infra/stack-variables.ts logicalIdFor), which allow only letters and digits. Two ids can give the same
 * name (`db-1` and `db1`), so validation refuses the second.
 */
export function planIdInPascalCase(planId: string): string {
  return planId
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** True when `id` is a well-formed plan id, so messages can name the plan by it. */
export function isValidPlanId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= PLAN_ID_MAX_LENGTH && PLAN_ID.test(id);
}

/** The schema reached by following `path` from `schema`, looking through optional, default and transform wrappers. */
function schemaAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let current = schema;
  for (const part of [...path, undefined]) {
    for (;;) {
      const def = current._zod.def;
      if (def.type === 'optional' || def.type === 'default') current = (def as z.core.$ZodOptionalDef).innerType;
      else if (def.type === 'pipe') current = (def as z.core.$ZodPipeDef).in;
      else break;
    }
    if (part === undefined) return current;
    const def = current._zod.def;
    if (def.type === 'array' && typeof part === 'number') current = (def as z.core.$ZodArrayDef).element;
    else if (def.type === 'object' && typeof part === 'string' && Object.hasOwn((def as z.core.$ZodObjectDef).shape, part)) current = (def as z.core.$ZodObjectDef).shape[part]!;
    else return undefined;
  }
  return current;
}

/** The field names allowed in the mapping at `path` of the plans file. */
function allowedFieldsAt(path: readonly PropertyKey[]): string[] {
  const def = schemaAt(plansFileSchema(), path)?._zod.def;
  return def?.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
}

/** zod's generic messages, rephrased for someone editing YAML. */
function describeZodIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return issue.message.startsWith('Invalid input') ? `must be ${issue.expected}` : issue.message;
    default:
      return issue.message;
  }
}

function toRetentionPolicy(raw: RawRetention, timezone: string): RetentionPolicy {
  const tiers: RetentionTiers = {};
  for (const tier of TIER_NAMES) {
    const count = raw.tiers?.[tier];
    if (count) tiers[tier] = count;
  }
  return {
    ...(raw.count !== undefined ? { count: raw.count } : {}),
    ...(raw.maxAge !== undefined ? { maxAgeMs: raw.maxAge } : {}),
    ...(Object.keys(tiers).length ? { tiers } : {}),
    minKeep: raw.minKeep,
    keepLastWhenSourceGone: raw.keepLastWhenSourceGone,
    errorGraceMs: raw.errorGrace,
    timezone,
  };
}

function semanticIssues(file: RawPlansFile): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Map<string, number>();
  const named = new Map<string, string>();
  file.plans.forEach((plan, index) => {
    const at = (...path: (string | number)[]) => ['plans', index, ...path];
    const first = seen.get(plan.id);
    const sameName = named.get(planIdInPascalCase(plan.id));
    if (first !== undefined) {
      issues.push({ path: at('id'), message: `duplicate plan id "${plan.id}" (already used by plan #${first + 1}); plan ids must be unique` });
    } else if (sameName !== undefined) {
      // The stack's resources are named after the id without its hyphens: the second plan's schedule and alarms would replace the first's.
      issues.push({
        path: at('id'),
        message: `plan id "${plan.id}" gives the same CloudFormation resource names as plan "${sameName}" (BackupSchedule${planIdInPascalCase(plan.id)}), so one plan would lose its schedule and alarms; rename one of them`,
      });
    } else {
      seen.set(plan.id, index);
      named.set(planIdInPascalCase(plan.id), plan.id);
    }

    const timezone = plan.schedule.timezone ?? file.defaults.timezone ?? 'UTC';
    const gap = longestGapMs(plan.schedule.expression, timezone, GAP_CHECK_FROM);
    if (gap === Infinity) {
      issues.push({ path: at('schedule', 'expression'), message: `${plan.schedule.expression.source} never runs again, so nothing would ever be backed up` });
    } else if (plan.rpo < gap) {
      issues.push({
        path: at('rpo'),
        message: `rpo ${formatDuration(plan.rpo)} is shorter than the longest gap between runs of ${plan.schedule.expression.source} (${formatDuration(gap)}), so it can never be met; schedule more often or raise the rpo`,
      });
    }

    const copyRegions = new Set<string>();
    plan.copies.forEach((copy, copyIndex) => {
      if (copy.region === file.primaryRegion) {
        issues.push({ path: at('copies', copyIndex, 'region'), message: `copies must go to another Region than the primary Region ${file.primaryRegion}` });
      }
      if (copyRegions.has(copy.region)) {
        issues.push({ path: at('copies', copyIndex, 'region'), message: `${copy.region} is listed twice; one copy rule per Region` });
      }
      if (partitionOf(copy.region) !== partitionOf(file.primaryRegion)) {
        issues.push({
          path: at('copies', copyIndex, 'region'),
          message: `${copy.region} is in AWS partition ${partitionOf(copy.region)} and the primary Region ${file.primaryRegion} in ${partitionOf(file.primaryRegion)}; snapshots cannot be copied between partitions (an account lives in one), so copy to a Region of ${partitionOf(file.primaryRegion)}`,
        });
      }
      copyRegions.add(copy.region);
      if (copy.encrypted && !copy.kmsKeyId) {
        issues.push({
          path: at('copies', copyIndex, 'kmsKeyId'),
          message: `an encrypted copy to ${copy.region} needs the KMS key to encrypt it with in that Region (kmsKeyId), or encrypted: false`,
        });
      }
      const keyRegion = copy.kmsKeyId ? KMS_KEY_ID.exec(copy.kmsKeyId)?.[1] : undefined;
      if (keyRegion && keyRegion !== copy.region) {
        issues.push({ path: at('copies', copyIndex, 'kmsKeyId'), message: `the key ARN is in ${keyRegion} but the copy goes to ${copy.region}; KMS keys are Regional` });
      }
    });

    if (plan.engine === 'dlm') {
      plan.selection.resourceTypes.forEach((type, typeIndex) => {
        if (!DLM_RESOURCE_TYPES.includes(type)) {
          issues.push({
            path: at('selection', 'resourceTypes', typeIndex),
            message: `Data Lifecycle Manager cannot back up ${type} (only ebs-volume and ec2-instance); use engine: lambda for this plan`,
          });
        }
      });
      // Everything else DLM cannot express (schedules, tiers, Regions, keys, time zones): see dlm-policy.ts.
      if (plan.selection.resourceTypes.every((type) => DLM_RESOURCE_TYPES.includes(type))) {
        for (const found of dlmPlanIssues(normalisePlan(plan, file))) issues.push({ path: at(...found.path), message: found.message });
      }
    }

    if (plan.drill) {
      const drillRegion = plan.drill.region;
      if (drillRegion === 'dr' && plan.copies.length === 0) {
        issues.push({
          path: at('drill', 'region'),
          message: 'a drill from the DR Region needs at least one copy rule (add copies, or drill in region: primary)',
        });
      } else if (drillRegion !== 'primary' && drillRegion !== 'dr' && drillRegion !== file.primaryRegion && !copyRegions.has(drillRegion)) {
        issues.push({
          path: at('drill', 'region'),
          message: `"${drillRegion}" holds no recovery points of this plan (allowed: primary, dr, ${[file.primaryRegion, ...copyRegions].join(', ')})`,
        });
      }
      const restoresDatabases = plan.selection.resourceTypes.some((type) => type === 'rds-instance' || type === 'aurora-cluster');
      if (restoresDatabases && !plan.drill.instanceClass) {
        issues.push({ path: at('drill', 'instanceClass'), message: 'drills that restore RDS or Aurora need the instance class to restore into (e.g. db.t3.medium)' });
      }
    }
  });
  return issues;
}

function normalisePlan(plan: RawPlan, file: RawPlansFile): Plan {
  const timezone = plan.schedule.timezone ?? file.defaults.timezone ?? 'UTC';
  const retention = toRetentionPolicy(plan.retention, timezone);
  return {
    id: plan.id,
    description: plan.description ?? '',
    engine: plan.engine,
    selection: {
      resourceTypes: [...new Set(plan.selection.resourceTypes)],
      tagKey: plan.selection.tagKey ?? file.defaults.tagKey ?? DEFAULT_SELECTION_TAG_KEY,
      tagValues: plan.selection.tagValues ?? [plan.id],
    },
    schedule: { expression: plan.schedule.expression, timezone },
    rpoMs: plan.rpo,
    rtoMs: plan.rto,
    snapshot: { copySourceTags: plan.snapshot.copySourceTags },
    retention,
    copies: plan.copies.map((copy) => ({
      region: copy.region,
      ...(copy.kmsKeyId ? { kmsKeyId: copy.kmsKeyId } : {}),
      encrypted: copy.encrypted,
      retention: copy.retention ? toRetentionPolicy(copy.retention, timezone) : retention,
    })),
    ...(plan.drill
      ? {
          drill: {
            ...(plan.drill.schedule
              ? { schedule: { expression: plan.drill.schedule.expression, timezone: plan.drill.schedule.timezone ?? timezone } }
              : {}),
            region: plan.drill.region === file.primaryRegion ? 'primary' : plan.drill.region,
            ...(plan.drill.instanceClass ? { instanceClass: plan.drill.instanceClass } : {}),
            ...(plan.drill.subnetGroup ? { subnetGroup: plan.drill.subnetGroup } : {}),
            securityGroupIds: plan.drill.securityGroupIds ?? [],
            ...(plan.drill.availabilityZone ? { availabilityZone: plan.drill.availabilityZone } : {}),
            ...(plan.drill.validationFunction ? { validationFunction: plan.drill.validationFunction } : {}),
          },
        }
      : {}),
  };
}

/**
 * Validates already-parsed plans-file data. Returns the normalised config, or every problem found
 * (shape first; cross-field rules only once the shape is right, so messages never cascade).
 */
export function validatePlansData(data: unknown): { ok: true; config: PlansConfig } | { ok: false; issues: SchemaIssue[] } {
  // reportInput: describeZodIssue tells a missing field (input undefined) from a wrong value (e.g. YAML null).
  // jitless: parsed once per process, so checking directly costs less than compiling a parser first.
  const parsed = plansFileSchema().safeParse(data, { reportInput: true, jitless: true });
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.flatMap((issue): SchemaIssue[] => {
        const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
        if (issue.code !== 'unrecognized_keys') return [{ path, message: describeZodIssue(issue) }];
        // One issue per unknown field, located at the field itself, listing the fields allowed there.
        const allowed = allowedFieldsAt(path);
        return issue.keys.map((key) => ({
          path: [...path, key],
          message: `unknown field "${key}" (check the spelling; allowed here: ${allowed.join(', ')})`,
        }));
      }),
    };
  }
  const issues = semanticIssues(parsed.data);
  if (issues.length) return { ok: false, issues };
  return {
    ok: true,
    config: {
      version: 1,
      primaryRegion: parsed.data.primaryRegion,
      plans: parsed.data.plans.map((plan) => normalisePlan(plan, parsed.data)),
    },
  };
}
