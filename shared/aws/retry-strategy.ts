import { AdaptiveRetryStrategy, MAXIMUM_RETRY_DELAY, type RateLimiter } from '@smithy/core/retry';
import type { RetryStrategyV2, StandardRetryBackoffStrategy } from '@smithy/types';

/**
 * The SDK's backoff — full jitter: a random wait up to base × 2^retries, capped at 20 s, the base being the
 * SDK's own (longer after throttling) — with every wait multiplied by `scale` (RETRY_DELAY_SCALE).
 */
export function scaledBackoff(
  scale: number,
  random: () => number = Math.random,
): StandardRetryBackoffStrategy {
  // The strategy sets the base before each computation (its own base, or the throttling one).
  let base = 0;
  return {
    setDelayBase: (delayBase) => {
      base = delayBase;
    },
    computeNextBackoffDelay: (retries) =>
      Math.floor(random() * Math.min(base * 2 ** retries, MAXIMUM_RETRY_DELAY) * scale),
  };
}

/**
 * Adaptive mode's send-rate limiter measures real seconds and cannot follow a scaled clock (after a throttle
 * it would hold a simulation to real-time rates): on a scaled clock the client-side token buckets
 * (shared/aws/api-rate-limiter.ts, scaled with API_RATE_SHARE) are the only limit on the send rate.
 */
const NO_SEND_RATE_LIMIT: RateLimiter = {
  getSendToken: async () => undefined,
  updateClientSendingRate: () => undefined,
};

/**
 * Adaptive retry as the SDK builds it for `retryMode: 'adaptive'`, on waits multiplied by `scale` and without
 * its real-time send-rate limiter; undefined at scale 1, so a deployment keeps the SDK's own strategy untouched.
 */
export function scaledAdaptiveRetry(maxAttempts: number, scale: number): RetryStrategyV2 | undefined {
  return scale === 1
    ? undefined
    : new AdaptiveRetryStrategy(maxAttempts, { maxAttempts, backoff: scaledBackoff(scale), rateLimiter: NO_SEND_RATE_LIMIT });
}
