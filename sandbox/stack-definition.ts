/**
 * What the sandbox reads from the stack's own definition, so it plays exactly what would be deployed: the Input
 * of each fixed schedule (infra/resources/*-schedule.yml) and the EventBridge rules of each function
 * (infra/functions/*.yml, and those in infra/resources/*.yml that feed a function's queue). CloudFormation
 * tags (!GetAtt, !Ref) are read as plain text; only Inputs, patterns and target ARNs are used.
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
  /** Set when the rule targets an SQS queue the function consumes (its logical id): events reach it as SQS records. */
  queue?: string;
}

type FunctionDefinition = { handler?: string; events?: Array<{ eventBridge?: { pattern?: Yaml }; sqs?: { arn?: unknown } }> };

/**
 * Every EventBridge rule in infra/functions/*.yml, and every AWS::Events::Rule in infra/resources/*.yml whose
 * target is a queue a function takes its events from (!GetAtt <Queue>.Arn reads as the text "<Queue>.Arn").
 */
export function eventRules(): EventRule[] {
  const rules: EventRule[] = [];
  const consumers = new Map<string, { functionName: string; module: string }>();
  for (const file of readdirSync(join(ROOT, 'infra/functions')).filter((name) => name.endsWith('.yml')).sort()) {
    for (const [functionName, definition] of Object.entries(readYaml(join('infra/functions', file)))) {
      const { handler, events } = definition as FunctionDefinition;
      if (!handler) continue;
      const module = `${handler.replace(/\.handler$/, '')}.ts`;
      for (const event of events ?? []) {
        if (typeof event.sqs?.arn === 'string') consumers.set(event.sqs.arn, { functionName, module });
        if (!event.eventBridge?.pattern) continue;
        rules.push({ functionName, module, pattern: event.eventBridge.pattern });
      }
    }
  }
  for (const file of readdirSync(join(ROOT, 'infra/resources')).filter((name) => name.endsWith('.yml')).sort()) {
    const resources = (readYaml(join('infra/resources', file)).Resources ?? {}) as Record<string, { Type?: string; Properties?: { EventPattern?: Yaml; Targets?: Array<{ Arn?: unknown }> } }>;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::Events::Rule' || !resource.Properties?.EventPattern) continue;
      for (const target of resource.Properties.Targets ?? []) {
        const consumer = typeof target.Arn === 'string' ? consumers.get(target.Arn) : undefined;
        if (consumer) rules.push({ ...consumer, pattern: resource.Properties.EventPattern, queue: (target.Arn as string).replace(/\.Arn$/, '') });
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
