import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export const METRICS_NAMESPACE = 'BackupOrchestrator';

/** Powertools tools for one function, built once per container at module scope. */
export function createObservability(serviceName: string) {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
    tracer: new Tracer({ serviceName }),
  };
}

export type Observability = ReturnType<typeof createObservability>;
