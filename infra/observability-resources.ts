/**
 * CloudWatch alarms and the dashboard, generated from the plans file: every alarm notifies the
 * notifications topic, so an on-call person hears of an RPO breach, a failure, a failed drill, a function
 * error or an undeliverable schedule without opening the console.
 */
import type { Plan, PlansConfig } from '../shared/domain/plan-schema.js';
import { METRICS_NAMESPACE } from '../shared/runtime/observability.js';
import { logicalIdFor } from './stack-variables.js';

/** Every function of serverless.yml (its key); the template test checks that none is missing. */
export const STACK_FUNCTIONS = [
  'createSnapshots',
  'createSnapshotsWorker',
  'prune',
  'copySnapshot',
  'copyPump',
  'reconcile',
  'drillValidateInput',
  'drillSelectRecoveryPoint',
  'drillRestore',
  'drillCheckRestore',
  'drillValidateRestore',
  'drillCleanup',
  'drillReport',
  'drillJanitor',
  'syncDlm',
  'report',
  'notifyFailure',
] as const;

/** Failure counters the functions emit (Powertools adds the `service` dimension). */
const FAILURE_METRICS: ReadonlyArray<{ id: string; service: string; metric: string; what: string }> = [
  { id: 'CopyFailures', service: 'copy-snapshot', metric: 'CopyFailures', what: 'a cross-Region copy could not be started' },
  { id: 'CompletionEventsDropped', service: 'copy-snapshot', metric: 'CompletionEventsDropped', what: 'a snapshot-completion event could not be read and was dropped (the reconciler still copies its snapshot)' },
  { id: 'CopyPumpFailures', service: 'copy-pump', metric: 'CopyFailures', what: 'the copy pump could not start a waiting copy' },
  { id: 'ReconcileCopyFailures', service: 'reconcile', metric: 'CopyFailures', what: 'the reconciler could not repair a copy' },
  { id: 'CopyKeyProblems', service: 'reconcile', metric: 'CopyKeyProblems', what: 'a DR Region KMS key is missing, disabled or unusable' },
  { id: 'StuckSnapshots', service: 'reconcile', metric: 'StuckSnapshots', what: 'a snapshot or copy is pending for too long' },
  { id: 'PruneFailures', service: 'prune', metric: 'PruneFailures', what: 'prune could not delete or list snapshots' },
  { id: 'DlmSyncFailures', service: 'sync-dlm', metric: 'DlmSyncFailures', what: 'a DLM policy could not be synchronised' },
  { id: 'DrillJanitorFailures', service: 'drill-janitor', metric: 'DrillJanitorFailures', what: 'an expired drill resource could not be deleted' },
  { id: 'FailedSnapshotEvents', service: 'notify-failure', metric: 'FailedSnapshotEvents', what: 'a snapshot of ours failed after it was started' },
];

const TOPIC = [{ Ref: 'NotificationsTopic' }];
const HOUR = 3600;

function alarm(properties: Record<string, unknown>): Record<string, unknown> {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: { ActionsEnabled: true, AlarmActions: TOPIC, OKActions: TOPIC, ...properties },
  };
}

function countAlarm(description: string, metric: string, dimensions: Record<string, string>, periodSeconds: number) {
  return alarm({
    AlarmDescription: description,
    Namespace: METRICS_NAMESPACE,
    MetricName: metric,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: 'Sum',
    Period: periodSeconds,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  });
}

/** An alarm on an AWS metric that fires when it is above 0 in any 5 minutes. */
function anyInFiveMinutes(description: string, namespace: string, metric: string, statistic: 'Sum' | 'Maximum', dimensions: Record<string, unknown>) {
  return alarm({
    AlarmDescription: description,
    Namespace: namespace,
    MetricName: metric,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: statistic,
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  });
}

function planAlarms(plan: Plan): Record<string, unknown> {
  const resources: Record<string, unknown> = {
    [logicalIdFor('RpoBreachAlarm', plan.id)]: alarm({
      AlarmDescription: `Plan ${plan.id}: a resource has no recovery point within its RPO in some Region (or the hourly RPO check stopped reporting)`,
      Namespace: METRICS_NAMESPACE,
      MetricName: 'RpoBreaches',
      Dimensions: [
        { Name: 'service', Value: 'report' },
        { Name: 'plan', Value: plan.id },
      ],
      Statistic: 'Maximum',
      Period: HOUR,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      // Silence is not compliance: three hours without the RPO check is an alarm too.
      TreatMissingData: 'breaching',
    }),
  };
  if (plan.engine === 'lambda') {
    resources[logicalIdFor('SnapshotFailureAlarm', plan.id)] = countAlarm(
      `Plan ${plan.id}: create-snapshots could not snapshot a resource`,
      'SnapshotFailures',
      { service: 'create-snapshots', plan: plan.id },
      HOUR,
    );
  }
  if (plan.drill) {
    resources[logicalIdFor('DrillFailedAlarm', plan.id)] = alarm({
      AlarmDescription: `Plan ${plan.id}: the latest restore drill FAILED`,
      Namespace: METRICS_NAMESPACE,
      MetricName: 'DrillFailed',
      Dimensions: [{ Name: 'plan', Value: plan.id }],
      Statistic: 'Maximum',
      Period: 86_400,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  }
  return resources;
}

function dashboard(config: PlansConfig): Record<string, unknown> {
  const metricWidget = (title: string, metrics: unknown[], annotations: unknown[], y: number, x: number) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', view: 'timeSeries', stat: 'Maximum', period: HOUR, metrics, annotations: { horizontal: annotations } },
  });
  const widgets = config.plans.flatMap((plan, index) => [
    metricWidget(
      `Plan ${plan.id}: age of the oldest newest recovery point (s)`,
      [[METRICS_NAMESPACE, 'RpoAgeSeconds', 'service', 'report', 'plan', plan.id]],
      [{ label: `RPO ${plan.rpoMs / 1000} s`, value: plan.rpoMs / 1000 }],
      index * 6,
      0,
    ),
    metricWidget(
      `Plan ${plan.id}: measured drill RTO (s)`,
      [[METRICS_NAMESPACE, 'DrillRtoSeconds', 'plan', plan.id]],
      [{ label: `RTO ${plan.rtoMs / 1000} s`, value: plan.rtoMs / 1000 }],
      index * 6,
      12,
    ),
  ]);
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) } },
  };
}

/** Alarms per plan, per failure counter and per function, the dead-letter queue alarm and the dashboard. */
export function observabilityResources(config: PlansConfig): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const plan of config.plans) Object.assign(resources, planAlarms(plan));
  for (const failure of FAILURE_METRICS) {
    resources[`${failure.id}Alarm`] = countAlarm(`Backup orchestrator: ${failure.what}`, failure.metric, { service: failure.service }, HOUR);
  }
  for (const fn of STACK_FUNCTIONS) {
    const logical = `${fn.charAt(0).toUpperCase()}${fn.slice(1)}`;
    resources[`${logical}ErrorsAlarm`] = anyInFiveMinutes(`Function ${fn} failed (an invocation ended in an error)`, 'AWS/Lambda', 'Errors', 'Sum', {
      FunctionName: { Ref: `${logical}LambdaFunction` },
    });
  }
  const schedulerDeadLetters = { QueueName: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'QueueName'] } };
  resources.SchedulerDeadLetterQueueAlarm = anyInFiveMinutes(
    'A schedule could not invoke its target: its payload is in the scheduler dead-letter queue',
    'AWS/SQS',
    'ApproximateNumberOfMessagesVisible',
    'Maximum',
    schedulerDeadLetters,
  );
  // The alarm above stays raised while any payload waits in the queue: this one tells of each new one.
  resources.SchedulerDeadLetterQueueNewPayloadAlarm = anyInFiveMinutes(
    'A schedule could not invoke its target again: a new payload reached the scheduler dead-letter queue',
    'AWS/SQS',
    'NumberOfMessagesSent',
    'Sum',
    schedulerDeadLetters,
  );
  // A drill execution that ends without its report (an uncaught runtime error, the 48 h limit, a stop by hand)
  // sends no email of its own.
  for (const [metric, what] of [
    ['ExecutionsFailed', 'failed'],
    ['ExecutionsTimedOut', 'timed out'],
    ['ExecutionsAborted', 'was stopped'],
  ] as const) {
    resources[`RestoreDrill${metric}Alarm`] = anyInFiveMinutes(
      `A restore drill execution ${what}: look at its history in Step Functions; its cleanup may not have run`,
      'AWS/States',
      metric,
      'Sum',
      { StateMachineArn: { Ref: 'RestoreDrillStateMachine' } },
    );
  }
  resources.BackupDashboard = dashboard(config);
  return resources;
}
