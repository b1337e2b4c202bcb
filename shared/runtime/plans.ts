import { readFileSync } from 'node:fs';
import { UnknownPlanError } from '../domain/errors.js';
import type { Plan, PlansConfig } from '../domain/plan-schema.js';
import { DEFAULT_PLANS_FILE, plansFromData } from '../domain/plans-data.js';
import { parsePlansFile } from '../domain/plans-file.js';

/**
 * esbuild replaces these at package time (serverless.yml custom.esbuild.define): the plans file's data,
 * read from YAML and validated by the package step, and `true`. The flag is a constant so esbuild drops
 * the file reader, and with it the YAML library, from every Lambda bundle.
 */
declare const __BACKUP_PLANS__: unknown;
declare const __BACKUP_PLANS_BUNDLED__: boolean | undefined;

let cached: PlansConfig | undefined;

/**
 * The validated plans, loaded once per container: from the bundle in Lambda (validated again at cold
 * start, but for the RPO-against-schedule walk the package step made), or from PLANS_FILE (CLI, sandbox, tests). Invalid plans throw PlanValidationError at cold start,
 * before any AWS call.
 */
export function loadPlans(env: NodeJS.ProcessEnv = process.env): PlansConfig {
  cached ??=
    typeof __BACKUP_PLANS_BUNDLED__ !== 'undefined' && __BACKUP_PLANS_BUNDLED__
    ? // The package step checked the RPOs against the schedules (same file, same answer): not again here.
      plansFromData(__BACKUP_PLANS__, DEFAULT_PLANS_FILE, undefined, { scheduleGaps: false })
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
