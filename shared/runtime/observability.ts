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

export type Observability = ReturnType<typeof createObservability>;
