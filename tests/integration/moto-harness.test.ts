/**
 * Checks the moto test harness itself (tests/support): server lifecycle, client config,
 * estate builders in two Regions, reset(), and the moto 5.2.1 behaviours the orchestrator
 * relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, ListAliasesCommand, ListKeysCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { ListTopicsCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startMotoServer, MOTO_INSTALL_HINT, type MotoServer } from '../../sandbox/moto-server.js';
import * as aws from '../../sandbox/aws-clients.js';
import {
  createAuroraCluster,
  createDbInstance,
  createInstanceWithVolumes,
  createKmsKey,
  createVolume,
  tagRecord,
  toEc2Tags,
} from '../../sandbox/estate.js';

const REGIONS = ['us-east-1', 'eu-west-1'] as const;
type Region = (typeof REGIONS)[number];

interface Clients {
  ec2: EC2Client;
  rds: RDSClient;
  kms: KMSClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
}

let moto: MotoServer;
const clients = {} as Record<Region, Clients>;

beforeAll(async () => {
  moto = await startMotoServer();
  for (const region of REGIONS) {
    clients[region] = {
      ec2: aws.ec2(moto.endpoint, region),
      rds: aws.rds(moto.endpoint, region),
      kms: aws.kms(moto.endpoint, region),
      sns: aws.sns(moto.endpoint, region),
      dynamodb: aws.dynamodb(moto.endpoint, region),
    };
  }
});

afterAll(async () => {
  for (const c of Object.values(clients)) for (const client of Object.values(c)) client.destroy();
  await moto?.stop();
});

describe('moto server', () => {
  it('listens on a loopback port', () => {
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
  });

  it('client config points at the loopback endpoint with fake credentials', () => {
    const config = aws.clientConfig(moto.endpoint, 'eu-west-1');
    expect(config).toMatchObject({
      endpoint: moto.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 2,
    });
    expect(() => aws.clientConfig('https://ec2.eu-west-1.amazonaws.com', 'eu-west-1')).toThrow(
      /non-loopback/,
    );
  });

  it('fails with the install command when moto_server is not on PATH', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startMotoServer()).rejects.toThrow(MOTO_INSTALL_HINT);
    } finally {
      process.env.PATH = savedPath;
    }
    expect(MOTO_INSTALL_HINT).toContain('pipx install "moto[server]==5.2.1"');
  });

  it('gives each server its own state, and stop() really stops it', async () => {
    const other = await startMotoServer();
    const otherEc2 = aws.ec2(other.endpoint, 'us-east-1');
    try {
      expect(other.port).not.toBe(moto.port);
      const { volumeId } = await createVolume(otherEc2, { az: 'us-east-1a', sizeGiB: 1 });
      const mine = await clients['us-east-1'].ec2.send(new DescribeVolumesCommand({}));
      expect(mine.Volumes?.map((v) => v.VolumeId)).not.toContain(volumeId);
    } finally {
      await other.stop();
      await other.stop(); // idempotent
    }
    await expect(otherEc2.send(new DescribeVolumesCommand({}))).rejects.toThrow();
    otherEc2.destroy();
  });
});

describe.each(REGIONS)('estate builders in %s', (region) => {
  const az = `${region}a`;

  it('createVolume', async () => {
    const { ec2 } = clients[region];
    const { volumeId } = await createVolume(ec2, {
      az,
      sizeGiB: 12,
      tags: { Backup: 'daily', Team: 'payments' },
    });
    const res = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const volume = res.Volumes?.[0];
    expect(volume).toMatchObject({ VolumeId: volumeId, AvailabilityZone: az, Size: 12, State: 'available' });
    expect(tagRecord(volume?.Tags)).toEqual({ Backup: 'daily', Team: 'payments' });
  });

  it('createInstanceWithVolumes', async () => {
    const { ec2 } = clients[region];
    const created = await createInstanceWithVolumes(ec2, { az, extraVolumes: 2, tags: { Backup: 'hourly' } });
    expect(created.volumeIds).toHaveLength(3);
    expect(created.volumeIds[0]).toBe(created.rootVolumeId);

    const res = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [created.instanceId] }));
    const instance = res.Reservations?.[0]?.Instances?.[0];
    expect(instance?.Placement?.AvailabilityZone).toBe(az);
    expect(tagRecord(instance?.Tags)).toEqual({ Backup: 'hourly' });
    const mapped = Object.fromEntries(
      (instance?.BlockDeviceMappings ?? []).map((m) => [m.DeviceName, m.Ebs?.VolumeId]),
    );
    expect(mapped).toEqual(created.devices);
    expect(Object.keys(mapped).sort()).toEqual(['/dev/sda1', '/dev/sdf', '/dev/sdg']);

    const vols = await ec2.send(new DescribeVolumesCommand({ VolumeIds: created.volumeIds }));
    expect(vols.Volumes).toHaveLength(3);
    for (const v of vols.Volumes ?? []) {
      expect(v.State).toBe('in-use');
      expect(v.Attachments?.[0]?.InstanceId).toBe(created.instanceId);
      expect(tagRecord(v.Tags)).toEqual({ Backup: 'hourly' });
    }
  });

  it('createDbInstance (DescribeDBInstances returns TagList)', async () => {
    const { rds } = clients[region];
    const id = `orders-db-${region}`;
    const created = await createDbInstance(rds, { id, tags: { Backup: 'daily' } });
    expect(created.dbInstanceArn).toBe(`arn:aws:rds:${region}:${aws.MOTO_ACCOUNT_ID}:db:${id}`);
    const res = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    const db = res.DBInstances?.[0];
    expect(db).toMatchObject({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      DBInstanceStatus: 'available',
    });
    expect(tagRecord(db?.TagList)).toEqual({ Backup: 'daily' });
  });

  it('createAuroraCluster (DescribeDBClusters returns TagList)', async () => {
    const { rds } = clients[region];
    const id = `ledger-${region}`;
    const created = await createAuroraCluster(rds, { id, tags: { Backup: 'weekly' } });
    const res = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
    const cluster = res.DBClusters?.[0];
    expect(cluster).toMatchObject({
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      DBClusterArn: created.dbClusterArn,
    });
    expect(tagRecord(cluster?.TagList)).toEqual({ Backup: 'weekly' });
    expect(cluster?.DBClusterMembers?.map((m) => m.DBInstanceIdentifier)).toEqual(created.instanceIds);

    const members = await rds.send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [id] }] }),
    );
    expect(members.DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(created.instanceIds);
  });

  it('createKmsKey', async () => {
    const { kms } = clients[region];
    const { keyId, keyArn, aliasName } = await createKmsKey(kms, { alias: `backup-${region}` });
    expect(keyArn).toBe(`arn:aws:kms:${region}:${aws.MOTO_ACCOUNT_ID}:key/${keyId}`);
    const res = await kms.send(new DescribeKeyCommand({ KeyId: aliasName }));
    expect(res.KeyMetadata).toMatchObject({ KeyId: keyId, Arn: keyArn, Enabled: true, KeyState: 'Enabled' });
  });

  it('keeps Regions apart', async () => {
    const otherRegion = REGIONS.find((r) => r !== region)!;
    const res = await clients[region].ec2.send(new DescribeVolumesCommand({}));
    expect(res.Volumes?.every((v) => v.AvailabilityZone?.startsWith(region))).toBe(true);
    expect(res.Volumes?.some((v) => v.AvailabilityZone?.startsWith(otherRegion))).toBe(false);
  });
});

describe('moto 5.2.1 snapshot behaviour the orchestrator relies on', () => {
  const region = 'eu-west-1';
  const snapshotsTagged = async (ec2: EC2Client, key: string, value: string) =>
    (
      await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: `tag:${key}`, Values: [value] }],
        }),
      )
    ).Snapshots ?? [];

  it('CreateSnapshot honours TagSpecifications and DescribeSnapshots honours tag:<key> filters', async () => {
    const { ec2 } = clients[region];
    const { volumeId: tagged } = await createVolume(ec2, { az: 'eu-west-1a', sizeGiB: 5 });
    const { volumeId: untagged } = await createVolume(ec2, { az: 'eu-west-1a', sizeGiB: 5 });
    const snap = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: tagged,
        TagSpecifications: [
          { ResourceType: 'snapshot', Tags: toEc2Tags({ 'backup:run': 'run-1', Policy: 'gold' }) },
        ],
      }),
    );
    expect(tagRecord(snap.Tags)).toEqual({ 'backup:run': 'run-1', Policy: 'gold' });
    expect(snap.State).toBe('completed'); // moto completes snapshots instantly
    await ec2.send(new CreateSnapshotCommand({ VolumeId: untagged }));

    const found = await snapshotsTagged(ec2, 'backup:run', 'run-1');
    expect(found.map((s) => s.SnapshotId)).toEqual([snap.SnapshotId]);
    expect(await snapshotsTagged(ec2, 'backup:run', 'run-other')).toEqual([]);
  });

  it('CreateSnapshots (InstanceSpecification) tags every snapshot from TagSpecifications, ignores CopyTagsFromSource', async () => {
    const { ec2 } = clients[region];
    const inst = await createInstanceWithVolumes(ec2, {
      az: 'eu-west-1b',
      extraVolumes: 2,
      tags: { Source: 'volume-tag' },
    });
    const res = await ec2.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: inst.instanceId, ExcludeBootVolume: false },
        Description: 'multi-volume',
        CopyTagsFromSource: 'volume',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: toEc2Tags({ 'backup:run': 'run-2' }) }],
      }),
    );
    expect(res.Snapshots?.map((s) => s.VolumeId).sort()).toEqual([...inst.volumeIds].sort());
    const found = await snapshotsTagged(ec2, 'backup:run', 'run-2');
    expect(found.map((s) => s.VolumeId).sort()).toEqual([...inst.volumeIds].sort());
    for (const s of found) {
      // moto 5.2.1 does not implement CopyTagsFromSource: only the TagSpecifications tags are there.
      expect(tagRecord(s.Tags)).toEqual({ 'backup:run': 'run-2' });
      expect(s.Description).toBe('multi-volume');
    }

    const noBoot = await ec2.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: inst.instanceId, ExcludeBootVolume: true },
      }),
    );
    expect(noBoot.Snapshots?.map((s) => s.VolumeId).sort()).toEqual([...inst.extraVolumeIds].sort());
  });
});

describe('reset()', () => {
  it('empties every Region and service', async () => {
    // The tests above left resources in both Regions; make sure there is something of each.
    for (const region of REGIONS) {
      const { ec2, kms } = clients[region];
      await createInstanceWithVolumes(ec2, { az: `${region}a`, extraVolumes: 1 });
      await createKmsKey(kms, { alias: `reset-check-${region}` });
    }
    await moto.reset();

    for (const region of REGIONS) {
      const { ec2, rds, kms, sns, dynamodb } = clients[region];
      expect((await ec2.send(new DescribeVolumesCommand({}))).Volumes).toEqual([]);
      expect((await ec2.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
      expect((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([]);
      expect((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances).toEqual([]);
      expect((await rds.send(new DescribeDBClustersCommand({}))).DBClusters).toEqual([]);
      expect((await kms.send(new ListKeysCommand({}))).Keys).toEqual([]);
      const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases ?? [];
      expect(aliases.filter((a) => !a.AliasName?.startsWith('alias/aws/'))).toEqual([]);
      expect((await sns.send(new ListTopicsCommand({}))).Topics ?? []).toEqual([]);
      expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    }
  });
});
