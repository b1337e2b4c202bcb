import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'BackupOrchestrator';

/**
 * Powertools tools for one function, built once per container at module scope. No Powertools Tracer:
 * Lambda's active tracing (serverless.yml provider.tracing) records every invocation's segment, and the
 * Tracer's X-Ray SDK (in maintenance since February 2026) cost each cold start about 55 ms of imports
 * for a handler subsegment that duplicated it.
 */
export function createObservability(serviceName: string) {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}

/**
 * For a function that records no metric (the restore drill's tasks: the state machine publishes the drill's
 * metrics): the logger alone. No Metrics to build at cold start, and no ColdStart metric, which nothing
 * reads (Lambda's own REPORT lines and traces give each cold start's init duration).
 */
export function createLogging(serviceName: string): Observability {
  return { logger: new Logger({ serviceName }) };
}

export interface Observability {
  logger: Logger;
  metrics?: Metrics;
}
