/** How a failed AWS call should be treated: retried soon, retried after the per-volume wait, or recorded. */
export type FailureKind = 'transient' | 'per-volume-rate' | 'permanent' | 'in-progress-elsewhere';

const TRANSIENT = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalError',
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

/** Refusals that say the request was not carried out: a throttle, or no connection at all. */
const NOT_CARRIED_OUT = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'ECONNREFUSED', 'SnapshotCreationPerVolumeRateExceeded']);

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
 * guess that retries forever is worse than a failure recorded and reported.
 */
export function classifyFailure(error: unknown): ClassifiedFailure {
  const candidate = error as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof candidate?.name === 'string' && candidate.name !== 'Error' ? candidate.name : String(candidate?.code ?? 'Error');
  const message = typeof candidate?.message === 'string' ? candidate.message : String(error);
  if (name === 'SnapshotCreationPerVolumeRateExceeded') return { kind: 'per-volume-rate', name, message };
  if (name === 'IdempotencyAlreadyInProgressError') return { kind: 'in-progress-elsewhere', name, message };
  const status = candidate?.$metadata?.httpStatusCode;
  if (TRANSIENT.has(name) || (typeof status === 'number' && status >= 500)) return { kind: 'transient', name, message };
  return { kind: 'permanent', name, message };
}
