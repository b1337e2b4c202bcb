import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePruneRun } from '../../shared/domain/prune-run-event.js';
import { usePackagedStack, type CloudFormationTemplate, type PackageResult } from '../support/package-stack.js';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const STACK = 'backup-orchestrator-ci';
let packaged: PackageResult;
let template: CloudFormationTemplate;

function pruneStatements(): Statement[] {
  const policies = (template.Resources.PruneRole?.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const subOf = (resource: unknown) => (resource as { 'Fn::Sub'?: string })['Fn::Sub'] ?? resource;

usePackagedStack((result) => {
  packaged = result;
  template = result.template;
});

describe('prune in the packaged template', () => {
  it('runs prune on nodejs24.x with its own role and the full 15 minutes', () => {
    const fn = template.Resources.PruneLambdaFunction?.Properties as Record<string, unknown>;

    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'functions/prune.handler', Timeout: 900, Role: { 'Fn::GetAtt': ['PruneRole', 'Arn'] } });
  });

  it('gives prune exactly the actions it calls, and no wildcard action', () => {
    const actions = [...new Set(pruneStatements().flatMap(actionsOf))].sort();

    expect(actions).toEqual(
      [
        'dynamodb:PutItem',
        'ec2:DeleteSnapshot', 'ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes',
        'logs:CreateLogStream', 'logs:PutLogEvents',
        'rds:DeleteDBClusterSnapshot', 'rds:DeleteDBSnapshot',
        'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:DescribeDBSnapshots',
        'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
      ].sort(),
    );
    expect(actions.some((action) => action.includes('*'))).toBe(false);
    expect(pruneStatements().every((statement) => statement.Effect === 'Allow')).toBe(true);
  });

  it('lets prune delete only snapshots that carry our ownership tag, in any Region, and nothing but snapshots', () => {
    const deletes = pruneStatements().filter((statement) => actionsOf(statement).some((action) => /:Delete/.test(action)));

    expect(deletes.map((statement) => [actionsOf(statement), subOf(statement.Resource), statement.Condition])).toEqual([
      [
        ['ec2:DeleteSnapshot'],
        'arn:${AWS::Partition}:ec2:*::snapshot/*',
        { StringEquals: { 'ec2:ResourceTag/backup-orchestrator:stack': STACK, 'aws:ResourceTag/backup-orchestrator:stack': STACK } },
      ],
      [
        ['rds:DeleteDBSnapshot'],
        'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:snapshot:*',
        { StringEquals: { 'rds:snapshot-tag/backup-orchestrator:stack': STACK, 'aws:ResourceTag/backup-orchestrator:stack': STACK } },
      ],
      [
        ['rds:DeleteDBClusterSnapshot'],
        'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:cluster-snapshot:*',
        { StringEquals: { 'rds:cluster-snapshot-tag/backup-orchestrator:stack': STACK, 'aws:ResourceTag/backup-orchestrator:stack': STACK } },
      ],
    ]);
    // Every delete permission sits in a statement with the ownership condition, never beside other actions.
    for (const statement of deletes) expect(actionsOf(statement)).toHaveLength(1);
  });

  it('grants no EC2 or RDS create, copy, modify, restore or tagging action', () => {
    const actions = pruneStatements().flatMap(actionsOf);

    expect(actions.filter((action) => /^(ec2|rds):(Create|Copy|Modify|Restore|AddTags|RemoveTags|Deregister|Register)/.test(action))).toEqual([]);
  });

  it('runs prune hourly through EventBridge Scheduler with the scheduled time as its clock, retries and a dead-letter queue', () => {
    const properties = template.Resources.PruneSchedule?.Properties as Record<string, unknown> & { Target: Record<string, unknown> };

    expect(template.Resources.PruneSchedule?.Type).toBe('AWS::Scheduler::Schedule');
    expect(properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', FlexibleTimeWindow: { Mode: 'OFF' }, State: 'ENABLED' });
    expect(properties.Target).toMatchObject({
      Arn: { 'Fn::GetAtt': ['PruneLambdaFunction', 'Arn'] },
      RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } },
    });
    const delivered = (properties.Target.Input as string)
      .replace('<aws.scheduler.scheduled-time>', '2026-11-26T15:00:00Z')
      .replace('<aws.scheduler.execution-id>', 'exec-1')
      .replace('<aws.scheduler.attempt-number>', '1');
    expect(parsePruneRun(JSON.parse(delivered))).toEqual({ scheduledTime: new Date('2026-11-26T15:00:00Z'), dryRun: false, executionId: 'exec-1' });
  });

  it('packages prune as an ESM bundle that cold-starts on Node 24 with the plans file built in', () => {
    const zip = readdirSync(packaged.folder).find((name) => name.startsWith('prune'));
    expect(zip).toBeDefined();
    const unpacked = mkdtempSync(join(tmpdir(), 'bo-prune-bundle-'));
    execFileSync('unzip', ['-q', join(packaged.folder, zip as string), '-d', unpacked]);
    const probe = `const m = await import(${JSON.stringify(join(unpacked, 'functions/prune.mjs'))}); console.log(typeof m.handler);`;

    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, STACK_NAME: STACK, AWS_REGION: 'eu-west-1', HOME: unpacked };
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: unpacked, env, encoding: 'utf8' });

    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function');
    rmSync(unpacked, { recursive: true, force: true });
  });
});
