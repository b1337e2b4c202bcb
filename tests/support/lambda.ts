import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { lambdaContext } from '../../sandbox/lambda-context.js';

/**
 * Environment for running a real handler in-process against moto: loopback endpoint, fake credentials,
 * quiet Powertools. Handlers read it at import time, so call this before importing them.
 */
export function useHandlerEnvironment(settings: { endpoint: string; region: string; plansYaml: string; extra?: Record<string, string> }): string {
  const folder = mkdtempSync(join(tmpdir(), 'bo-plans-'));
  const plansFile = join(folder, 'backup-plans.yml');
  writeFileSync(plansFile, settings.plansYaml);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: settings.endpoint,
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    STACK_NAME: 'backup-orchestrator-test',
    PLANS_FILE: plansFile,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_DEV: 'false',
    // moto is not EC2: the client-side buckets at 100 times EC2's limits never slow a test (the resilience test sets its own).
    API_RATE_SHARE: '100',
    ...settings.extra,
  });
  return plansFile;
}
