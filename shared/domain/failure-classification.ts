/** How a failed AWS call should be treated: retried soon, retried after the per-volume wait, or recorded. */
export type FailureKind = 'transient' | 'per-volume-rate' | 'permanent' | 'in-progress-elsewhere';

const TRANSIENT = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'InternalError',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * Powertools Idempotency races that a new try resolves: the claim expired or vanished while we read it
 * (Powertools already retried a couple of times).
 */
const CLAIM_RACES = new Set(['IdempotencyInconsistentStateError', 'IdempotencyItemNotFoundError']);

/**
 * How EC2 and RDS refuse a request on a resource in a state that does not allow it yet (a volume or instance
 * pending, a database backing-up, modifying or deleting): the same request may succeed once the state passes.
 */
export const REFUSED_FOR_STATE: readonly string[] = [
  'IncorrectState',
  'IncorrectInstanceState',
  'InvalidDBInstanceStateFault',
  'InvalidDBInstanceState',
  'InvalidDBClusterStateFault',
  'InvalidDBClusterState',
];

/** Refusals that say the request was not carried out: a throttle, or no connection at all. */
const NOT_CARRIED_OUT = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'ProvisionedThroughputExceededException', 'ECONNREFUSED', 'SnapshotCreationPerVolumeRateExceeded']);

/**
 * True when a failed call may still have taken effect (a 500, a timeout, a dropped connection: the answer,
 * not the request, may be what was lost), so a create must look for its result before it is sent again.
 */
export function mayHaveTakenEffect(failure: ClassifiedFailure): boolean {
  return failure.kind === 'transient' && !NOT_CARRIED_OUT.has(failure.name);
}

export interface ClassifiedFailure {
  kind: FailureKind;
  name: string;
  message: string;
}

/**
 * Classifies an SDK (or network) error by its name and HTTP status. Unknown errors are permanent: a wrong
 * guess that retries forever is worse than a failure recorded and reported. A claim-store failure
 * (Powertools' IdempotencyPersistenceLayerError, which carries the DynamoDB error as `cause`) is
 * classified by that cause, keeping the outer name so the record says the claim store failed.
 */
export function classifyFailure(error: unknown): ClassifiedFailure {
  const candidate = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof candidate?.name === 'string' && candidate.name !== 'Error' ? candidate.name : String(candidate?.code ?? 'Error');
  const message = typeof candidate?.message === 'string' ? candidate.message : String(error);
  if (name === 'SnapshotCreationPerVolumeRateExceeded') return { kind: 'per-volume-rate', name, message };
  if (name === 'IdempotencyAlreadyInProgressError') return { kind: 'in-progress-elsewhere', name, message };
  if (CLAIM_RACES.has(name)) return { kind: 'transient', name, message };
  if (name === 'IdempotencyPersistenceLayerError') {
    if (candidate.cause === undefined || candidate.cause === null) return { kind: 'permanent', name, message };
    // The outer name stays: the failed step may be the one after the create, so mayHaveTakenEffect must say yes.
    const cause = classifyFailure(candidate.cause);
    return { kind: cause.kind === 'transient' ? 'transient' : 'permanent', name, message: `${message}: ${cause.name}: ${cause.message}` };
  }
  const status = candidate?.$metadata?.httpStatusCode;
  if (TRANSIENT.has(name) || (typeof status === 'number' && status >= 500)) return { kind: 'transient', name, message };
  return { kind: 'permanent', name, message };
}
