import * as z from 'zod/mini';
import { drillContextSchema, parseStepEvent, restoreResultSchema, selectedRecoveryPointSchema, type ValidationResult } from '../shared/domain/drill-state.js';
import { drillAdapters } from '../shared/runtime/drill-runtime.js';
import { readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createLogging } from '../shared/runtime/observability.js';
import { drillStep, validateRestore } from '../shared/use-cases/restore-drill.js';

// Restore drill, state ValidateRestore: built-in checks, then the plan's validation function if it has one.
const observability = createLogging('drill-validate-restore');
const { logger } = observability;
const env = readEnvironment();
const { backendFor, invoker } = drillAdapters(env);

const eventSchema = z.object({ drill: drillContextSchema, recoveryPoint: selectedRecoveryPointSchema, restore: restoreResultSchema });

export const handler = lambdaStack(observability, async (event: unknown): Promise<ValidationResult> => {
  const { drill, recoveryPoint, restore } = parseStepEvent('drill-validate-restore', eventSchema, event);
  logger.appendKeys({ drillId: drill.id, planId: drill.planId });
  const validation = await drillStep(() => validateRestore(drill, recoveryPoint, restore, { backend: backendFor(drill.region), invoker }));
  logger.info('restore validated', { checks: validation.checks, user: validation.user });
  return validation;
});
