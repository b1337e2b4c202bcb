import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePlansFile } from '../../shared/domain/plans-file.js';
import { readFileSync } from 'node:fs';
import { packageStack, usePackagedStack, ROOT, type CloudFormationTemplate, type PackageResult } from '../support/package-stack.js';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

let packaged: PackageResult;
let template: CloudFormationTemplate;
const plans = parsePlansFile(readFileSync(join(ROOT, 'backup-plans.yml'), 'utf8'));

function resourcesOfType(type: string) {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function roleStatements(logicalId: string): Statement[] {
  const role = template.Resources[logicalId];
  const policies = (role?.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

usePackagedStack((result) => {
  packaged = result;
  template = result.template;
});

describe('packaged CloudFormation template', () => {
  it('has one EventBridge Scheduler schedule per lambda-engine plan, with its expression, timezone and payload', () => {
    const schedules = resourcesOfType('AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('BackupSchedule'));
    const expected = plans.plans.filter((plan) => plan.engine === 'lambda');

    expect(schedules).toHaveLength(expected.length);
    for (const plan of expected) {
      const schedule = schedules.find(([, resource]) => JSON.parse((resource.Properties?.Target as { Input: string }).Input).planId === plan.id);
      expect(schedule).toBeDefined();
      const properties = schedule?.[1].Properties as Record<string, unknown> & { Target: Record<string, unknown> };
      expect(properties.ScheduleExpression).toBe(plan.schedule.expression.source);
      expect(properties.ScheduleExpressionTimezone).toBe(plan.schedule.timezone);
      expect(properties.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(JSON.parse(properties.Target.Input as string)).toEqual({
        planId: plan.id,
        scheduledTime: '<aws.scheduler.scheduled-time>',
        scheduleArn: '<aws.scheduler.schedule-arn>',
        executionId: '<aws.scheduler.execution-id>',
        attempt: '<aws.scheduler.attempt-number>',
      });
      expect(properties.Target.Arn).toEqual({ 'Fn::GetAtt': ['CreateSnapshotsLambdaFunction', 'Arn'] });
      expect(properties.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 });
      expect(properties.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } });
    }
  });

  it('runs create-snapshots on nodejs24.x with its own role and the slot-claim table', () => {
    const fn = template.Resources.CreateSnapshotsLambdaFunction?.Properties as Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } };

    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Handler).toBe('functions/create-snapshots.handler');
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['CreateSnapshotsRole', 'Arn'] });
    expect(fn.Environment.Variables.STACK_NAME).toBe('backup-orchestrator-ci');
    expect(fn.Environment.Variables.IDEMPOTENCY_TABLE).toEqual({ Ref: 'IdempotencyTable' });
  });

  it('gives create-snapshots exactly the actions it calls, and no wildcard action', () => {
    const actions = roleStatements('CreateSnapshotsRole').flatMap(actionsOf).sort();

    expect([...new Set(actions)]).toEqual(
      [
        'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
        'ec2:CreateSnapshot', 'ec2:CreateSnapshots', 'ec2:CreateTags',
        'ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes',
        'logs:CreateLogStream', 'logs:PutLogEvents',
        'rds:AddTagsToResource', 'rds:CreateDBClusterSnapshot', 'rds:CreateDBSnapshot',
        'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:DescribeDBSnapshots',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
      ].sort(),
    );
    expect(actions.some((action) => action.includes('*'))).toBe(false);
  });

  it('lets create-snapshots make only snapshots that carry our ownership tag, and tag only while creating', () => {
    const statements = roleStatements('CreateSnapshotsRole');
    const onSnapshots = statements.filter((statement) => JSON.stringify(statement.Resource).match(/:snapshot[:/]|cluster-snapshot:/) && actionsOf(statement).some((a) => a.startsWith('ec2:Create') || a.startsWith('rds:Create') || a === 'rds:AddTagsToResource'));

    expect(onSnapshots.length).toBeGreaterThan(0);
    for (const statement of onSnapshots) {
      const condition = statement.Condition?.StringEquals ?? {};
      if (actionsOf(statement).includes('ec2:CreateTags')) {
        expect(condition['ec2:CreateAction']).toEqual(['CreateSnapshot', 'CreateSnapshots']);
      } else {
        expect(condition['aws:RequestTag/backup-orchestrator:stack']).toBe('backup-orchestrator-ci');
      }
    }
  });

  it('lets the scheduler invoke only create-snapshots, prune, reconcile, drill-janitor, sync-dlm, report and copy-pump, start only restore drills, and write only to its dead-letter queue', () => {
    const statements = roleStatements('SchedulerRole');

    expect(statements.map((statement) => [actionsOf(statement), statement.Resource])).toEqual([
      [['lambda:InvokeFunction'], [{ 'Fn::GetAtt': ['CreateSnapshotsLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['PruneLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['ReconcileLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['DrillJanitorLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['SyncDlmLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['ReportLambdaFunction', 'Arn'] }, { 'Fn::GetAtt': ['CopyPumpLambdaFunction', 'Arn'] }]],
      [['states:StartExecution'], { Ref: 'RestoreDrillStateMachine' }],
      [['sqs:SendMessage'], { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] }],
    ]);
  });

  it('encrypts the slot-claim table and the dead-letter queue', () => {
    expect(template.Resources.IdempotencyTable?.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
    expect(template.Resources.SchedulerDeadLetterQueue?.Properties?.SqsManagedSseEnabled).toBe(true);
  });

  it('passes cfn-lint with no errors', () => {
    const lint = spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', join(packaged.folder, 'cloudformation-template-update-stack.json')], { encoding: 'utf8' });
    if (lint.error) throw new Error(`cfn-lint is not installed (pip install cfn-lint): ${lint.error.message}`);

    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
  });
});

describe('packaged function bundle', () => {
  it('is an ESM bundle that cold-starts on Node 24 with the plans file built in', () => {
    const zip = readdirSync(packaged.folder).find((name) => name.startsWith('createSnapshots'));
    expect(zip).toBeDefined();
    const unpacked = mkdtempSync(join(tmpdir(), 'bo-bundle-'));
    execFileSync('unzip', ['-q', join(packaged.folder, zip as string), '-d', unpacked]);
    const probe = `const m = await import(${JSON.stringify(join(unpacked, 'functions/create-snapshots.mjs'))}); console.log(typeof m.handler);`;

    // No PLANS_FILE and no plans file on disk beside the bundle: the plans must come from the bundle itself.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, STACK_NAME: 'backup-orchestrator-ci', AWS_REGION: 'eu-west-1', HOME: unpacked };
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: unpacked, env, encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function');
    rmSync(unpacked, { recursive: true, force: true });
  });

  it('carries the plans as data, without the YAML reader, to keep the cold start short', () => {
    const zip = readdirSync(packaged.folder).find((name) => name.startsWith('createSnapshots'));
    const unpacked = mkdtempSync(join(tmpdir(), 'bo-bundle-'));
    execFileSync('unzip', ['-q', join(packaged.folder, zip as string), '-d', unpacked]);
    const bundle = readFileSync(join(unpacked, 'functions/create-snapshots.mjs'), 'utf8');

    expect(bundle).not.toContain('YAMLParseError');
    // The package step's validated plans (plans-data.ts, bundlePlans), which the cold start checks against its runtime.
    expect(bundle).toContain('validated-plans/1');
    for (const plan of plans.plans) expect(bundle).toContain(JSON.stringify(plan.id));
    rmSync(unpacked, { recursive: true, force: true });
  });

  it('keeps every cold start lean: no classic zod, no date library, no plans schema, no source map parsed at load', () => {
    const zips = readdirSync(packaged.folder).filter((name) => name.endsWith('.zip'));
    expect(zips.length).toBeGreaterThanOrEqual(17);
    for (const zip of zips) {
      const unpacked = mkdtempSync(join(tmpdir(), 'bo-bundle-'));
      execFileSync('unzip', ['-q', join(packaged.folder, zip), '-d', unpacked]);
      const bundles = readdirSync(join(unpacked, 'functions')).filter((name) => name.endsWith('.mjs'));
      expect(bundles).toHaveLength(1);
      const bundle = readFileSync(join(unpacked, 'functions', bundles[0] as string), 'utf8');
      // Classic zod names its classes "ZodString" & co., zod/mini "ZodMiniString"; luxon's errors say "Invalid DateTime";
      // the plans schema (plan-schema.ts) says "unknown resource type". The cold start checks the validated plans without it.
      expect({ zip, classicZod: bundle.includes('"ZodString"'), luxon: bundle.includes('Invalid DateTime'), plansSchema: bundle.includes('unknown resource type') }).toEqual({
        zip,
        classicZod: false,
        luxon: false,
        plansSchema: false,
      });
      rmSync(unpacked, { recursive: true, force: true });
    }
    for (const [logicalId, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const variables = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
      expect({ logicalId, nodeOptions: variables.NODE_OPTIONS }).toEqual({ logicalId, nodeOptions: undefined });
    }
  });
});

describe('packaging with invalid plans', () => {
  it('stops with the precise problems and writes no template', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bo-bad-plans-'));
    const bad = join(folder, 'bad-plans.yml');
    writeFileSync(
      bad,
      'version: 1\nprimaryRegion: eu-west-1\nplans:\n  - id: gold\n    selection: { resourceTypes: [ebs-volume, tape] }\n    schedule: { expression: cron(0 */4 * * ?) }\n    rpo: 8h\n    rto: 1h\n    retention: { count: 7 }\n',
    );

    const result = packageStack({ plansFile: bad });

    expect(result.status).not.toBe(0);
    expect(result.template).toBeUndefined();
    expect(result.output).toContain('plan "gold" selection.resourceTypes[1]: unknown resource type "tape"');
    expect(result.output).toContain('plan "gold" schedule.expression: cron() needs exactly 6 fields');
    rmSync(folder, { recursive: true, force: true });
    rmSync(result.folder, { recursive: true, force: true });
  }, 300_000);
});
