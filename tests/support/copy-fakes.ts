import type { KeyDescription } from '../../shared/domain/copies.js';
import type { PlansConfig } from '../../shared/domain/plan-schema.js';
import { parsePlansFile } from '../../shared/domain/plans-file.js';
import { TAG, type Tags } from '../../shared/domain/recovery-point-tags.js';
import type { SnapshotKind, StoredSnapshot } from '../../shared/domain/recovery-points.js';
import type { CompletedSnapshotRef } from '../../shared/domain/snapshot-completion-event.js';
import type { CopyBackend, KeyInspector, StartCopyRequest, StartedCopy } from '../../shared/use-cases/copy-snapshots.js';

export const STACK = 'backup-orchestrator-test';
export const PRIMARY = 'eu-west-1';

/**
 * gold copies to eu-central-1 (alias key) and us-east-1 (unencrypted); silver to eu-north-1 (key by id);
 * bronze has no copies; tin runs on Data Lifecycle Manager, which copies its snapshots itself.
 */
export function copyPlans(): PlansConfig {
  return parsePlansFile(
    `
version: 1
primaryRegion: ${PRIMARY}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, ec2-instance, rds-instance, aurora-cluster] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
    copies:
      - region: eu-central-1
        kmsKeyId: alias/backup-dr
      - region: us-east-1
        encrypted: false
  - id: silver
    selection: { resourceTypes: [ebs-volume, rds-instance] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
    copies:
      - region: eu-north-1
        kmsKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab
  - id: bronze
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
  - id: tin
    engine: dlm
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 36h
    rto: 4h
    retention: { count: 7 }
    copies:
      - region: eu-central-1
        kmsKeyId: arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555
        retention: { maxAge: 7d }
`,
    'copy-plans.yml',
  );
}

let counter = 0;

/** A snapshot as create-snapshots leaves it in the primary Region. */
export function sourceSnapshot(options: {
  id?: string;
  kind?: SnapshotKind;
  planId?: string;
  resourceId?: string;
  slot?: string;
  state?: StoredSnapshot['state'];
  encrypted?: boolean;
  tags?: Tags;
}): StoredSnapshot {
  const kind = options.kind ?? 'ebs';
  counter += 1;
  const id = options.id ?? (kind === 'ebs' ? `snap-${String(counter).padStart(17, '0')}` : `bo-${options.planId ?? 'gold'}-db${counter}-20261126-1100`);
  const state = options.state ?? 'completed';
  return {
    kind,
    id,
    ...(kind === 'ebs' ? {} : { arn: `arn:aws:rds:${PRIMARY}:123456789012:${kind === 'rds-cluster' ? 'cluster-snapshot' : 'snapshot'}:${id}` }),
    region: PRIMARY,
    state,
    status: state === 'completed' ? (kind === 'ebs' ? 'completed' : 'available') : state,
    startTime: new Date('2026-11-26T11:00:05Z'),
    ...(options.encrypted !== undefined ? { encrypted: options.encrypted } : {}),
    tags: {
      Name: 'web-data',
      [TAG.stack]: STACK,
      [TAG.plan]: options.planId ?? 'gold',
      [TAG.resourceId]: options.resourceId ?? `vol-${counter}`,
      [TAG.resourceType]: kind === 'ebs' ? 'ebs-volume' : kind === 'rds-cluster' ? 'aurora-cluster' : 'rds-instance',
      [TAG.slot]: options.slot ?? '2026-11-26T11:00Z',
      ...options.tags,
    },
  };
}

export function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

/**
 * EC2 and RDS in every Region, in memory: copies start pending (or completed, like moto), RDS copies
 * keep their deterministic identifier, and any call can be made to fail on demand.
 */
export class FakeCopyBackend implements CopyBackend {
  readonly regions = new Map<string, StoredSnapshot[]>();
  readonly starts: StartCopyRequest[] = [];
  readonly deleted: string[] = [];
  readonly tagged: Array<{ id: string; tags: Tags }> = [];
  readonly listings: string[] = [];
  /** Errors thrown by the next startCopy calls, in order (undefined lets a call through). */
  readonly startFailures: Array<Error | undefined> = [];
  readonly unlistable = new Set<string>();
  /** The ids of each batched look-up (describeMany), in order. */
  readonly lookUps: string[][] = [];
  /** Snapshot ids whose look-up fails (the whole call that names one throws, as a real call would). */
  readonly unreadable = new Map<string, Error>();
  copiesComplete = false;
  private sequence = 0;

  add(...snapshots: StoredSnapshot[]): this {
    for (const snapshot of snapshots) this.in(snapshot.region).push(snapshot);
    return this;
  }

  in(region: string): StoredSnapshot[] {
    let list = this.regions.get(region);
    if (!list) {
      list = [];
      this.regions.set(region, list);
    }
    return list;
  }

  async listOurs(region: string, stack: string): Promise<StoredSnapshot[]> {
    this.listings.push(region);
    if (this.unlistable.has(region)) throw awsError('UnauthorizedOperation', 403);
    return this.in(region)
      .filter((snapshot) => snapshot.tags[TAG.stack] === stack)
      .map((snapshot) => ({ ...snapshot, tags: { ...snapshot.tags } }));
  }

  async describe(region: string, ref: CompletedSnapshotRef): Promise<StoredSnapshot | undefined> {
    const found = this.in(region).find((snapshot) => snapshot.id === ref.id && snapshot.kind === ref.kind);
    return found ? { ...found, tags: { ...found.tags } } : undefined;
  }

  async describeMany(region: string, refs: readonly CompletedSnapshotRef[]): Promise<StoredSnapshot[]> {
    this.lookUps.push(refs.map((ref) => ref.id));
    const failure = refs.map((ref) => this.unreadable.get(ref.id)).find(Boolean);
    if (failure) throw failure;
    const found: StoredSnapshot[] = [];
    for (const ref of refs) {
      const snapshot = await this.describe(region, ref);
      if (snapshot) found.push(snapshot);
    }
    return found;
  }

  async startCopy(request: StartCopyRequest): Promise<StartedCopy> {
    this.starts.push(request);
    const failure = this.startFailures.shift();
    if (failure) throw failure;
    const { source } = request;
    this.sequence += 1;
    const id = source.kind === 'ebs' ? `snap-copy${String(this.sequence).padStart(12, '0')}` : `${source.id}${request.attempt > 1 ? `-r${request.attempt}` : ''}`;
    const existing = this.in(request.region).find((snapshot) => snapshot.id === id);
    if (existing) return { copyId: id, existed: true };
    const state = this.copiesComplete ? 'completed' : 'pending';
    this.in(request.region).push({
      kind: source.kind,
      id,
      ...(source.kind === 'ebs' ? {} : { arn: `arn:aws:rds:${request.region}:123456789012:snapshot:${id}` }),
      region: request.region,
      state,
      status: state,
      encrypted: request.encrypted,
      ...(request.kmsKeyArn ? { kmsKeyId: request.kmsKeyArn } : {}),
      tags: { ...request.tags },
    });
    return { copyId: id, existed: false };
  }

  async deleteCopy(copy: StoredSnapshot): Promise<void> {
    this.deleted.push(copy.id);
    const list = this.in(copy.region);
    const index = list.findIndex((snapshot) => snapshot.id === copy.id);
    if (index >= 0) list.splice(index, 1);
  }

  async tagCopy(copy: StoredSnapshot, tags: Tags): Promise<void> {
    this.tagged.push({ id: copy.id, tags });
    const found = this.in(copy.region).find((snapshot) => snapshot.id === copy.id);
    if (found) Object.assign(found.tags, tags);
  }

  /** Copies of `sourceId` in `region`, as the service holds them now. */
  copiesOf(region: string, sourceId: string): StoredSnapshot[] {
    return this.in(region).filter((snapshot) => snapshot.tags[TAG.sourceSnapshotId] === sourceId);
  }

  /** The copy pump's look-ups: our pending copies in a Region, and our copies of some sources. */
  async listInFlight(region: string, stack: string): Promise<StoredSnapshot[]> {
    this.listings.push(region);
    if (this.unlistable.has(region)) throw awsError('UnauthorizedOperation', 403);
    return this.in(region).filter((snapshot) => snapshot.tags[TAG.stack] === stack && TAG.sourceSnapshotId in snapshot.tags && snapshot.state === 'pending');
  }

  async listCopiesOf(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    const ids = new Set(sources.map((source) => source.id));
    return this.in(region).filter((snapshot) => snapshot.tags[TAG.stack] === stack && ids.has(snapshot.tags[TAG.sourceSnapshotId] ?? ''));
  }

  /** A copy batch's look-up: both of the above, counted as one listing, each snapshot once. */
  async listDestination(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]> {
    const found = [...(await this.listInFlight(region, stack)), ...(await this.listCopiesOf(region, stack, sources))];
    return [...new Map(found.map((snapshot) => [snapshot.id, snapshot])).values()];
  }

  /** Marks every copy in a Region with this state (e.g. the copies finished transferring). */
  settle(region: string, state: StoredSnapshot['state']): void {
    for (const snapshot of this.in(region)) if (TAG.sourceSnapshotId in snapshot.tags) Object.assign(snapshot, { state, status: state });
  }
}

/** DescribeKey answers by (Region, key id as written in the plan); counts every call. */
export class FakeKeys implements KeyInspector {
  readonly calls: string[] = [];
  readonly keys = new Map<string, KeyDescription>([
    ['eu-central-1|alias/backup-dr', { found: true, arn: 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555', keyState: 'Enabled', keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT' }],
    ['eu-north-1|1234abcd-12ab-34cd-56ef-1234567890ab', { found: true, arn: 'arn:aws:kms:eu-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', keyState: 'Enabled' }],
  ]);

  async describeKey(region: string, keyId: string): Promise<KeyDescription> {
    this.calls.push(`${region}|${keyId}`);
    return this.keys.get(`${region}|${keyId}`) ?? { found: false, reason: `it does not exist in ${region}` };
  }
}
