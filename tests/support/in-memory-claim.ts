import { IdempotencyConfig, IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';

/**
 * A Powertools Idempotency store in memory, with the DynamoDB layer's put condition: the key is absent, or
 * expired, or INPROGRESS past its in-progress expiry.
 */
class InMemoryPersistenceLayer extends BasePersistenceLayer {
  private readonly records = new Map<string, IdempotencyRecord>();

  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const record = this.records.get(key);
    if (!record) throw new IdempotencyItemNotFoundError();
    return record;
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    const now = Date.now();
    const free =
      !existing ||
      (existing.expiryTimestamp ?? 0) < now / 1000 ||
      (existing.getStatus() === 'INPROGRESS' && existing.inProgressExpiryTimestamp !== undefined && existing.inProgressExpiryTimestamp < now);
    if (!free) throw new IdempotencyItemAlreadyExistsError(`exists: ${record.idempotencyKey}`, existing);
    this.records.set(record.idempotencyKey, record);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

/**
 * The production claim of shared/runtime/claims.ts (Powertools' real makeIdempotent) over one in-memory store
 * shared by every invocation of a test, like the DynamoDB table: a guarded run that throws lets the claim go,
 * one that returns leaves its answer for every later caller of the key.
 */
export function inMemoryClaim(keyPrefix: string, expiresAfterSeconds = 7 * 24 * 3600) {
  const persistenceStore = new InMemoryPersistenceLayer();
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds });
  // As the handlers do (claim.registerLambdaContext(context)): an in-progress claim lasts until the invocation's deadline.
  config.registerLambdaContext({ getRemainingTimeInMillis: () => 60_000 } as Context);
  return {
    guard: <T>(key: string, run: () => Promise<T>) =>
      makeIdempotent(async (_claim: { key: string }) => run(), { persistenceStore, config, keyPrefix })({ key }) as Promise<T>,
  };
}
