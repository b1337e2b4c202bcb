import * as z from 'zod/mini';
import { drillContextSchema, parseStepEvent, restoreResultSchema, type ReadinessResult } from '../shared/domain/drill-state.js';
import { drillAdapters } from '../shared/runtime/drill-runtime.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createLogging } from '../shared/runtime/observability.js';
import { checkRestoreReady, drillStep } from '../shared/use-cases/restore-drill.js';

// Restore drill, state CheckRestoreReady (polled): `now` is the state's entered time, from the state machine.
const observability = createLogging('drill-check-restore');
const { logger } = observability;
const env = readEnvironment();
const { backendFor } = drillAdapters(env);

const eventSchema = z.object({ drill: drillContextSchema, restore: restoreResultSchema, now: z.iso.datetime({ offset: true }) });

export const handler = lambdaStack(observability, async (event: unknown): Promise<ReadinessResult> => {
  const { drill, restore, now } = parseStepEvent('drill-check-restore', eventSchema, event);
  logger.appendKeys({ drillId: drill.id, planId: drill.planId });
  const readiness = await drillStep(() => checkRestoreReady(drill, restore, new Date(now), { backend: backendFor(drill.region) }));
  logger.info(readiness.ready ? 'restore available' : 'restore not available yet', { statuses: readiness.statuses });
  return readiness;
});
