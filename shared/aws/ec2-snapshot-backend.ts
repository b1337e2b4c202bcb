import {
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  DescribeSnapshotsCommand,
  paginateDescribeInstances,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  type EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import type { Plan, ResourceType } from '../domain/plan-schema.js';
import { isDrillRestore } from '../domain/plan-selection.js';
import { fromTagList, TAG, toTagList } from '../domain/recovery-point-tags.js';
import type { ProtectedResource, SnapshotBackend } from '../use-cases/create-snapshots.js';

const PAGE_SIZE = 500;
/** DescribeSnapshots pages hold up to 1,000: fewer calls for a slot of thousands of resources. */
const SNAPSHOT_PAGE_SIZE = 1000;
const SNAPSHOTTABLE_INSTANCE_STATES = ['running', 'stopping', 'stopped'];

function selectionFilter(plan: Plan): Filter {
  return { Name: `tag:${plan.selection.tagKey}`, Values: plan.selection.tagValues };
}

/** EBS volumes (CreateSnapshot) and EC2 instances (CreateSnapshots, crash-consistent across volumes). */
export class Ec2SnapshotBackend implements SnapshotBackend {
  readonly resourceTypes: readonly ResourceType[] = ['ebs-volume', 'ec2-instance'];

  /**
   * `creates` sends CreateSnapshot(s). EC2 takes no client token for them: a create the SDK sent again after
   * a lost answer (a 500, a timeout) could make a second snapshot of the slot. Give it a client that does
   * not retry (maxAttempts 1); the use case retries instead, after looking for the slot's snapshot.
   */
  constructor(
    private readonly ec2: EC2Client,
    private readonly creates: EC2Client = ec2,
  ) {}

  async findResources(plan: Plan, types: readonly ResourceType[]): Promise<ProtectedResource[]> {
    const found: ProtectedResource[] = [];
    if (types.includes('ebs-volume')) {
      const pages = paginateDescribeVolumes({ client: this.ec2, pageSize: PAGE_SIZE }, { Filters: [selectionFilter(plan)] });
      for await (const page of pages) {
        for (const volume of page.Volumes ?? []) {
          const tags = fromTagList(volume.Tags);
          if (!volume.VolumeId || isDrillRestore(tags)) continue;
          found.push({
            type: 'ebs-volume',
            id: volume.VolumeId,
            tags,
            coveredBy: (volume.Attachments ?? []).flatMap((attachment) => (attachment.InstanceId ? [attachment.InstanceId] : [])),
            ...(volume.State === 'error' ? { notReadyReason: 'volume is in state error' } : {}),
          });
        }
      }
    }
    if (types.includes('ec2-instance')) {
      const pages = paginateDescribeInstances(
        { client: this.ec2, pageSize: PAGE_SIZE },
        { Filters: [selectionFilter(plan), { Name: 'instance-state-name', Values: ['pending', ...SNAPSHOTTABLE_INSTANCE_STATES] }] },
      );
      for await (const page of pages) {
        for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
          const tags = fromTagList(instance.Tags);
          if (!instance.InstanceId || isDrillRestore(tags)) continue;
          const state = instance.State?.Name ?? 'unknown';
          const volumeCount = (instance.BlockDeviceMappings ?? []).filter((mapping) => mapping.Ebs?.VolumeId).length;
          found.push({
            type: 'ec2-instance',
            id: instance.InstanceId,
            tags,
            ...(volumeCount ? { volumeCount } : {}),
            // Only pending is listed besides the snapshottable states: it passes by itself within seconds.
            ...(SNAPSHOTTABLE_INSTANCE_STATES.includes(state) ? {} : { notReadyReason: `instance is ${state}`, notReadyKind: 'transient' as const }),
          });
        }
      }
    }
    return found;
  }

  async findSlotRecoveryPoints(query: { stack: string; planId: string; slot: string }): Promise<Map<string, string[]>> {
    const byResource = new Map<string, string[]>();
    const pages = paginateDescribeSnapshots(
      { client: this.ec2, pageSize: SNAPSHOT_PAGE_SIZE },
      {
        OwnerIds: ['self'],
        Filters: [
          { Name: `tag:${TAG.stack}`, Values: [query.stack] },
          { Name: `tag:${TAG.plan}`, Values: [query.planId] },
          { Name: `tag:${TAG.slot}`, Values: [query.slot] },
          // An errored snapshot is not a recovery point: the slot may be taken again.
          { Name: 'status', Values: ['pending', 'completed'] },
        ],
      },
    );
    for await (const page of pages) {
      for (const snapshot of page.Snapshots ?? []) {
        const resourceId = fromTagList(snapshot.Tags)[TAG.resourceId];
        if (!resourceId || !snapshot.SnapshotId) continue;
        byResource.set(resourceId, [...(byResource.get(resourceId) ?? []), snapshot.SnapshotId]);
      }
    }
    return byResource;
  }

  async findSlotRecoveryPoint(query: { stack: string; planId: string; slot: string; resourceId: string }): Promise<string[]> {
    const result = await this.ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [
          { Name: `tag:${TAG.stack}`, Values: [query.stack] },
          { Name: `tag:${TAG.plan}`, Values: [query.planId] },
          { Name: `tag:${TAG.slot}`, Values: [query.slot] },
          { Name: `tag:${TAG.resourceId}`, Values: [query.resourceId] },
          { Name: 'status', Values: ['pending', 'completed'] },
        ],
      }),
    );
    return (result.Snapshots ?? []).flatMap((snapshot) => (snapshot.SnapshotId ? [snapshot.SnapshotId] : []));
  }

  async createRecoveryPoint(
    resource: ProtectedResource,
    request: { planId: string; slot: Date; tags: Record<string, string> },
  ): Promise<{ snapshotIds: string[]; existed: boolean }> {
    const Description = `backup-orchestrator plan ${request.planId} ${resource.id} slot ${request.tags[TAG.slot]}`;
    const TagSpecifications = [{ ResourceType: 'snapshot' as const, Tags: toTagList(request.tags) }];
    if (resource.type === 'ec2-instance') {
      const result = await this.creates.send(
        new CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: resource.id, ExcludeBootVolume: false },
          Description,
          TagSpecifications,
        }),
      );
      return { snapshotIds: (result.Snapshots ?? []).flatMap((snapshot) => (snapshot.SnapshotId ? [snapshot.SnapshotId] : [])), existed: false };
    }
    const result = await this.creates.send(new CreateSnapshotCommand({ VolumeId: resource.id, Description, TagSpecifications }));
    return { snapshotIds: result.SnapshotId ? [result.SnapshotId] : [], existed: false };
  }
}
