import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { dynamoDbClient } from '../aws/clients.js';
import type { RuntimeEnvironment } from './environment.js';

/** A DynamoDB claim (Powertools Idempotency): the first caller with a key runs, the others get its answer. */
export interface Claim {
  guard: <T>(key: string, run: () => Promise<T>) => Promise<T>;
  registerLambdaContext(context: Context): void;
}

function dynamoDbClaim(env: RuntimeEnvironment, keyPrefix: string, expiresAfterSeconds: number): Claim | undefined {
  if (!env.idempotencyTable) return undefined;
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: env.idempotencyTable,
    awsSdkV3Client: dynamoDbClient({ region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) }),
  });
  return {
    guard: <T>(key: string, run: () => Promise<T>) => makeIdempotent(async (_claim: { key: string }) => run(), { persistenceStore, config, keyPrefix })({ key }),
    registerLambdaContext: (context) => config.registerLambdaContext(context),
  };
}

/**
 * A claim per (plan, resource, slot), shared by the scheduled run and the snapshot workers (same key prefix):
 * two deliveries of one schedule or one work item cannot both create. Kept a week, longer than any redelivery
 * of a schedule or a work item, so a repeat is answered from the claim. A create whose answer was lost is
 * looked for while the claim is held, so the claim ends with the snapshot found, or "uncertain" when the
 * look failed (a later claimant then takes a fresh claim that looks before it creates), and is let go only
 * when there is none. Undefined without a table.
 */
export function snapshotClaim(env: RuntimeEnvironment): Claim | undefined {
  return dynamoDbClaim(env, 'create-snapshots', 7 * 24 * 3600);
}

/**
 * A claim per (destination, source, attempt), shared by copy-snapshot, copy-pump and reconcile (same key
 * prefix): two concurrent starts of one EBS copy cannot both reach CopySnapshot. Kept an hour, long enough
 * to cover duplicate event deliveries and a reconcile racing an event; after it the tag lookup decides (so a
 * start stored as "uncertain" waits an hour at most). Undefined without a table.
 */
export function copyClaim(env: RuntimeEnvironment): Claim | undefined {
  return dynamoDbClaim(env, 'copy-snapshot', 3600);
}
