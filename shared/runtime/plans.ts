import { readFileSync } from 'node:fs';
import { DEFAULT_PLANS_FILE, parsePlansFile } from '../domain/plans-file.js';
import { UnknownPlanError } from '../domain/errors.js';
import type { Plan, PlansConfig } from '../domain/plan-schema.js';

/** esbuild replaces this with the plans file's text at package time (serverless.yml custom.esbuild.define). */
declare const __BACKUP_PLANS_SOURCE__: string | undefined;

let cached: PlansConfig | undefined;

/**
 * The validated plans, loaded once per container: from the bundle in Lambda, or from PLANS_FILE (CLI,
 * sandbox, tests). Invalid plans throw PlanValidationError at cold start, before any AWS call.
 */
export function loadPlans(env: NodeJS.ProcessEnv = process.env): PlansConfig {
  if (cached) return cached;
  const bundled = typeof __BACKUP_PLANS_SOURCE__ === 'string' ? __BACKUP_PLANS_SOURCE__ : undefined;
  const file = env.PLANS_FILE ?? DEFAULT_PLANS_FILE;
  const source = env.PLANS_FILE || bundled === undefined ? readFileSync(file, 'utf8') : bundled;
  cached = parsePlansFile(source, env.PLANS_FILE ?? DEFAULT_PLANS_FILE);
  return cached;
}

/** Forget the cached plans (tests and the sandbox switch plans files within one process). */
export function resetPlansCache(): void {
  cached = undefined;
}

export function findPlan(config: PlansConfig, planId: string): Plan {
  const plan = config.plans.find((candidate) => candidate.id === planId);
  if (!plan) throw new UnknownPlanError(planId, config.plans.map((candidate) => candidate.id));
  return plan;
}
