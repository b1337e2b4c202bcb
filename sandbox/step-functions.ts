/**
 * Runs a real ASL file locally with aws-local-stepfunctions: placeholders bound like DefinitionSubstitutions,
 * `lambda:invoke` Tasks mapped to handlers imported in-process, `aws-sdk:` Tasks mapped to the SDK v3 command
 * of the same name against a loopback endpoint (moto), so every Parameters shape is exercised for real.
 */
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { ExecutionError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { clientConfig } from './aws-clients.js';
import { lambdaContext } from './lambda-context.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type TaskHandler = (input: Json) => Promise<Json>;
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

interface TaskState {
  Type: string;
  Resource?: string;
}

/** The ASL text with every `${Name}` replaced; throws on a placeholder left unbound or a binding never used. */
export function bindDefinition(file: string, substitutions: Record<string, string>): StateMachineDefinition {
  const text = readFileSync(file, 'utf8');
  const placeholders = new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] as string));
  const unbound = [...placeholders].filter((name) => !(name in substitutions));
  const unused = Object.keys(substitutions).filter((name) => !placeholders.has(name));
  if (unbound.length || unused.length) throw new Error(`placeholders unbound: ${unbound.join(', ') || 'none'}; bindings unused: ${unused.join(', ') || 'none'}`);
  const bound = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => substitutions[name] as string);
  if (bound.includes('${')) throw new Error('a ${ is left after binding the definition');
  return JSON.parse(bound) as StateMachineDefinition;
}

const JSON_ROUND_TRIP = <T>(value: T): T => JSON.parse(JSON.stringify(value ?? null)) as T;

/**
 * `arn:aws:states:::lambda:invoke`: picks the handler by FunctionName and answers like the integration,
 * {Payload, StatusCode, ExecutedVersion}; a handler's error keeps its name, as Lambda's errorType does.
 */
export function lambdaInvokeTask(handlers: Record<string, LambdaHandler>): TaskHandler {
  return async (input) => {
    const { FunctionName, Payload } = input as { FunctionName: string; Payload: Json };
    const handler = handlers[FunctionName];
    if (!handler) throw new Error(`no local handler for function ${FunctionName}`);
    const name = FunctionName.split(':').pop() as string;
    const result = await handler(JSON_ROUND_TRIP(Payload), lambdaContext(name));
    return { Payload: JSON_ROUND_TRIP(result) as Json, StatusCode: 200, ExecutedVersion: '$LATEST' };
  };
}

/**
 * `arn:aws:states:::aws-sdk:<service>:<action>`: sends the SDK v3 `<Action>Command` of `@aws-sdk/client-<service>`
 * with the state's Parameters as input; errors are renamed `<Service>.<Name>Exception` as Step Functions does.
 */
export function awsSdkTask(resource: string, settings: { endpoint: string; region: string }): TaskHandler {
  const match = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (!match) throw new Error(`not an AWS SDK integration: ${resource}`);
  const [, service, action] = match as unknown as [string, string, string];
  return async (input) => {
    const sdk = (await import(`@aws-sdk/client-${service}`)) as Record<string, unknown>;
    const clientName = Object.keys(sdk).find((name) => name.endsWith('Client') && typeof sdk[name] === 'function' && !name.startsWith('__'));
    const Command = sdk[`${action.charAt(0).toUpperCase()}${action.slice(1)}Command`] as (new (input: unknown) => unknown) | undefined;
    if (!clientName || !Command) throw new Error(`@aws-sdk/client-${service} has no ${action} command`);
    const Client = sdk[clientName] as new (config: unknown) => { send(command: unknown): Promise<Record<string, unknown>>; destroy(): void };
    const client = new Client(clientConfig(settings.endpoint, settings.region));
    try {
      const { $metadata: _metadata, ...output } = await client.send(new Command(input));
      return JSON_ROUND_TRIP(output) as Json;
    } catch (error) {
      const name = (error as Error).name;
      const renamed = new Error((error as Error).message);
      renamed.name = `${service.charAt(0).toUpperCase()}${service.slice(1)}.${name.endsWith('Exception') ? name : `${name}Exception`}`;
      throw renamed;
    } finally {
      client.destroy();
    }
  };
}

/** One Task handler per Task state of the definition, from its Resource. */
export function taskHandlers(
  definition: StateMachineDefinition,
  settings: { endpoint: string; region: string; lambdas: Record<string, LambdaHandler> },
): Record<string, TaskHandler> {
  const lambda = lambdaInvokeTask(settings.lambdas);
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(definition.States as Record<string, TaskState>)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource === 'arn:aws:states:::lambda:invoke') handlers[name] = lambda;
    else handlers[name] = awsSdkTask(state.Resource ?? '', settings);
  }
  return handlers;
}

/**
 * The restore drill's ValidateInput task with `$$.Execution.StartTime` (its payload's `execution.startTime`) set to
 * `startTime`: the local runner stamps it with the real clock and takes no override, while a simulated or test
 * execution starts on its own clock (and a drill refuses a startedAt long before its execution started).
 */
export function withExecutionStart(validateInput: TaskHandler, startTime: string): TaskHandler {
  return async (input) => {
    const { Payload, ...rest } = input as { Payload: { execution: Record<string, string> } };
    return validateInput({ ...rest, Payload: { ...Payload, execution: { ...Payload.execution, startTime } } } as never);
  };
}

export interface ExecutionOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** Names of the states entered, in order. */
  path: string[];
}

/** Runs one execution to its end and reports it like DescribeExecution would, plus the states it went through. */
export async function runExecution(machine: StateMachine, input: unknown, options: RunOptions): Promise<ExecutionOutcome> {
  const execution = machine.run(input as Json, options);
  const path: string[] = [];
  const collect = (async () => {
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') path.push(event.state.name);
  })();
  try {
    const output = await execution.result;
    await collect;
    return { status: 'SUCCEEDED', output, path };
  } catch (error) {
    await collect;
    if (!(error instanceof ExecutionError)) throw error;
    const failure = error.cause as Error;
    return { status: 'FAILED', error: failure.name, cause: failure.message, path };
  }
}
