import { drillContextSchema, parseStepEvent, readDrillState, type CleanupResult } from '../shared/domain/drill-state.js';
import { drillAdapters } from '../shared/runtime/drill-runtime.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createLogging } from '../shared/runtime/observability.js';
import { cleanupDrill, drillStep } from '../shared/use-cases/restore-drill.js';

// Restore drill, state Cleanup: every path ends here, so it receives the whole state and needs the drill and, when
// the restore step answered, what it restored.
const observability = createLogging('drill-cleanup');
const { logger } = observability;
const env = readEnvironment();
const { backendFor } = drillAdapters(env);

export const handler = lambdaStack(observability, async (event: unknown): Promise<CleanupResult> => {
  const planned = (event as { drill?: { Payload?: unknown } } | null)?.drill?.Payload;
  const drill = planned === undefined ? undefined : parseStepEvent('drill-cleanup', drillContextSchema, planned);
  if (drill) logger.appendKeys({ drillId: drill.id, planId: drill.planId });
  // Read leniently: an unreadable restore result must not stop the cleanup, which still finds resources by tag.
  const { state, unreadable } = readDrillState(event);
  if (unreadable.includes('restore')) logger.warn('the restore result is unreadable: cleaning up what carries the drill id only');
  const cleanup = await drillStep(() => cleanupDrill(drill, state.restore?.Payload, { stack: env.stack, backendFor }));
  logger.info('drill cleaned up', { ...cleanup });
  return cleanup;
});
