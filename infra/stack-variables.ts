/**
 * Values serverless.yml takes from the plans file at package time (through infra/serverless-plans.cjs):
 * the primary Region, one EventBridge Scheduler schedule per plan, and the plans text bundled into every
 * function. Adding a plan never means editing serverless.yml.
 */
import { PlanValidationError } from '../shared/domain/errors.js';
import { planIdInPascalCase, type Plan, type PlansConfig } from '../shared/domain/plan-schema.js';
import { bundlePlans } from '../shared/domain/plans-data.js';
import { parsePlansFile } from '../shared/domain/plans-file.js';
import { copyKeysPolicy, copyTargets, type CopyKeysPolicy, type CopyTargets } from './copy-permissions.js';
import { drillResources } from './drill-schedules.js';
import { observabilityResources } from './observability-resources.js';

export { alertSubscriptionResources } from './notification-subscriptions.js';

export interface StackVariables {
  primaryRegion: string;
  esbuildDefine: Record<string, string>;
  resources: { Resources: Record<string, unknown>; Outputs: Record<string, unknown> };
  /** DR Regions and KMS keys of the plans' copy rules, for the copy roles (infra/copy-permissions.ts). */
  copyTargets: CopyTargets;
  copyKeysPolicy: CopyKeysPolicy;
}

/** CloudFormation logical ids allow only letters and digits; validation keeps them one per plan. */
export function logicalIdFor(prefix: string, planId: string): string {
  return prefix + planIdInPascalCase(planId);
}

/** What the scheduler sends: `<aws.scheduler.*>` placeholders are filled in by EventBridge Scheduler per delivery. */
export function scheduledRunInput(plan: Plan): string {
  return JSON.stringify({
    planId: plan.id,
    scheduledTime: '<aws.scheduler.scheduled-time>',
    scheduleArn: '<aws.scheduler.schedule-arn>',
    executionId: '<aws.scheduler.execution-id>',
    attempt: '<aws.scheduler.attempt-number>',
  });
}

function backupSchedule(plan: Plan): Record<string, unknown> {
  return {
    Type: 'AWS::Scheduler::Schedule',
    Properties: {
      Description: `Backup plan ${plan.id}: ${plan.description || 'scheduled snapshots'}`.slice(0, 512),
      ScheduleExpression: plan.schedule.expression.source,
      ScheduleExpressionTimezone: plan.schedule.timezone,
      // OFF: the scheduled time is the slot, so runs must not drift inside a window.
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': ['CreateSnapshotsLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        Input: scheduledRunInput(plan),
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } },
      },
    },
  };
}

export function stackVariables(config: PlansConfig): StackVariables {
  const Resources: Record<string, unknown> = {};
  for (const plan of config.plans) {
    if (plan.engine === 'lambda') Resources[logicalIdFor('BackupSchedule', plan.id)] = backupSchedule(plan);
  }
  Object.assign(Resources, drillResources(config));
  Object.assign(Resources, observabilityResources(config));
  return {
    primaryRegion: config.primaryRegion,
    // The validated plans, built into every function and checked at its cold start (shared/runtime/plans.ts).
    esbuildDefine: { __BACKUP_PLANS__: JSON.stringify(bundlePlans(config)), __BACKUP_PLANS_BUNDLED__: 'true' },
    copyTargets: copyTargets(config),
    copyKeysPolicy: copyKeysPolicy(config),
    resources: {
      Resources,
      Outputs: {
        ProtectedPlans: { Description: 'Plans deployed from the plans file', Value: config.plans.map((plan) => plan.id).join(',') },
      },
    },
  };
}

/** Entry point for infra/serverless-plans.cjs; invalid plans stop packaging with the precise list of problems. */
export function loadStackVariables(plansSource: string, plansFile: string): StackVariables {
  try {
    return stackVariables(parsePlansFile(plansSource, plansFile));
  } catch (error) {
    if (error instanceof PlanValidationError) {
      // The framework prints the stack; make it the message alone so the user sees only the problems.
      error.stack = error.message;
    }
    throw error;
  }
}
