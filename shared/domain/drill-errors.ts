/**
 * Errors of a restore drill. Each class has a fixed `name`: the state machine's Retry and Catch match on it,
 * and the drill report tells the reader what went wrong from it.
 */

/** The plan has no completed recovery point of ours for the resource in the drill's Region. */
export class NoRecoveryPointError extends Error {
  override readonly name = 'NoRecoveryPointError';
}

/** The restored resource reached a state it never leaves for `available` (e.g. EBS `error`, RDS `failed`). */
export class RestoreFailedError extends Error {
  override readonly name = 'RestoreFailedError';
}

/** The restored resource was not available before the drill's restore deadline. */
export class RestoreTimedOutError extends Error {
  override readonly name = 'RestoreTimedOutError';
}

/** The restored resource is available but not usable: wrong size, no endpoint, a member not available. */
export class RestoreValidationError extends Error {
  override readonly name = 'RestoreValidationError';
}

/** The plan's own validation function failed the restore, crashed, or answered something other than pass/fail. */
export class UserValidationError extends Error {
  override readonly name = 'UserValidationError';
}

/** A drill resource cannot be deleted yet (e.g. an RDS instance still `creating`); the state machine retries. */
export class CleanupPendingError extends Error {
  override readonly name = 'CleanupPendingError';
}

/** Cleanup ran but some drill resources are neither gone nor deleting; the drill janitor deletes them at expiry. */
export class CleanupIncompleteError extends Error {
  override readonly name = 'CleanupIncompleteError';
}

/** An AWS call failed for a reason that passes (throttling, 5xx, network): the state machine retries the step. */
export class TransientAwsError extends Error {
  override readonly name = 'TransientAwsError';
}
