import { AwsDrillBackend } from '../aws/drill-backend.js';
import { ec2Client, lambdaClient, rdsClient } from '../aws/clients.js';
import { CatalogRecoveryPointSource } from '../aws/recovery-point-source.js';
import { SnapshotCatalog } from '../aws/snapshot-catalog.js';
import { LambdaValidationInvoker } from '../aws/validation-function-invoker.js';
import type { PlansConfig } from '../domain/plan-schema.js';
import type { DrillBackend } from '../use-cases/restore-drill.js';
import type { RuntimeEnvironment } from './environment.js';

/**
 * The adapters every drill function works through, for any Region: a drill restores in the primary Region
 * or a DR Region, so clients are built per Region (cached) rather than for the function's own Region.
 */
export function drillAdapters(env: RuntimeEnvironment) {
  const settings = (region: string) => ({ region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) });
  const backends = new Map<string, DrillBackend>();
  const backendFor = (region: string): DrillBackend => {
    let backend = backends.get(region);
    if (!backend) {
      backend = new AwsDrillBackend(ec2Client(settings(region)), rdsClient(settings(region)), region);
      backends.set(region, backend);
    }
    return backend;
  };
  return {
    backendFor,
    points: new CatalogRecoveryPointSource((region) => new SnapshotCatalog(ec2Client(settings(region)), rdsClient(settings(region)), region)),
    invoker: new LambdaValidationInvoker((region) => lambdaClient(settings(region)), env.region),
  };
}

/** Every Region a drill of these plans can restore in: the primary Region and each copy Region. */
export function drillRegions(config: PlansConfig): string[] {
  return [...new Set([config.primaryRegion, ...config.plans.flatMap((plan) => plan.copies.map((copy) => copy.region))])];
}
