import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import type { Observability } from './observability.js';

/**
 * The Middy chain every handler shares: structured logs with the request id, metrics flushed once per
 * invocation (Lambda's active tracing records the trace). Errors are logged once here and rethrown so
 * Lambda (and the scheduler's retry policy and dead-letter queue) see the failure.
 */
export function lambdaStack<TEvent, TResult>(
  { logger, metrics }: Observability,
  handler: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return middy<TEvent, TResult>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use({
      onError: async (request) => {
        logger.error('invocation failed', { error: request.error as Error });
      },
    })
    .handler(handler);
}
