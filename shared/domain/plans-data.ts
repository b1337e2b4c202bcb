import { PlanValidationError, type PlanIssue } from './errors.js';
import { isValidPlanId, validatePlansData, type PlansConfig, type SchemaIssue, type ValidationOptions } from './plan-schema.js';

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
 * Validates plans already read from the file (the YAML reader's output, or the data the package step built
 * into the bundle, checked again at cold start). Throws PlanValidationError with file, plan id, field path
 * and why, and the line and column when `locate` knows them.
 */
export function plansFromData(data: unknown, file = DEFAULT_PLANS_FILE, locate?: Locate, options: ValidationOptions = {}): PlansConfig {
  if (data === null || data === undefined) {
    throw new PlanValidationError([{ file, path: '', message: 'the file is empty; it must declare version: 1, primaryRegion and plans' }]);
  }
  const result = validatePlansData(data, options);
  if (!result.ok) throw new PlanValidationError(result.issues.map((issue) => toPlanIssue(issue, file, data, locate)));
  return result.config;
}
