import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DLMClient } from '@aws-sdk/client-dlm';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { MiddlewareStack } from '@smithy/types';
import { readRateLimitSettings } from '../runtime/rate-limit-settings.js';
import { readRetryDelayScale } from '../runtime/retry-settings.js';
import { ApiRateLimiter, useRateLimit } from './api-rate-limiter.js';
import { scaledAdaptiveRetry } from './retry-strategy.js';

/**
 * One place that builds SDK clients: adaptive retry with an explicit attempt budget, a client-side token
 * bucket per (service, Region, API) shared by the whole container, and an optional endpoint (the local
 * sandbox and tests point every client at moto_server on loopback). RETRY_DELAY_SCALE shortens the SDK's
 * backoff in simulations on a faster clock (shared/runtime/retry-settings.ts).
 */
export interface ClientSettings {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
  /** How long an attempt may wait to connect, and then without a byte from the service (default CLIENT_TIMEOUTS). */
  timeouts?: ClientTimeouts;
}

export interface ClientTimeouts {
  connectionMs: number;
  socketMs: number;
}

/**
 * Without a timeout the SDK waits on a stalled connection for ever: the attempt never ends, its retries never run,
 * and the function is killed at its own timeout with the rest of its run undone. Every call here answers within
 * seconds, so an attempt silent for 30 s fails as a TimeoutError (transient: retried, and a create looks for its
 * result first). Lambda's Invoke answers only when the validation function returns: up to the drill step's 900 s.
 */
export const CLIENT_TIMEOUTS: ClientTimeouts = { connectionMs: 3_000, socketMs: 30_000 };
const INVOKE_TIMEOUTS: ClientTimeouts = { connectionMs: 3_000, socketMs: 880_000 };

type ClientClass<T> = new (config: Record<string, unknown>) => T;
type AnyClient = { middlewareStack: MiddlewareStack<object, object> };
const cache = new Map<string, unknown>();
let limiter: ApiRateLimiter | undefined;
let retryDelayScale: number | undefined;
const clientHooks: Array<(client: AnyClient, info: { service: string; region: string }) => void> = [];

/** The container's limiter, sized from API_RATE_SHARE / API_RATE_LIMITS on first use. */
export function apiRateLimiter(): ApiRateLimiter {
  limiter ??= new ApiRateLimiter(readRateLimitSettings());
  return limiter;
}

/** Tests and the benchmark add SDK middleware (fault injection, call counting) to every client built afterwards. */
export function onClientCreated(hook: (client: AnyClient, info: { service: string; region: string }) => void): void {
  clientHooks.push(hook);
}

function build<T>(kind: string, Client: ClientClass<T>, settings: ClientSettings): T {
  const timeouts = settings.timeouts ?? (kind === 'lambda' ? INVOKE_TIMEOUTS : CLIENT_TIMEOUTS);
  const key = `${kind}|${settings.region}|${settings.endpoint ?? ''}|${settings.maxAttempts ?? ''}|${timeouts.connectionMs}/${timeouts.socketMs}`;
  let client = cache.get(key) as T | undefined;
  if (!client) {
    const maxAttempts = settings.maxAttempts ?? 6;
    retryDelayScale ??= readRetryDelayScale();
    const retryStrategy = scaledAdaptiveRetry(maxAttempts, retryDelayScale);
    client = new Client({
      region: settings.region,
      retryMode: 'adaptive',
      maxAttempts,
      requestHandler: { connectionTimeout: timeouts.connectionMs, socketTimeout: timeouts.socketMs },
      ...(retryStrategy ? { retryStrategy } : {}),
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    });
    useRateLimit(client as AnyClient, apiRateLimiter(), settings.region);
    for (const hook of clientHooks) hook(client as AnyClient, { service: kind, region: settings.region });
    cache.set(key, client);
  }
  return client;
}

export const ec2Client = (settings: ClientSettings) => build('ec2', EC2Client as ClientClass<EC2Client>, settings);
export const rdsClient = (settings: ClientSettings) => build('rds', RDSClient as ClientClass<RDSClient>, settings);
export const kmsClient = (settings: ClientSettings) => build('kms', KMSClient as ClientClass<KMSClient>, settings);
export const snsClient = (settings: ClientSettings) => build('sns', SNSClient as ClientClass<SNSClient>, settings);
export const dlmClient = (settings: ClientSettings) => build('dlm', DLMClient as ClientClass<DLMClient>, settings);
export const lambdaClient = (settings: ClientSettings) => build('lambda', LambdaClient as ClientClass<LambdaClient>, settings);
export const sfnClient = (settings: ClientSettings) => build('sfn', SFNClient as ClientClass<SFNClient>, settings);
export const sqsClient = (settings: ClientSettings) => build('sqs', SQSClient as ClientClass<SQSClient>, settings);
export const dynamoDbClient = (settings: ClientSettings) => build('dynamodb', DynamoDBClient as ClientClass<DynamoDBClient>, settings);
