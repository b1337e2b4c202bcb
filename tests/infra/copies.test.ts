import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyKeysPolicy, copyTargets } from '../../infra/copy-permissions.js';
import { parsePlansFile } from '../../shared/domain/plans-file.js';
import { parseReconcileRun } from '../../shared/domain/reconcile-run-event.js';
import { usePackagedStack, ROOT, type CloudFormationTemplate } from '../support/package-stack.js';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Pattern = { [key: string]: string[] | Pattern };

const STACK = 'backup-orchestrator-ci';
const FIXTURES = join(ROOT, 'tests/fixtures/events');
const sub = (text: string) => ({ 'Fn::Sub': text });

let template: CloudFormationTemplate;

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

function roleStatements(logicalId: string): Statement[] {
  const policies = (template.Resources[logicalId]?.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function statement(role: string, sid: string): Statement {
  const found = roleStatements(role).find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`${role} has no statement ${sid}`);
  return found;
}

function copyRules(): Array<{ id: string; pattern: Pattern }> {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Events::Rule')
    .filter(([, resource]) => JSON.stringify((resource.Properties as { Targets: unknown }).Targets).includes('"CopyCompletionQueue"'))
    .map(([id, resource]) => ({ id, pattern: (resource.Properties as { EventPattern: Pattern }).EventPattern }));
}

/** EventBridge matching for patterns of exact values (the only kind these rules use). */
function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) return expected.includes(actual as string);
    return typeof actual === 'object' && actual !== null && matches(expected, actual as Record<string, unknown>);
  });
}

usePackagedStack((result) => {
  template = result.template;
});

describe('the EventBridge rules that feed copy-snapshot through the copy-completion queue', () => {
  it('match exactly the four documented snapshot-completion events, by source, detail-type and result or event id', () => {
    expect(copyRules().map((rule) => rule.pattern)).toEqual(
      expect.arrayContaining([
        { source: ['aws.ec2'], 'detail-type': ['EBS Snapshot Notification'], detail: { event: ['createSnapshot'], result: ['succeeded'] } },
        { source: ['aws.ec2'], 'detail-type': ['EBS Multi-Volume Snapshots Completion Status'], detail: { event: ['createSnapshots'], result: ['succeeded'] } },
        { source: ['aws.rds'], 'detail-type': ['RDS DB Snapshot Event'], detail: { EventID: ['RDS-EVENT-0042'] } },
        { source: ['aws.rds'], 'detail-type': ['RDS DB Cluster Snapshot Event'], detail: { EventID: ['RDS-EVENT-0075'] } },
      ]),
    );
    expect(copyRules()).toHaveLength(4);
  });

  it('let every completed-snapshot fixture through exactly one rule, and no failed or in-progress one', () => {
    const rules = copyRules();
    const matching = (name: string) => {
      const event = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
      return rules.filter((rule) => matches(rule.pattern, event)).length;
    };

    const fixtures = readdirSync(FIXTURES).filter((name) => name.endsWith('.json'));
    expect(fixtures.filter((name) => matching(name) === 1).sort()).toEqual([
      'ebs-create-snapshot-succeeded.json',
      'ebs-create-snapshots-succeeded.json',
      'rds-db-cluster-snapshot-created.json',
      'rds-db-snapshot-created.json',
    ]);
    expect(fixtures.filter((name) => matching(name) === 0).sort()).toEqual([
      'ebs-create-snapshot-failed.json',
      'ebs-create-snapshots-failed.json',
      'rds-db-cluster-snapshot-creating.json',
    ]);
  });

  it('are enabled and send to the queue, whose policy lets only these rules send, and keep what they cannot deliver', () => {
    const rules = copyRules();
    const ruleArns = rules.map((rule) => ({ 'Fn::GetAtt': [rule.id, 'Arn'] }));
    for (const rule of rules) {
      expect(template.Resources[rule.id]?.Properties).toMatchObject({
        State: 'ENABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['CopyCompletionQueue', 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['CopyCompletionDeadLetterQueue', 'Arn'] } } }],
      });
    }
    for (const [policy, queue] of [['CopyCompletionQueuePolicy', 'CopyCompletionQueue'], ['CopyCompletionDeadLetterQueuePolicy', 'CopyCompletionDeadLetterQueue']]) {
      const properties = template.Resources[policy as string]?.Properties as { Queues: unknown[]; PolicyDocument: { Statement: Statement[] } };
      expect(properties.Queues).toEqual([{ Ref: queue }]);
      expect(properties.PolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queue, 'Arn'] }, Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } } }),
      ]);
    }
    // Nothing invokes copy-snapshot but its queue's event source.
    expect(Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Permission' && JSON.stringify(resource.Properties).includes('CopySnapshotLambdaFunction'))).toEqual([]);
  });

  it('reach copy-snapshot in batches of up to 100 within a minute, with per-event failures, through an encrypted queue with a dead-letter queue', () => {
    const mappings = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(resource.Properties).includes('CopySnapshotLambdaFunction'));

    expect(mappings.map((mapping) => mapping.Properties)).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': ['CopyCompletionQueue', 'Arn'] },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 60,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      }),
    ]);
    expect(template.Resources.CopyCompletionQueue?.Properties).toMatchObject({
      VisibilityTimeout: 1800,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['CopyCompletionDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(template.Resources.CopyCompletionDeadLetterQueue?.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    expect(template.Resources.CopyCompletionDeadLetterQueueAlarm?.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: [{ Ref: 'NotificationsTopic' }] });
  });
});

describe('the copy functions', () => {
  it("run with their own roles, the claim table and the in-flight limit; reconcile one at a time, copy-snapshot as SQS's minimum of two", () => {
    for (const [logicalId, handler, role, concurrency] of [
      ['CopySnapshotLambdaFunction', 'functions/copy-snapshot.handler', 'CopySnapshotRole', 2],
      ['ReconcileLambdaFunction', 'functions/reconcile.handler', 'ReconcileRole', 1],
    ] as const) {
      const fn = template.Resources[logicalId]?.Properties as Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } };
      expect(fn).toMatchObject({ Handler: handler, Runtime: 'nodejs24.x', Role: { 'Fn::GetAtt': [role, 'Arn'] }, ReservedConcurrentExecutions: concurrency });
      expect(fn.Environment.Variables).toMatchObject({ STACK_NAME: STACK, IDEMPOTENCY_TABLE: { Ref: 'IdempotencyTable' }, MAX_COPIES_IN_FLIGHT: '20' });
    }
  });

  it('reconcile every 15 minutes through the scheduler, with the scheduled time as the run clock', () => {
    const schedule = template.Resources.ReconcileSchedule?.Properties as Record<string, unknown> & { Target: Record<string, unknown> };

    expect(schedule).toMatchObject({ ScheduleExpression: 'rate(15 minutes)', FlexibleTimeWindow: { Mode: 'OFF' }, State: 'ENABLED' });
    expect(schedule.Target).toMatchObject({
      Arn: { 'Fn::GetAtt': ['ReconcileLambdaFunction', 'Arn'] },
      RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 900 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['SchedulerDeadLetterQueue', 'Arn'] } },
    });
    const delivered = (schedule.Target.Input as string).replaceAll(/<aws\.scheduler\.scheduled-time>/g, '2026-11-26T15:15:00Z').replaceAll(/<aws\.scheduler\.[a-z-]+>/g, 'x');
    expect(parseReconcileRun(JSON.parse(delivered))).toEqual({ now: new Date('2026-11-26T15:15:00Z'), dryRun: false });
  });

  it('let the scheduler invoke reconcile', () => {
    const invoke = roleStatements('SchedulerRole').find((candidate) => actionsOf(candidate).includes('lambda:InvokeFunction'));

    expect(invoke?.Resource).toContainEqual({ 'Fn::GetAtt': ['ReconcileLambdaFunction', 'Arn'] });
  });
});

describe('the role of copy-snapshot', () => {
  it('allows exactly the calls copy-snapshot makes', () => {
    expect([...new Set(roleStatements('CopySnapshotRole').flatMap(actionsOf))].sort()).toEqual(
      [
        'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
        'ec2:CopySnapshot', 'ec2:CreateTags', 'ec2:DescribeSnapshots',
        'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
        'logs:CreateLogStream', 'logs:PutLogEvents',
        'rds:AddTagsToResource', 'rds:CopyDBClusterSnapshot', 'rds:CopyDBSnapshot', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBSnapshots',
        'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:SendMessage',
        'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
      ].sort(),
    );
  });

  it('copies only sources tagged as ours, and creates copies only in the DR Regions with our ownership tag', () => {
    expect(statement('CopySnapshotRole', 'CopyOnlyOwnedSnapshots')).toMatchObject({
      Action: 'ec2:CopySnapshot',
      Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}::snapshot/*'),
      Condition: { StringEquals: { 'aws:ResourceTag/backup-orchestrator:stack': STACK } },
    });
    expect(statement('CopySnapshotRole', 'CreateOnlyOwnedCopiesInDrRegions')).toMatchObject({
      Action: 'ec2:CopySnapshot',
      Resource: [sub('arn:${AWS::Partition}:ec2:eu-central-1::snapshot/*')],
      Condition: { StringEquals: { 'aws:RequestTag/backup-orchestrator:stack': STACK } },
    });
    expect(statement('CopySnapshotRole', 'CopyOnlyOwnedDatabaseSnapshots').Condition).toEqual({ StringEquals: { 'rds:snapshot-tag/backup-orchestrator:stack': STACK } });
    expect(statement('CopySnapshotRole', 'CopyOnlyOwnedClusterSnapshots').Condition).toEqual({ StringEquals: { 'rds:cluster-snapshot-tag/backup-orchestrator:stack': STACK } });
    expect(statement('CopySnapshotRole', 'CreateOnlyOwnedDatabaseCopiesInDrRegions')).toMatchObject({
      Resource: [sub('arn:${AWS::Partition}:rds:eu-central-1:${AWS::AccountId}:snapshot:bo-*')],
      Condition: { StringEquals: { 'aws:RequestTag/backup-orchestrator:stack': STACK } },
    });
  });

  it('tags EBS copies only while copying, in the DR Regions', () => {
    const tagging = roleStatements('CopySnapshotRole').filter((candidate) => actionsOf(candidate).includes('ec2:CreateTags'));

    expect(tagging).toEqual([
      { Sid: 'TagOnlyWhileCopying', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: [sub('arn:${AWS::Partition}:ec2:eu-central-1::snapshot/*')], Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } } },
    ]);
  });

  it('deletes nothing', () => {
    expect(roleStatements('CopySnapshotRole').flatMap(actionsOf).filter((action) => /Delete(Snapshot|DB)/.test(action))).toEqual([]);
  });
});

describe('the role of reconcile', () => {
  it("allows copy-snapshot's calls plus deleting errored copies and recording their completion", () => {
    const copyActions = new Set(roleStatements('CopySnapshotRole').flatMap(actionsOf));
    const extra = [...new Set(roleStatements('ReconcileRole').flatMap(actionsOf))].filter((action) => !copyActions.has(action)).sort();

    expect(extra).toEqual(['ec2:DeleteSnapshot', 'rds:DeleteDBClusterSnapshot', 'rds:DeleteDBSnapshot']);
  });

  it('deletes only copies tagged as ours and as copies, only in the DR Regions', () => {
    expect(statement('ReconcileRole', 'DeleteOnlyOwnedCopies')).toMatchObject({
      Action: 'ec2:DeleteSnapshot',
      Resource: [sub('arn:${AWS::Partition}:ec2:eu-central-1::snapshot/*')],
      Condition: {
        StringEquals: { 'aws:ResourceTag/backup-orchestrator:stack': STACK },
        Null: { 'aws:ResourceTag/backup-orchestrator:source-snapshot-id': 'false' },
      },
    });
    expect(statement('ReconcileRole', 'DeleteOnlyOwnedDatabaseCopies').Condition).toEqual({
      StringEquals: { 'rds:snapshot-tag/backup-orchestrator:stack': STACK },
      Null: { 'rds:snapshot-tag/backup-orchestrator:source-snapshot-id': 'false' },
    });
    expect(statement('ReconcileRole', 'DeleteOnlyOwnedClusterCopies').Condition).toEqual({
      StringEquals: { 'rds:cluster-snapshot-tag/backup-orchestrator:stack': STACK },
      Null: { 'rds:cluster-snapshot-tag/backup-orchestrator:source-snapshot-id': 'false' },
    });
  });

  it('adds only the completion tag after creation, and only to RDS copies already ours (EBS reports CompletionTime itself)', () => {
    const ebsTagging = roleStatements('ReconcileRole').filter((candidate) => actionsOf(candidate).includes('ec2:CreateTags'));
    expect(ebsTagging.map((candidate) => candidate.Condition)).toEqual([{ StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } }]);
    for (const sid of ['RecordCompletionOnOwnedDatabaseCopies', 'RecordCompletionOnOwnedClusterCopies']) {
      expect(statement('ReconcileRole', sid).Condition?.['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': ['backup-orchestrator:copy-completed-at'] });
      expect(JSON.stringify(statement('ReconcileRole', sid).Condition?.StringEquals)).toContain(`backup-orchestrator:stack":"${STACK}"`);
    }
  });
});

describe('the KMS permissions of the copy roles', () => {
  it("reach only the plans' copy key, by its alias, in its Region, and the sources' keys in the primary Region: checks, data keys and grants through EC2 or RDS", () => {
    for (const role of ['CopySnapshotRole', 'ReconcileRole']) {
      const kms = roleStatements(role).filter((candidate) => actionsOf(candidate).some((action) => action.startsWith('kms:')));
      const aliasCondition = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/backup-dr'] } };
      const keys = [sub('arn:${AWS::Partition}:kms:eu-central-1:${AWS::AccountId}:key/*')];
      const sourceKeys = sub('arn:${AWS::Partition}:kms:eu-west-1:${AWS::AccountId}:key/*');
      const throughEc2OrRds = { StringLike: { 'kms:ViaService': ['ec2.*.amazonaws.com', 'rds.*.amazonaws.com'] } };

      expect(kms).toEqual([
        { Sid: 'CheckCopyKeyEuCentral1Aliases', Effect: 'Allow', Action: ['kms:DescribeKey'], Resource: keys, Condition: aliasCondition },
        {
          Sid: 'EncryptCopiesWithEuCentral1Aliases',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
          Resource: keys,
          Condition: { ...aliasCondition, StringEquals: { 'kms:ViaService': ['ec2.eu-central-1.amazonaws.com', 'rds.eu-central-1.amazonaws.com'] } },
        },
        {
          Sid: 'GrantCopyKeyEuCentral1Aliases',
          Effect: 'Allow',
          Action: ['kms:CreateGrant'],
          Resource: keys,
          Condition: { ...aliasCondition, StringEquals: { 'kms:ViaService': ['ec2.eu-central-1.amazonaws.com', 'rds.eu-central-1.amazonaws.com'] }, Bool: { 'kms:GrantIsForAWSResource': true } },
        },
        // A source encrypted with a customer managed key is copied only by a caller that may use that key.
        { Sid: 'ReadSourcesWithTheirKeys', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncryptFrom'], Resource: sourceKeys, Condition: throughEc2OrRds },
        { Sid: 'GrantSourceKeys', Effect: 'Allow', Action: ['kms:CreateGrant'], Resource: sourceKeys, Condition: { ...throughEc2OrRds, Bool: { 'kms:GrantIsForAWSResource': true } } },
      ]);
    }
  });
});

describe('copy permissions generated from the plans', () => {
  const plans = (copies: string) =>
    parsePlansFile(
      `version: 1\nprimaryRegion: eu-west-1\nplans:\n  - id: gold\n    selection: { resourceTypes: [ebs-volume] }\n    schedule: { expression: rate(1 day) }\n    rpo: 36h\n    rto: 4h\n    retention: { count: 7 }\n${copies}`,
      'plans.yml',
    );

  it('names keys given by id or ARN directly, and keys given by alias ARN through their aliases', () => {
    const config = plans(
      [
        '    copies:',
        '      - { region: eu-north-1, kmsKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab }',
        '      - { region: us-east-1, kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab" }',
        '      - { region: eu-central-1, kmsKeyId: "arn:aws:kms:eu-central-1:111122223333:alias/dr/backups" }',
        '      - { region: ap-south-1, encrypted: false }',
        '',
      ].join('\n'),
    );

    const statements = copyKeysPolicy(config).PolicyDocument.Statement.filter((candidate) => candidate.Sid.startsWith('CheckCopyKey'));

    expect(statements.map(({ Sid, Resource, Condition }) => ({ Sid, Resource, Condition }))).toEqual([
      { Sid: 'CheckCopyKeyEuCentral1Aliases', Resource: [sub('arn:aws:kms:eu-central-1:111122223333:key/*')], Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/dr/backups'] } } },
      { Sid: 'CheckCopyKeyEuNorth1Keys', Resource: [sub('arn:${AWS::Partition}:kms:eu-north-1:${AWS::AccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab')], Condition: undefined },
      { Sid: 'CheckCopyKeyUsEast1Keys', Resource: [sub('arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab')], Condition: undefined },
    ]);
    expect(copyTargets(config).regions).toEqual(['ap-south-1', 'eu-central-1', 'eu-north-1', 'us-east-1']);
  });

  it('stays valid, and grants nothing, when no plan copies anywhere', () => {
    const config = plans('');

    expect(copyKeysPolicy(config).PolicyDocument.Statement).toEqual([
      { Sid: 'NoCopyKeys', Effect: 'Deny', Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt'], Resource: '*' },
    ]);
    expect(copyTargets(config)).toMatchObject({ regions: [], ebsSnapshots: [sub('arn:${AWS::Partition}:ec2:no-copy-rules::snapshot/*')] });
  });
});
