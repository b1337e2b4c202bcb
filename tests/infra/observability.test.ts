import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlansFile } from '../../shared/domain/plans-file.js';
import { usePackagedStack, ROOT, type CloudFormationTemplate } from '../support/package-stack.js';

type Alarm = {
  AlarmActions: unknown[];
  Namespace: string;
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: unknown }>;
  TreatMissingData: string;
};

let template: CloudFormationTemplate;
const plans = parsePlansFile(readFileSync(join(ROOT, 'backup-plans.yml'), 'utf8'));

const ofType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([id, resource]) => ({ id, ...(resource.Properties as Alarm) }));
const dimension = (alarm: Alarm, name: string) => alarm.Dimensions.find((candidate) => candidate.Name === name)?.Value;

usePackagedStack((result) => {
  template = result.template;
}, { params: { alertEmails: 'oncall@example.com,backup-team@example.com' } });

describe('alarms, dashboard and notifications in the packaged template', () => {
  it('alarms on errors of every function in the stack', () => {
    const functions = ofType('AWS::Lambda::Function').map(([id]) => id);
    const watched = alarms()
      .filter((alarm) => alarm.Namespace === 'AWS/Lambda' && alarm.MetricName === 'Errors')
      .map((alarm) => (dimension(alarm, 'FunctionName') as { Ref: string }).Ref);

    expect(watched.sort()).toEqual(functions.sort());
  });

  it('alarms per plan on RPO breach (treating silence as a breach), failed snapshots and failed drills', () => {
    for (const plan of plans.plans) {
      const forPlan = alarms().filter((alarm) => dimension(alarm, 'plan') === plan.id);
      const rpo = forPlan.find((alarm) => alarm.MetricName === 'RpoBreaches');
      expect(rpo).toMatchObject({ Namespace: 'BackupOrchestrator', TreatMissingData: 'breaching' });
      expect(dimension(rpo as Alarm, 'service')).toBe('report');
      expect(forPlan.some((alarm) => alarm.MetricName === 'SnapshotFailures')).toBe(plan.engine === 'lambda');
      expect(forPlan.some((alarm) => alarm.MetricName === 'DrillFailed')).toBe(Boolean(plan.drill));
    }
  });

  it('alarms when a schedule dead-letters its payload, and every schedule has a retry policy and the dead-letter queue', () => {
    const dlq = alarms().find((alarm) => alarm.Namespace === 'AWS/SQS');
    expect(dimension(dlq as Alarm, 'QueueName')).toEqual({ 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'QueueName'] });

    const schedules = ofType('AWS::Scheduler::Schedule');
    expect(schedules.length).toBeGreaterThan(plans.plans.length);
    for (const [id, schedule] of schedules) {
      const target = (schedule.Properties as { Target: Record<string, unknown> }).Target;
      expect([id, target.DeadLetterConfig]).toEqual([id, { Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } }]);
      expect([id, typeof (target.RetryPolicy as { MaximumRetryAttempts?: number })?.MaximumRetryAttempts]).toEqual([id, 'number']);
    }
  });

  it('alarms on each new payload in the scheduler dead-letter queue, and on every drill execution that failed, timed out or was stopped', () => {
    const queue = { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'QueueName'] };
    expect(alarms().filter((alarm) => alarm.Namespace === 'AWS/SQS' && dimension(alarm, 'QueueName') !== undefined && JSON.stringify(dimension(alarm, 'QueueName')) === JSON.stringify(queue)).map((alarm) => alarm.MetricName).sort()).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'NumberOfMessagesSent',
    ]);
    const drills = alarms().filter((alarm) => alarm.Namespace === 'AWS/States');
    expect(drills.map((alarm) => alarm.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const alarm of drills) {
      expect(dimension(alarm, 'StateMachineArn')).toEqual({ Ref: 'RestoreDrillStateMachine' });
      expect(template.Resources.RestoreDrillStateMachine?.Type).toBe('AWS::StepFunctions::StateMachine');
    }
  });

  it('sends every alarm to the notifications topic', () => {
    for (const alarm of alarms()) expect([alarm.id, alarm.AlarmActions]).toEqual([alarm.id, [{ Ref: 'NotificationsTopic' }]]);
  });

  it('watches only metrics the code really emits', () => {
    const sources = ['functions', 'shared/domain']
      .flatMap((folder) => readdirSync(join(ROOT, folder)).map((file) => join(ROOT, folder, file)))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const alarm of alarms().filter((candidate) => candidate.Namespace === 'BackupOrchestrator')) {
      expect([alarm.id, sources.includes(`'${alarm.MetricName}'`)]).toEqual([alarm.id, true]);
    }
  });

  it('has a dashboard with RPO age and drill RTO per plan, drawn against the objectives', () => {
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0] ?? [];
    const body = JSON.parse((dashboard?.Properties as { DashboardBody: { 'Fn::Sub': string } }).DashboardBody['Fn::Sub']) as {
      widgets: Array<{ properties: { title: string; metrics: string[][]; annotations: { horizontal: Array<{ value: number }> } } }>;
    };
    for (const plan of plans.plans) {
      const rpo = body.widgets.find((widget) => widget.properties.metrics[0]?.includes('RpoAgeSeconds') && widget.properties.metrics[0]?.includes(plan.id));
      const rto = body.widgets.find((widget) => widget.properties.metrics[0]?.includes('DrillRtoSeconds') && widget.properties.metrics[0]?.includes(plan.id));
      expect(rpo?.properties.annotations.horizontal[0]?.value).toBe(plan.rpoMs / 1000);
      expect(rto?.properties.annotations.horizontal[0]?.value).toBe(plan.rtoMs / 1000);
    }
  });

  it('encrypts the notifications topic with a KMS key and subscribes each address of the alertEmails parameter', () => {
    const [, topic] = ofType('AWS::SNS::Topic')[0] ?? [];
    const subscriptions = ofType('AWS::SNS::Subscription').map(([, resource]) => resource.Properties as { Protocol: string; Endpoint: string });

    expect((topic?.Properties as { KmsMasterKeyId?: unknown }).KmsMasterKeyId).toBeDefined();
    expect(subscriptions.map((subscription) => [subscription.Protocol, subscription.Endpoint]).sort()).toEqual([
      ['email', 'backup-team@example.com'],
      ['email', 'oncall@example.com'],
    ]);
  });
});
