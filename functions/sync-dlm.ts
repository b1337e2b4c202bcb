import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dlmClient } from '../shared/aws/clients.js';
import { AwsDlmPolicyStore } from '../shared/aws/dlm-policy-store.js';
import { parseSyncDlmRun } from '../shared/domain/sync-dlm-run-event.js';
import { ConfigurationError, readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { readRetryDelays } from '../shared/runtime/retry-settings.js';
import { createObservability } from '../shared/runtime/observability.js';
import { loadPlans } from '../shared/runtime/plans.js';
import { SYNC_DLM_DEFAULTS, syncDlmPolicies, type DlmSyncSummary } from '../shared/use-cases/sync-dlm.js';

const observability = createObservability('sync-dlm');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const retryDelays = readRetryDelays();
// The role DLM itself assumes (infra/resources/sync-dlm-role.yml), passed to every policy.
const executionRoleArn = process.env.DLM_EXECUTION_ROLE_ARN;
if (!executionRoleArn) throw new ConfigurationError('missing environment variable(s): DLM_EXECUTION_ROLE_ARN');
// Policies live where the plans' resources are: the primary Region. One attempt a call: the SDK would resend a
// create whose answer was lost and make a second policy; syncDlmPolicies retries, looking for it first.
const store = new AwsDlmPolicyStore(dlmClient({ region: plans.primaryRegion, maxAttempts: 1, ...(env.endpoint ? { endpoint: env.endpoint } : {}) }));

export const handler = lambdaStack(observability, async (event: unknown): Promise<DlmSyncSummary> => {
  const run = parseSyncDlmRun(event);
  const summary = await syncDlmPolicies(
    { config: plans, dryRun: run.dryRun },
    {
      ...SYNC_DLM_DEFAULTS,
      baseDelayMs: retryDelays.syncDlmBaseDelayMs,
      stack: env.stack,
      executionRoleArn,
      store,
      onOutcome: (outcome) => {
        const log = outcome.status === 'failed' ? logger.error.bind(logger) : logger.info.bind(logger);
        log(`DLM policy ${outcome.action} ${outcome.status}`, { ...outcome });
      },
    },
  );
  metrics.addMetric('DlmPoliciesCreated', MetricUnit.Count, summary.created + summary.replaced);
  metrics.addMetric('DlmPoliciesUpdated', MetricUnit.Count, summary.updated);
  metrics.addMetric('DlmPoliciesDeleted', MetricUnit.Count, summary.deleted);
  metrics.addMetric('DlmSyncFailures', MetricUnit.Count, summary.failed);
  if (summary.untouched.length) logger.warn('policies tagged as ours without a plan tag were left alone', { policyIds: summary.untouched });
  return summary;
});
