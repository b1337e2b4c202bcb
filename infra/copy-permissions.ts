/**
 * The parts of the copy roles that depend on the plans: the DR Regions copies go to, and the KMS keys
 * they are encrypted with. infra/stack-variables.ts passes them to serverless.yml (as copyTargets and
 * copyKeysPolicy); the ownership conditions stay in the role files, next to the rest of each role.
 */
import type { PlansConfig } from '../shared/domain/plan-schema.js';

type Sub = { 'Fn::Sub': string };
type Statement = { Sid: string; Effect: 'Allow' | 'Deny'; Action: string[]; Resource: Sub | Sub[] | string; Condition?: Record<string, Record<string, unknown>> };

export interface CopyTargets {
  regions: string[];
  /** EBS snapshots in the DR Regions (copies are created, tagged, deleted there). */
  ebsSnapshots: Sub[];
  /** RDS snapshots and cluster snapshots of ours in the DR Regions: identifiers start with bo-. */
  rdsSnapshots: Sub[];
  rdsClusterSnapshots: Sub[];
  /** Every RDS snapshot in the DR Regions: listing them (to find ours by tag) needs the wildcard. */
  rdsListedSnapshots: Sub[];
  /** Option groups in the DR Regions, for copies of instances with a non-default option group. */
  rdsOptionGroups: Sub[];
}

export interface CopyKeysPolicy {
  PolicyName: string;
  PolicyDocument: { Version: '2012-10-17'; Statement: Statement[] };
}

/** No DR Region at all: an ARN in a Region that cannot exist keeps each statement valid and matching nothing. */
const NO_COPY_REGION = 'no-copy-rules';

const KMS_KEY_ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

function pascal(region: string): string {
  return region.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

export function copyRegions(config: PlansConfig): string[] {
  return [...new Set(config.plans.flatMap((plan) => plan.copies.map((rule) => rule.region)))].sort();
}

export function copyTargets(config: PlansConfig): CopyTargets {
  const regions = copyRegions(config);
  const inRegions = regions.length ? regions : [NO_COPY_REGION];
  const arns = (pattern: (region: string) => string) => inRegions.map((region) => ({ 'Fn::Sub': pattern(region) }));
  return {
    regions,
    ebsSnapshots: arns((region) => `arn:\${AWS::Partition}:ec2:${region}::snapshot/*`),
    rdsSnapshots: arns((region) => `arn:\${AWS::Partition}:rds:${region}:\${AWS::AccountId}:snapshot:bo-*`),
    rdsClusterSnapshots: arns((region) => `arn:\${AWS::Partition}:rds:${region}:\${AWS::AccountId}:cluster-snapshot:bo-*`),
    rdsListedSnapshots: inRegions.flatMap((region) => [
      { 'Fn::Sub': `arn:\${AWS::Partition}:rds:${region}:\${AWS::AccountId}:snapshot:*` },
      { 'Fn::Sub': `arn:\${AWS::Partition}:rds:${region}:\${AWS::AccountId}:cluster-snapshot:*` },
    ]),
    rdsOptionGroups: arns((region) => `arn:\${AWS::Partition}:rds:${region}:\${AWS::AccountId}:og:*`),
  };
}

/**
 * Per DR Region: the key ARNs (from key ids or key ARNs) and the aliases with the key ARN pattern they
 * apply to (IAM cannot name a key by alias, only condition on the aliases of the Region's keys).
 */
function keysByRegion(config: PlansConfig): Map<string, { keys: Set<string>; aliases: Map<string, string> }> {
  const byRegion = new Map<string, { keys: Set<string>; aliases: Map<string, string> }>();
  for (const plan of config.plans) {
    for (const rule of plan.copies) {
      if (!rule.encrypted || !rule.kmsKeyId) continue;
      const entry = byRegion.get(rule.region) ?? { keys: new Set<string>(), aliases: new Map<string, string>() };
      byRegion.set(rule.region, entry);
      const arn = KMS_KEY_ARN.exec(rule.kmsKeyId);
      if (arn) {
        const [, partition, region, account, type, name] = arn;
        if (type === 'key') entry.keys.add(rule.kmsKeyId);
        else entry.aliases.set(`alias/${name}`, `arn:${partition}:kms:${region}:${account}:key/*`);
      } else if (rule.kmsKeyId.startsWith('alias/')) {
        entry.aliases.set(rule.kmsKeyId, `arn:\${AWS::Partition}:kms:${rule.region}:\${AWS::AccountId}:key/*`);
      } else {
        entry.keys.add(`arn:\${AWS::Partition}:kms:${rule.region}:\${AWS::AccountId}:key/${rule.kmsKeyId}`);
      }
    }
  }
  return byRegion;
}

/**
 * KMS permissions on exactly the plans' copy keys, in their Regions: DescribeKey for the preflight; the
 * data-key operations and grants only when EC2 or RDS of that Region makes them on our behalf
 * (kms:ViaService), grants only for AWS resources (kms:GrantIsForAWSResource). Keys named by alias are
 * matched with kms:ResourceAliases on the Region's keys, since IAM statements cannot name a key by its alias.
 * And the keys of the sources, in the primary Region: a snapshot encrypted with a customer managed key is
 * copied only by a caller that may use that key, through EC2 or RDS.
 */
export function copyKeysPolicy(config: PlansConfig): CopyKeysPolicy {
  const Statement: Statement[] = [];
  for (const [region, { keys, aliases }] of [...keysByRegion(config)].sort(([a], [b]) => a.localeCompare(b))) {
    const targets: Array<{ suffix: string; Resource: Sub[]; Condition: Record<string, Record<string, unknown>> }> = [];
    if (keys.size) targets.push({ suffix: 'Keys', Resource: [...keys].sort().map((arn) => ({ 'Fn::Sub': arn })), Condition: {} });
    if (aliases.size) {
      targets.push({
        suffix: 'Aliases',
        Resource: [...new Set(aliases.values())].sort().map((arn) => ({ 'Fn::Sub': arn })),
        Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [...aliases.keys()].sort() } },
      });
    }
    for (const { suffix, Resource, Condition } of targets) {
      const name = `${pascal(region)}${suffix}`;
      Statement.push({ Sid: `CheckCopyKey${name}`, Effect: 'Allow', Action: ['kms:DescribeKey'], Resource, ...(Object.keys(Condition).length ? { Condition } : {}) });
      Statement.push({
        Sid: `EncryptCopiesWith${name}`,
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        Resource,
        Condition: { ...Condition, StringEquals: { 'kms:ViaService': [`ec2.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`] } },
      });
      Statement.push({
        Sid: `GrantCopyKey${name}`,
        Effect: 'Allow',
        Action: ['kms:CreateGrant'],
        Resource,
        Condition: { ...Condition, StringEquals: { 'kms:ViaService': [`ec2.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`] }, Bool: { 'kms:GrantIsForAWSResource': true } },
      });
    }
  }
  if (config.plans.some((plan) => plan.copies.length > 0)) {
    // The user's own keys: unknown to the plans, so any key of the account in the primary Region, through EC2 or RDS only.
    const sourceKeys = { 'Fn::Sub': `arn:\${AWS::Partition}:kms:${config.primaryRegion}:\${AWS::AccountId}:key/*` };
    const throughEc2OrRds = { StringLike: { 'kms:ViaService': ['ec2.*.amazonaws.com', 'rds.*.amazonaws.com'] } };
    Statement.push(
      { Sid: 'ReadSourcesWithTheirKeys', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncryptFrom'], Resource: sourceKeys, Condition: throughEc2OrRds },
      { Sid: 'GrantSourceKeys', Effect: 'Allow', Action: ['kms:CreateGrant'], Resource: sourceKeys, Condition: { ...throughEc2OrRds, Bool: { 'kms:GrantIsForAWSResource': true } } },
    );
  }
  if (!Statement.length) {
    Statement.push({ Sid: 'NoCopyKeys', Effect: 'Deny', Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt'], Resource: '*' });
  }
  return { PolicyName: 'copy-keys', PolicyDocument: { Version: '2012-10-17', Statement } };
}
