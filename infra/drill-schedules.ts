/**
 * Restore-drill resources generated from the plans file: one EventBridge Scheduler schedule per plan with a
 * `drill.schedule` (it starts the restore-drill state machine), and the permission to invoke the plans'
 * validation functions, granted to drill-validate-restore only when some plan names one.
 */
import type { Plan, PlansConfig } from '../shared/domain/plan-schema.js';
import { logicalIdFor } from './stack-variables.js';

/** The execution input a drill schedule sends: the scheduled time is the drill's start (RTO counts from it). */
export function drillScheduleInput(plan: Plan): string {
  return JSON.stringify({ planId: plan.id, startedAt: '<aws.scheduler.scheduled-time>', trigger: 'schedule' });
}

function drillSchedule(plan: Plan, schedule: NonNullable<NonNullable<Plan['drill']>['schedule']>): Record<string, unknown> {
  return {
    Type: 'AWS::Scheduler::Schedule',
    Properties: {
      Description: `Restore drill of plan ${plan.id}`,
      ScheduleExpression: schedule.expression.source,
      ScheduleExpressionTimezone: schedule.timezone,
      // OFF: the scheduled time is the drill's start, so it must not drift inside a window.
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { Ref: 'RestoreDrillStateMachine' },
        RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        Input: drillScheduleInput(plan),
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } },
      },
    },
  };
}

/** A validation function as an IAM resource: ARNs as written, names in the stack's Region and account. */
function validationFunctionArn(functionName: string): unknown {
  if (functionName.startsWith('arn:')) return functionName;
  return { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}` };
}

/** CloudFormation resources for the plans' drills; empty when no plan schedules drills or names a validation function. */
export function drillResources(config: PlansConfig): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const plan of config.plans) {
    if (plan.drill?.schedule) resources[logicalIdFor('DrillSchedule', plan.id)] = drillSchedule(plan, plan.drill.schedule);
  }
  const functions = [...new Set(config.plans.flatMap((plan) => (plan.drill?.validationFunction ? [plan.drill.validationFunction] : [])))].sort();
  if (functions.length) {
    resources.DrillValidationFunctionsPolicy = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'drill-validation-functions',
        Roles: [{ Ref: 'DrillValidateRestoreRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Sid: 'InvokePlanValidationFunctions', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functions.map(validationFunctionArn) }],
        },
      },
    };
  }
  return resources;
}
