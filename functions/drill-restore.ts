import * as z from 'zod/mini';
import { drillContextSchema, parseStepEvent, selectedRecoveryPointSchema, type RestoreResult } from '../shared/domain/drill-state.js';
import { drillAdapters } from '../shared/runtime/drill-runtime.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createLogging } from '../shared/runtime/observability.js';
import { drillStep, restoreRecoveryPoint } from '../shared/use-cases/restore-drill.js';

// Restore drill, state RestoreRecoveryPoint: starts the restore, tagged with the drill id, ownership and expiry;
// `now` is the state's entered time, recorded as when the restore was requested (an execution started under an
// older definition sends none: the drill's start stands in for it).
const observability = createLogging('drill-restore');
const { logger } = observability;
const env = readEnvironment();
const { backendFor } = drillAdapters(env);

const eventSchema = z.object({ drill: drillContextSchema, recoveryPoint: selectedRecoveryPointSchema, now: z.optional(z.iso.datetime({ offset: true })) });

export const handler = lambdaStack(observability, async (event: unknown): Promise<RestoreResult> => {
  const { drill, recoveryPoint, now } = parseStepEvent('drill-restore', eventSchema, event);
  logger.appendKeys({ drillId: drill.id, planId: drill.planId });
  const restore = await drillStep(() => restoreRecoveryPoint(drill, recoveryPoint, new Date(now ?? drill.startedAt), { stack: env.stack, backend: backendFor(drill.region) }));
  logger.info('restore started', { resources: restore.resources.map((resource) => `${resource.kind} ${resource.id}`) });
  return restore;
});
