/**
 * A restore drill as the plan's drill schedule starts it, executed locally from the real
 * statemachines/restore-drill.asl.json with aws-local-stepfunctions: the Lambda Tasks run the real drill
 * functions in-process, the SDK Tasks (SNS publish, CloudWatch metrics) go to moto.
 */
import { join } from 'node:path';
import { StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { drillScheduleInput } from '../infra/drill-schedules.js';
import type { DrillResult } from '../shared/domain/drill-report.js';
import type { Plan } from '../shared/domain/plan-schema.js';
import { MOTO_ACCOUNT_ID } from './aws-clients.js';
import type { LocalStack } from './local-stack.js';
import { fillScheduleInput, ROOT } from './stack-definition.js';
import { bindDefinition, runExecution, taskHandlers, withExecutionStart, type ExecutionOutcome, type LambdaHandler, type TaskHandler } from './step-functions.js';

const ASL_FILE = join(ROOT, 'statemachines/restore-drill.asl.json');

/** Placeholder of the ASL → the function it names (infra/resources/restore-drill.yml binds the same). */
const FUNCTIONS: Record<string, string> = {
  DrillValidateInputFunctionArn: 'drill-validate-input',
  DrillSelectRecoveryPointFunctionArn: 'drill-select-recovery-point',
  DrillRestoreFunctionArn: 'drill-restore',
  DrillCheckRestoreFunctionArn: 'drill-check-restore',
  DrillValidateRestoreFunctionArn: 'drill-validate-restore',
  DrillCleanupFunctionArn: 'drill-cleanup',
  DrillReportFunctionArn: 'drill-report',
};

export interface DrillRun extends ExecutionOutcome {
  executionArn: string;
  result?: DrillResult;
}

/**
 * Runs the plan's scheduled drill at `startedAt` (simulated). `$$.State.EnteredTime`, the drill's clock, is
 * the simulated start plus the real time the execution has taken: moto restores at once, so the measured RTO
 * is what the drill took on this machine.
 */
export async function runScheduledDrill(local: LocalStack, settings: { endpoint: string; region: string; plan: Plan; startedAt: Date }): Promise<DrillRun> {
  const { endpoint, region, plan, startedAt } = settings;
  const functionArn = (file: string) => `arn:aws:lambda:${region}:${MOTO_ACCOUNT_ID}:function:${local.stack}-${file}`;
  const substitutions: Record<string, string> = { NotificationsTopicArn: local.topicArn, MetricsNamespace: 'BackupOrchestrator' };
  const lambdas: Record<string, LambdaHandler> = {};
  for (const [placeholder, file] of Object.entries(FUNCTIONS)) {
    substitutions[placeholder] = functionArn(file);
    lambdas[functionArn(file)] = await local.handler(file);
  }
  const definition = bindDefinition(ASL_FILE, substitutions);
  const tasks = taskHandlers(definition, { endpoint, region, lambdas });
  // The email goes out through the state machine's own SNS integration: the mailbox records it there.
  const publish = tasks.PublishReport as TaskHandler;
  tasks.PublishReport = async (input) => {
    const output = await publish(input);
    local.mailbox.record(input as unknown as PublishCommandInput, (output as { MessageId?: string }).MessageId);
    return output;
  };

  const name = `drill-${plan.id}-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 13)}Z-scheduled`;
  const executionArn = `arn:aws:states:${region}:${MOTO_ACCOUNT_ID}:execution:${local.stack}-restore-drill:${name}`;
  const realStart = Date.now();
  const options: RunOptions = {
    overrides: {
      taskResourceLocalHandlers: tasks,
      waitTimeOverrides: { WaitForRestore: 0 },
      retryIntervalOverrides: Object.fromEntries(Object.keys(tasks).map((state) => [state, 0])),
    },
    context: {
      Execution: { Id: executionArn, Name: name },
      State: {
        get EnteredTime() {
          return new Date(startedAt.getTime() + (Date.now() - realStart)).toISOString();
        },
      },
    },
  };
  // The scheduler starts the execution at the simulated time.
  tasks.ValidateInput = withExecutionStart(tasks.ValidateInput as TaskHandler, startedAt.toISOString());
  const input = fillScheduleInput(drillScheduleInput(plan), { time: startedAt, scheduleName: `${local.stack}-drill-${plan.id}` });
  const outcome = await runExecution(new StateMachine(definition), input, options);
  const result = (outcome.status === 'SUCCEEDED' ? outcome.output : undefined) as DrillResult | undefined;
  return { ...outcome, executionArn, ...(result ? { result } : {}) };
}
