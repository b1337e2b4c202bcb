import {
  CopySnapshotCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  paginateDescribeSnapshots,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { copyServiceOf, rdsCopyIdentifier, type CopyService } from '../domain/copies.js';
import { TAG, toTagList, type Tags } from '../domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../domain/recovery-points.js';
import { fromEbsSnapshot, fromRdsClusterSnapshot, fromRdsSnapshot, isSnapshotNotFound } from './stored-snapshot.js';
import type { CompletedSnapshotRef } from '../domain/snapshot-completion-event.js';
import type { CopyBackend, StartCopyRequest, StartedCopy } from '../use-cases/copy-snapshots.js';
import { SnapshotCatalog } from './snapshot-catalog.js';

/** SDK clients for any Region: copies are requested in the destination, sources are read in the primary. */
export interface RegionalClients {
  ec2(region: string): EC2Client;
  rds(region: string): RDSClient;
  /**
   * Sends CopySnapshot (default: `ec2`). EC2 takes no client token for it: a copy the SDK sent again after a
   * lost answer (a 500, a timeout) could start a second copy. Give a client that does not retry (maxAttempts 1);
   * the use case retries instead, after looking for the copy. RDS copies have deterministic identifiers.
   */
  ec2Copies?(region: string): EC2Client;
}

/** The copy's RDS identifier is taken, but not by our copy of this source: never treat that as done. */
export class CopyIdentifierConflictError extends Error {
  override readonly name = 'CopyIdentifierConflictError';
}

/** EC2 takes up to 200 values in one DescribeSnapshots filter. */
const FILTER_VALUES_PER_CALL = 200;
const errorName = (error: unknown) => (error as { name?: string })?.name ?? '';
/** A copy of ours still being made (it carries the source tag only copies carry). */
const isInFlightCopy = (snapshot: StoredSnapshot) => snapshot.state === 'pending' && TAG.sourceSnapshotId in snapshot.tags;
const ALREADY_EXISTS = /^DB(Cluster)?SnapshotAlreadyExists(Fault)?$/;

/**
 * EBS CopySnapshot and RDS CopyDBSnapshot / CopyDBClusterSnapshot, each sent by a client in the destination
 * Region with SourceRegion set, so the SDK presigns the source-Region request; tags go on at creation.
 */
export class AwsCopyBackend implements CopyBackend {
  constructor(private readonly clients: RegionalClients) {}

  listOurs(region: string, stack: string): Promise<StoredSnapshot[]> {
    return new SnapshotCatalog(this.clients.ec2(region), this.clients.rds(region), region).listOurs({ stack });
  }

  /** Our copies still pending in a Region: EBS by server-side filters (one call), RDS by listing its manual snapshots. */
  listInFlight(region: string, stack: string, services: ReadonlySet<CopyService>): Promise<StoredSnapshot[]> {
    return this.listCopies(region, stack, services, []);
  }

  /**
   * Our copies (any state, any attempt) of these sources in a Region: EBS by tag filter, 200 sources to a
   * call; RDS by the source tag on our manual snapshots (RDS cannot filter by tag), so a copy redone under
   * attempt 2's identifier is found as well as attempt 1's.
   */
  listCopiesOf(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    return this.listCopies(region, stack, new Set(), sources);
  }

  /** Both of the above for one copy batch: the in-flight copies of the services its sources need, and their copies. */
  listDestination(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    return this.listCopies(region, stack, new Set(sources.map((source) => copyServiceOf(source.kind))), sources);
  }

  /**
   * Our copies in flight for `inFlight`'s services and our copies of `sources`, each snapshot once. RDS is listed
   * once for both, since it cannot filter by tag: its in-flight copies and the sources' copies share its pages.
   */
  private async listCopies(region: string, stack: string, inFlight: ReadonlySet<CopyService>, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    const rdsSources = new Set(sources.filter((source) => copyServiceOf(source.kind) === 'rds').map((source) => source.id));
    const [ebsInFlight, ebsCopies, rds] = await Promise.all([
      inFlight.has('ebs') ? this.ebsInFlight(region, stack) : [],
      this.ebsCopiesOf(region, stack, sources),
      inFlight.has('rds') || rdsSources.size ? this.rdsOurs(region, stack) : [],
    ]);
    const rdsWanted = rds.filter((snapshot) => (inFlight.has('rds') && isInFlightCopy(snapshot)) || rdsSources.has(snapshot.tags[TAG.sourceSnapshotId] ?? ''));
    return [...new Map([...ebsInFlight, ...ebsCopies, ...rdsWanted].map((snapshot) => [snapshot.id, snapshot])).values()];
  }

  private async ebsInFlight(region: string, stack: string): Promise<StoredSnapshot[]> {
    const Filters = [
      { Name: `tag:${TAG.stack}`, Values: [stack] },
      { Name: 'tag-key', Values: [TAG.sourceSnapshotId] },
      { Name: 'status', Values: ['pending'] },
    ];
    const found: StoredSnapshot[] = [];
    for await (const page of paginateDescribeSnapshots({ client: this.clients.ec2(region), pageSize: 1000 }, { OwnerIds: ['self'], Filters })) {
      for (const snapshot of page.Snapshots ?? []) found.push(fromEbsSnapshot(snapshot, region));
    }
    return found;
  }

  private async ebsCopiesOf(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    const ids = sources.filter((source) => source.kind === 'ebs').map((source) => source.id);
    const found: StoredSnapshot[] = [];
    for (let start = 0; start < ids.length; start += FILTER_VALUES_PER_CALL) {
      const Filters = [
        { Name: `tag:${TAG.stack}`, Values: [stack] },
        { Name: `tag:${TAG.sourceSnapshotId}`, Values: ids.slice(start, start + FILTER_VALUES_PER_CALL) },
      ];
      for await (const page of paginateDescribeSnapshots({ client: this.clients.ec2(region), pageSize: 1000 }, { OwnerIds: ['self'], Filters })) {
        for (const snapshot of page.Snapshots ?? []) found.push(fromEbsSnapshot(snapshot, region));
      }
    }
    return found;
  }

  /** Our RDS instance and cluster snapshots in a Region (the catalog lists both kinds' manual snapshots). */
  private rdsOurs(region: string, stack: string): Promise<StoredSnapshot[]> {
    return new SnapshotCatalog(this.clients.ec2(region), this.clients.rds(region), region).listOurs({ stack, kinds: ['rds'] });
  }

  /**
   * EBS snapshots by a `snapshot-id` filter, 200 values to a call (SnapshotIds would fail the whole call for
   * one snapshot deleted meanwhile); RDS snapshots one by one (they are few).
   */
  async describeMany(region: string, refs: readonly CompletedSnapshotRef[]): Promise<StoredSnapshot[]> {
    const found: StoredSnapshot[] = [];
    const ebs = [...new Set(refs.filter((ref) => ref.kind === 'ebs').map((ref) => ref.id))];
    for (let start = 0; start < ebs.length; start += FILTER_VALUES_PER_CALL) {
      const Filters = [{ Name: 'snapshot-id', Values: ebs.slice(start, start + FILTER_VALUES_PER_CALL) }];
      for await (const page of paginateDescribeSnapshots({ client: this.clients.ec2(region), pageSize: 1000 }, { OwnerIds: ['self'], Filters })) {
        for (const snapshot of page.Snapshots ?? []) found.push(fromEbsSnapshot(snapshot, region));
      }
    }
    for (const ref of refs.filter((candidate) => candidate.kind !== 'ebs')) {
      const snapshot = await this.describe(region, ref);
      if (snapshot) found.push(snapshot);
    }
    return found;
  }

  async describe(region: string, ref: CompletedSnapshotRef): Promise<StoredSnapshot | undefined> {
    try {
      if (ref.kind === 'ebs') {
        const result = await this.clients.ec2(region).send(new DescribeSnapshotsCommand({ SnapshotIds: [ref.id] }));
        const snapshot = result.Snapshots?.[0];
        return snapshot ? fromEbsSnapshot(snapshot, region) : undefined;
      }
      if (ref.kind === 'rds-instance') {
        const result = await this.clients.rds(region).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: ref.id }));
        const snapshot = result.DBSnapshots?.[0];
        return snapshot ? fromRdsSnapshot(snapshot, region) : undefined;
      }
      const result = await this.clients.rds(region).send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: ref.id }));
      const snapshot = result.DBClusterSnapshots?.[0];
      return snapshot ? fromRdsClusterSnapshot(snapshot, region) : undefined;
    } catch (error) {
      if (isSnapshotNotFound(error)) return undefined;
      throw error;
    }
  }

  async startCopy(request: StartCopyRequest): Promise<StartedCopy> {
    const { source, region, tags } = request;
    const kms = request.encrypted && request.kmsKeyArn ? { KmsKeyId: request.kmsKeyArn } : {};
    if (source.kind === 'ebs') {
      const result = await (this.clients.ec2Copies?.(region) ?? this.clients.ec2(region)).send(
        new CopySnapshotCommand({
          SourceRegion: source.region,
          SourceSnapshotId: source.id,
          Description: `backup-orchestrator copy of ${source.id} from ${source.region} (plan ${tags[TAG.plan] ?? ''}, slot ${tags[TAG.slot] ?? ''})`,
          ...(request.encrypted ? { Encrypted: true, ...kms } : {}),
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: toTagList(tags) }],
        }),
      );
      if (!result.SnapshotId) throw new Error(`CopySnapshot of ${source.id} to ${region} returned no snapshot id`);
      return { copyId: result.SnapshotId, existed: false };
    }

    // Cross-Region RDS copies name their source by ARN (and the SDK presigns from SourceRegion).
    if (!source.arn) throw new Error(`RDS snapshot ${source.id} has no ARN; a cross-Region copy needs it`);
    const identifier = rdsCopyIdentifier(source.id, request.attempt, source.kind === 'rds-cluster' ? 'cluster' : 'instance');
    const common = { ...kms, SourceRegion: source.region, Tags: toTagList(tags), CopyTags: false };
    try {
      if (source.kind === 'rds-cluster') {
        await this.clients.rds(region).send(
          new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: source.arn, TargetDBClusterSnapshotIdentifier: identifier, ...common }),
        );
      } else {
        const optionGroup = await this.optionGroupFor(source);
        await this.clients.rds(region).send(
          new CopyDBSnapshotCommand({
            SourceDBSnapshotIdentifier: source.arn,
            TargetDBSnapshotIdentifier: identifier,
            ...common,
            ...(optionGroup ? { OptionGroupName: optionGroup } : {}),
          }),
        );
      }
      return { copyId: identifier, existed: false };
    } catch (error) {
      if (!ALREADY_EXISTS.test(errorName(error))) throw error;
      await this.confirmOurCopy(region, source, identifier, tags);
      return { copyId: identifier, existed: true };
    }
  }

  async deleteCopy(copy: StoredSnapshot): Promise<void> {
    if (copy.kind === 'ebs') await this.clients.ec2(copy.region).send(new DeleteSnapshotCommand({ SnapshotId: copy.id }));
    else if (copy.kind === 'rds-instance') await this.clients.rds(copy.region).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: copy.id }));
    else await this.clients.rds(copy.region).send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: copy.id }));
  }

  async tagCopy(copy: StoredSnapshot, tags: Tags): Promise<void> {
    if (copy.kind === 'ebs') {
      await this.clients.ec2(copy.region).send(new CreateTagsCommand({ Resources: [copy.id], Tags: toTagList(tags) }));
      return;
    }
    if (!copy.arn) throw new Error(`RDS snapshot ${copy.id} has no ARN to tag`);
    await this.clients.rds(copy.region).send(new AddTagsToResourceCommand({ ResourceName: copy.arn, Tags: toTagList(tags) }));
  }

  /**
   * A snapshot of an instance with a non-default option group (e.g. Oracle or SQL Server TDE) needs an
   * option group in the destination: the one of the same name, which the DR Region is expected to hold.
   */
  private async optionGroupFor(source: StoredSnapshot): Promise<string | undefined> {
    const result = await this.clients.rds(source.region).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: source.id }));
    const name = result.DBSnapshots?.[0]?.OptionGroupName;
    return name && !name.startsWith('default:') ? name : undefined;
  }

  private async confirmOurCopy(region: string, source: StoredSnapshot, identifier: string, tags: Tags): Promise<void> {
    const existing = await this.describe(region, { kind: source.kind, id: identifier });
    if (!existing || existing.tags[TAG.stack] !== tags[TAG.stack] || existing.tags[TAG.sourceSnapshotId] !== source.id) {
      throw new CopyIdentifierConflictError(`snapshot identifier ${identifier} is already taken in ${region}, but not by this stack's copy of ${source.id}`);
    }
  }
}
