import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { Observability } from './observability.js';

/**
 * Powertools' logMetrics, except that an invocation which recorded no metric publishes nothing and logs no
 * warning: the drill tasks record none (the state machine publishes the drill's metrics), and a warning on
 * every warm invocation would only bury real ones. The ColdStart metric is still published.
 */
function publishMetrics(metrics: Metrics): middy.MiddlewareObj<unknown, unknown, Error, Context> {
  const publish = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: async (request) => {
      metrics.captureColdStartMetric(request.context.functionName);
    },
    after: publish,
    onError: publish,
  };
}

/**
 * The Middy chain every handler shares: structured logs with the request id, metrics (where the function
 * records any) flushed once per invocation (Lambda's active tracing records the trace). Errors are logged
 * once here and rethrown so Lambda (and the scheduler's retry policy and dead-letter queue) see the failure.
 */
export function lambdaStack<TEvent, TResult>(
  { logger, metrics }: Observability,
  handler: (event: TEvent, context: Context) => Promise<TResult>,
) {
  let chain = middy<TEvent, TResult>({ timeoutEarlyInMillis: 0 }).use(injectLambdaContext(logger, { resetKeys: true }));
  if (metrics) chain = chain.use(publishMetrics(metrics) as middy.MiddlewareObj<TEvent, TResult, Error, Context>);
  return chain
    .use({
      onError: async (request) => {
        logger.error('invocation failed', { error: request.error as Error });
      },
    })
    .handler(handler);
}
