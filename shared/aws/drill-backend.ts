import {
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeVolumesCommand,
  paginateDescribeVolumes,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { CleanupPendingError } from '../domain/drill-errors.js';
import type { RestoredResource } from '../domain/drill-state.js';
import { REFUSED_FOR_STATE } from '../domain/failure-classification.js';
import { fromTagList, TAG, toTagList, type Tags } from '../domain/recovery-point-tags.js';
import type { DrillBackend, DrillResource, ObservedResource, RestoreAuroraClusterRequest, RestoreDbInstanceRequest } from '../use-cases/restore-drill.js';

/** True when an SDK error has one of these names (SDK v3 exception name, or the raw service code). */
function isError(error: unknown, ...names: string[]): boolean {
  const candidate = error as { name?: string; Code?: string; code?: string };
  return names.some((name) => candidate?.name === name || candidate?.Code === name || candidate?.code === name);
}

const NOT_FOUND = ['InvalidVolume.NotFound', 'DBInstanceNotFoundFault', 'DBInstanceNotFound', 'DBClusterNotFoundFault', 'DBClusterNotFound'];

/** Drill restores, observations and deletes in one Region, over EC2 and RDS clients for that Region. */
export class AwsDrillBackend implements DrillBackend {
  private zone: string | undefined;

  constructor(
    private readonly ec2: EC2Client,
    private readonly rds: RDSClient,
    readonly region: string,
  ) {}

  private async defaultZone(): Promise<string> {
    if (!this.zone) {
      const result = await this.ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] }));
      const zones = (result.AvailabilityZones ?? []).flatMap((zone) => (zone.ZoneName && zone.ZoneType !== 'local-zone' && zone.ZoneType !== 'wavelength-zone' ? [zone.ZoneName] : [])).sort();
      if (!zones[0]) throw new Error(`no available Availability Zone in ${this.region}`);
      this.zone = zones[0];
    }
    return this.zone;
  }

  async restoreVolume(request: { snapshotId: string; availabilityZone: string | null; clientToken: string; tags: Tags }): Promise<{ volumeId: string }> {
    const result = await this.ec2.send(
      new CreateVolumeCommand({
        SnapshotId: request.snapshotId,
        AvailabilityZone: request.availabilityZone ?? (await this.defaultZone()),
        VolumeType: 'gp3',
        // Same token on a retry: EC2 returns the volume it already made instead of a second one.
        ClientToken: request.clientToken,
        TagSpecifications: [{ ResourceType: 'volume', Tags: toTagList(request.tags) }],
      }),
    );
    if (!result.VolumeId) throw new Error(`CreateVolume from ${request.snapshotId} returned no volume id`);
    return { volumeId: result.VolumeId };
  }

  /** An identifier already taken by this same drill (a retried restore) is fine; by anything else it is not. */
  private async ensureOurs(kind: 'instance' | 'cluster', identifier: string, tags: Tags): Promise<void> {
    const found =
      kind === 'instance'
        ? (await this.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0]?.TagList
        : (await this.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }))).DBClusters?.[0]?.TagList;
    if (fromTagList(found)[TAG.drillId] !== tags[TAG.drillId]) {
      throw new Error(`RDS ${kind} ${identifier} exists and was not made by drill ${tags[TAG.drillId]}`);
    }
  }

  async restoreDbInstance(request: RestoreDbInstanceRequest): Promise<void> {
    try {
      await this.rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: request.identifier,
          DBSnapshotIdentifier: request.snapshotId,
          DBInstanceClass: request.instanceClass,
          ...(request.subnetGroup ? { DBSubnetGroupName: request.subnetGroup } : {}),
          ...(request.securityGroupIds.length ? { VpcSecurityGroupIds: request.securityGroupIds } : {}),
          ...(request.availabilityZone ? { AvailabilityZone: request.availabilityZone } : {}),
          PubliclyAccessible: false,
          MultiAZ: false,
          DeletionProtection: false,
          AutoMinorVersionUpgrade: false,
          CopyTagsToSnapshot: false,
          // No automated backups: nothing is retained once the drill deletes the instance.
          BackupRetentionPeriod: 0,
          Tags: toTagList(request.tags),
        }),
      );
    } catch (error) {
      if (!isError(error, 'DBInstanceAlreadyExistsFault', 'DBInstanceAlreadyExists')) throw error;
      await this.ensureOurs('instance', request.identifier, request.tags);
    }
  }

  async restoreAuroraCluster(request: RestoreAuroraClusterRequest): Promise<void> {
    const snapshot = (await this.rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: request.snapshotId }))).DBClusterSnapshots?.[0];
    if (!snapshot?.Engine) throw new Error(`cluster snapshot ${request.snapshotId} has no engine`);
    try {
      await this.rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: request.clusterIdentifier,
          SnapshotIdentifier: request.snapshotId,
          Engine: snapshot.Engine,
          ...(snapshot.EngineVersion ? { EngineVersion: snapshot.EngineVersion } : {}),
          ...(request.subnetGroup ? { DBSubnetGroupName: request.subnetGroup } : {}),
          ...(request.securityGroupIds.length ? { VpcSecurityGroupIds: request.securityGroupIds } : {}),
          DeletionProtection: false,
          CopyTagsToSnapshot: false,
          Tags: toTagList(request.tags),
        }),
      );
    } catch (error) {
      if (!isError(error, 'DBClusterAlreadyExistsFault', 'DBClusterAlreadyExists')) throw error;
      await this.ensureOurs('cluster', request.clusterIdentifier, request.tags);
    }
    try {
      await this.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: request.instanceIdentifier,
          DBClusterIdentifier: request.clusterIdentifier,
          Engine: snapshot.Engine,
          DBInstanceClass: request.instanceClass,
          PubliclyAccessible: false,
          Tags: toTagList(request.tags),
        }),
      );
    } catch (error) {
      if (!isError(error, 'DBInstanceAlreadyExistsFault', 'DBInstanceAlreadyExists')) throw error;
      await this.ensureOurs('instance', request.instanceIdentifier, request.tags);
    }
  }

  private async instanceStatus(identifier: string): Promise<{ exists: boolean; status: string; endpoint?: string; port?: number }> {
    try {
      const instance = (await this.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }))).DBInstances?.[0];
      if (!instance) return { exists: false, status: 'gone' };
      return {
        exists: true,
        status: instance.DBInstanceStatus ?? 'unknown',
        ...(instance.Endpoint?.Address ? { endpoint: instance.Endpoint.Address } : {}),
        ...(instance.Endpoint?.Port ? { port: instance.Endpoint.Port } : {}),
      };
    } catch (error) {
      if (isError(error, ...NOT_FOUND)) return { exists: false, status: 'gone' };
      throw error;
    }
  }

  async observe(resource: RestoredResource): Promise<ObservedResource> {
    const base = { kind: resource.kind, id: resource.id, members: [] };
    if (resource.kind === 'ebs-volume') {
      try {
        const volume = (await this.ec2.send(new DescribeVolumesCommand({ VolumeIds: [resource.id] }))).Volumes?.[0];
        if (!volume) return { ...base, exists: false, status: 'gone' };
        return { ...base, exists: true, status: volume.State ?? 'unknown', ...(volume.Size !== undefined ? { sizeGiB: volume.Size } : {}) };
      } catch (error) {
        if (isError(error, ...NOT_FOUND)) return { ...base, exists: false, status: 'gone' };
        throw error;
      }
    }
    if (resource.kind === 'rds-instance') return { ...base, ...(await this.instanceStatus(resource.id)) };
    let cluster;
    try {
      cluster = (await this.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: resource.id }))).DBClusters?.[0];
    } catch (error) {
      if (!isError(error, ...NOT_FOUND)) throw error;
    }
    const members = await Promise.all(
      resource.memberInstanceIds.map(async (id) => ({ id, status: (await this.instanceStatus(id)).status })),
    );
    if (!cluster) return { ...base, members, exists: false, status: 'gone' };
    return {
      ...base,
      members,
      exists: true,
      status: cluster.Status ?? 'unknown',
      ...(cluster.Endpoint ? { endpoint: cluster.Endpoint } : {}),
      ...(cluster.Port ? { port: cluster.Port } : {}),
    };
  }

  async findDrillResources(query: { stack: string; drillId?: string }): Promise<DrillResource[]> {
    const isDrill = (tags: Tags) => tags[TAG.stack] === query.stack && TAG.drillId in tags && (!query.drillId || tags[TAG.drillId] === query.drillId);
    const found: DrillResource[] = [];
    const Filters = [
      { Name: `tag:${TAG.stack}`, Values: [query.stack] },
      query.drillId ? { Name: `tag:${TAG.drillId}`, Values: [query.drillId] } : { Name: 'tag-key', Values: [TAG.drillId] },
    ];
    for await (const page of paginateDescribeVolumes({ client: this.ec2, pageSize: 500 }, { Filters })) {
      for (const volume of page.Volumes ?? []) {
        const tags = fromTagList(volume.Tags);
        if (volume.VolumeId && isDrill(tags)) found.push({ kind: 'ebs-volume', id: volume.VolumeId, region: this.region, status: volume.State ?? 'unknown', tags, clusterId: null });
      }
    }
    // RDS cannot filter Describe* by tag: list and read each TagList.
    for await (const page of paginateDescribeDBInstances({ client: this.rds, pageSize: 100 }, {})) {
      for (const instance of page.DBInstances ?? []) {
        const tags = fromTagList(instance.TagList);
        if (!instance.DBInstanceIdentifier || !isDrill(tags)) continue;
        found.push({
          kind: 'rds-instance',
          id: instance.DBInstanceIdentifier,
          region: this.region,
          status: instance.DBInstanceStatus ?? 'unknown',
          tags,
          clusterId: instance.DBClusterIdentifier ?? null,
        });
      }
    }
    for await (const page of paginateDescribeDBClusters({ client: this.rds, pageSize: 100 }, {})) {
      for (const cluster of page.DBClusters ?? []) {
        const tags = fromTagList(cluster.TagList);
        if (cluster.DBClusterIdentifier && isDrill(tags)) {
          found.push({ kind: 'aurora-cluster', id: cluster.DBClusterIdentifier, region: this.region, status: cluster.Status ?? 'unknown', tags, clusterId: null });
        }
      }
    }
    return found;
  }

  async deleteDrillResource(resource: DrillResource): Promise<void> {
    // Defence in depth behind the IAM conditions: only ever delete what a drill of ours made.
    if (!resource.tags[TAG.stack] || !resource.tags[TAG.drillId]) throw new Error(`refusing to delete ${resource.kind} ${resource.id}: it carries no drill tags of ours`);
    try {
      if (resource.kind === 'ebs-volume') {
        await this.ec2.send(new DeleteVolumeCommand({ VolumeId: resource.id }));
      } else if (resource.kind === 'rds-instance') {
        // Aurora members have no snapshot or backups of their own: the cluster holds them.
        await this.rds.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: resource.id,
            ...(resource.clusterId ? {} : { SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
          }),
        );
      } else {
        await this.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: resource.id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
      }
    } catch (error) {
      if (isError(error, ...NOT_FOUND)) return;
      if (isError(error, ...REFUSED_FOR_STATE)) throw new CleanupPendingError(`${resource.kind} ${resource.id} cannot be deleted while ${resource.status}`, { cause: error });
      throw error;
    }
  }
}
