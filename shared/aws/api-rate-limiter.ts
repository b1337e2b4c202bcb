import type { FinalizeRequestMiddleware, MiddlewareStack, RelativeMiddlewareOptions } from '@smithy/types';
import { apiBucketOf, type RateLimitSettings } from '../domain/api-rate-limits.js';
import { TokenBucket } from '../domain/token-bucket.js';

export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: LimiterClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/**
 * One token bucket per (service, Region, API) for the whole container: every client of that service and
 * Region draws from the same bucket, so a run waits its turn just under the account's limit.
 */
export class ApiRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  /** Calls that waited for a token, and for how long in total: for logs and the benchmark. */
  readonly stats = { calls: 0, waited: 0, waitedMs: 0 };

  constructor(
    readonly settings: RateLimitSettings,
    private readonly clock: LimiterClock = realClock,
  ) {}

  /** Waits until the call may go; calls without a configured bucket go at once. */
  async acquire(service: string, region: string, command: string, input: Record<string, unknown> = {}): Promise<void> {
    this.stats.calls += 1;
    const bucket = apiBucketOf(this.settings, service, command, input);
    if (!bucket) return;
    const key = `${bucket.key}@${region}`;
    let tokens = this.buckets.get(key);
    if (!tokens) {
      tokens = new TokenBucket(bucket.size, this.clock.now());
      this.buckets.set(key, tokens);
    }
    const waitMs = tokens.reserve(this.clock.now());
    if (waitMs > 0) {
      this.stats.waited += 1;
      this.stats.waitedMs += waitMs;
      await this.clock.sleep(waitMs);
    }
  }
}

/** `EC2Client` → `ec2`, `RDSClient` → `rds`. */
export function serviceOfClient(clientName: string | undefined): string {
  return (clientName ?? '').replace(/Client$/, '').toLowerCase();
}

/** `CreateSnapshotCommand` → `CreateSnapshot`. */
export function apiNameOf(commandName: string | undefined): string {
  return (commandName ?? '').replace(/Command$/, '');
}

/** Runs inside the SDK's retry loop, so every attempt (a retry too) takes a token. */
export const RATE_LIMIT_MIDDLEWARE: RelativeMiddlewareOptions = {
  name: 'apiRateLimit',
  relation: 'after',
  toMiddleware: 'retryMiddleware',
  override: true,
};

export function rateLimitMiddleware(limiter: ApiRateLimiter, region: string): FinalizeRequestMiddleware<object, object> {
  return (next, context) => async (args) => {
    await limiter.acquire(serviceOfClient(context.clientName), region, apiNameOf(context.commandName), args.input as Record<string, unknown>);
    return next(args);
  };
}

/** Puts the limiter in front of every call of one client. */
export function useRateLimit(client: { middlewareStack: MiddlewareStack<object, object> }, limiter: ApiRateLimiter, region: string): void {
  client.middlewareStack.addRelativeTo(rateLimitMiddleware(limiter, region), RATE_LIMIT_MIDDLEWARE);
}
