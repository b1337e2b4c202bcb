/**
 * Builders for a realistic estate (EBS volumes, EC2 instances with attached volumes, RDS
 * instances, Aurora clusters, KMS keys) inside a moto server. Each returns the ids it created.
 *
 * Tags are given as a plain record: `{ Backup: 'daily', Team: 'payments' }`.
 */
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  type EC2Client,
  type Tag as Ec2Tag,
  type VolumeType,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { CreateAliasCommand, CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  type RDSClient,
  type Tag as RdsTag,
} from '@aws-sdk/client-rds';

export type Tags = Record<string, string>;

export const toEc2Tags = (tags: Tags = {}): Ec2Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
export const toRdsTags = (tags: Tags = {}): RdsTag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** Turns `[{Key, Value}]` (EC2, RDS or KMS style) back into a record, for assertions. */
export function tagRecord(
  tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined,
): Tags {
  const out: Tags = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`moto returned no ${what}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// EC2
// ---------------------------------------------------------------------------------------------

export interface CreateVolumeOptions {
  az: string;
  sizeGiB: number;
  tags?: Tags;
  volumeType?: VolumeType;
  encrypted?: boolean;
  kmsKeyId?: string;
}

export async function createVolume(ec2: EC2Client, opts: CreateVolumeOptions): Promise<{ volumeId: string }> {
  const tags = toEc2Tags(opts.tags);
  const res = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: opts.az,
      Size: opts.sizeGiB,
      VolumeType: opts.volumeType ?? 'gp3',
      ...(opts.encrypted !== undefined ? { Encrypted: opts.encrypted } : {}),
      ...(opts.kmsKeyId !== undefined ? { KmsKeyId: opts.kmsKeyId } : {}),
      ...(tags.length ? { TagSpecifications: [{ ResourceType: 'volume', Tags: tags }] } : {}),
    }),
  );
  return { volumeId: required(res.VolumeId, 'VolumeId') };
}

const TEST_AMI_NAME = 'backup-orchestrator-test-ami';

/**
 * moto started with MOTO_EC2_LOAD_DEFAULT_AMIS=false has no AMIs. moto does not validate the
 * ImageId of RunInstances unless MOTO_ENABLE_AMI_VALIDATION=true, but we register a real one
 * (once per Region and server) so instances look like real ones and validation can be enabled.
 */
export async function ensureTestImage(ec2: EC2Client): Promise<string> {
  const existing = await ec2.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [TEST_AMI_NAME] }] }),
  );
  const found = existing.Images?.[0]?.ImageId;
  if (found) return found;
  const res = await ec2.send(
    new RegisterImageCommand({ Name: TEST_AMI_NAME, Description: 'AMI registered by the test harness' }),
  );
  return required(res.ImageId, 'ImageId');
}

export interface CreateInstanceOptions {
  az: string;
  /** Number of data volumes to create and attach besides the 8 GiB root volume moto makes. */
  extraVolumes: number;
  /** Applied to the instance and (through TagSpecifications/CreateVolume) to all its volumes. */
  tags?: Tags;
  /** Tags for the volumes only, merged over `tags`. */
  volumeTags?: Tags;
  extraVolumeSizeGiB?: number;
  instanceType?: _InstanceType;
}

export interface CreatedInstance {
  instanceId: string;
  rootVolumeId: string;
  /** Data volumes, in attachment order (/dev/sdf, /dev/sdg, …). */
  extraVolumeIds: string[];
  /** Root volume first, then the data volumes. */
  volumeIds: string[];
  /** device name → volume id */
  devices: Record<string, string>;
}

export async function createInstanceWithVolumes(
  ec2: EC2Client,
  opts: CreateInstanceOptions,
): Promise<CreatedInstance> {
  if (opts.extraVolumes > 20) throw new Error('at most 20 extra volumes (/dev/sdf … /dev/sdy)');
  const imageId = await ensureTestImage(ec2);
  const instanceTags = toEc2Tags(opts.tags);
  const volumeTagRecord = { ...opts.tags, ...opts.volumeTags };
  const volumeTags = toEc2Tags(volumeTagRecord);
  const tagSpecs = [
    ...(instanceTags.length ? [{ ResourceType: 'instance' as const, Tags: instanceTags }] : []),
    ...(volumeTags.length ? [{ ResourceType: 'volume' as const, Tags: volumeTags }] : []),
  ];

  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: opts.instanceType ?? 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      Placement: { AvailabilityZone: opts.az },
      ...(tagSpecs.length ? { TagSpecifications: tagSpecs } : {}),
    }),
  );
  const instance = required(run.Instances?.[0], 'instance');
  const instanceId = required(instance.InstanceId, 'InstanceId');
  const root = required(
    instance.BlockDeviceMappings?.[0]?.Ebs?.VolumeId,
    'root volume in BlockDeviceMappings',
  );
  const rootDevice = instance.BlockDeviceMappings?.[0]?.DeviceName ?? instance.RootDeviceName ?? '/dev/sda1';

  const devices: Record<string, string> = { [rootDevice]: root };
  const extraVolumeIds: string[] = [];
  for (let i = 0; i < opts.extraVolumes; i++) {
    const { volumeId } = await createVolume(ec2, {
      az: opts.az,
      sizeGiB: opts.extraVolumeSizeGiB ?? 10,
      tags: volumeTagRecord,
    });
    const device = `/dev/sd${String.fromCharCode('f'.charCodeAt(0) + i)}`;
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: device }));
    devices[device] = volumeId;
    extraVolumeIds.push(volumeId);
  }
  return { instanceId, rootVolumeId: root, extraVolumeIds, volumeIds: [root, ...extraVolumeIds], devices };
}

// ---------------------------------------------------------------------------------------------
// RDS
// ---------------------------------------------------------------------------------------------

export interface CreateDbInstanceOptions {
  id: string;
  tags?: Tags;
  /** Default 'postgres'. */
  engine?: string;
  instanceClass?: string;
  allocatedStorageGiB?: number;
}

export async function createDbInstance(
  rds: RDSClient,
  opts: CreateDbInstanceOptions,
): Promise<{ dbInstanceIdentifier: string; dbInstanceArn: string; dbiResourceId: string | undefined }> {
  const res = await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: opts.id,
      Engine: opts.engine ?? 'postgres',
      DBInstanceClass: opts.instanceClass ?? 'db.t3.micro',
      AllocatedStorage: opts.allocatedStorageGiB ?? 20,
      MasterUsername: 'postgres',
      MasterUserPassword: 'not-a-secret-1',
      Tags: toRdsTags(opts.tags),
    }),
  );
  const db = required(res.DBInstance, 'DBInstance');
  return {
    dbInstanceIdentifier: required(db.DBInstanceIdentifier, 'DBInstanceIdentifier'),
    dbInstanceArn: required(db.DBInstanceArn, 'DBInstanceArn'),
    dbiResourceId: db.DbiResourceId,
  };
}

export interface CreateAuroraClusterOptions {
  id: string;
  tags?: Tags;
  /** Default 'aurora-postgresql'. */
  engine?: string;
  instanceClass?: string;
  /** KMS key (id, ARN or alias) to encrypt the cluster's storage with; unencrypted when absent. */
  kmsKeyId?: string;
}

export async function createAuroraCluster(
  rds: RDSClient,
  opts: CreateAuroraClusterOptions,
): Promise<{ dbClusterIdentifier: string; dbClusterArn: string; instanceIds: string[] }> {
  const engine = opts.engine ?? 'aurora-postgresql';
  const tags = toRdsTags(opts.tags);
  const res = await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: opts.id,
      Engine: engine,
      MasterUsername: 'postgres',
      MasterUserPassword: 'not-a-secret-1',
      ...(opts.kmsKeyId ? { StorageEncrypted: true, KmsKeyId: opts.kmsKeyId } : {}),
      Tags: tags,
    }),
  );
  const cluster = required(res.DBCluster, 'DBCluster');
  const instanceId = `${opts.id}-instance-1`;
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: instanceId,
      DBClusterIdentifier: opts.id,
      Engine: engine,
      DBInstanceClass: opts.instanceClass ?? 'db.r6g.large',
      Tags: tags,
    }),
  );
  return {
    dbClusterIdentifier: required(cluster.DBClusterIdentifier, 'DBClusterIdentifier'),
    dbClusterArn: required(cluster.DBClusterArn, 'DBClusterArn'),
    instanceIds: [instanceId],
  };
}

// ---------------------------------------------------------------------------------------------
// KMS
// ---------------------------------------------------------------------------------------------

export interface CreateKmsKeyOptions {
  /** With or without the 'alias/' prefix. */
  alias?: string;
  description?: string;
  tags?: Tags;
}

export async function createKmsKey(
  kms: KMSClient,
  opts: CreateKmsKeyOptions = {},
): Promise<{ keyId: string; keyArn: string; aliasName: string | undefined }> {
  const tags = Object.entries(opts.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
  const res = await kms.send(
    new CreateKeyCommand({
      Description: opts.description ?? 'test key',
      ...(tags.length ? { Tags: tags } : {}),
    }),
  );
  const meta = required(res.KeyMetadata, 'KeyMetadata');
  const keyId = required(meta.KeyId, 'KeyId');
  let aliasName: string | undefined;
  if (opts.alias) {
    aliasName = opts.alias.startsWith('alias/') ? opts.alias : `alias/${opts.alias}`;
    await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keyId }));
  }
  return { keyId, keyArn: required(meta.Arn, 'Arn'), aliasName };
}
