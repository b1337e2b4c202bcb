/**
 * A simulated week, played in seconds: every slot of every lambda plan (create-snapshots with the payload its
 * schedule sends), the completion events those snapshots raise a few minutes later (delivered by the stack's
 * EventBridge rules), reconcile every 8 hours, prune once a day in every Region and each plan's scheduled
 * restore drill, all in time order. Simulated time flows only through the schedules' payloads, the events'
 * times and copy-snapshot's clock (moto stamps snapshots with the real clock, which the code never reads).
 */
import { DeleteSnapshotCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { scheduledRunInput } from '../infra/stack-variables.js';
import type { Plan, PlansConfig } from '../shared/domain/plan-schema.js';
import { occurrencesBetween, parseScheduleExpression } from '../shared/domain/schedule-expression.js';
import { localFields, localToInstant } from '../shared/domain/zoned-time.js';
import { useClock } from '../shared/runtime/clock.js';
import { activityLogOf } from '../shared/aws/activity-log.js';
import type { CreateSnapshotsSummary, ResourceOutcome } from '../shared/use-cases/create-snapshots.js';
import type { PruneRunSummary } from '../shared/use-cases/prune-recovery-points.js';
import type { ReconcileSummary } from '../shared/use-cases/reconcile-copies.js';
import { ebsMultiVolumeEvent, ebsSnapshotEvent, rdsSnapshotEvent } from './completion-events.js';
import type { DemoEstate } from './demo-estate.js';
import type { LocalStack } from './local-stack.js';
import { runScheduledDrill, type DrillRun } from './restore-drill.js';
import { fillScheduleInput, scheduleInput } from './stack-definition.js';

/** How the sandbox runs the fixed schedules (the stack runs reconcile every 15 minutes and prune hourly). */
export const SANDBOX_SCHEDULES = {
  reconcile: 'cron(30 */8 * * ? *)',
  prune: 'cron(15 3 * * ? *)',
} as const;

/** Minutes after its slot that a snapshot's completion event arrives, by resource type (moto completes at once). */
const COMPLETES_AFTER_MINUTES: Record<ResourceOutcome['type'], number> = { 'ebs-volume': 4, 'ec2-instance': 6, 'aurora-cluster': 7, 'rds-instance': 9 };
/** EventBridge delivers an event to its target a moment after its time. */
const DELIVERY_DELAY_MS = 2_000;

/**
 * Trouble the sandbox injects, each into the first slot at or after a local time of the week (days after the
 * week's first day, hour) of a plan with copies: a repeated schedule delivery, a lost completion event (of an
 * RDS snapshot) and a failed snapshot (of an EBS volume), late enough for the daily report's last 24 hours.
 */
const TROUBLE = {
  retry: { days: 1, hour: 6 },
  drop: { days: 2, hour: 12, type: 'rds-instance' },
  fail: { days: 6, hour: 18, type: 'ebs-volume' },
} as const;

export interface WeekSettings {
  config: PlansConfig;
  local: LocalStack;
  estate: DemoEstate;
  endpoint: string;
  ec2: EC2Client;
  start: Date;
  end: Date;
  timezone: string;
  say: (line: string) => void;
}

export interface DayTotals {
  day: string;
  slots: Record<string, number>;
  snapshots: number;
  copies: number;
  reconcileRuns: number;
  repaired: number;
  pruned: Record<string, number>;
}

export interface WeekOutcome {
  slots: Record<string, number>;
  recoveryPointsCreated: Record<string, number>;
  snapshotsCreated: Record<string, number>;
  failedResources: number;
  retry: { created: number; alreadyDone: number };
  eventsDelivered: number;
  eventsDropped: Array<{ time: string; what: string }>;
  copiesStartedOnEvents: number;
  reconcile: { runs: number; started: number; repaired: string[]; problems: number };
  prune: { runs: number; pointsDeleted: Record<string, number>; snapshotsDeleted: Record<string, number>; failures: number };
  failureEvents: Array<{ time: string; snapshotId: string; notified: number }>;
  drills: DrillRun[];
  days: DayTotals[];
}

type Step = { at: Date; order: number } & (
  | { kind: 'slot'; plan: Plan }
  | { kind: 'event'; event: Record<string, unknown>; failure?: { snapshotId: string; name: string } }
  | { kind: 'reconcile' }
  | { kind: 'prune' }
  | { kind: 'drill'; plan: Plan }
);

/** At one moment: events first (they are late), then slots, reconcile, prune, drills. */
const ORDER = { event: 0, slot: 1, reconcile: 2, prune: 3, drill: 4 } as const;

function emptyOutcome(plans: readonly Plan[]): WeekOutcome {
  const perPlan = () => Object.fromEntries(plans.map((plan) => [plan.id, 0]));
  return {
    slots: perPlan(),
    recoveryPointsCreated: perPlan(),
    snapshotsCreated: perPlan(),
    failedResources: 0,
    retry: { created: 0, alreadyDone: 0 },
    eventsDelivered: 0,
    eventsDropped: [],
    copiesStartedOnEvents: 0,
    reconcile: { runs: 0, started: 0, repaired: [], problems: 0 },
    prune: { runs: 0, pointsDeleted: {}, snapshotsDeleted: {}, failures: 0 },
    failureEvents: [],
    drills: [],
    days: [],
  };
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A local time as the sandbox prints it: 'Mon 07:00' (clock), 'Mon 06 Apr' (day) or 'Mon 06 Apr 2026 07:00' (full). */
export function showLocal(time: Date, timezone: string, style: 'clock' | 'day' | 'full'): string {
  const local = localFields(timezone, time.getTime());
  const two = (value: number) => String(value).padStart(2, '0');
  const weekday = WEEKDAYS[local.weekday - 1];
  const clock = `${two(local.hour)}:${two(local.minute)}`;
  const day = `${weekday} ${two(local.day)} ${MONTHS[local.month - 1]}`;
  if (style === 'clock') return `${weekday} ${clock}`;
  return style === 'day' ? day : `${day} ${local.year} ${clock}`;
}

const add = (counts: Record<string, number>, key: string, value: number) => {
  counts[key] = (counts[key] ?? 0) + value;
};

export async function playWeek(settings: WeekSettings): Promise<WeekOutcome> {
  const { config, local, start, end, timezone, say } = settings;
  const region = config.primaryRegion;
  const lambdaPlans = config.plans.filter((plan) => plan.engine === 'lambda');
  const clock = (time: Date) => showLocal(time, timezone, 'clock');
  const firstDay = localFields(timezone, start.getTime());
  const due = (moment: { days: number; hour: number }) =>
    localToInstant(timezone, Date.UTC(firstDay.year, firstDay.month - 1, firstDay.day + moment.days, moment.hour));
  const templates = {
    reconcile: scheduleInput('infra/resources/reconcile-schedule.yml', 'ReconcileSchedule'),
    prune: scheduleInput('infra/resources/prune-schedule.yml', 'PruneSchedule'),
  };

  const queue: Step[] = [
    ...lambdaPlans.flatMap((plan) => occurrencesBetween(plan.schedule.expression, plan.schedule.timezone, start, end).map((at) => ({ at, order: ORDER.slot, kind: 'slot' as const, plan }))),
    ...occurrencesBetween(parseScheduleExpression(SANDBOX_SCHEDULES.reconcile), 'UTC', start, end).map((at) => ({ at, order: ORDER.reconcile, kind: 'reconcile' as const })),
    ...occurrencesBetween(parseScheduleExpression(SANDBOX_SCHEDULES.prune), timezone, start, end).map((at) => ({ at, order: ORDER.prune, kind: 'prune' as const })),
    ...config.plans.flatMap((plan) =>
      plan.drill?.schedule ? occurrencesBetween(plan.drill.schedule.expression, plan.drill.schedule.timezone, start, end).map((at) => ({ at, order: ORDER.drill, kind: 'drill' as const, plan })) : [],
    ),
  ];
  const next = (): Step | undefined => {
    let best = 0;
    queue.forEach((step, index) => {
      const current = queue[best] as Step;
      if (step.at.getTime() < current.at.getTime() || (step.at.getTime() === current.at.getTime() && step.order < current.order)) best = index;
    });
    return queue.splice(best, 1)[0];
  };

  const outcome = emptyOutcome(lambdaPlans);
  const injected = { dropped: false, failed: false, retried: false };
  let day: DayTotals | undefined;
  const flushDay = () => {
    if (!day) return;
    outcome.days.push(day);
    const slots = Object.entries(day.slots).map(([plan, count]) => `${plan} ×${count}`).join(', ') || 'no slots';
    const pruned = Object.entries(day.pruned).map(([where, count]) => `${count} in ${where}`).join(', ');
    say(
      `  ${day.day}  ${slots.padEnd(18)} ${String(day.snapshots).padStart(3)} snapshots ${String(day.copies).padStart(3)} copies  ` +
        `reconcile ×${day.reconcileRuns}${day.repaired ? ` (${day.repaired} repaired)` : ''}  ${pruned ? `pruned ${pruned}` : 'no prune'}`,
    );
  };
  const dayOf = (time: Date): DayTotals => {
    const label = showLocal(time, timezone, 'day');
    if (day?.day !== label) {
      flushDay();
      day = { day: label, slots: {}, snapshots: 0, copies: 0, reconcileRuns: 0, repaired: 0, pruned: {} };
    }
    return day;
  };

  /** The completion events of what a slot created, each queued for its own time; the injected trouble decided here. */
  const queueCompletions = async (plan: Plan, slot: Date, created: Array<Extract<ResourceOutcome, { status: 'created' }>>) => {
    const troubleFor = plan.copies.length > 0;
    const instanceSnapshots = created.filter((entry) => entry.type === 'ec2-instance').flatMap((entry) => entry.snapshotIds);
    const volumeOf = new Map<string, string>();
    if (instanceSnapshots.length) {
      const described = await settings.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: instanceSnapshots }));
      for (const snapshot of described.Snapshots ?? []) if (snapshot.SnapshotId && snapshot.VolumeId) volumeOf.set(snapshot.SnapshotId, snapshot.VolumeId);
    }
    // By name, so the trouble always lands on the same resource.
    const byName = [...created].sort((a, b) => (settings.estate.names[a.resourceId] ?? a.resourceId).localeCompare(settings.estate.names[b.resourceId] ?? b.resourceId));
    for (const entry of byName) {
      const at = new Date(slot.getTime() + COMPLETES_AFTER_MINUTES[entry.type] * 60_000);
      const name = settings.estate.names[entry.resourceId] ?? entry.resourceId;
      const snapshotId = entry.snapshotIds[0] as string;
      if (!injected.dropped && troubleFor && entry.type === TROUBLE.drop.type && slot.getTime() >= due(TROUBLE.drop)) {
        injected.dropped = true;
        outcome.eventsDropped.push({ time: at.toISOString(), what: `${entry.type} ${entry.resourceId} ${entry.snapshotIds.join(', ')}` });
        say(`    ✗ ${clock(at)}  the completion event of ${snapshotId} (${name}) is lost on purpose: no copy starts; reconcile must notice`);
        continue;
      }
      if (!injected.failed && troubleFor && entry.type === TROUBLE.fail.type && slot.getTime() >= due(TROUBLE.fail)) {
        injected.failed = true;
        const event = ebsSnapshotEvent({ region, snapshotId, volumeId: entry.resourceId, startTime: slot, time: at, result: 'failed', cause: 'Snapshot creation failed (injected by the sandbox)' });
        queue.push({ at, order: ORDER.event, kind: 'event', event, failure: { snapshotId, name } });
        continue;
      }
      const event =
        entry.type === 'ebs-volume'
          ? ebsSnapshotEvent({ region, snapshotId, volumeId: entry.resourceId, startTime: slot, time: at })
          : entry.type === 'ec2-instance'
            ? ebsMultiVolumeEvent({ region, snapshots: entry.snapshotIds.map((id) => ({ snapshotId: id, volumeId: volumeOf.get(id) ?? 'vol-unknown' })), startTime: slot, time: at })
            : rdsSnapshotEvent({ region, identifier: snapshotId, cluster: entry.type === 'aurora-cluster', time: at });
      queue.push({ at, order: ORDER.event, kind: 'event', event });
    }
  };

  const activityLog = activityLogOf({ region, endpoint: settings.endpoint, ...(process.env.ACTIVITY_TABLE ? { activityTable: process.env.ACTIVITY_TABLE } : {}) });
  const countedAt = new Map<number, number>();
  /** Copies copy-snapshot started at this moment and not counted yet (two deliveries may share a moment). */
  const copiesStartedAt = async (at: Date): Promise<number> => {
    const records = (await activityLog?.list(at, new Date(at.getTime() + 1))) ?? [];
    const total = records.filter((record) => record.source === 'copy-snapshot').reduce((sum, record) => sum + (record.copied ?? 0), 0);
    const fresh = total - (countedAt.get(at.getTime()) ?? 0);
    countedAt.set(at.getTime(), total);
    return fresh;
  };

  for (let step = next(); step; step = next()) {
    const totals = dayOf(step.at);
    if (step.kind === 'slot') {
      const { plan } = step;
      const scheduleName = `${local.stack}-backup-${plan.id}`;
      const summary = await local.invoke<CreateSnapshotsSummary>('create-snapshots', fillScheduleInput(scheduledRunInput(plan), { time: step.at, scheduleName }));
      const created = summary.outcomes.filter((entry): entry is Extract<ResourceOutcome, { status: 'created' }> => entry.status === 'created');
      const snapshots = created.reduce((total, entry) => total + entry.snapshotIds.length, 0);
      add(outcome.slots, plan.id, 1);
      add(totals.slots, plan.id, 1);
      add(outcome.recoveryPointsCreated, plan.id, summary.created);
      add(outcome.snapshotsCreated, plan.id, snapshots);
      totals.snapshots += snapshots;
      outcome.failedResources += summary.failed;
      for (const failed of summary.outcomes.filter((entry) => entry.status === 'failed')) say(`    ! ${clock(step.at)}  ${plan.id}: ${failed.type} ${failed.resourceId} FAILED`);
      if (!injected.retried && plan.copies.length > 0 && step.at.getTime() >= due(TROUBLE.retry)) {
        injected.retried = true;
        const again = await local.invoke<CreateSnapshotsSummary>('create-snapshots', fillScheduleInput(scheduledRunInput(plan), { time: step.at, scheduleName, attempt: 2 }));
        outcome.retry = { created: again.created, alreadyDone: again.alreadyDone };
        say(`    ↻ ${clock(step.at)}  the scheduler delivers ${plan.id}'s slot a second time (attempt 2): ${again.created} created, ${again.alreadyDone} already done`);
      }
      await queueCompletions(plan, step.at, created);
    } else if (step.kind === 'event') {
      // copy-snapshot has no scheduled time: it reads the clock, here the simulated moment of delivery.
      const deliveredAt = new Date(step.at.getTime() + DELIVERY_DELAY_MS);
      const restore = useClock(() => deliveredAt);
      try {
        const deliveries = await local.publishEvent(step.event);
        outcome.eventsDelivered += deliveries.length;
        if (deliveries.some((delivery) => delivery.module === 'functions/copy-snapshot.ts')) {
          // copy-snapshot answers its queue only with the events to deliver again: what it started is in its run log.
          const started = await copiesStartedAt(deliveredAt);
          outcome.copiesStartedOnEvents += started;
          totals.copies += started;
        }
        if (step.failure) {
          const notified = deliveries.reduce((total, delivery) => total + ((delivery.result as { notified?: unknown[] }).notified?.length ?? 0), 0);
          // AWS leaves a failed snapshot in state error; moto cannot fail one, so it goes, as if it never completed.
          await settings.ec2.send(new DeleteSnapshotCommand({ SnapshotId: step.failure.snapshotId }));
          outcome.failureEvents.push({ time: step.at.toISOString(), snapshotId: step.failure.snapshotId, notified });
          say(`    ! ${clock(step.at)}  ${step.failure.snapshotId} (${step.failure.name}) fails: notify-failure sends ${notified} email${notified === 1 ? '' : 's'} at once`);
        }
      } finally {
        restore();
      }
    } else if (step.kind === 'reconcile') {
      const summary = await local.invoke<ReconcileSummary>('reconcile', fillScheduleInput(templates.reconcile, { time: step.at, scheduleName: `${local.stack}-reconcile` }));
      outcome.reconcile.runs += 1;
      outcome.reconcile.started += summary.started;
      outcome.reconcile.problems += summary.problems.length + summary.failed + summary.exhausted.length + summary.stuck.length;
      totals.reconcileRuns += 1;
      totals.repaired += summary.started;
      totals.copies += summary.started;
      for (const started of summary.outcomes.filter((entry) => entry.status === 'started')) {
        outcome.reconcile.repaired.push(started.sourceId);
        say(`    ✓ ${clock(step.at)}  reconcile finds ${started.sourceId} without a copy in ${started.region} and starts one`);
      }
    } else if (step.kind === 'prune') {
      const summary = await local.invoke<PruneRunSummary>('prune', fillScheduleInput(templates.prune, { time: step.at, scheduleName: `${local.stack}-prune` }));
      outcome.prune.runs += 1;
      outcome.prune.failures += summary.failures;
      for (const pruned of summary.regions) {
        add(outcome.prune.pointsDeleted, pruned.region, pruned.counts.pointsDeleted);
        add(outcome.prune.snapshotsDeleted, pruned.region, pruned.counts.snapshotsDeleted);
        add(totals.pruned, pruned.region, pruned.counts.pointsDeleted);
      }
    } else {
      outcome.drills.push(await runScheduledDrill(local, { endpoint: settings.endpoint, region, plan: step.plan, startedAt: step.at }));
    }
  }
  flushDay();
  return outcome;
}
