import { readFileSync } from 'node:fs';
import { UnknownPlanError } from '../domain/errors.js';
import type { Plan, PlansConfig } from '../domain/plan-schema.js';
import { DEFAULT_PLANS_FILE, plansFromBundle } from '../domain/plans-data.js';
import { parsePlansFile } from '../domain/plans-file.js';

/**
 * esbuild replaces these at package time (serverless.yml custom.esbuild.define): the plans the package step
 * validated (plans-data.ts, bundlePlans), and `true`. The flag is a constant so esbuild drops
 * the file reader, and with it the YAML library, from every Lambda bundle.
 */
declare const __BACKUP_PLANS__: unknown;
declare const __BACKUP_PLANS_BUNDLED__: boolean | undefined;

let cached: PlansConfig | undefined;

/**
 * The validated plans, loaded once per container: in Lambda, the package step's validated plans built into
 * the bundle and checked at cold start against this runtime (plansFromBundle); in the CLI, the sandbox and
 * tests, the file PLANS_FILE names, validated whole. Invalid plans throw PlanValidationError at cold start,
 * before any AWS call.
 */
export function loadPlans(env: NodeJS.ProcessEnv = process.env): PlansConfig {
  cached ??=
    typeof __BACKUP_PLANS_BUNDLED__ !== 'undefined' && __BACKUP_PLANS_BUNDLED__
      ? plansFromBundle(__BACKUP_PLANS__, DEFAULT_PLANS_FILE)
      : parsePlansFile(readFileSync(env.PLANS_FILE ?? DEFAULT_PLANS_FILE, 'utf8'), env.PLANS_FILE ?? DEFAULT_PLANS_FILE);
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
