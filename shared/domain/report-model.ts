import type { ResourceType } from './plan-schema.js';

/** Everything the daily report says, gathered by the report use case; rendering is a pure function of it. */
export interface ReportInput {
  generatedAt: Date;
  stack: string;
  primaryRegion: string;
  /** IANA zone in which dates are shown to the reader. */
  timezone: string;
  plans: PlanStatus[];
  /** Resources in the primary Region that match no plan and no DLM policy's target tags. */
  unprotected: UnprotectedResource[];
  /** What happened in the 24 hours before generatedAt. */
  activity: ActivitySummary;
  /** Latest drill per plan (every plan appears, with or without a drill). */
  drills: DrillStatus[];
  storage: StorageEstimate[];
  /** Things the report could not find out, said plainly (e.g. "DLM policies could not be read: …"). */
  warnings: string[];
  settings: ReportSettings;
}

export interface ReportSettings {
  /** Plans without a drill schedule and without a drill for this many days are flagged. */
  drillStaleDays: number;
  /** Price of snapshot storage per GB-month, for the cost estimate. */
  pricePerGbMonth: number;
  currency: string;
}

export interface PlanStatus {
  planId: string;
  description: string;
  engine: 'lambda' | 'dlm';
  rpoMs: number;
  rtoMs: number;
  /** Primary Region first, then the DR Regions of the plan's copy rules. */
  regions: string[];
  resources: ResourceStatus[];
}

export interface ResourceStatus {
  resourceId: string;
  type: ResourceType;
  /** The Name tag, when the resource has one. */
  name?: string;
  /** False when the resource is gone but still has recovery points. */
  exists: boolean;
  /** One entry per Region of the plan, in the plan's Region order. */
  regions: RegionRecoveryStatus[];
}

export interface RegionRecoveryStatus {
  region: string;
  /** Source time of the newest completed recovery point in this Region (for a DR copy: its source's time). */
  latestGoodAt?: Date;
  /** generatedAt − latestGoodAt; undefined when there is no good point. */
  ageMs?: number;
  /**
   * ageMs <= the plan's RPO; also true without a good point while the resource is younger than its first RPO
   * window (for a DR Region: plus time for a first copy), which the report shows as pending.
   */
  compliant: boolean;
  /**
   * 'plan' when the Region cannot be judged per resource and is judged by the newest point of any resource of
   * the plan there instead (DLM copies of volume snapshots cannot be tied to their volume); else 'resource'.
   */
  scope?: 'resource' | 'plan';
  /** DR Regions: how long the newest copy took to complete after its source was taken. */
  copyLagMs?: number;
}

export interface UnprotectedResource {
  type: ResourceType;
  id: string;
  name?: string;
}

export interface ActivitySummary {
  created: number;
  copied: number;
  pruned: number;
  /** Failures grouped by (kind, plan, error name): never one line per resource. */
  failures: FailureGroup[];
}

export interface FailureGroup {
  kind: 'snapshot' | 'copy' | 'prune' | 'drill' | 'other';
  planId?: string;
  errorName: string;
  /** One representative reason (the first seen). */
  reason: string;
  count: number;
  resourceIds: string[];
}

export interface DrillStatus {
  planId: string;
  lastDrill?: DrillResultSummary;
  /**
   * Plans with a drill schedule: no drill since dueAt (when dueAt is within the run log); plans without one:
   * no drill within settings.drillStaleDays.
   */
  stale: boolean;
  /** Plans with a drill schedule: the latest scheduled drill that should have finished by now. */
  dueAt?: Date;
  /** No drill was found since dueAt, but dueAt is older than the run log keeps: whether it ran is unknown. */
  beyondRunLog?: boolean;
}

export interface DrillResultSummary {
  at: Date;
  passed: boolean;
  region: string;
  resourceId: string;
  rtoMs?: number;
  rtoObjectiveMs: number;
  achievedRpoMs?: number;
  rpoObjectiveMs: number;
  /** Why it failed, when it did. */
  cause?: string;
}

export interface StorageEstimate {
  planId: string;
  region: string;
  snapshots: number;
  bytes: number;
  /** measured: FullSnapshotSizeInBytes for every snapshot; upper-bound: volume/allocated size; mixed: some of each. */
  basis: 'measured' | 'upper-bound' | 'mixed';
}
