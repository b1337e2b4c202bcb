import { createHash } from 'node:crypto';
import type { Plan, ResourceType } from './plan-schema.js';

/** Tag keys this stack writes on everything it creates; `stack` is the ownership tag IAM conditions check. */
export const TAG = {
  stack: 'backup-orchestrator:stack',
  plan: 'backup-orchestrator:plan',
  resourceId: 'backup-orchestrator:resource-id',
  resourceType: 'backup-orchestrator:resource-type',
  slot: 'backup-orchestrator:slot',
  // On EC2 instance points: how many volume snapshots the point holds when whole (the instance's EBS volumes
  // when it was listed), so a point missing some (a copy still waiting, a snapshot gone) is never taken as whole.
  pointSize: 'backup-orchestrator:point-size',
  // On DR copies only: which snapshot was copied from where, for which point in time, and how the copy went.
  sourceSnapshotId: 'backup-orchestrator:source-snapshot-id',
  sourceRegion: 'backup-orchestrator:source-region',
  sourceTime: 'backup-orchestrator:source-time',
  copyAttempt: 'backup-orchestrator:copy-attempt',
  copyStartedAt: 'backup-orchestrator:copy-started-at',
  copyCompletedAt: 'backup-orchestrator:copy-completed-at',
  // On restore-drill resources only: which drill made them, and when the drill janitor may delete them.
  drillId: 'backup-orchestrator:drill-id',
  expiresAt: 'backup-orchestrator:expires-at',
  // On snapshots Data Lifecycle Manager takes for an engine: dlm plan (its policy's TagsToAdd and VariableTags).
  engine: 'backup-orchestrator:engine',
  dlmRun: 'backup-orchestrator:dlm-run',
} as const;

/** Tags Data Lifecycle Manager itself puts on the snapshots its policies create. */
export const DLM_TAG = {
  policyId: 'aws:dlm:lifecycle-policy-id',
  scheduleName: 'aws:dlm:lifecycle-schedule-name',
} as const;

export type Tags = Record<string, string>;

/** Slots are written at minute precision in UTC, e.g. `2026-11-26T15:00Z`: stable, sortable, tag-safe. */
export function formatSlot(slot: Date): string {
  return `${slot.toISOString().slice(0, 16)}Z`;
}

const SLOT_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;

/**
 * The instant a slot tag names, or undefined unless the tag is exactly what formatSlot writes: Date.parse
 * alone would read "1" or "Oct 31" as dates in 2001, and retention must never act on such a time.
 */
export function parseSlot(text: string | undefined): Date | undefined {
  if (text === undefined || !SLOT_FORMAT.test(text)) return undefined;
  const slot = new Date(Date.parse(text));
  return Number.isNaN(slot.getTime()) || formatSlot(slot) !== text ? undefined : slot;
}

/**
 * Tags put on a snapshot at creation (atomically, so a snapshot is never visible untagged): ownership,
 * plan, source, slot, plus the source tags the plan asks to carry over — never `aws:` keys, never ours.
 */
export function recoveryPointTags(input: {
  stack: string;
  plan: Plan;
  resource: { type: ResourceType; id: string; tags: Tags; volumeCount?: number };
  slot: Date;
}): Tags {
  const tags: Tags = {};
  for (const key of input.plan.snapshot.copySourceTags) {
    const value = input.resource.tags[key];
    if (value !== undefined && !key.toLowerCase().startsWith('aws:') && !key.startsWith('backup-orchestrator:')) {
      tags[key] = value;
    }
  }
  return {
    ...tags,
    [TAG.stack]: input.stack,
    [TAG.plan]: input.plan.id,
    [TAG.resourceId]: input.resource.id,
    [TAG.resourceType]: input.resource.type,
    [TAG.slot]: formatSlot(input.slot),
    ...(input.resource.type === 'ec2-instance' && input.resource.volumeCount ? { [TAG.pointSize]: String(input.resource.volumeCount) } : {}),
  };
}

/** RDS's longest snapshot identifiers: a DB snapshot's 255 characters, a DB cluster snapshot's 63. */
export const RDS_IDENTIFIER_LIMIT = { instance: 255, cluster: 63 } as const;
export type RdsSnapshotFamily = keyof typeof RDS_IDENTIFIER_LIMIT;

/**
 * Deterministic RDS snapshot identifier for (plan, resource, slot): RDS identifiers are unique per Region,
 * so a retried create fails with *AlreadyExists instead of making a second snapshot. Identifiers allow
 * letters, digits and single hyphens, start with a letter and hold at most 255 characters for a DB snapshot,
 * 63 for a DB cluster snapshot: a name too long for that keeps its plan and slot, and the resource's name is
 * cut and followed by a hash of it.
 */
export function rdsSnapshotIdentifier(planId: string, resourceId: string, slot: Date, family: RdsSnapshotFamily): string {
  const stamp = slot.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-').toLowerCase();
  const safeResource = resourceId.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const limit = RDS_IDENTIFIER_LIMIT[family];
  const whole = `bo-${planId}-${safeResource}-${stamp}`;
  if (whole.length <= limit) return whole;
  const hash = createHash('sha256').update(`${planId}/${resourceId}`).digest('hex').slice(0, 8);
  const room = limit - `bo-${planId}--${hash}-${stamp}`.length;
  const cut = safeResource.slice(0, Math.max(0, room)).replace(/-+$/, '');
  return cut ? `bo-${planId}-${cut}-${hash}-${stamp}` : `bo-${planId}-${hash}-${stamp}`;
}

export function toTagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromTagList(list: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Tags {
  const tags: Tags = {};
  for (const { Key, Value } of list ?? []) if (Key !== undefined) tags[Key] = Value ?? '';
  return tags;
}
