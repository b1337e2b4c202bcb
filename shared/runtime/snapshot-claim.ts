import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { dynamoDbClient } from '../aws/clients.js';
import type { RuntimeEnvironment } from './environment.js';

/** A week: longer than any redelivery of a schedule or a work item, so a repeat is answered from the claim. */
const CLAIM_SECONDS = 7 * 24 * 3600;

export interface SnapshotClaim {
  guard: <T>(key: string, create: () => Promise<T>) => Promise<T>;
  registerLambdaContext(context: Context): void;
}

/**
 * A DynamoDB claim per (plan, resource, slot), shared by the scheduled run and the snapshot workers (same key
 * prefix): two deliveries of one schedule or one work item cannot both create. Undefined without a table.
 */
export function snapshotClaim(env: RuntimeEnvironment): SnapshotClaim | undefined {
  if (!env.idempotencyTable) return undefined;
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: CLAIM_SECONDS });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: env.idempotencyTable,
    awsSdkV3Client: dynamoDbClient({ region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) }),
  });
  return {
    guard: <T>(key: string, create: () => Promise<T>) =>
      makeIdempotent(async (_claim: { key: string }) => create(), { persistenceStore, config, keyPrefix: 'create-snapshots' })({ key }),
    registerLambdaContext: (context) => config.registerLambdaContext(context),
  };
}
