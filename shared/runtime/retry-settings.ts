import { CREATE_SNAPSHOTS_DEFAULTS, type CreateSnapshotsDeps } from '../use-cases/create-snapshots.js';
import { TRANSIENT_RETRY_DEFAULTS, type TransientRetry } from '../use-cases/retry-transient.js';
import { SYNC_DLM_DEFAULTS } from '../use-cases/sync-dlm.js';
import { ConfigurationError } from './environment.js';

/** The waits before retries, every one multiplied by the same scale (1: as in production). */
export interface RetryDelays {
  scale: number;
  /** Prune, the copy functions and the reconciler: TRANSIENT_RETRY_DEFAULTS with scaled waits. */
  transient: TransientRetry;
  /** create-snapshots and its workers: CREATE_SNAPSHOTS_DEFAULTS.retry with scaled waits (the 15 s+ after a per-volume rate error too). */
  createSnapshots: CreateSnapshotsDeps['retry'];
  /** sync-dlm's backoff base (SYNC_DLM_DEFAULTS.baseDelayMs, scaled). */
  syncDlmBaseDelayMs: number;
}

/**
 * RETRY_DELAY_SCALE: the factor every wait before a retry is multiplied by — the SDK's backoff
 * (shared/aws/clients.ts) and the orchestrator's own retries. Unset in a deployment (1). Tests and simulations
 * that run EC2's limits on a faster clock (API_RATE_SHARE) shrink the waits alike, e.g. 0.05 for a clock
 * 20 times faster. Above 0 and at most 1: it never makes a Lambda wait longer.
 */
export function readRetryDelayScale(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.RETRY_DELAY_SCALE;
  if (text === undefined || text.trim() === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
    throw new ConfigurationError(
      `RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "${text}"`,
    );
  }
  return scale;
}

/** The retry settings of the handlers, with RETRY_DELAY_SCALE applied; read at cold start. */
export function readRetryDelays(env: NodeJS.ProcessEnv = process.env): RetryDelays {
  const scale = readRetryDelayScale(env);
  const create = CREATE_SNAPSHOTS_DEFAULTS.retry;
  return {
    scale,
    transient: { ...TRANSIENT_RETRY_DEFAULTS, baseDelayMs: TRANSIENT_RETRY_DEFAULTS.baseDelayMs * scale },
    createSnapshots: {
      ...create,
      baseDelayMs: create.baseDelayMs * scale,
      perVolumeRateDelayMs: create.perVolumeRateDelayMs * scale,
    },
    syncDlmBaseDelayMs: SYNC_DLM_DEFAULTS.baseDelayMs * scale,
  };
}
