import * as z from 'zod/mini';
import type { SelectedRecoveryPoint } from '../shared/domain/drill.js';
import { drillContextSchema, parseStepEvent } from '../shared/domain/drill-state.js';
import { drillAdapters } from '../shared/runtime/drill-runtime.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createLogging } from '../shared/runtime/observability.js';
import { drillStep, selectRecoveryPoint } from '../shared/use-cases/restore-drill.js';

// Restore drill, state SelectRecoveryPoint: the latest completed point of ours in the drill's Region.
const observability = createLogging('drill-select-recovery-point');
const { logger } = observability;
const env = readEnvironment();
const { points } = drillAdapters(env);

const eventSchema = z.object({ drill: drillContextSchema });

export const handler = lambdaStack(observability, async (event: unknown): Promise<SelectedRecoveryPoint> => {
  const { drill } = parseStepEvent('drill-select-recovery-point', eventSchema, event);
  logger.appendKeys({ drillId: drill.id, planId: drill.planId });
  const point = await drillStep(() => selectRecoveryPoint(drill, { stack: env.stack, points }));
  logger.info('recovery point selected', { pointId: point.id, dataTime: point.dataTime, achievedRpoMs: point.achievedRpoMs });
  return point;
});
