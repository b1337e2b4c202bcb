/**
 * What the sandbox reads from the stack's own definition, so it plays exactly what would be deployed: the Input
 * of each fixed schedule (infra/resources/*-schedule.yml) and the EventBridge rules of each function
 * (infra/functions/*.yml). CloudFormation tags (!GetAtt, !Ref) are read as plain text; only Inputs and
 * patterns are used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..');

type Yaml = Record<string, unknown>;

function readYaml(file: string): Yaml {
  return parse(readFileSync(join(ROOT, file), 'utf8'), { logLevel: 'silent' }) as Yaml;
}

/** The Input template of a fixed schedule, `<aws.scheduler.…>` placeholders unfilled. */
export function scheduleInput(file: string, resource: string): string {
  const resources = (readYaml(file).Resources ?? {}) as Record<string, { Properties?: { Target?: { Input?: unknown } } }>;
  const input = resources[resource]?.Properties?.Target?.Input;
  if (typeof input !== 'string') throw new Error(`${file} has no schedule ${resource} with a Target.Input`);
  return input;
}

export interface ScheduledFire {
  time: Date;
  scheduleName: string;
  attempt?: number;
}

/** The scheduler's time format: seconds precision, UTC, e.g. 2026-11-16T07:00:00Z. */
export const schedulerTime = (time: Date): string => `${time.toISOString().slice(0, 19)}Z`;

/** Fills a schedule's Input as EventBridge Scheduler does at delivery, and parses it. */
export function fillScheduleInput(template: string, fire: ScheduledFire): unknown {
  const filled = template
    .replaceAll('<aws.scheduler.scheduled-time>', schedulerTime(fire.time))
    .replaceAll('<aws.scheduler.schedule-arn>', `arn:aws:scheduler:local:123456789012:schedule/default/${fire.scheduleName}`)
    .replaceAll('<aws.scheduler.execution-id>', `${fire.scheduleName}-${fire.time.getTime().toString(36)}-${fire.attempt ?? 1}`)
    .replaceAll('<aws.scheduler.attempt-number>', String(fire.attempt ?? 1));
  if (filled.includes('<aws.scheduler.')) throw new Error(`a scheduler placeholder is left in ${filled}`);
  return JSON.parse(filled);
}

/** One EventBridge rule of a function: the function's handler module and the event pattern it matches. */
export interface EventRule {
  functionName: string;
  /** e.g. functions/copy-snapshot.ts */
  module: string;
  pattern: Yaml;
}

/** Every EventBridge rule in infra/functions/*.yml. */
export function eventRules(): EventRule[] {
  const rules: EventRule[] = [];
  for (const file of readdirSync(join(ROOT, 'infra/functions')).filter((name) => name.endsWith('.yml')).sort()) {
    for (const [functionName, definition] of Object.entries(readYaml(join('infra/functions', file)))) {
      const { handler, events } = definition as { handler?: string; events?: Array<{ eventBridge?: { pattern?: Yaml } }> };
      for (const event of events ?? []) {
        if (!event.eventBridge?.pattern || !handler) continue;
        rules.push({ functionName, module: `${handler.replace(/\.handler$/, '')}.ts`, pattern: event.eventBridge.pattern });
      }
    }
  }
  return rules;
}

/**
 * EventBridge pattern matching for what the stack's rules use: a list of allowed values per field, objects
 * nested for nested fields; every field of the pattern must match.
 */
export function matchesPattern(pattern: Yaml, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = (event as Yaml)[key];
    if (Array.isArray(expected)) return expected.some((value) => value === actual || (Array.isArray(actual) && actual.includes(value)));
    if (typeof expected === 'object' && expected !== null) return matchesPattern(expected as Yaml, actual);
    return false;
  });
}
