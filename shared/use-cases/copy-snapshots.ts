import {
  copyAttemptOf,
  copyServiceOf,
  copyTags,
  isCopy,
  isCopyLimitError,
  keyProblem,
  type CopyService,
  type CopySettings,
  type KeyDescription,
} from '../domain/copies.js';
import { classifyFailure, mayHaveTakenEffect } from '../domain/failure-classification.js';
import type { CopyRule, Plan, PlansConfig } from '../domain/plan-schema.js';
import { TAG, type Tags } from '../domain/recovery-point-tags.js';
import type { SnapshotKind, StoredSnapshot } from '../domain/recovery-points.js';
import type { PointState } from '../domain/retention-planner.js';
import type { CompletedSnapshotRef, SnapshotCompletion } from '../domain/snapshot-completion-event.js';
import { retryTransient, type TransientRetry } from './retry-transient.js';

const NO_RETRY: TransientRetry = { attempts: 1, baseDelayMs: 0, sleep: async () => undefined };

/** Runs one call of the copy use cases with their retry settings. */
export function withRetry<T>(deps: Pick<CopyDeps, 'retry'>, call: () => Promise<T>): Promise<T> {
  return retryTransient(call, deps.retry ?? NO_RETRY);
}

export interface StartCopyRequest {
  source: StoredSnapshot;
  /** Destination Region: the copy is requested there, from the source's Region. */
  region: string;
  encrypted: boolean;
  /** Key ARN in the destination, as the preflight resolved it (aliases pinned to the key they name now). */
  kmsKeyArn?: string;
  tags: Tags;
  attempt: number;
}

export interface StartedCopy {
  copyId: string;
  /** True when our copy was already there (an RDS copy's deterministic identifier was taken by it). */
  existed: boolean;
}

/** What a start leaves as its claim's answer: the copy, or why it may have started but could not be found. */
type ClaimedStart = StartedCopy & { uncertain?: string };

/**
 * Starts an EBS copy within the retry budget. CopySnapshot takes no client token, so after a failure that may
 * have taken effect (a 5xx, a timeout) our copies of the source in the destination are looked up before any
 * resend; a throttle, which certainly did not, is resent without a look.
 */
async function startEbsCopy(deps: CopyDeps, request: StartCopyRequest): Promise<ClaimedStart> {
  const retry = deps.retry ?? NO_RETRY;
  const { source, region, attempt } = request;
  for (let tryNo = 1; ; tryNo += 1) {
    try {
      return await deps.backend.startCopy(request);
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind !== 'transient') throw error;
      const delay = retry.baseDelayMs * 2 ** (tryNo - 1);
      if (!mayHaveTakenEffect(failure)) {
        if (tryNo >= retry.attempts) throw error;
        await retry.sleep(delay);
        continue;
      }
      // Give DescribeSnapshots time to show a copy EC2 did start.
      await retry.sleep(delay);
      let copies: StoredSnapshot[];
      try {
        copies = await withRetry(deps, () => deps.backend.listCopiesOf(region, deps.stack, [source]));
      } catch (lookupError) {
        const lookup = classifyFailure(lookupError);
        return {
          copyId: '',
          existed: false,
          uncertain:
            `${failure.name}: ${failure.message}; the copy may have started and looking for it in ${region} failed (${lookup.name}: ${lookup.message}), ` +
            'so CopySnapshot was not sent again and no second copy can start; the reconciler lists the copies first',
        };
      }
      const started = copies.find(
        (copy) => copy.tags[TAG.sourceSnapshotId] === source.id && copy.tags[TAG.sourceRegion] === source.region && copyAttemptOf(copy) === attempt,
      );
      if (started) return { copyId: started.id, existed: false };
      if (tryNo >= retry.attempts) throw error;
    }
  }
}

/** What the EC2/RDS adapters offer the copy use cases, in any Region. */
export interface CopyBackend {
  /** Every snapshot of this stack in a Region (sources in the primary, copies in a DR Region): one listing. */
  listOurs(region: string, stack: string): Promise<StoredSnapshot[]>;
  /** One snapshot with its tags, or undefined when it does not exist (any more). */
  describe(region: string, ref: CompletedSnapshotRef): Promise<StoredSnapshot | undefined>;
  /**
   * Those of `refs` that exist, with their tags, in as few calls as the service allows (EBS: one filtered
   * DescribeSnapshots for up to DESCRIBE_BATCH snapshots); snapshots that do not exist are left out.
   */
  describeMany(region: string, refs: readonly CompletedSnapshotRef[]): Promise<StoredSnapshot[]>;
  startCopy(request: StartCopyRequest): Promise<StartedCopy>;
  deleteCopy(copy: StoredSnapshot): Promise<void>;
  tagCopy(copy: StoredSnapshot, tags: Tags): Promise<void>;
  /** The copy pump's cheap look-ups: only our pending copies in a Region, and our copies of some sources. */
  listInFlight(region: string, stack: string, services: ReadonlySet<CopyService>): Promise<StoredSnapshot[]>;
  listCopiesOf(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]>;
  /**
   * A copy batch's look-up of a destination Region: our copies in flight there for the services these sources
   * need, and our copies of these sources, each snapshot once, each listing made once.
   */
  listDestination(region: string, stack: string, sources: readonly StoredSnapshot[]): Promise<StoredSnapshot[]>;
}

/** A copy that found no free slot, waiting for the copy pump (an SQS queue in the stack). */
export interface BacklogCopy {
  planId: string;
  region: string;
  attempt: number;
  source: StoredSnapshot;
}

export interface CopyBacklog {
  add(copy: BacklogCopy): Promise<void>;
}

/** A copy rule's key as KMS describes it; throws when KMS gave no answer about the key (a throttle, a 5xx, no connection). */
export interface KeyInspector {
  describeKey(region: string, keyId: string): Promise<KeyDescription>;
}

export interface CopyDeps {
  stack: string;
  plans: PlansConfig;
  backend: CopyBackend;
  keys: KeyInspector;
  settings: CopySettings;
  /** Wraps each EBS copy so that concurrent duplicates cannot both start one (e.g. a DynamoDB claim). */
  guard?: <T>(key: string, start: () => Promise<T>) => Promise<T>;
  /** Where a copy that finds no free slot waits for the copy pump; without it, the reconciler starts it later. */
  backlog?: CopyBacklog;
  /** Tries per EC2/RDS call after a transient failure; one by default (the failure defers the copy to a later run). */
  retry?: TransientRetry;
  onProgress?: (outcome: CopyOutcome) => void;
}

interface OutcomeBase {
  planId: string;
  sourceId: string;
  kind: SnapshotKind;
  region: string;
}

export type CopyOutcome =
  | (OutcomeBase & { status: 'started'; copyId: string; attempt: number; replaces?: string[]; notDeleted?: string[] })
  | (OutcomeBase & { status: 'already-copied'; copyId: string; state: PointState })
  | (OutcomeBase & { status: 'deferred'; reason: string; transient?: true })
  | (OutcomeBase & { status: 'blocked'; reason: string })
  | (OutcomeBase & { status: 'failed'; errorName: string; reason: string })
  | (OutcomeBase & { status: 'skipped'; reason: string });

/** A destination key that cannot be used: reported once per plan and Region, whatever the number of snapshots. */
export interface CopyProblem {
  planId: string;
  region: string;
  kmsKeyId: string;
  message: string;
}

const SERVICE_NAME: Record<CopyService, string> = { ebs: 'EBS', rds: 'RDS' };

/** The KMS preflight's answer: the key to encrypt with, a problem with the key, or why the key could not be checked now. */
type KeyCheck = { kmsKeyArn?: string } | { problem: string } | { unchecked: string };

/** Our copies already in one destination Region, and how many of them are still in flight per service. */
export class Destination {
  private readonly inFlight: Record<CopyService, number> = { ebs: 0, rds: 0 };
  private readonly fullBecause = new Map<CopyService, string>();

  constructor(
    readonly region: string,
    readonly copies: StoredSnapshot[],
    private readonly limit: number,
  ) {
    for (const copy of copies) if (copy.state === 'pending') this.inFlight[copyServiceOf(copy.kind)] += 1;
  }

  copiesOf(source: Pick<StoredSnapshot, 'id' | 'region'>): StoredSnapshot[] {
    return this.copies.filter((copy) => copy.tags[TAG.sourceSnapshotId] === source.id && copy.tags[TAG.sourceRegion] === source.region);
  }

  /** Why no copy of this service may start now; undefined when one may. */
  noRoom(service: CopyService): string | undefined {
    const full = this.fullBecause.get(service);
    if (full) return full;
    if (this.inFlight[service] >= this.limit) {
      return `${this.inFlight[service]} ${SERVICE_NAME[service]} copies of ours already in flight to ${this.region} (limit ${this.limit}); the reconciler starts it later`;
    }
    return undefined;
  }

  reserve(service: CopyService): void {
    this.inFlight[service] += 1;
  }

  markFull(service: CopyService, reason: string): void {
    this.fullBecause.set(service, reason);
  }

  /** Free slots of ours for this service now (0 once AWS refused a copy). */
  freeSlots(service: CopyService): number {
    return this.fullBecause.has(service) ? 0 : Math.max(0, this.limit - this.inFlight[service]);
  }
}

/**
 * State of one run (one batch of completion events, or one reconcile): one listing per destination, one key check per plan and
 * Region, in-flight counts that grow as copies start. Both copy use cases start copies through it.
 */
export class CopyRun {
  readonly outcomes: CopyOutcome[] = [];
  readonly problems: CopyProblem[] = [];
  private readonly destinations = new Map<string, Promise<Destination>>();
  private readonly keyDescriptions = new Map<string, Promise<KeyDescription>>();
  private readonly keyChecks = new Map<string, Promise<KeyCheck>>();

  constructor(
    private readonly deps: CopyDeps,
    readonly now: Date,
    readonly dryRun: boolean,
  ) {}

  record<T extends CopyOutcome>(outcome: T): T {
    this.outcomes.push(outcome);
    this.deps.onProgress?.(outcome);
    return outcome;
  }

  /** Uses copies the caller listed itself (e.g. only those in flight) as the destination's state in this run. */
  seedDestination(region: string, copies: StoredSnapshot[]): Destination {
    const destination = new Destination(region, copies.filter(isCopy), this.deps.settings.inFlightLimit);
    this.destinations.set(region, Promise.resolve(destination));
    return destination;
  }

  destination(region: string): Promise<Destination> {
    let destination = this.destinations.get(region);
    if (!destination) {
      destination = withRetry(this.deps, () => this.deps.backend.listOurs(region, this.deps.stack))
        .then((snapshots) => new Destination(region, snapshots.filter(isCopy), this.deps.settings.inFlightLimit));
      this.destinations.set(region, destination);
    }
    return destination;
  }

  /**
   * KMS preflight, once per plan and Region in a run, before the first copy there. A DescribeKey that throws
   * (a throttle, a 5xx, no connection: no answer about the key) is no key problem: that Region's copies of the
   * plan are deferred as transient for the rest of the run (asking again at once would only add to a throttle),
   * and the next delivery or run asks again.
   */
  private checkKey(plan: Plan, rule: CopyRule): Promise<KeyCheck> {
    if (!rule.encrypted || !rule.kmsKeyId) return Promise.resolve({});
    const keyId = rule.kmsKeyId;
    const checkKey = `${plan.id}|${rule.region}`;
    let check = this.keyChecks.get(checkKey);
    if (!check) {
      const describeKey = `${rule.region}|${keyId}`;
      let description = this.keyDescriptions.get(describeKey);
      if (!description) {
        description = this.deps.keys.describeKey(rule.region, keyId);
        this.keyDescriptions.set(describeKey, description);
      }
      check = description.then(
        (key) => {
          const problem = keyProblem(plan.id, rule, key);
          if (problem) {
            this.problems.push({ planId: plan.id, region: rule.region, kmsKeyId: keyId, message: problem });
            return { problem };
          }
          return key.found ? { kmsKeyArn: key.arn } : {};
        },
        (error: unknown) => {
          const failure = classifyFailure(error);
          return { unchecked: `cannot check KMS key ${keyId} in ${rule.region} now (DescribeKey failed with ${failure.name}: ${failure.message}), which says nothing about the key; no copy was started, it is tried again` };
        },
      );
      this.keyChecks.set(checkKey, check);
    }
    return check;
  }

  /** A first attempt without a free slot waits in the backlog (redos stay with the reconciler, which knows the errored copies). */
  private async toBacklog(reason: string, copy: BacklogCopy): Promise<string> {
    if (!this.deps.backlog || this.dryRun || copy.attempt !== 1) return reason;
    try {
      await this.deps.backlog.add(copy);
      return reason.replace('the reconciler starts it later', 'queued for the copy pump');
    } catch {
      return reason;
    }
  }

  /**
   * Starts one copy of `source` into the rule's Region, within the in-flight limit; `replaces` are errored
   * copies of the same source, deleted once the new attempt has started. Whatever AWS answers to the copy
   * (its own limit errors included, left for the reconciler) is an outcome; only a destination that cannot
   * be listed at all throws.
   */
  async copy(source: StoredSnapshot, plan: Plan, rule: CopyRule, attempt: number, replaces: StoredSnapshot[] = []): Promise<CopyOutcome> {
    const base: OutcomeBase = { planId: plan.id, sourceId: source.id, kind: source.kind, region: rule.region };
    const key = await this.checkKey(plan, rule);
    if ('problem' in key) return this.record({ ...base, status: 'blocked', reason: `KMS key problem for plan ${plan.id} in ${rule.region}` });
    if ('unchecked' in key) return this.record({ ...base, status: 'deferred', reason: key.unchecked, transient: true });
    if (source.kind !== 'ebs' && source.encrypted && !rule.encrypted) {
      return this.record({
        ...base,
        status: 'failed',
        errorName: 'EncryptedSourceNeedsKey',
        reason: `the RDS snapshot is encrypted, and RDS copies it to another Region only with a key there: give the copy rule for ${rule.region} a kmsKeyId`,
      });
    }
    if (source.kind === 'rds-cluster' && source.encrypted === false && rule.encrypted) {
      return this.record({
        ...base,
        status: 'failed',
        errorName: 'UnencryptedClusterSnapshot',
        reason: `Aurora cannot encrypt an unencrypted cluster snapshot while copying it: encrypt the cluster, or set encrypted: false on the copy rule for ${rule.region}`,
      });
    }
    const destination = await this.destination(rule.region);
    const service = copyServiceOf(source.kind);
    const noRoom = destination.noRoom(service);
    if (noRoom) return this.record({ ...base, status: 'deferred', reason: await this.toBacklog(noRoom, { planId: plan.id, region: rule.region, attempt, source }) });
    if (this.dryRun) {
      destination.reserve(service);
      const what = replaces.length ? `would replace errored copy ${replaces.map((copy) => copy.id).join(', ')} with attempt ${attempt}` : 'would start a copy';
      return this.record({ ...base, status: 'skipped', reason: `dry run: ${what}` });
    }

    const tags = copyTags({ source, attempt, startedAt: this.now });
    let started: ClaimedStart;
    let ran = false;
    try {
      const request: StartCopyRequest = {
        source,
        region: rule.region,
        encrypted: rule.encrypted,
        ...(key.kmsKeyArn ? { kmsKeyArn: key.kmsKeyArn } : {}),
        tags,
        attempt,
      };
      // An RDS copy sent again is refused as already existing; an EBS copy is looked for first.
      const start = (): Promise<ClaimedStart> => {
        ran = true;
        return source.kind === 'ebs' ? startEbsCopy(this.deps, request) : withRetry(this.deps, () => this.deps.backend.startCopy(request));
      };
      // RDS copies have deterministic identifiers; EBS copies need the claim to close the concurrent window.
      const claim = `${rule.region}#${source.region}#${source.id}#${attempt}`;
      started = source.kind === 'ebs' && this.deps.guard ? await this.deps.guard(claim, start) : await start();
    } catch (error) {
      const failure = classifyFailure(error);
      if (isCopyLimitError(failure.name)) {
        const reason = `AWS refused more copies to ${rule.region} (${failure.name}: ${failure.message}); the reconciler starts it later`;
        destination.markFull(service, reason);
        return this.record({ ...base, status: 'deferred', reason: await this.toBacklog(reason, { planId: plan.id, region: rule.region, attempt, source }) });
      }
      if (failure.kind === 'in-progress-elsewhere') return this.record({ ...base, status: 'skipped', reason: 'another invocation is starting this copy right now' });
      if (failure.kind === 'transient' || failure.kind === 'per-volume-rate') {
        return this.record({ ...base, status: 'deferred', reason: `${failure.name}: ${failure.message}; the reconciler retries`, transient: true });
      }
      return this.record({ ...base, status: 'failed', errorName: failure.name, reason: failure.message });
    }

    if (started.uncertain) return this.record({ ...base, status: 'deferred', reason: started.uncertain, transient: true });
    if (started.existed || !ran) {
      // Made by an earlier try or a concurrent claimant: in flight all the same, so it takes a slot of this run.
      if (!destination.copies.some((copy) => copy.id === started.copyId)) {
        destination.reserve(service);
        destination.copies.push({ kind: source.kind, id: started.copyId, region: rule.region, state: 'pending', status: 'pending', tags });
      }
      return this.record({ ...base, status: 'already-copied', copyId: started.copyId, state: 'pending' });
    }
    destination.reserve(service);
    destination.copies.push({ kind: source.kind, id: started.copyId, region: rule.region, state: 'pending', status: 'pending', tags });
    // Deleted only once the new attempt runs, so a failed start never loses the attempt count.
    const notDeleted: string[] = [];
    for (const errored of replaces) {
      if (errored.tags[TAG.stack] !== this.deps.stack || !isCopy(errored)) continue;
      await this.deps.backend.deleteCopy(errored).catch(() => notDeleted.push(errored.id));
    }
    return this.record({
      ...base,
      status: 'started',
      copyId: started.copyId,
      attempt,
      ...(replaces.length ? { replaces: replaces.map((copy) => copy.id) } : {}),
      ...(notDeleted.length ? { notDeleted } : {}),
    });
  }
}

export interface CopySnapshotsSummary {
  /** Completion events in the batch. */
  events: number;
  dryRun: boolean;
  started: number;
  alreadyCopied: number;
  deferred: number;
  blocked: number;
  failed: number;
  skipped: number;
  /** Snapshots named by the events that are not ours to copy, each once with the reason. */
  ignored: Array<{ id: string; reason: string }>;
  problems: CopyProblem[];
  outcomes: CopyOutcome[];
  /**
   * Events to deliver again (their index in the request, in order): a look-up or a copy of theirs failed
   * for a reason that may pass. Everything else of the batch is done, or left to the reconciler.
   */
  retry: Array<{ index: number; eventId: string; reason: string }>;
}

/** The best copy of a source in a Region: completed before pending before errored. */
export function bestCopy(copies: readonly StoredSnapshot[]): StoredSnapshot | undefined {
  const rank: Record<PointState, number> = { completed: 0, pending: 1, error: 2 };
  return [...copies].sort((a, b) => rank[a.state] - rank[b.state] || copyAttemptOf(b) - copyAttemptOf(a))[0];
}

function ownershipProblem(snapshot: StoredSnapshot, stack: string, config: PlansConfig): string | undefined {
  const owner = snapshot.tags[TAG.stack];
  if (owner === undefined) return `not made by backup-orchestrator (no ${TAG.stack} tag)`;
  if (owner !== stack) return `belongs to stack ${owner}, not ${stack}`;
  if (isCopy(snapshot)) return 'is itself a DR copy';
  const planId = snapshot.tags[TAG.plan];
  const plan = config.plans.find((candidate) => candidate.id === planId);
  if (!plan) return `its plan "${planId ?? ''}" is not in the backup plans`;
  if (!plan.copies.length) return `plan ${plan.id} has no copy rules`;
  if (plan.engine === 'dlm') return `plan ${plan.id} runs on Data Lifecycle Manager, whose policy makes its cross-Region copies`;
  return undefined;
}

/** EC2 takes at most 200 values per filter: one look-up names at most that many EBS snapshots. */
export const DESCRIBE_BATCH = 200;

/** The look-ups of a batch: EBS snapshots DESCRIBE_BATCH to a call, RDS ones (few) each on its own. */
function describeGroups(refs: readonly CompletedSnapshotRef[]): CompletedSnapshotRef[][] {
  const ebs = refs.filter((ref) => ref.kind === 'ebs');
  const groups: CompletedSnapshotRef[][] = [];
  for (let start = 0; start < ebs.length; start += DESCRIBE_BATCH) groups.push(ebs.slice(start, start + DESCRIBE_BATCH));
  for (const ref of refs) if (ref.kind !== 'ebs') groups.push([ref]);
  return groups;
}

const refKey = (ref: Pick<CompletedSnapshotRef, 'kind' | 'id'>) => `${ref.kind}|${ref.id}`;
const why = (error: unknown) => `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;

/**
 * Copies the snapshots a batch of completion events names into every DR Region of their plan, with one
 * look-up of the sources (per DESCRIBE_BATCH EBS snapshots) and one listing per destination for the whole
 * batch. Re-checks ownership by tag first (foreign snapshots are ignored with the reason), never starts a
 * second copy of a source in a Region (a snapshot named twice is copied once), and leaves what it cannot
 * start now (limits, pending sources) to the backlog and the reconciler. A look-up or copy that fails for a
 * reason that may pass marks only the events naming that snapshot for another delivery.
 */
export async function copyCompletedSnapshots(
  request: { completions: readonly SnapshotCompletion[]; now: Date; dryRun?: boolean },
  deps: CopyDeps,
): Promise<CopySnapshotsSummary> {
  const { completions } = request;
  const primary = deps.plans.primaryRegion;
  const run = new CopyRun(deps, request.now, Boolean(request.dryRun));
  const ignored: Array<{ id: string; reason: string }> = [];
  const retry = new Map<number, string>();
  const deliverAgain = (events: readonly number[], reason: string) => {
    for (const index of events) if (!retry.has(index)) retry.set(index, reason);
  };

  // Each snapshot once, with the events that name it (EventBridge delivers at least once).
  const named = new Map<string, { ref: CompletedSnapshotRef; events: number[] }>();
  completions.forEach((completion, index) => {
    ignored.push(...completion.ignored);
    for (const ref of completion.completed) {
      if (completion.region !== primary) {
        ignored.push({ id: ref.id, reason: `snapshot is in ${completion.region}, not the primary Region ${primary}` });
        continue;
      }
      const entry = named.get(refKey(ref));
      if (entry) entry.events.push(index);
      else named.set(refKey(ref), { ref, events: [index] });
    }
  });

  const described = new Map<string, StoredSnapshot>();
  const unknown = new Set<string>();
  for (const group of describeGroups([...named.values()].map((entry) => entry.ref))) {
    try {
      for (const snapshot of await withRetry(deps, () => deps.backend.describeMany(primary, group))) described.set(refKey(snapshot), snapshot);
    } catch (error) {
      for (const ref of group) {
        unknown.add(refKey(ref));
        deliverAgain(named.get(refKey(ref))?.events ?? [], `cannot look up ${ref.id} in ${primary}: ${why(error)}`);
      }
    }
  }

  const sources: Array<{ source: StoredSnapshot; plan: Plan; events: number[] }> = [];
  for (const [key, { ref, events }] of named) {
    if (unknown.has(key)) continue;
    const source = described.get(key);
    if (!source) {
      ignored.push({ id: ref.id, reason: 'snapshot no longer exists' });
      continue;
    }
    const problem = ownershipProblem(source, deps.stack, deps.plans);
    if (problem) {
      ignored.push({ id: ref.id, reason: problem });
      continue;
    }
    sources.push({ source, plan: deps.plans.plans.find((candidate) => candidate.id === source.tags[TAG.plan]) as Plan, events });
  }

  // At scale a Region holds thousands of our snapshots: look only at the copies in flight and those of these sources.
  const unlisted = new Map<string, string>();
  for (const region of new Set(sources.flatMap(({ plan }) => plan.copies.map((rule) => rule.region)))) {
    const bound = sources.filter(({ plan }) => plan.copies.some((rule) => rule.region === region)).map(({ source }) => source);
    try {
      run.seedDestination(region, await withRetry(deps, () => deps.backend.listDestination(region, deps.stack, bound)));
    } catch (error) {
      unlisted.set(region, `cannot list our copies in ${region}: ${why(error)}`);
    }
  }

  for (const { source, plan, events } of sources) {
    for (const rule of plan.copies) {
      const base: OutcomeBase = { planId: plan.id, sourceId: source.id, kind: source.kind, region: rule.region };
      if (source.state !== 'completed') {
        run.record({ ...base, status: 'deferred', reason: `source is ${source.status}, not completed yet; the reconciler copies it once it is` });
        continue;
      }
      const cannotList = unlisted.get(rule.region);
      if (cannotList) {
        run.record({ ...base, status: 'deferred', reason: `${cannotList}; delivered again`, transient: true });
        deliverAgain(events, cannotList);
        continue;
      }
      try {
        const existing = bestCopy((await run.destination(rule.region)).copiesOf(source));
        if (existing) {
          run.record({ ...base, status: 'already-copied', copyId: existing.id, state: existing.state });
          continue;
        }
        const outcome = await run.copy(source, plan, rule, 1);
        if (outcome.status === 'deferred' && outcome.transient) deliverAgain(events, `copy of ${source.id} to ${rule.region}: ${outcome.reason}`);
      } catch (error) {
        // Only a destination that cannot be listed at all throws here.
        run.record({ ...base, status: 'deferred', reason: `${why(error)}; delivered again`, transient: true });
        deliverAgain(events, `copy of ${source.id} to ${rule.region}: ${why(error)}`);
      }
    }
  }

  const count = (status: CopyOutcome['status']) => run.outcomes.filter((outcome) => outcome.status === status).length;
  return {
    events: completions.length,
    dryRun: run.dryRun,
    started: count('started'),
    alreadyCopied: count('already-copied'),
    deferred: count('deferred'),
    blocked: count('blocked'),
    failed: count('failed'),
    skipped: count('skipped'),
    ignored,
    problems: run.problems,
    outcomes: run.outcomes,
    retry: [...retry].sort(([a], [b]) => a - b).map(([index, reason]) => ({ index, eventId: completions[index]?.eventId ?? '', reason })),
  };
}
