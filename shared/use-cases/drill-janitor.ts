/**
 * The drill janitor: deletes drill resources whose drill is over but did not clean up (an execution stopped,
 * timed out or killed mid-way). Only resources with our ownership tag and a drill id are looked at, and only
 * those past their expiry tag are deleted.
 */
import { CleanupPendingError } from '../domain/drill-errors.js';
import { drillExpiry } from '../domain/drill.js';
import { TAG } from '../domain/recovery-point-tags.js';
import type { DrillBackend, DrillResource } from './restore-drill.js';

export interface JanitorOutcome {
  region: string;
  kind: DrillResource['kind'];
  id: string;
  drillId: string;
  status: 'deleted' | 'would-delete' | 'kept' | 'pending' | 'failed';
  reason: string;
}

export interface JanitorSummary {
  now: string;
  dryRun: boolean;
  regions: string[];
  deleted: number;
  kept: number;
  pending: number;
  failed: number;
  outcomes: JanitorOutcome[];
}

const ALREADY_GOING = new Set(['deleting', 'deleted']);
const DELETE_ORDER: Record<DrillResource['kind'], number> = { 'rds-instance': 0, 'ebs-volume': 1, 'aurora-cluster': 2 };

/** Sweeps every Region drills run in; one Region's failure is recorded and the others still swept. */
export async function runDrillJanitor(
  request: { now: Date; dryRun: boolean; regions: readonly string[] },
  deps: { stack: string; backendFor: (region: string) => DrillBackend },
): Promise<JanitorSummary> {
  const outcomes: JanitorOutcome[] = [];
  for (const region of request.regions) {
    const backend = deps.backendFor(region);
    let found: DrillResource[];
    try {
      found = await backend.findDrillResources({ stack: deps.stack });
    } catch (error) {
      outcomes.push({ region, kind: 'ebs-volume', id: '*', drillId: '*', status: 'failed', reason: `cannot list drill resources: ${(error as Error).name}: ${(error as Error).message}` });
      continue;
    }
    for (const resource of [...found].sort((a, b) => DELETE_ORDER[a.kind] - DELETE_ORDER[b.kind])) {
      const base = { region, kind: resource.kind, id: resource.id, drillId: resource.tags[TAG.drillId] ?? '?' };
      const expiry = drillExpiry(resource.tags);
      if (resource.tags[TAG.stack] !== deps.stack || !resource.tags[TAG.drillId]) {
        outcomes.push({ ...base, status: 'kept', reason: 'not a drill resource of this stack' });
      } else if (ALREADY_GOING.has(resource.status)) {
        outcomes.push({ ...base, status: 'kept', reason: `already ${resource.status}` });
      } else if (!expiry) {
        outcomes.push({ ...base, status: 'kept', reason: `no readable ${TAG.expiresAt} tag: delete it by hand once its drill is over` });
      } else if (expiry.getTime() > request.now.getTime()) {
        outcomes.push({ ...base, status: 'kept', reason: `its drill may still run until ${expiry.toISOString()}` });
      } else if (request.dryRun) {
        outcomes.push({ ...base, status: 'would-delete', reason: `expired at ${expiry.toISOString()}` });
      } else {
        try {
          await backend.deleteDrillResource(resource);
          outcomes.push({ ...base, status: 'deleted', reason: `expired at ${expiry.toISOString()}` });
        } catch (error) {
          const pending = error instanceof CleanupPendingError;
          outcomes.push({ ...base, status: pending ? 'pending' : 'failed', reason: `${(error as Error).name}: ${(error as Error).message}` });
        }
      }
    }
  }
  const count = (status: JanitorOutcome['status']) => outcomes.filter((outcome) => outcome.status === status).length;
  return {
    now: request.now.toISOString(),
    dryRun: request.dryRun,
    regions: [...request.regions],
    deleted: count('deleted') + count('would-delete'),
    kept: count('kept'),
    pending: count('pending'),
    failed: count('failed'),
    outcomes,
  };
}
