import { PlanValidationError, type PlanIssue } from './errors.js';
import { isValidPlanId, validatePlansData, type PlansConfig, type SchemaIssue } from './plan-schema.js';
import { isValidTimezone } from './zoned-time.js';

export const DEFAULT_PLANS_FILE = 'backup-plans.yml';

/** Where a field is written in the file, when the caller knows (the YAML reader does; bundled data does not). */
export type Locate = (path: (string | number)[]) => { line?: number; column?: number };

/** One schema issue as the user reads it: file, position, the plan by id (or position), the field path, why. */
export function toPlanIssue(issue: SchemaIssue, file: string, data: unknown, locate: Locate = () => ({})): PlanIssue {
  const [first, index, ...rest] = issue.path;
  let planId: string | undefined;
  let fieldPath = issue.path;
  if (first === 'plans' && typeof index === 'number') {
    const rawId = (data as { plans?: Array<{ id?: unknown }> }).plans?.[index]?.id;
    // A missing or malformed id cannot name the plan: refer to it by its position instead.
    planId = isValidPlanId(rawId) ? rawId : `#${index + 1}`;
    fieldPath = rest;
  }
  return {
    file,
    ...locate(issue.path),
    ...(planId ? { planId } : {}),
    path: fieldPath.map((part) => (typeof part === 'number' ? `[${part}]` : part)).join('.').replace(/\.\[/g, '['),
    message: issue.message,
  };
}

/**
 * Validates plans already read from the file (the YAML reader's output, in the package step, the CLI, the
 * sandbox and tests). Throws PlanValidationError with file, plan id, field path and why, and the line and
 * column when `locate` knows them.
 */
export function plansFromData(data: unknown, file = DEFAULT_PLANS_FILE, locate?: Locate): PlansConfig {
  if (data === null || data === undefined) {
    throw new PlanValidationError([{ file, path: '', message: 'the file is empty; it must declare version: 1, primaryRegion and plans' }]);
  }
  const result = validatePlansData(data);
  if (!result.ok) throw new PlanValidationError(result.issues.map((issue) => toPlanIssue(issue, file, data, locate)));
  return result.config;
}

/** Marks the plans the package step validated and built into a bundle (see bundlePlans). */
const BUNDLED_FORMAT = 'validated-plans/1';

/** The validated plans as the package step builds them into each function: plain JSON, every default applied. */
export interface BundledPlans {
  format: typeof BUNDLED_FORMAT;
  config: PlansConfig;
  /** The IANA time zone data release (such as 2025b) the package step validated the zones against. */
  timeZoneData?: string;
}

export function bundlePlans(config: PlansConfig, timeZoneData: string | undefined = process.versions.tz): BundledPlans {
  return { format: BUNDLED_FORMAT, config, ...(timeZoneData ? { timeZoneData } : {}) };
}

/**
 * True when the `runtime` time zone data release (such as 2026a) is the same as `packaged` or newer. Zone names
 * are never withdrawn from the data (a retired zone stays as a link), so such a runtime knows every zone the
 * package step accepted. Unknown or unreadable releases answer false.
 */
export function timeZoneDataCovers(runtime: string | undefined, packaged: string | undefined): boolean {
  const release = /^(\d{4})([a-z]+)$/;
  const ours = release.exec(runtime ?? '');
  const theirs = release.exec(packaged ?? '');
  if (!ours || !theirs) return false;
  const [, ourYear = '', ourLetters = ''] = ours;
  const [, theirYear = '', theirLetters = ''] = theirs;
  if (ourYear !== theirYear) return Number(ourYear) > Number(theirYear);
  // Releases within a year run a, b, … z; a longer suffix would come after z.
  return ourLetters.length !== theirLetters.length ? ourLetters.length > theirLetters.length : ourLetters >= theirLetters;
}

/**
 * The plans built into a Lambda bundle, checked at cold start. The package step validated them with the same
 * code and built in its result, so the cold start checks what can differ from the machine that packaged them:
 * every time zone must be known to this runtime's Intl data. Anything else built in is refused: no package
 * step validated it, and a bundle that carries no plans schema cannot (the schema and its messages stay out
 * of every function). Throws PlanValidationError naming the file, and the plan and field where there is one.
 */
export function plansFromBundle(bundled: unknown, file = DEFAULT_PLANS_FILE, runtimeTimeZoneData: string | undefined = process.versions.tz): PlansConfig {
  if ((bundled as Partial<BundledPlans> | null)?.format !== BUNDLED_FORMAT) {
    throw new PlanValidationError([
      {
        file,
        path: '',
        message: `the plans built into this function are not the package step's validated plans (${BUNDLED_FORMAT}); package or deploy with osls (npx osls package), which validates ${file} and builds in the result`,
      },
    ]);
  }
  const { config, timeZoneData } = bundled as BundledPlans;
  // A runtime whose zone data is the package step's release or newer knows every zone it accepted; asking Intl
  // for its list of zones would cost every cold start some 2 ms.
  if (timeZoneDataCovers(runtimeTimeZoneData, timeZoneData)) return config;
  const issues: PlanIssue[] = [];
  for (const plan of config.plans) {
    const zones = new Map([
      [plan.schedule.timezone, 'schedule.timezone'],
      ...(plan.drill?.schedule ? [[plan.drill.schedule.timezone, 'drill.schedule.timezone'] as const] : []),
    ]);
    for (const [zone, path] of zones) {
      if (!isValidTimezone(zone)) {
        issues.push({ file, planId: plan.id, path, message: `unknown timezone "${zone}" in this Lambda runtime's time zone data (the machine that packaged the plans knew it); use another name for the zone or a newer runtime` });
      }
    }
  }
  if (issues.length) throw new PlanValidationError(issues);
  return config;
}
