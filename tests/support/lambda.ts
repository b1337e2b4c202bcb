import type { Context } from 'aws-lambda';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Lambda context as the runtime passes it, with a deadline the handler can read. */
export function lambdaContext(functionName: string, remainingMs = 900_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Environment for running a real handler in-process against moto: loopback endpoint, fake credentials,
 * quiet Powertools. Handlers read it at import time, so call this before importing them.
 */
export function useHandlerEnvironment(settings: { endpoint: string; region: string; plansYaml: string; extra?: Record<string, string> }): string {
  const folder = mkdtempSync(join(tmpdir(), 'bo-plans-'));
  const plansFile = join(folder, 'backup-plans.yml');
  writeFileSync(plansFile, settings.plansYaml);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: settings.endpoint,
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    STACK_NAME: 'backup-orchestrator-test',
    PLANS_FILE: plansFile,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_DEV: 'false',
    ...settings.extra,
  });
  return plansFile;
}
