import { describe, expect, it } from '@jest/globals';
import { usePackagedStack, type CloudFormationTemplate } from '../support/package-stack.js';

/**
 * Rules every role in the stack must follow, whatever function it belongs to — so a role added later is
 * held to them without anyone remembering to write a test.
 */
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const OWNERSHIP = 'backup-orchestrator:stack';
const DESTRUCTIVE = /^(ec2:Delete(Snapshot|Volume)|ec2:(Detach|Modify)Volume|rds:Delete(DBSnapshot|DBClusterSnapshot|DBInstance|DBCluster)|rds:ModifyDB(Instance|Cluster)|dlm:DeleteLifecyclePolicy|dlm:UpdateLifecyclePolicy)$/;
const CREATES =
  /^(ec2:(CreateSnapshots?|CopySnapshot|CreateVolume)|rds:(CreateDBSnapshot|CreateDBClusterSnapshot|CopyDBSnapshot|CopyDBClusterSnapshot|RestoreDBInstanceFromDBSnapshot|RestoreDBClusterFromSnapshot|CreateDBInstance|AddTagsToResource)|dlm:CreateLifecyclePolicy)$/;
/**
 * The role Data Lifecycle Manager itself assumes: how DLM tags what it creates is AWS's and undocumented, so its
 * creates cannot be tag-conditioned (they are bounded by the target tags of the policies sync-dlm writes); its
 * deletes are, as every role's.
 */
const DLM_EXECUTION_ROLE = 'DlmExecutionRole';
/** KMS actions that use a key's material or hand it to a service (DescribeKey reads metadata only). */
const KMS_KEY_USE = /^kms:(Decrypt|Encrypt|GenerateDataKey.*|ReEncrypt.*|CreateGrant)$/;
/** The user's own resources a create reads from: they carry no tag of ours, so no condition can apply. */
const USER_SOURCES = /^arn:\$\{AWS::Partition\}:(ec2:.*:(volume|instance)\/\*|rds:.*:(db|cluster):\*)$/;

function resourceStrings(resource: unknown): string[] {
  const list = Array.isArray(resource) ? resource : [resource];
  return list.map((entry) => (typeof entry === 'string' ? entry : ((entry as { 'Fn::Sub'?: string })['Fn::Sub'] ?? JSON.stringify(entry))));
}

let template: CloudFormationTemplate;
let roles: Array<{ role: string; statements: Statement[] }>;

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const conditionText = (statement: Statement) => JSON.stringify(statement.Condition ?? {});

usePackagedStack((result) => {
  template = result.template;
  roles = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .map(([role, resource]) => ({
      role,
      statements: ((resource.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap(
        (policy) => policy.PolicyDocument.Statement,
      ),
    }));
});

describe('every IAM role in the packaged stack', () => {
  it('exists once per function: no function shares a role or uses the framework default role', () => {
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    const roleRefs = functions.map((fn) => JSON.stringify((fn.Properties as { Role: unknown }).Role));

    expect(functions.length).toBeGreaterThan(0);
    expect(new Set(roleRefs).size).toBe(functions.length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('names no wildcard action and no Allow on NotAction', () => {
    for (const { role, statements } of roles) {
      for (const statement of statements) {
        expect({ role, statement: statement.Sid, wildcard: actionsOf(statement).filter((action) => action.includes('*')) }).toEqual({ role, statement: statement.Sid, wildcard: [] });
        expect('NotAction' in statement).toBe(false);
      }
    }
  });

  it('allows destructive actions only on resources carrying our ownership tag', () => {
    for (const { role, statements } of roles) {
      for (const statement of statements.filter((s) => actionsOf(s).some((action) => DESTRUCTIVE.test(action)))) {
        expect({ role, statement: statement.Sid, ownershipCondition: conditionText(statement).includes(OWNERSHIP) }).toEqual({
          role,
          statement: statement.Sid,
          ownershipCondition: true,
        });
      }
    }
  });

  it('allows creates, copies and restores only with our ownership tag, except on the user resources they read from', () => {
    for (const { role, statements } of roles.filter(({ role }) => role !== DLM_EXECUTION_ROLE)) {
      for (const statement of statements.filter((s) => actionsOf(s).some((action) => CREATES.test(action)))) {
        const onUserSources = resourceStrings(statement.Resource).every((resource) => USER_SOURCES.test(resource));
        const ownershipCondition = conditionText(statement).includes(OWNERSHIP);
        expect({ role, statement: statement.Sid, guarded: ownershipCondition || onUserSources }).toEqual({ role, statement: statement.Sid, guarded: true });
      }
    }
  });

  it('allows ec2:CreateTags only as part of a create, or to add the copy completion time to copies already ours', () => {
    for (const { role, statements } of roles.filter(({ role }) => role !== DLM_EXECUTION_ROLE)) {
      for (const statement of statements.filter((s) => actionsOf(s).includes('ec2:CreateTags'))) {
        // The reconciler can only know a copy completed afterwards: it may add that one key, on snapshots already ours.
        const condition = statement.Condition ?? {};
        const completionOnly =
          condition.StringEquals?.[`aws:ResourceTag/${OWNERSHIP}`] !== undefined &&
          JSON.stringify(condition['ForAllValues:StringEquals']?.['aws:TagKeys']) === JSON.stringify(['backup-orchestrator:copy-completed-at']);
        expect({ role, statement: statement.Sid, createAction: conditionText(statement).includes('ec2:CreateAction') || completionOnly }).toEqual({
          role,
          statement: statement.Sid,
          createAction: true,
        });
      }
    }
  });

  it('attaches no managed policy, whose permissions no condition of ours could narrow', () => {
    const managed = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role' && (resource.Properties as { ManagedPolicyArns?: unknown[] }).ManagedPolicyArns?.length)
      .map(([role]) => role);

    expect(managed).toEqual([]);
  });

  it('lets a key be used, or granted, only by the AWS service that uses it on the role’s behalf (kms:ViaService)', () => {
    for (const { role, statements } of roles) {
      for (const statement of statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).some((action) => KMS_KEY_USE.test(action)))) {
        expect({ role, statement: statement.Sid, viaService: conditionText(statement).includes('kms:ViaService') }).toEqual({ role, statement: statement.Sid, viaService: true });
      }
    }
  });

  it('allows kms:CreateGrant only for AWS resources', () => {
    for (const { role, statements } of roles) {
      for (const statement of statements.filter((s) => actionsOf(s).includes('kms:CreateGrant'))) {
        expect({ role, grantIsForAwsResource: conditionText(statement).includes('kms:GrantIsForAWSResource') }).toEqual({ role, grantIsForAwsResource: true });
      }
    }
  });
});
