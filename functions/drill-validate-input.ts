import * as z from 'zod/mini';
import type { DrillContext } from '../shared/domain/drill.js';
import { parseStepEvent } from '../shared/domain/drill-state.js';
import { drillAdapters } from '../shared/runtime/drill-runtime.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createLogging } from '../shared/runtime/observability.js';
import { loadPlans } from '../shared/runtime/plans.js';
import { drillStep, validateDrillInput } from '../shared/use-cases/restore-drill.js';

// Restore drill, state ValidateInput: the execution input and the execution's own id and start time.
const observability = createLogging('drill-validate-input');
const { logger } = observability;
const plans = loadPlans();
const env = readEnvironment();
const { points } = drillAdapters(env);

const eventSchema = z.object({
  input: z.unknown(),
  execution: z.object({ id: z.string().check(z.minLength(1)), name: z.string().check(z.minLength(1)), startTime: z.string().check(z.minLength(1)) }),
});

export const handler = lambdaStack(observability, async (event: unknown): Promise<DrillContext> => {
  const { input, execution } = parseStepEvent('drill-validate-input', eventSchema, event);
  const drill = await drillStep(() => validateDrillInput({ input, execution }, { config: plans, stack: env.stack, points }));
  logger.appendKeys({ drillId: drill.id, planId: drill.planId });
  logger.info('drill planned', { region: drill.region, resourceId: drill.resourceId, startedAt: drill.startedAt, restoreDeadline: drill.restoreDeadline });
  return drill;
});
