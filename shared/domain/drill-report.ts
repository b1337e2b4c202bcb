/**
 * The verdict of a restore drill and the email that carries it: pure, from the state the drill ends with.
 */
import type { ActivityRecord } from './activity.js';
import { formatDuration } from './durations.js';
import type { CaughtError, DrillState } from './drill-state.js';

export type DrillVerdict = 'PASS' | 'FAIL' | 'BAD_INPUT';

/** Errors that mean the drill was asked for something that cannot be (not that a restore failed). */
const BAD_INPUT_ERRORS = new Set(['BadInputError', 'UnknownPlanError']);
/** States before which nothing can have been created: a bad input caught there is a bad input. */
const INPUT_STATES = new Set(['ValidateInput', 'SelectRecoveryPoint']);

/** What the drill is doing in each state: "failed while …" in reports, progress lines in the CLI. */
const STATE_ACTIVITY: Record<string, string> = {
  NormaliseInput: 'validating the input',
  ValidateInput: 'validating the input',
  SelectRecoveryPoint: 'selecting the recovery point',
  RestoreRecoveryPoint: 'restoring',
  CheckRestoreReady: 'waiting for the restore to be available',
  IsRestoreReady: 'waiting for the restore to be available',
  WaitForRestore: 'waiting for the restore to be available',
  ValidateRestore: 'validating the restore',
  MarkValidated: 'validating the restore',
  Cleanup: 'cleaning up',
  RenderReport: 'reporting',
  PublishReport: 'reporting',
  PutDrillMetrics: 'reporting',
  PublishFallbackReport: 'reporting',
  Verdict: 'reporting',
};

/** What a drill does in a state of restore-drill.asl.json, e.g. `restoring`. */
export function drillActivity(state: string): string {
  return STATE_ACTIVITY[state] ?? `in ${state}`;
}

export const DRILL_METRICS = {
  passed: 'DrillPassed',
  failed: 'DrillFailed',
  rtoSeconds: 'DrillRtoSeconds',
  achievedRpoSeconds: 'DrillAchievedRpoSeconds',
} as const;

/** One CloudWatch datum, in PutMetricData's shape (the state machine passes the list on as is). */
export interface DrillMetricDatum {
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Unit: 'Count' | 'Seconds';
  Value: number;
}

/** The machine-readable result: in the email's JSON block, the execution's output and the CLI's --json. */
export interface DrillResult {
  schema: 'backup-orchestrator/drill-result@1';
  verdict: DrillVerdict;
  drillId: string | null;
  executionArn: string | null;
  planId: string | null;
  resourceId: string | null;
  resourceType: string | null;
  region: string | null;
  regionRole: 'primary' | 'dr' | null;
  startedAt: string | null;
  validatedAt: string | null;
  rto: { objectiveSeconds: number | null; measuredSeconds: number | null; passed: boolean };
  rpo: { objectiveSeconds: number | null; achievedSeconds: number | null; passed: boolean };
  recoveryPoint: { id: string; slot: string; dataTime: string; isCopy: boolean; snapshotIds: string[] } | null;
  restored: Array<{ kind: string; id: string; snapshotId: string }>;
  validation: { checks: string[]; user: { functionName: string; passed: boolean; message: string } | null } | null;
  failure: { state: string; error: string; message: string } | null;
  cleanup: { complete: boolean; deleted: Array<{ kind: string; id: string; status: string }>; error: string | null };
}

export interface DrillReport {
  verdict: DrillVerdict;
  /** SNS subject: ASCII, under 100 characters. */
  subject: string;
  /** Email body: readable text, then the JSON result. */
  message: string;
  /** One line: the objectives line, or the bad input. */
  summary: string;
  /** For the execution's Fail state: the precise bad input, or the summary. */
  cause: string;
  result: DrillResult;
  metricData: DrillMetricDatum[];
}

/** The message inside a caught error's Cause: Lambda sends a JSON document, local runs a plain message. */
export function causeMessage(error: CaughtError): string {
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: a plain message
  }
  return cause || error.Error;
}

function firstFailure(errors: Record<string, CaughtError> | undefined): { state: string; error: CaughtError } | undefined {
  const entry = Object.entries(errors ?? {}).find(([state]) => state !== 'Cleanup');
  return entry ? { state: entry[0], error: entry[1] } : undefined;
}

const mark = (passed: boolean) => (passed ? 'PASS' : 'FAIL');

function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function inputPlanId(input: unknown): string | null {
  const planId = (input as { planId?: unknown } | null | undefined)?.planId;
  return typeof planId === 'string' && planId.length > 0 ? planId : null;
}

/**
 * The objectives line of a drill result, e.g. "RTO objective 1 h, measured 14 min 32 s — PASS; RPO objective
 * 8 h, achieved 3 h 10 min — PASS"; null when the drill never got its plan's objectives (bad input).
 */
export function objectivesLine(result: DrillResult): string | null {
  const { rto, rpo, failure } = result;
  if (rto.objectiveSeconds === null || rpo.objectiveSeconds === null) return null;
  const duration = (seconds: number) => formatDuration(Math.round(seconds * 1000));
  const notMeasured = failure ? `not measured (failed while ${drillActivity(failure.state)})` : 'not measured';
  return [
    `RTO objective ${duration(rto.objectiveSeconds)}, ${rto.measuredSeconds !== null ? `measured ${duration(rto.measuredSeconds)}` : notMeasured} — ${mark(rto.passed)}`,
    `RPO objective ${duration(rpo.objectiveSeconds)}, ${rpo.achievedSeconds !== null ? `achieved ${duration(rpo.achievedSeconds)}` : notMeasured} — ${mark(rpo.passed)}`,
  ].join('; ');
}

/**
 * Judges a finished drill and writes its report. PASS needs a validated restore within the RTO, a recovery
 * point within the RPO, and a confirmed cleanup; a bad input caught before anything was created is BAD_INPUT.
 */
export function renderDrillReport(state: DrillState, unreadable: readonly string[] = []): DrillReport {
  const drill = state.drill?.Payload;
  const point = state.recoveryPoint?.Payload;
  const restored = state.restore?.Payload.resources ?? [];
  const validation = state.validation?.Payload ?? null;
  const cleanup = state.cleanup?.Payload;
  const failure = firstFailure(state.errors);
  const cleanupError = state.errors?.Cleanup;
  const badInput = failure && INPUT_STATES.has(failure.state) && BAD_INPUT_ERRORS.has(failure.error.Error);

  const validatedAt = !failure && drill && state.validated ? new Date(state.validated.at).toISOString() : null;
  const rtoMeasuredMs = validatedAt && drill ? Date.parse(validatedAt) - Date.parse(drill.startedAt) : null;
  const rtoPassed = rtoMeasuredMs !== null && drill !== undefined && rtoMeasuredMs <= drill.rtoMs;
  const rpoPassed = point !== undefined && drill !== undefined && point.achievedRpoMs <= drill.rpoMs;
  const cleanupComplete = !cleanupError && cleanup !== undefined && cleanup.remaining.length === 0;
  const verdict: DrillVerdict = badInput ? 'BAD_INPUT' : !failure && rtoPassed && rpoPassed && cleanupComplete ? 'PASS' : 'FAIL';

  const planId = drill?.planId ?? inputPlanId(state.input);
  const resourceId = point?.resourceId ?? drill?.resourceId ?? null;
  const failureText = failure ? `${causeMessage(failure.error)} (${failure.error.Error})` : null;

  const result: DrillResult = {
    schema: 'backup-orchestrator/drill-result@1',
    verdict,
    drillId: drill?.id ?? null,
    executionArn: drill?.executionArn ?? null,
    planId,
    resourceId,
    resourceType: point?.resourceType ?? null,
    region: drill?.region ?? null,
    regionRole: drill?.regionRole ?? null,
    startedAt: drill?.startedAt ?? null,
    validatedAt,
    rto: { objectiveSeconds: drill ? drill.rtoMs / 1000 : null, measuredSeconds: rtoMeasuredMs === null ? null : rtoMeasuredMs / 1000, passed: rtoPassed },
    rpo: { objectiveSeconds: drill ? drill.rpoMs / 1000 : null, achievedSeconds: point ? point.achievedRpoMs / 1000 : null, passed: rpoPassed },
    recoveryPoint: point
      ? { id: point.id, slot: point.slot, dataTime: point.dataTime, isCopy: point.isCopy, snapshotIds: point.snapshots.map((snapshot) => snapshot.id) }
      : null,
    restored: restored.map((resource) => ({ kind: resource.kind, id: resource.id, snapshotId: resource.snapshotId })),
    validation,
    failure: failure ? { state: failure.state, error: failure.error.Error, message: causeMessage(failure.error) } : null,
    cleanup: {
      complete: cleanupComplete,
      deleted: cleanup?.deleted ?? [],
      error: cleanupError ? `${causeMessage(cleanupError)} (${cleanupError.Error})` : null,
    },
  };

  const objectives = objectivesLine(result);
  const summary = badInput
    ? `not started: ${causeMessage(failure.error)}`
    : `${objectives ?? failureText ?? 'the drill stopped before it was planned'}${cleanupError ? '; cleanup INCOMPLETE' : ''}`;

  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(16)}${value}`);
  if (badInput) {
    lines.push(`Restore drill${planId ? ` of plan ${planId}` : ''}: not started (bad input)`, causeMessage(failure.error), '');
    lines.push('Nothing was restored, so there was nothing to clean up.');
  } else {
    lines.push(`Restore drill${planId ? ` of plan ${planId}` : ''}: ${verdict}`);
    if (objectives) lines.push(objectives);
    if (failure && failureText) lines.push(`Failed while ${drillActivity(failure.state)}: ${failureText}`);
    lines.push('');
    if (drill) {
      row('Drill', `${drill.id} (started by ${drill.trigger})`);
      row('Region', `${drill.region} (${drill.regionRole === 'dr' ? 'DR Region' : 'primary Region'})`);
      if (drill.settings.networkSettingsSkipped) row('', "the plan's subnet group, security groups and zone are for another Region: not used here");
    }
    if (point) {
      row('Resource', `${point.resourceType} ${point.resourceId}`);
      row('Recovery point', `${point.id}, data from ${point.dataTime}${point.isCopy ? ' (DR copy; RPO counts from its source)' : ''}`);
      row('Snapshots', point.snapshots.map((snapshot) => snapshot.id).join(', '));
    } else if (resourceId) {
      row('Resource', resourceId);
    }
    restored.forEach((resource, index) =>
      row(index ? '' : 'Restored', `${resource.kind} ${resource.id} from ${resource.snapshotId}${resource.memberInstanceIds.length ? ` (instance ${resource.memberInstanceIds.join(', ')})` : ''}`),
    );
    if (validation) {
      validation.checks.forEach((check, index) => row(index ? '' : 'Validation', check));
      if (validation.user) row(validation.checks.length ? '' : 'Validation', `${validation.user.functionName}: ${validation.user.passed ? 'passed' : 'FAILED'} — ${validation.user.message}`);
    }
    if (drill) row('Started', drill.startedAt);
    if (validatedAt) row('Validated', validatedAt);
    if (cleanupError) {
      row('Cleanup', `INCOMPLETE: ${causeMessage(cleanupError)}`);
      if (drill) row('', `the drill janitor deletes what is left after ${drill.expiresAt}`);
    } else if (cleanup?.skipped) {
      row('Cleanup', cleanup.skipped);
    } else if (cleanup) {
      row('Cleanup', cleanup.deleted.length ? cleanup.deleted.map((resource) => `${resource.kind} ${resource.id} ${resource.status}`).join(', ') : 'nothing to delete');
    }
  }
  if (drill) row('Execution', drill.executionArn);
  if (unreadable.length) lines.push('', `(parts of the drill state could not be read: ${unreadable.join(', ')})`);
  lines.push('', '--- machine-readable result ---', JSON.stringify(result, null, 2));

  const what = point ? `, ${point.resourceType} ${point.resourceId}` : resourceId ? `, ${resourceId}` : '';
  const where = drill ? ` in ${drill.region}` : '';
  const subject = badInput
    ? `Restore drill not started (bad input)${planId ? `: plan ${planId}` : ''}`
    : `Restore drill ${verdict}: plan ${planId ?? 'unknown'}${what}${where}`;

  const dimensions = [{ Name: 'plan', Value: planId ?? 'unknown' }];
  const metricData: DrillMetricDatum[] = [
    { MetricName: DRILL_METRICS.passed, Dimensions: dimensions, Unit: 'Count', Value: verdict === 'PASS' ? 1 : 0 },
    { MetricName: DRILL_METRICS.failed, Dimensions: dimensions, Unit: 'Count', Value: verdict === 'PASS' ? 0 : 1 },
    ...(rtoMeasuredMs !== null ? [{ MetricName: DRILL_METRICS.rtoSeconds, Dimensions: dimensions, Unit: 'Seconds' as const, Value: rtoMeasuredMs / 1000 }] : []),
    ...(point ? [{ MetricName: DRILL_METRICS.achievedRpoSeconds, Dimensions: dimensions, Unit: 'Seconds' as const, Value: point.achievedRpoMs / 1000 }] : []),
  ];

  return {
    verdict,
    subject: ascii(subject).slice(0, 99),
    message: lines.join('\n'),
    summary,
    cause: badInput ? causeMessage(failure.error) : `${verdict}: ${summary}`,
    result,
    metricData,
  };
}

/**
 * The run-log entry of a drill, so the daily report can show the latest drill per plan; none for bad
 * input (no plan, nothing restored) or a result without a start time.
 */
export function drillRunRecord(result: DrillResult): ActivityRecord | undefined {
  if (result.verdict === 'BAD_INPUT' || !result.planId || !result.startedAt) return undefined;
  const startedAt = new Date(result.startedAt);
  const seconds = (value: number | null) => (value === null ? undefined : value * 1000);
  const rtoMs = seconds(result.rto.measuredSeconds);
  const achievedRpoMs = seconds(result.rpo.achievedSeconds);
  return {
    at: result.validatedAt ? new Date(result.validatedAt) : startedAt,
    kind: 'drill',
    source: 'restore-drill',
    planId: result.planId,
    ...(result.region ? { region: result.region } : {}),
    failures: result.failure ? [{ resourceId: result.resourceId ?? 'unknown', errorName: result.failure.error, reason: result.failure.message }] : [],
    drill: {
      at: startedAt,
      passed: result.verdict === 'PASS',
      region: result.region ?? 'unknown',
      resourceId: result.resourceId ?? 'unknown',
      ...(rtoMs !== undefined ? { rtoMs } : {}),
      rtoObjectiveMs: seconds(result.rto.objectiveSeconds) ?? 0,
      ...(achievedRpoMs !== undefined ? { achievedRpoMs } : {}),
      rpoObjectiveMs: seconds(result.rpo.objectiveSeconds) ?? 0,
      ...(result.failure ? { cause: `${result.failure.state}: ${result.failure.message}` } : {}),
    },
  };
}
