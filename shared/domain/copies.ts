import { createHash } from 'node:crypto';
import type { CopyRule } from './plan-schema.js';
import { formatSlot, parseSlot, RDS_IDENTIFIER_LIMIT, rdsSnapshotIdentifier, TAG, type RdsSnapshotFamily, type Tags } from './recovery-point-tags.js';
import { groupRecoveryPoints, type SnapshotKind, type StoredSnapshot } from './recovery-points.js';
import { planRetention } from './retention-planner.js';

/** Copy limits are per destination Region and per service: EBS and RDS count separately. */
export type CopyService = 'ebs' | 'rds';

export interface CopySettings {
  /** Copies of ours in flight (pending) per destination Region and service; AWS allows 20 by default. */
  inFlightLimit: number;
  /** Attempts per (source, destination) before an errored copy is reported instead of redone. */
  maxAttempts: number;
  /** A source or copy still pending after this long is reported as stuck. */
  stuckAfterMs: number;
  /** The reconciler looks for missing copies of sources up to this old. */
  lookbackMs: number;
}

export const COPY_SETTINGS_DEFAULTS: CopySettings = {
  inFlightLimit: 20,
  maxAttempts: 3,
  stuckAfterMs: 12 * 3_600_000,
  lookbackMs: 14 * 86_400_000,
};

/** Errors that mean "too many copies in flight or too many snapshots": wait, do not fail. */
const COPY_LIMIT_ERRORS = new Set(['ResourceLimitExceeded', 'SnapshotQuotaExceeded', 'SnapshotQuotaExceededFault']);

export function isCopyLimitError(name: string): boolean {
  return COPY_LIMIT_ERRORS.has(name);
}

export function copyServiceOf(kind: SnapshotKind): CopyService {
  return kind === 'ebs' ? 'ebs' : 'rds';
}

/** A DR copy names its source; a snapshot taken by create-snapshots does not. */
export function isCopy(snapshot: Pick<StoredSnapshot, 'tags'>): boolean {
  return TAG.sourceSnapshotId in snapshot.tags;
}

/**
 * The point in time a source snapshot holds: its slot (what retention, reports and drills already use
 * as the recovery point's time), else its start time. Undefined when it has neither.
 */
export function sourceTimeOf(source: Pick<StoredSnapshot, 'tags' | 'startTime'>): Date | undefined {
  return parseSlot(source.tags[TAG.slot]) ?? source.startTime;
}

/** Seconds precision in UTC, e.g. `2026-11-26T11:04:12Z`: tag-safe and sortable. */
export function formatInstant(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

const COPY_ONLY_KEYS: readonly string[] = [
  TAG.sourceSnapshotId,
  TAG.sourceRegion,
  TAG.sourceTime,
  TAG.copyAttempt,
  TAG.copyStartedAt,
  TAG.copyCompletedAt,
];

/**
 * Tags put on a copy when it is created: the source's tags (ownership, plan, resource, slot and the
 * source tags the plan carries, so the copy groups into the same recovery point in the DR Region),
 * plus which snapshot it copies, from where, for which point in time, which attempt and when it began.
 */
export function copyTags(input: { source: StoredSnapshot; attempt: number; startedAt: Date }): Tags {
  const { source } = input;
  const tags: Tags = {};
  for (const [key, value] of Object.entries(source.tags)) {
    if (!key.toLowerCase().startsWith('aws:') && !COPY_ONLY_KEYS.includes(key)) tags[key] = value;
  }
  const sourceTime = sourceTimeOf(source);
  return {
    ...tags,
    [TAG.sourceSnapshotId]: source.id,
    [TAG.sourceRegion]: source.region,
    ...(sourceTime ? { [TAG.sourceTime]: parseSlot(source.tags[TAG.slot]) ? formatSlot(sourceTime) : formatInstant(sourceTime) } : {}),
    [TAG.copyAttempt]: String(input.attempt),
    [TAG.copyStartedAt]: formatInstant(input.startedAt),
  };
}

/** Which attempt a copy is (1 when the tag is missing or unreadable). */
export function copyAttemptOf(copy: Pick<StoredSnapshot, 'tags'>): number {
  const attempt = Number(copy.tags[TAG.copyAttempt]);
  return Number.isInteger(attempt) && attempt > 0 ? attempt : 1;
}

/**
 * Deterministic identifier of an RDS copy: the source identifier (unique per Region, so a duplicate
 * copy fails with *AlreadyExists), with `-r<n>` from the second attempt on so a redo never waits for
 * the errored copy's deletion. Keeps RDS's rules (RDS_IDENTIFIER_LIMIT, no trailing or doubled hyphen): a
 * suffixed name too long for them keeps the source's first characters, then a hash of the whole source
 * identifier, so two long sources that share a beginning still get different copies.
 */
export function rdsCopyIdentifier(sourceIdentifier: string, attempt: number, family: RdsSnapshotFamily): string {
  const suffix = attempt > 1 ? `-r${attempt}` : '';
  const limit = RDS_IDENTIFIER_LIMIT[family];
  if (sourceIdentifier.length + suffix.length <= limit) return `${sourceIdentifier}${suffix}`;
  const hash = createHash('sha256').update(sourceIdentifier).digest('hex').slice(0, 8);
  const head = sourceIdentifier.slice(0, limit - suffix.length - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}${suffix}`;
}

/**
 * True unless an RDS snapshot's identifier is not the one this stack gives a snapshot with its tags: a point's
 * (rdsSnapshotIdentifier of its plan, resource and slot) or a copy's (rdsCopyIdentifier of its source and attempt).
 * One named otherwise is someone's own, made from ours with our tags copied onto it (a manual snapshot of a database
 * restored from ours, a copy made with "copy tags"): never planned or deleted as ours. An EBS snapshot's id says
 * nothing, so EBS snapshots answer true.
 */
export function isNamedAsOurs(snapshot: Pick<StoredSnapshot, 'kind' | 'id' | 'tags'>): boolean {
  if (snapshot.kind === 'ebs') return true;
  const family = snapshot.kind === 'rds-cluster' ? 'cluster' : 'instance';
  const source = snapshot.tags[TAG.sourceSnapshotId];
  if (source) return snapshot.id === rdsCopyIdentifier(source, copyAttemptOf(snapshot), family);
  const slot = parseSlot(snapshot.tags[TAG.slot]);
  const planId = snapshot.tags[TAG.plan];
  const resourceId = snapshot.tags[TAG.resourceId];
  return Boolean(slot && planId && resourceId) && snapshot.id === rdsSnapshotIdentifier(planId as string, resourceId as string, slot as Date, family);
}

/** When a copy began: our tag, else the service's start time. */
export function copyStartedAtOf(copy: Pick<StoredSnapshot, 'tags' | 'startTime'>): Date | undefined {
  const tagged = Date.parse(copy.tags[TAG.copyStartedAt] ?? '');
  return Number.isNaN(tagged) ? copy.startTime : new Date(tagged);
}

export interface CopyLag {
  sourceTime: Date;
  completedAt: Date;
  /** How far the DR Region trails the source point: completedAt − sourceTime. */
  lagMs: number;
}

/**
 * Whether the reconciler must record a completed copy's completion in a tag: EBS reports each snapshot's
 * CompletionTime itself, RDS has no such field (its copies are few, so tagging them costs little).
 */
export function needsCompletionTag(copy: Pick<StoredSnapshot, 'kind' | 'tags'>): boolean {
  return copy.kind !== 'ebs' && !copy.tags[TAG.copyCompletedAt];
}

/**
 * When a copy completed: the service's own completion time (EBS CompletionTime), else the time the
 * reconciler recorded in the copy's tag (RDS, and EBS copies from before EBS reported it). Undefined
 * when neither says; never guessed.
 */
export function copyCompletedAtOf(copy: Pick<StoredSnapshot, 'tags' | 'completedAt'>): Date | undefined {
  if (copy.completedAt) return copy.completedAt;
  const tagged = Date.parse(copy.tags[TAG.copyCompletedAt] ?? '');
  return Number.isNaN(tagged) ? undefined : new Date(tagged);
}

/**
 * Copy lag of a completed copy: feeds the DR-Region RPO in reports and drills. Undefined while its
 * completion time is unknown (see copyCompletedAtOf) or its source time is not tagged.
 */
export function copyLag(copy: Pick<StoredSnapshot, 'tags' | 'completedAt'>): CopyLag | undefined {
  const sourceTime = Date.parse(copy.tags[TAG.sourceTime] ?? '');
  const completedAt = copyCompletedAtOf(copy);
  if (Number.isNaN(sourceTime) || !completedAt) return undefined;
  return { sourceTime: new Date(sourceTime), completedAt, lagMs: completedAt.getTime() - sourceTime };
}

/** What DescribeKey said about a destination key (or that it found none). */
export type KeyDescription =
  | { found: true; arn: string; keyState: string; keyUsage?: string; keySpec?: string }
  | { found: false; reason: string };

/**
 * Why a copy rule's key cannot encrypt copies, as one sentence for the operator; undefined when the key
 * exists, is enabled and is a symmetric encryption key (what EBS and RDS need).
 */
export function keyProblem(planId: string, rule: CopyRule, key: KeyDescription): string | undefined {
  const lead = `plan ${planId}: no copy to ${rule.region} was started:`;
  const fix = `fix the key or the plan's copies[].kmsKeyId for ${rule.region}`;
  if (!key.found) return `${lead} KMS key ${rule.kmsKeyId} cannot be used: ${key.reason}; ${fix}`;
  if (key.keyState !== 'Enabled') return `${lead} KMS key ${rule.kmsKeyId} (${key.arn}) is ${key.keyState}, not Enabled; ${fix}`;
  if ((key.keyUsage ?? 'ENCRYPT_DECRYPT') !== 'ENCRYPT_DECRYPT' || (key.keySpec ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT') {
    return `${lead} KMS key ${rule.kmsKeyId} (${key.arn}) has key spec ${key.keySpec ?? 'SYMMETRIC_DEFAULT'} and usage ${key.keyUsage ?? 'ENCRYPT_DECRYPT'}; EBS and RDS encrypt only with symmetric encryption keys; ${fix}`;
  }
  return undefined;
}

function withoutPointSize(tags: Tags): Tags {
  const { [TAG.pointSize]: _size, ...rest } = tags;
  return rest;
}

/**
 * The sources worth copying into a DR Region: those the copy rule's retention would keep if their copies
 * were there now, next to the plan's points already in that Region. Copying a point the next prune
 * deletes would only churn (copy, prune, copy again); the newest point of a resource is always kept.
 */
export function sourcesWorthCopying(input: {
  sources: readonly StoredSnapshot[];
  /** Our snapshots in the DR Region (copies of any source). */
  inRegion: readonly StoredSnapshot[];
  rule: CopyRule;
  planId: string;
  stack: string;
  now: Date;
}): Set<string> {
  const existing = groupRecoveryPoints(input.inRegion.filter((snapshot) => snapshot.tags[TAG.plan] === input.planId));
  // A candidate is judged by its time, as retention will judge its whole point once copied: not by how many of
  // the point's snapshots this batch happens to hold (a point-size tag would make a lone one incomplete).
  const candidates = groupRecoveryPoints(input.sources.map((source) => ({ ...source, region: input.rule.region, tags: withoutPointSize(source.tags) })));
  const decisions = planRetention([...existing, ...candidates], input.rule.retention, {
    now: input.now,
    ownership: { tagKey: TAG.stack, value: input.stack },
    planTag: { tagKey: TAG.plan, planId: input.planId },
    latestScheduledBackupFailed: false,
    sourceExists: true,
  });
  const dropped = new Set(decisions.filter((decision) => decision.action === 'delete').map((decision) => decision.id));
  return new Set(candidates.filter((point) => !dropped.has(point.id)).flatMap((point) => point.snapshots.map((snapshot) => snapshot.id)));
}
