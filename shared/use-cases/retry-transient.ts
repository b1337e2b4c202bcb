import { classifyFailure } from '../domain/failure-classification.js';

export interface TransientRetry {
  attempts: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

/** Three tries, 0.2 s then 0.4 s apart: enough to ride out a burst of 5xx once the SDK's own retry budget is spent. */
export const TRANSIENT_RETRY_DEFAULTS: TransientRetry = {
  attempts: 3,
  baseDelayMs: 200,
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/**
 * Runs `call` again after a transient failure (throttling, 5xx, network), with growing delays. Under a storm
 * of failures the SDK stops retrying (its retry quota runs dry); this keeps one failed call from failing a
 * whole Region's listing or a deletion that the next attempt would have made.
 */
export async function retryTransient<T>(call: () => Promise<T>, retry: TransientRetry = TRANSIENT_RETRY_DEFAULTS): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= retry.attempts || classifyFailure(error).kind !== 'transient') throw error;
      await retry.sleep(retry.baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
