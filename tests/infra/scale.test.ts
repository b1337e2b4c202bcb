import { describe, expect, it } from '@jest/globals';
import { usePackagedStack, type CloudFormationTemplate } from '../support/package-stack.js';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };
type Properties = Record<string, unknown> & { Environment?: { Variables: Record<string, unknown> } };

let template: CloudFormationTemplate;

const props = (logicalId: string) => (template.Resources[logicalId]?.Properties ?? {}) as Properties;
const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
function statements(role: string): Statement[] {
  const policies = (props(role).Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}
const sqsStatements = (role: string) => statements(role).filter((statement) => actionsOf(statement).some((action) => action.startsWith('sqs:')));

usePackagedStack((result) => {
  template = result.template;
});

describe('the snapshot work queue and its workers in the packaged template', () => {
  it('hands large slots from create-snapshots to the work queue, which create-snapshots may only send to', () => {
    expect(props('CreateSnapshotsLambdaFunction').Environment?.Variables.SNAPSHOT_WORK_QUEUE_URL).toEqual({ Ref: 'SnapshotWorkQueue' });
    expect(sqsStatements('CreateSnapshotsRole').map((statement) => [actionsOf(statement), statement.Resource])).toEqual([
      [['sqs:SendMessage'], { 'Fn::GetAtt': ['SnapshotWorkQueue', 'Arn'] }],
    ]);
  });

  it('drains the queue with at most two workers, ten items a batch, reporting failed items back to the queue', () => {
    const mappings = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping');
    const mapping = mappings.find((resource) => JSON.stringify(resource.Properties?.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': ['SnapshotWorkQueue', 'Arn'] }));
    const worker = props('CreateSnapshotsWorkerLambdaFunction');

    expect(mapping?.Properties).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionName: { 'Fn::GetAtt': ['CreateSnapshotsWorkerLambdaFunction', 'Arn'] },
    });
    expect(worker.ReservedConcurrentExecutions).toBe(2);
    expect(worker.Role).toEqual({ 'Fn::GetAtt': ['CreateSnapshotsWorkerRole', 'Arn'] });
  });

  it('sizes each worker container to its share of the account limits, so the two together stay under them', () => {
    const worker = props('CreateSnapshotsWorkerLambdaFunction');
    const share = Number(worker.Environment?.Variables.API_RATE_SHARE);

    expect(share * (worker.ReservedConcurrentExecutions as number)).toBeLessThanOrEqual(1);
    expect(share * (worker.ReservedConcurrentExecutions as number)).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps a work item invisible longer than a worker runs, and dead-letters it after the receives the worker counts on', () => {
    const queue = props('SnapshotWorkQueue');
    const worker = props('CreateSnapshotsWorkerLambdaFunction');
    const redrive = queue.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };

    expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * (worker.Timeout as number));
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['SnapshotWorkDeadLetterQueue', 'Arn'] });
    expect(String(redrive.maxReceiveCount)).toBe(worker.Environment?.Variables.WORK_MAX_RECEIVE_COUNT);
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(props('SnapshotWorkDeadLetterQueue').SqsManagedSseEnabled).toBe(true);
  });

  it('alarms when a work item lands in the dead-letter queue and when the oldest item waits too long', () => {
    const alarm = props('SnapshotWorkDeadLetterQueueAlarm');
    const backlog = props('SnapshotWorkBacklogAlarm');

    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: [{ Ref: 'NotificationsTopic' }] });
    expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['SnapshotWorkDeadLetterQueue', 'QueueName'] } }]);
    expect(backlog).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', AlarmActions: [{ Ref: 'NotificationsTopic' }] });
  });

  it('gives the workers exactly the actions they call, queue rights only on their queue', () => {
    const actions = [...new Set(statements('CreateSnapshotsWorkerRole').flatMap(actionsOf))].sort();

    expect(actions).toEqual(
      [
        'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
        'ec2:CreateSnapshot', 'ec2:CreateSnapshots', 'ec2:CreateTags', 'ec2:DescribeSnapshots',
        'logs:CreateLogStream', 'logs:PutLogEvents',
        'rds:AddTagsToResource', 'rds:CreateDBClusterSnapshot', 'rds:CreateDBSnapshot', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBSnapshots',
        'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage',
        'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
      ].sort(),
    );
    for (const statement of sqsStatements('CreateSnapshotsWorkerRole')) expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['SnapshotWorkQueue', 'Arn'] });
  });
});

describe('the copy backlog and the copy pump in the packaged template', () => {
  it('lets copy-snapshot only add to the backlog (and take its own completion events), and the pump only read and settle it', () => {
    expect(props('CopySnapshotLambdaFunction').Environment?.Variables.COPY_BACKLOG_QUEUE_URL).toEqual({ Ref: 'CopyBacklogQueue' });
    expect(sqsStatements('CopySnapshotRole').map((statement) => [actionsOf(statement), statement.Resource])).toEqual([
      [['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], { 'Fn::GetAtt': ['CopyCompletionQueue', 'Arn'] }],
      [['sqs:SendMessage'], { 'Fn::GetAtt': ['CopyBacklogQueue', 'Arn'] }],
    ]);
    expect(sqsStatements('CopyPumpRole').map((statement) => [actionsOf(statement), statement.Resource])).toEqual([
      [['sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'], { 'Fn::GetAtt': ['CopyBacklogQueue', 'Arn'] }],
    ]);
  });

  it('runs the pump every minute, one at a time, and offers a copy it could not start again before the next run', () => {
    const schedule = props('CopyPumpSchedule') as { ScheduleExpression: string; Target: { Arn: unknown } };
    const pump = props('CopyPumpLambdaFunction');

    expect(schedule.ScheduleExpression).toBe('rate(1 minute)');
    expect(schedule.Target.Arn).toEqual({ 'Fn::GetAtt': ['CopyPumpLambdaFunction', 'Arn'] });
    expect(pump.ReservedConcurrentExecutions).toBe(1);
    expect(props('CopyBacklogQueue').VisibilityTimeout as number).toBeLessThan(60);
    expect(pump.Environment?.Variables.MAX_COPIES_IN_FLIGHT).toBe(props('CopySnapshotLambdaFunction').Environment?.Variables.MAX_COPIES_IN_FLIGHT);
  });
});
