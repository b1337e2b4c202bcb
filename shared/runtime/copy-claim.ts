import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { dynamoDbClient } from '../aws/clients.js';
import type { RuntimeEnvironment } from './environment.js';

/** Long enough to cover duplicate event deliveries and a reconcile racing an event; after it the tag lookup decides. */
const CLAIM_SECONDS = 3600;

export interface CopyClaim {
  guard: <T>(key: string, start: () => Promise<T>) => Promise<T>;
  registerLambdaContext(context: Context): void;
}

/**
 * A DynamoDB claim per (destination, source, attempt), shared by copy-snapshot and reconcile (same key
 * prefix): two concurrent starts of one EBS copy cannot both reach CopySnapshot. Undefined without a table.
 */
export function copyClaim(env: RuntimeEnvironment): CopyClaim | undefined {
  if (!env.idempotencyTable) return undefined;
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: CLAIM_SECONDS });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: env.idempotencyTable,
    awsSdkV3Client: dynamoDbClient({ region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) }),
  });
  return {
    guard: <T>(key: string, start: () => Promise<T>) =>
      makeIdempotent(async (_claim: { key: string }) => start(), { persistenceStore, config, keyPrefix: 'copy-snapshot' })({ key }),
    registerLambdaContext: (context) => config.registerLambdaContext(context),
  };
}
