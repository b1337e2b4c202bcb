import type { Logger } from '@aws-lambda-powertools/logger';
import { activityLogOf } from '../aws/activity-log.js';
import { copyAdapters, copyBacklogOf } from '../aws/copy-adapters.js';
import type { CopyOutcome } from '../use-cases/copy-snapshots.js';
import { copyClaim } from './claims.js';
import { readCopySettings } from './copy-settings.js';
import { readEnvironment } from './environment.js';
import { loadPlans } from './plans.js';
import { readRetryDelays } from './retry-settings.js';

/**
 * What each copy function (copy-snapshot, copy-pump, reconcile) builds once per container: the plans, the
 * environment and settings, the adapters, the copy claim, the copy backlog (undefined without
 * COPY_BACKLOG_QUEUE_URL) and the run log.
 */
export function copyRuntime() {
  const env = readEnvironment();
  return {
    plans: loadPlans(),
    env,
    retryDelays: readRetryDelays(),
    settings: readCopySettings(),
    ...copyAdapters(env),
    claim: copyClaim(env),
    backlog: copyBacklogOf(env),
    activityLog: activityLogOf(env),
  };
}

/** Logs each copy outcome as it happens; a failed copy as an error. */
export function copyOutcomeLogger(logger: Logger): (outcome: CopyOutcome) => void {
  return (outcome) => {
    if (outcome.status === 'failed') logger.error(`copy ${outcome.status}`, { ...outcome });
    else logger.info(`copy ${outcome.status}`, { ...outcome });
  };
}
