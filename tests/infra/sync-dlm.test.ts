import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSyncDlmRun } from '../../shared/domain/sync-dlm-run-event.js';
import { usePackagedStack, type CloudFormationTemplate, type PackageResult } from '../support/package-stack.js';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Role = { AssumeRolePolicyDocument: { Statement: Statement[] & Array<{ Principal: unknown }> }; ManagedPolicyArns?: unknown[]; Policies?: Array<{ PolicyDocument: { Statement: Statement[] } }> };

const STACK = 'backup-orchestrator-ci';
const OWNED = { 'aws:ResourceTag/backup-orchestrator:stack': STACK };
let packaged: PackageResult;
let template: CloudFormationTemplate;

const roleOf = (name: string) => template.Resources[name]?.Properties as Role;
const statementsOf = (name: string) => (roleOf(name).Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const subOf = (resource: unknown) => (resource as { 'Fn::Sub'?: string })['Fn::Sub'] ?? resource;
const granting = (role: string, action: string) => statementsOf(role).filter((statement) => actionsOf(statement).includes(action));

usePackagedStack((result) => {
  packaged = result;
  template = result.template;
});

describe('sync-dlm in the packaged template', () => {
  it('runs sync-dlm on nodejs24.x with its own role and the DLM execution role in its environment', () => {
    const fn = template.Resources.SyncDlmLambdaFunction?.Properties as { Environment: { Variables: Record<string, unknown> } } & Record<string, unknown>;

    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'functions/sync-dlm.handler', Role: { 'Fn::GetAtt': ['SyncDlmRole', 'Arn'] } });
    expect(fn.Environment.Variables.DLM_EXECUTION_ROLE_ARN).toEqual({ 'Fn::GetAtt': ['DlmExecutionRole', 'Arn'] });
  });

  it('gives sync-dlm exactly the actions it calls, and no wildcard action', () => {
    const actions = [...new Set(statementsOf('SyncDlmRole').flatMap(actionsOf))].sort();

    expect(actions).toEqual(
      [
        'dlm:CreateLifecyclePolicy', 'dlm:DeleteLifecyclePolicy', 'dlm:GetLifecyclePolicies', 'dlm:GetLifecyclePolicy', 'dlm:TagResource', 'dlm:UpdateLifecyclePolicy',
        'iam:PassRole',
        'logs:CreateLogStream', 'logs:PutLogEvents',
        'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
      ].sort(),
    );
    expect(statementsOf('SyncDlmRole').every((statement) => statement.Effect === 'Allow')).toBe(true);
  });

  it('lets sync-dlm create a policy only when the request carries our ownership tag, and no other tag keys than ours', () => {
    expect(granting('SyncDlmRole', 'dlm:CreateLifecyclePolicy').map((statement) => [actionsOf(statement), statement.Condition])).toEqual([
      [
        ['dlm:CreateLifecyclePolicy'],
        {
          StringEquals: { 'aws:RequestTag/backup-orchestrator:stack': STACK },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['backup-orchestrator:stack', 'backup-orchestrator:plan'] },
        },
      ],
    ]);
    expect(granting('SyncDlmRole', 'dlm:TagResource').map((statement) => [actionsOf(statement), statement.Condition?.StringEquals])).toEqual([
      [['dlm:TagResource'], { 'aws:RequestTag/backup-orchestrator:stack': STACK }],
    ]);
  });

  it('lets sync-dlm read in full, update and delete only policies that carry our ownership tag', () => {
    const policyArn = 'arn:${AWS::Partition}:dlm:${AWS::Region}:${AWS::AccountId}:policy/*';
    for (const action of ['dlm:GetLifecyclePolicy', 'dlm:UpdateLifecyclePolicy', 'dlm:DeleteLifecyclePolicy']) {
      const statements = granting('SyncDlmRole', action);
      expect({ action, statements: statements.map((statement) => [subOf(statement.Resource), statement.Condition]) }).toEqual({
        action,
        statements: [[policyArn, { StringEquals: OWNED }]],
      });
    }
    // Only the listing, which has no resource-level permissions, is on every resource.
    const unconditioned = statementsOf('SyncDlmRole').filter((statement) => statement.Resource === '*' && !statement.Condition).flatMap(actionsOf);
    expect(unconditioned.sort()).toEqual(['dlm:GetLifecyclePolicies', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('lets sync-dlm pass only the DLM execution role, and only to DLM', () => {
    expect(granting('SyncDlmRole', 'iam:PassRole').map((statement) => [statement.Resource, statement.Condition])).toEqual([
      [{ 'Fn::GetAtt': ['DlmExecutionRole', 'Arn'] }, { StringEquals: { 'iam:PassedToService': 'dlm.amazonaws.com' } }],
    ]);
  });

  it("creates the DLM execution role for dlm.amazonaws.com: AWS's DLM snapshot permissions, deletes only of our snapshots, no sharing, KMS through EC2 only", () => {
    const role = roleOf('DlmExecutionRole');
    const actions = statementsOf('DlmExecutionRole').flatMap(actionsOf);

    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'dlm.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    // The AWS managed AWSDataLifecycleManagerServiceRole lets DLM delete or share any snapshot of the account.
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(granting('DlmExecutionRole', 'ec2:DeleteSnapshot').map((statement) => statement.Condition)).toEqual([
      { StringEquals: { 'aws:ResourceTag/backup-orchestrator:stack': 'backup-orchestrator-ci' } },
    ]);
    expect(actions).toEqual(expect.arrayContaining(['ec2:CreateSnapshot', 'ec2:CreateSnapshots', 'ec2:CopySnapshot', 'ec2:CreateTags', 'ec2:DescribeVolumes', 'ec2:DescribeInstances']));
    expect(actions.filter((action) => /ModifySnapshot|FastSnapshotRestores|^events:/.test(action))).toEqual([]);
    expect(statementsOf('DlmExecutionRole').filter((statement) => actionsOf(statement).some((action) => action.startsWith('kms:'))).map((statement) => statement.Condition)).toEqual([
      { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
      { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' }, Bool: { 'kms:GrantIsForAWSResource': true } },
    ]);
    expect(template.Outputs?.DlmExecutionRoleArn).toMatchObject({ Value: { 'Fn::GetAtt': ['DlmExecutionRole', 'Arn'] } });
  });

  it('runs sync-dlm daily through EventBridge Scheduler with retries and a dead-letter queue, and lets the scheduler invoke it', () => {
    const properties = template.Resources.SyncDlmSchedule?.Properties as Record<string, unknown> & { Target: Record<string, unknown> };
    const invoke = (roleOf('SchedulerRole').Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement).find((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));

    expect(properties).toMatchObject({ ScheduleExpression: 'rate(1 day)', FlexibleTimeWindow: { Mode: 'OFF' }, State: 'ENABLED' });
    expect(properties.Target).toMatchObject({
      Arn: { 'Fn::GetAtt': ['SyncDlmLambdaFunction', 'Arn'] },
      RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } },
    });
    expect(invoke?.Resource).toContainEqual({ 'Fn::GetAtt': ['SyncDlmLambdaFunction', 'Arn'] });
    const delivered = (properties.Target.Input as string)
      .replace('<aws.scheduler.scheduled-time>', '2026-11-26T15:00:00Z')
      .replace('<aws.scheduler.execution-id>', 'exec-1')
      .replace('<aws.scheduler.attempt-number>', '1');
    expect(parseSyncDlmRun(JSON.parse(delivered))).toEqual({ dryRun: false, scheduledTime: new Date('2026-11-26T15:00:00Z') });
  });

  it('packages sync-dlm as an ESM bundle that cold-starts on Node 24 with the plans file built in', () => {
    const zip = readdirSync(packaged.folder).find((name) => name.startsWith('syncDlm'));
    expect(zip).toBeDefined();
    const unpacked = mkdtempSync(join(tmpdir(), 'bo-sync-dlm-bundle-'));
    execFileSync('unzip', ['-q', join(packaged.folder, zip as string), '-d', unpacked]);
    const probe = `const m = await import(${JSON.stringify(join(unpacked, 'functions/sync-dlm.mjs'))}); console.log(typeof m.handler);`;

    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, STACK_NAME: STACK, AWS_REGION: 'eu-west-1', HOME: unpacked, DLM_EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/dlm' };
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: unpacked, env, encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function');
    rmSync(unpacked, { recursive: true, force: true });
  });
});
