import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { drillScheduleInput } from '../../infra/drill-schedules.js';
import { alertSubscriptionResources } from '../../infra/notification-subscriptions.js';
import { parsePlansFile } from '../../shared/domain/plans-file.js';
import { packageStack, ROOT, type CloudFormationTemplate, type PackageResult } from '../support/package-stack.js';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>>; Principal?: unknown };
type TaskState = { Type: string; Resource?: string; Parameters?: Record<string, unknown> };

const ASL = JSON.parse(readFileSync(join(ROOT, 'statemachines/restore-drill.asl.json'), 'utf8')) as { States: Record<string, TaskState> };
const DRILL_FUNCTIONS = {
  DrillValidateInputRole: ['DrillValidateInputLambdaFunction', 'functions/drill-validate-input.handler'],
  DrillSelectRecoveryPointRole: ['DrillSelectRecoveryPointLambdaFunction', 'functions/drill-select-recovery-point.handler'],
  DrillRestoreRole: ['DrillRestoreLambdaFunction', 'functions/drill-restore.handler'],
  DrillCheckRestoreRole: ['DrillCheckRestoreLambdaFunction', 'functions/drill-check-restore.handler'],
  DrillValidateRestoreRole: ['DrillValidateRestoreLambdaFunction', 'functions/drill-validate-restore.handler'],
  DrillCleanupRole: ['DrillCleanupLambdaFunction', 'functions/drill-cleanup.handler'],
  DrillReportRole: ['DrillReportLambdaFunction', 'functions/drill-report.handler'],
  DrillJanitorRole: ['DrillJanitorLambdaFunction', 'functions/drill-janitor.handler'],
} as const;
const OWNED = 'backup-orchestrator-ci';

let packaged: PackageResult;
let template: CloudFormationTemplate;
let folder: string;
let plansFile: string;

const resource = (logicalId: string) => template.Resources[logicalId] as { Type: string; Properties: Record<string, unknown>; Condition?: string };
const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

function roleStatements(logicalId: string): Statement[] {
  const policies = (resource(logicalId).Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function roleActions(logicalId: string): string[] {
  return [...new Set(roleStatements(logicalId).flatMap(actionsOf))].sort();
}

/** The IAM action each Task state of the definition needs, from its Resource. */
function actionOfTask(state: TaskState): string {
  if (state.Resource === 'arn:aws:states:::lambda:invoke') return 'lambda:InvokeFunction';
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(state.Resource ?? '');
  if (!sdk) throw new Error(`unknown integration ${state.Resource}`);
  return `${sdk[1]}:${(sdk[2] as string).charAt(0).toUpperCase()}${(sdk[2] as string).slice(1)}`;
}

beforeAll(() => {
  // The repository's plans, plus what only some deployments have: a validation function and a second drill schedule.
  folder = mkdtempSync(join(tmpdir(), 'bo-drill-infra-'));
  const plans = parse(readFileSync(join(ROOT, 'backup-plans.yml'), 'utf8')) as { plans: Array<Record<string, unknown> & { id: string; drill?: Record<string, unknown> }> };
  for (const plan of plans.plans) {
    if (plan.id === 'gold') plan.drill = { ...plan.drill, validationFunction: 'gold-smoke-test' };
    if (plan.id === 'silver') plan.drill = { schedule: { expression: 'cron(0 5 ? * SUN *)' }, validationFunction: 'arn:aws:lambda:eu-west-1:123456789012:function:volume-check' };
  }
  plansFile = join(folder, 'plans.yml');
  writeFileSync(plansFile, stringify(plans));
  packaged = packageStack({ plansFile, params: { alertEmails: 'ops@example.com, oncall@example.com' } });
  if (!packaged.template) throw new Error(`osls package failed:\n${packaged.output}`);
  template = packaged.template;
}, 300_000);

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  if (packaged) rmSync(packaged.folder, { recursive: true, force: true });
});

describe('packaged restore-drill state machine', () => {
  it('is the ASL file, with every ${…} placeholder bound by DefinitionSubstitutions and none left over', () => {
    const machine = resource('RestoreDrillStateMachine').Properties as { Definition: unknown; DefinitionSubstitutions: Record<string, unknown>; RoleArn: unknown };
    const text = JSON.stringify(machine.Definition);
    const placeholders = [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]))].sort();

    expect(machine.Definition).toEqual(ASL);
    expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual(placeholders);
    expect(text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => (name in machine.DefinitionSubstitutions ? 'bound' : `\${${name}}`))).not.toContain('${');
    expect(machine.RoleArn).toEqual({ 'Fn::GetAtt': ['RestoreDrillStateMachineRole', 'Arn'] });
  });

  it('binds the function placeholders to the drill functions, the topic to the notifications topic', () => {
    expect((resource('RestoreDrillStateMachine').Properties as { DefinitionSubstitutions: unknown }).DefinitionSubstitutions).toEqual({
      DrillValidateInputFunctionArn: { 'Fn::GetAtt': ['DrillValidateInputLambdaFunction', 'Arn'] },
      DrillSelectRecoveryPointFunctionArn: { 'Fn::GetAtt': ['DrillSelectRecoveryPointLambdaFunction', 'Arn'] },
      DrillRestoreFunctionArn: { 'Fn::GetAtt': ['DrillRestoreLambdaFunction', 'Arn'] },
      DrillCheckRestoreFunctionArn: { 'Fn::GetAtt': ['DrillCheckRestoreLambdaFunction', 'Arn'] },
      DrillValidateRestoreFunctionArn: { 'Fn::GetAtt': ['DrillValidateRestoreLambdaFunction', 'Arn'] },
      DrillCleanupFunctionArn: { 'Fn::GetAtt': ['DrillCleanupLambdaFunction', 'Arn'] },
      DrillReportFunctionArn: { 'Fn::GetAtt': ['DrillReportLambdaFunction', 'Arn'] },
      NotificationsTopicArn: { Ref: 'NotificationsTopic' },
      MetricsNamespace: 'BackupOrchestrator',
    });
  });

  it("gives the state machine's role exactly the actions its states call (plus the data key an encrypted topic needs)", () => {
    const called = [...new Set(Object.values(ASL.States).filter((state) => state.Type === 'Task').map(actionOfTask))];

    expect(roleActions('RestoreDrillStateMachineRole')).toEqual([...called, 'kms:Decrypt', 'kms:GenerateDataKey'].sort());
  });

  it('lets it invoke exactly the functions its states name, publish only to the topic, put metrics only in our namespace', () => {
    const substitutions = (resource('RestoreDrillStateMachine').Properties as { DefinitionSubstitutions: Record<string, unknown> }).DefinitionSubstitutions;
    const invoked = Object.values(ASL.States)
      .filter((state) => state.Resource === 'arn:aws:states:::lambda:invoke')
      .map((state) => substitutions[String(state.Parameters?.FunctionName).replace(/^\$\{|\}$/g, '')]);
    const statements = Object.fromEntries(roleStatements('RestoreDrillStateMachineRole').map((statement) => [statement.Sid, statement]));

    expect(statements.InvokeDrillSteps?.Resource).toEqual([...new Map(invoked.map((value) => [JSON.stringify(value), value])).values()]);
    expect(statements.PublishDrillReport?.Resource).toEqual({ Ref: 'NotificationsTopic' });
    expect(statements.PutDrillMetrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'BackupOrchestrator' } });
    expect(statements.EncryptDrillReport?.Resource).toEqual({ 'Fn::If': ['CreateNotificationsKey', { 'Fn::GetAtt': ['NotificationsKey', 'Arn'] }, { Ref: 'NotificationsKmsKeyArn' }] });
    expect(statements.EncryptDrillReport?.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'sns.${AWS::Region}.amazonaws.com' } } });
  });
});

describe('packaged drill functions', () => {
  it('runs each drill step on nodejs24.x with its own role', () => {
    for (const [role, [fn, handler]] of Object.entries(DRILL_FUNCTIONS)) {
      const properties = resource(fn).Properties;
      expect([fn, properties.Runtime, properties.Handler, properties.Role]).toEqual([fn, 'nodejs24.x', handler, { 'Fn::GetAtt': [role, 'Arn'] }]);
    }
  });

  it('gives each drill function exactly the actions it calls, and no wildcard action', () => {
    const base = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
    const readPoints = ['ec2:DescribeSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBSnapshots'];
    const observe = ['ec2:DescribeVolumes', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances'];
    const remove = [...observe, 'ec2:DeleteVolume', 'rds:DeleteDBCluster', 'rds:DeleteDBInstance'];
    const expected: Record<string, string[]> = {
      DrillValidateInputRole: [...base, ...readPoints],
      DrillSelectRecoveryPointRole: [...base, ...readPoints],
      DrillCheckRestoreRole: [...base, ...observe],
      DrillValidateRestoreRole: [...base, ...observe],
      DrillReportRole: [...base, 'dynamodb:PutItem'],
      DrillCleanupRole: [...base, ...remove],
      DrillJanitorRole: [...base, ...remove],
      DrillRestoreRole: [
        ...base,
        'ec2:CreateTags', 'ec2:CreateVolume', 'ec2:DescribeAvailabilityZones',
        'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
        'rds:AddTagsToResource', 'rds:CreateDBInstance', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances',
        'rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBInstanceFromDBSnapshot',
      ],
    };

    for (const [role, actions] of Object.entries(expected)) {
      expect([role, roleActions(role)]).toEqual([role, [...new Set(actions)].sort()]);
      expect([role, roleActions(role).filter((action) => action.includes('*'))]).toEqual([role, []]);
    }
  });

  it('deletes only volumes and databases carrying our ownership tag, a drill id, and bo-drill- names', () => {
    for (const role of ['DrillCleanupRole', 'DrillJanitorRole']) {
      const statements = Object.fromEntries(roleStatements(role).map((statement) => [statement.Sid, statement]));
      expect(statements.DeleteOnlyDrillVolumes?.Condition).toEqual({
        StringEquals: { 'ec2:ResourceTag/backup-orchestrator:stack': OWNED, 'aws:ResourceTag/backup-orchestrator:stack': OWNED },
        Null: { 'aws:ResourceTag/backup-orchestrator:drill-id': 'false' },
      });
      expect(statements.DeleteOnlyDrillInstances).toMatchObject({
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:db:bo-drill-*' },
        Condition: { StringEquals: { 'rds:db-tag/backup-orchestrator:stack': OWNED } },
      });
      expect(statements.DeleteOnlyDrillClusters).toMatchObject({
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster:bo-drill-*' },
        Condition: { StringEquals: { 'rds:cluster-tag/backup-orchestrator:stack': OWNED } },
      });
    }
  });

  it('restores only from our snapshots, into resources created with our ownership tag', () => {
    const statements = Object.fromEntries(roleStatements('DrillRestoreRole').map((statement) => [statement.Sid, statement]));

    expect(statements.RestoreOnlyFromOwnedSnapshots?.Condition).toEqual({ StringEquals: { 'ec2:ResourceTag/backup-orchestrator:stack': OWNED, 'aws:ResourceTag/backup-orchestrator:stack': OWNED } });
    expect(statements.CreateOnlyOwnedVolumes?.Condition).toEqual({ StringEquals: { 'aws:RequestTag/backup-orchestrator:stack': OWNED } });
    expect(statements.TagOnlyWhileCreatingVolumes?.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'CreateVolume' } });
    expect(statements.RestoreOnlyFromOwnedDatabaseSnapshots?.Condition).toEqual({ StringEquals: { 'rds:snapshot-tag/backup-orchestrator:stack': OWNED } });
    expect(statements.RestoreOnlyFromOwnedClusterSnapshots?.Condition).toEqual({ StringEquals: { 'rds:cluster-snapshot-tag/backup-orchestrator:stack': OWNED } });
    expect(statements.CreateOnlyOwnedDrillDatabases?.Condition).toEqual({ StringEquals: { 'aws:RequestTag/backup-orchestrator:stack': OWNED } });
    expect(statements.UseNetworkAndParameterGroups?.Condition).toEqual({ StringEquals: { 'aws:RequestTag/backup-orchestrator:stack': OWNED } });
    for (const sid of ['UseSnapshotKeysThroughEc2AndRds', 'GrantSnapshotKeysToEc2AndRds']) {
      expect(statements[sid]?.Condition?.StringLike).toEqual({ 'kms:ViaService': ['ec2.*.amazonaws.com', 'rds.*.amazonaws.com'] });
    }
  });

  it("lets drill-validate-restore invoke the plans' validation functions, and only those", () => {
    expect(resource('DrillValidationFunctionsPolicy').Properties).toEqual({
      PolicyName: 'drill-validation-functions',
      Roles: [{ Ref: 'DrillValidateRestoreRole' }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'InvokePlanValidationFunctions',
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: ['arn:aws:lambda:eu-west-1:123456789012:function:volume-check', { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:gold-smoke-test' }],
          },
        ],
      },
    });
  });
});

describe('packaged drill schedules', () => {
  it('starts the state machine on each plan drill schedule, with the scheduled time as the drill start', () => {
    const config = parsePlansFile(readFileSync(plansFile, 'utf8'));
    const scheduled = config.plans.filter((plan) => plan.drill?.schedule);
    const schedules = Object.entries(template.Resources).filter(([id]) => id.startsWith('DrillSchedule'));

    expect(schedules.map(([id]) => id).sort()).toEqual(['DrillScheduleGold', 'DrillScheduleSilver']);
    for (const plan of scheduled) {
      const properties = resource(`DrillSchedule${plan.id.charAt(0).toUpperCase()}${plan.id.slice(1)}`).Properties as { ScheduleExpression: string; ScheduleExpressionTimezone: string; FlexibleTimeWindow: unknown; Target: Record<string, unknown> };
      expect(properties.ScheduleExpression).toBe(plan.drill?.schedule?.expression.source);
      expect(properties.ScheduleExpressionTimezone).toBe(plan.drill?.schedule?.timezone);
      expect(properties.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(properties.Target).toEqual({
        Arn: { Ref: 'RestoreDrillStateMachine' },
        RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        Input: drillScheduleInput(plan),
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } },
      });
      expect(JSON.parse(properties.Target.Input as string)).toEqual({ planId: plan.id, startedAt: '<aws.scheduler.scheduled-time>', trigger: 'schedule' });
    }
  });

  it('runs the drill janitor hourly, and lets the scheduler start drills and invoke the janitor', () => {
    const janitor = resource('DrillJanitorSchedule').Properties as { ScheduleExpression: string; Target: { Arn: unknown; Input: string } };
    const statements = roleStatements('SchedulerRole');

    expect(janitor.ScheduleExpression).toBe('rate(1 hour)');
    expect(janitor.Target.Arn).toEqual({ 'Fn::GetAtt': ['DrillJanitorLambdaFunction', 'Arn'] });
    expect(JSON.parse(janitor.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(statements.find((statement) => actionsOf(statement).includes('states:StartExecution'))?.Resource).toEqual({ Ref: 'RestoreDrillStateMachine' });
    expect(statements.find((statement) => actionsOf(statement).includes('lambda:InvokeFunction'))?.Resource).toContainEqual({ 'Fn::GetAtt': ['DrillJanitorLambdaFunction', 'Arn'] });
  });
});

describe('packaged notifications topic', () => {
  it('is encrypted with a rotating key the stack creates, unless a key ARN is given', () => {
    const topic = resource('NotificationsTopic').Properties;

    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::If': ['CreateNotificationsKey', { 'Fn::GetAtt': ['NotificationsKey', 'Arn'] }, { Ref: 'NotificationsKmsKeyArn' }] });
    expect(resource('NotificationsKey')).toMatchObject({ Condition: 'CreateNotificationsKey', Properties: { EnableKeyRotation: true } });
    expect((template as unknown as { Conditions: unknown }).Conditions).toMatchObject({ CreateNotificationsKey: { 'Fn::Equals': [{ Ref: 'NotificationsKmsKeyArn' }, ''] } });
    expect((template as unknown as { Parameters: Record<string, { Default: string }> }).Parameters.NotificationsKmsKeyArn?.Default).toBe('');
  });

  it('lets EventBridge and CloudWatch alarms use the key, and the account decide the rest through IAM', () => {
    const statements = ((resource('NotificationsKey').Properties.KeyPolicy as { Statement: Statement[] }).Statement);

    expect(statements.map((statement) => statement.Sid)).toEqual(['AccountAdministersAndDelegatesToIam', 'EventBridgeAndAlarmsPublishEncrypted']);
    expect(statements[1]).toMatchObject({ Principal: { Service: ['events.amazonaws.com', 'cloudwatch.amazonaws.com'] }, Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] });
  });

  it('lets only our state machine, the report and failure-notice roles, EventBridge and alarms publish, over TLS', () => {
    const statements = (resource('NotificationsTopicPolicy').Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    const publishers = ['RestoreDrillStateMachineRole', 'ReportRole', 'NotifyFailureRole'].map((role) => ({ 'Fn::GetAtt': [role, 'Arn'] }));

    expect(bySid.OurRolesPublish?.Principal).toEqual({ AWS: publishers });
    expect(bySid.NobodyElsePublishes).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': publishers }, Null: { 'aws:PrincipalServiceName': 'true' } },
    });
    expect(bySid.TlsOnly).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  it('subscribes each address of --param="alertEmails=…" by email', () => {
    const subscriptions = Object.values(template.Resources).filter((candidate) => candidate.Type === 'AWS::SNS::Subscription');

    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual([
      { TopicArn: { Ref: 'NotificationsTopic' }, Protocol: 'email', Endpoint: 'ops@example.com' },
      { TopicArn: { Ref: 'NotificationsTopic' }, Protocol: 'email', Endpoint: 'oncall@example.com' },
    ]);
  });
});

describe('alertSubscriptionResources', () => {
  it('makes no subscription without addresses, stable ids per address, and refuses what is not an address', () => {
    expect(alertSubscriptionResources('')).toEqual({ Resources: {} });
    expect(Object.keys(alertSubscriptionResources('a@example.com,b@example.com').Resources)).toEqual(Object.keys(alertSubscriptionResources('b@example.com, a@example.com').Resources).reverse());
    expect(() => alertSubscriptionResources('ops@example.com,oncall')).toThrow('alertEmails: "oncall" is not an email address (expected --param="alertEmails=ops@example.com,oncall@example.com")');
  });
});
