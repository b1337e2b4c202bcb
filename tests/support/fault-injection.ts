/**
 * Fault injection for tests and the benchmark: an SDK middleware that answers some calls itself the way
 * EC2 and RDS do when they throttle or fail, before the call reaches the service (moto, or a simulator).
 * It keeps EC2's token bucket per (Region, API) — 100/5 for snapshot creates and deletes, 50/5 for other
 * mutating calls, 100/20 for describes — fails a chosen fraction of the calls with RequestLimitExceeded,
 * InternalError or ServiceUnavailable (RDS: ThrottlingException, InternalFailure, ServiceUnavailable),
 * and adds latency. The service's real error bodies go through the SDK's own deserializer and retry.
 */
import { Readable } from 'node:stream';
import type { DeserializeMiddleware, MiddlewareStack, RelativeMiddlewareOptions } from '@smithy/types';
import { apiBucketOf, type RateLimitSettings } from '../../shared/domain/api-rate-limits.js';
import { TokenBucket } from '../../shared/domain/token-bucket.js';
import { apiNameOf, serviceOfClient } from '../../shared/aws/api-rate-limiter.js';

export type InjectedError = 'RequestLimitExceeded' | 'InternalError' | 'ServiceUnavailable';

export interface FaultClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface FaultSettings {
  /** Fraction of calls (0..1) failed with one of `errors`, on top of any throttling. */
  failureRate?: number;
  errors?: readonly InjectedError[];
  /**
   * Simulate EC2's per-API token buckets. `share` scales every documented size: 1 is EC2 as documented,
   * 10 is a clock ten times faster (time scaled, ratios unchanged).
   */
  throttle?: RateLimitSettings;
  /** Milliseconds added to every call, fixed or drawn per call. */
  latencyMs?: number | ((random: () => number) => number);
  /** Which calls the faults apply to; by default every EC2 and RDS call (the throttled services). */
  applies?: (service: string, api: string) => boolean;
  clock?: FaultClock;
  /** Draws the failures; Math.random by default, `seededRandom(seed)` for a reproducible run. */
  random?: () => number;
}

export interface FaultStats {
  calls: number;
  throttled: number;
  failed: number;
  /** Calls that reached the service, by `service:API`. */
  passed: Map<string, number>;
  /** First time (clock ms) each `service:API` call was let through, and the last. */
  firstPassedAt: Map<string, number>;
  lastPassedAt: Map<string, number>;
}

/** A reproducible stream of numbers in [0, 1) (mulberry32): the same seed fails the same draws on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const realClock: FaultClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const EC2_ERRORS: Record<InjectedError | 'Throttle', { code: string; status: number }> = {
  Throttle: { code: 'RequestLimitExceeded', status: 503 },
  RequestLimitExceeded: { code: 'RequestLimitExceeded', status: 503 },
  InternalError: { code: 'InternalError', status: 500 },
  ServiceUnavailable: { code: 'ServiceUnavailable', status: 503 },
};
const RDS_ERRORS: Record<InjectedError | 'Throttle', { code: string; status: number }> = {
  Throttle: { code: 'ThrottlingException', status: 400 },
  RequestLimitExceeded: { code: 'ThrottlingException', status: 400 },
  InternalError: { code: 'InternalFailure', status: 500 },
  ServiceUnavailable: { code: 'ServiceUnavailable', status: 503 },
};

/** The error document each service's protocol returns (EC2 query, RDS awsQuery). */
function errorResponse(service: string, which: InjectedError | 'Throttle') {
  const requestId = `fault-${Math.random().toString(16).slice(2)}`;
  const { code, status } = (service === 'rds' ? RDS_ERRORS : EC2_ERRORS)[which];
  const message =
    which === 'Throttle' || which === 'RequestLimitExceeded'
      ? 'Request limit exceeded.'
      : 'An internal error has occurred (injected).';
  const body =
    service === 'rds'
      ? `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
      : `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  return {
    statusCode: status,
    reason: code,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: Readable.from([Buffer.from(body)]),
  };
}

/** Inside the deserializer: an answer given here is parsed exactly like one from the service. */
const FAULT_MIDDLEWARE: RelativeMiddlewareOptions = {
  name: 'faultInjection',
  relation: 'after',
  toMiddleware: 'deserializerMiddleware',
  override: true,
};

export class FaultInjector {
  readonly stats: FaultStats = {
    calls: 0,
    throttled: 0,
    failed: 0,
    passed: new Map(),
    firstPassedAt: new Map(),
    lastPassedAt: new Map(),
  };
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly clock: FaultClock;
  private readonly random: () => number;

  constructor(readonly settings: FaultSettings = {}) {
    this.clock = settings.clock ?? realClock;
    this.random = settings.random ?? Math.random;
  }

  /** Decides the fate of one call on arrival: throttled by its bucket, failed by chance, or passed. */
  decide(
    service: string,
    region: string,
    api: string,
    input: Record<string, unknown> = {},
  ): InjectedError | 'Throttle' | undefined {
    this.stats.calls += 1;
    if (this.settings.throttle && service === 'ec2') {
      const bucket = apiBucketOf(this.settings.throttle, service, api, input);
      if (bucket) {
        const key = `${bucket.key}@${region}`;
        let tokens = this.buckets.get(key);
        if (!tokens) {
          tokens = new TokenBucket(bucket.size, this.clock.now());
          this.buckets.set(key, tokens);
        }
        if (!tokens.tryTake(this.clock.now())) {
          this.stats.throttled += 1;
          return 'Throttle';
        }
      }
    }
    if (this.settings.failureRate && this.random() < this.settings.failureRate) {
      const errors = this.settings.errors ?? ['RequestLimitExceeded', 'InternalError', 'ServiceUnavailable'];
      this.stats.failed += 1;
      return errors[Math.floor(this.random() * errors.length)] ?? 'InternalError';
    }
    const name = `${service}:${api}`;
    const now = this.clock.now();
    this.stats.passed.set(name, (this.stats.passed.get(name) ?? 0) + 1);
    if (!this.stats.firstPassedAt.has(name)) this.stats.firstPassedAt.set(name, now);
    this.stats.lastPassedAt.set(name, now);
    return undefined;
  }

  private latency(): number {
    const { latencyMs } = this.settings;
    return typeof latencyMs === 'function' ? latencyMs(this.random) : (latencyMs ?? 0);
  }

  /** Puts the faults in front of one client's calls; `region` names the buckets (EC2 throttles per Region). */
  attach(client: { middlewareStack: MiddlewareStack<object, object> }, region: string): void {
    const applies = this.settings.applies ?? ((service: string) => service === 'ec2' || service === 'rds');
    const middleware: DeserializeMiddleware<object, object> = (next, context) => async (args) => {
      const service = serviceOfClient(context.clientName);
      const api = apiNameOf(context.commandName);
      if (!applies(service, api)) return next(args);
      const fate = this.decide(service, region, api, args.input as Record<string, unknown>);
      const latency = this.latency();
      if (latency > 0) await this.clock.sleep(latency);
      if (fate) return { response: errorResponse(service, fate), output: undefined as never };
      return next(args);
    };
    client.middlewareStack.addRelativeTo(middleware, FAULT_MIDDLEWARE);
  }
}
