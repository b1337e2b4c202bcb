/**
 * The daily backup report, rendered twice from one ReportInput: plain text for email and a stable JSON object
 * for machines. Pure: no SDK, no clock; every date and age comes from the input. Both forms are sent in one SNS
 * message (MessageStructure json), so each is kept within a byte budget by cutting its longest lists, never
 * the headline or the problem counts.
 */
import { formatDuration } from './durations.js';
import { RESOURCE_TYPES, type ResourceType } from './resource-types.js';
import type {
  DrillResultSummary,
  DrillStatus,
  FailureGroup,
  PlanStatus,
  RegionRecoveryStatus,
  ReportInput,
  ResourceStatus,
  StorageEstimate,
  UnprotectedResource,
} from './report-model.js';
import { formatLocal, isValidTimezone } from './zoned-time.js';

export interface DailyReport {
  /** SNS subject: printable ASCII, no newline, at most 100 characters. */
  subject: string;
  /** Plain text for email: lines of at most 100 characters, no tabs, no HTML; starts with the headline. */
  text: string;
  /** Compact JSON (schemaVersion 1) for the other protocols. */
  json: string;
  /** Exact number of problems, whatever was cut. */
  problems: number;
  headline: string;
  /** True when either form had lists cut to fit its byte budget. */
  truncated: boolean;
}

/**
 * Byte budgets, counted as each form's size once escaped into the SNS message envelope (JSON string escaping
 * included): two forms of 120,000 bytes plus the envelope stay under SNS's 262,144-byte message limit.
 */
export interface DailyReportLimits {
  maxTextBytes?: number;
  maxJsonBytes?: number;
}

/** Budgets and display caps of the daily report; the caps only shorten lists for the reader, never counts. */
export const DAILY_REPORT_DEFAULTS = {
  maxTextBytes: 120_000,
  maxJsonBytes: 120_000,
  lineWidth: 100,
  subjectLength: 100,
  /** Problems listed one per line at the top of the email; the rest are in their sections. */
  problemLinesShown: 20,
  /** Resource ids named per failure group in the email; the JSON form names them all. */
  failureIdsShown: 5,
} as const;

export const DAILY_REPORT_SCHEMA_VERSION = 1;

const MORE_HINT = '(see the JSON form / CLI `backup-orchestrator report`)';
const GIB = 1024 ** 3;
const TIB = 1024 ** 4;
// Cap on any single free-text value (reasons, warnings, descriptions) so one odd string cannot eat the budget.
const MAX_FREE_TEXT = 500;
const MAX_NAME = 60;

/**
 * Renders the daily report as an email subject, a plain-text body and a JSON form, each within its byte
 * budget (defaults 120,000 bytes each). Lists are cut longest first and end with "… and N more"; the JSON
 * form says how many entries it left out. The headline and problem counts are always exact.
 */
export function renderDailyReport(input: ReportInput, limits: DailyReportLimits = {}): DailyReport {
  const maxTextBytes = limits.maxTextBytes ?? DAILY_REPORT_DEFAULTS.maxTextBytes;
  const maxJsonBytes = limits.maxJsonBytes ?? DAILY_REPORT_DEFAULTS.maxJsonBytes;
  const report = analyse(input);
  const text = fitText(report, maxTextBytes);
  const json = fitJson(report, maxJsonBytes, text.truncated);
  return {
    subject: subjectFor(input.stack, report),
    text: text.text,
    json: json.json,
    problems: report.counts.total,
    headline: report.headline,
    truncated: text.truncated || json.truncated,
  };
}

/** The RPO metrics of one plan, counted exactly as the report counts them. */
export interface PlanRpoMetrics {
  planId: string;
  /** Regions of existing resources in breach (too old, or no good point outside the first RPO window). */
  breaches: number;
  /**
   * Age of the oldest newest-good-point among existing resources in the primary Region (0 when none has one);
   * undefined when one of them has no good point and is not new: its age is unbounded.
   */
  oldestPrimaryAgeMs?: number;
}

/**
 * The per-plan RPO metrics (what the alarms watch), from the same classification as the email: deleted
 * resources and new resources inside their first RPO window are not breaches.
 */
export function rpoMetrics(input: ReportInput): PlanRpoMetrics[] {
  return input.plans.map((plan) => {
    const view = planView(plan, input.primaryRegion, input.generatedAt);
    const primaries = view.resources.flatMap((resource) => resource.regions.filter((region) => region.role === 'primary'));
    const unbounded = primaries.some((region) => region.state === 'none');
    const ages = primaries.filter((region) => region.state === 'ok' || region.state === 'breach').flatMap((region) => region.ageMs ?? []);
    // A plan with no point to age (no resource, or only new ones) reports 0, as it always has.
    const oldest = unbounded ? undefined : Math.max(0, ...ages);
    return { planId: plan.planId, breaches: view.breaches, ...(oldest !== undefined ? { oldestPrimaryAgeMs: oldest } : {}) };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Analysis: classify, count and sort once; both forms render from this.

type RegionState = 'ok' | 'pending' | 'breach' | 'none' | 'gone';

interface RegionView {
  region: string;
  role: 'primary' | 'dr';
  state: RegionState;
  latestGoodAt?: Date;
  ageMs?: number;
  copyLagMs?: number;
  /** 'plan': judged by the newest point of any resource of the plan in this Region (see RegionRecoveryStatus). */
  scope: 'resource' | 'plan';
}

interface ResourceView {
  resource: ResourceStatus;
  breaches: number;
  regions: RegionView[];
}

interface PlanView {
  plan: PlanStatus;
  resources: ResourceView[];
  existing: number;
  gone: number;
  breaches: number;
  breachedResources: number;
}

/** unknown: the latest scheduled drill is older than the run log keeps, and none since was found. */
type DrillState = 'pass' | 'fail' | 'stale' | 'none' | 'unknown';

interface DrillView {
  planId: string;
  state: DrillState;
  stale: boolean;
  last?: DrillResultSummary;
  dueAt?: Date;
}

interface ProblemCounts {
  total: number;
  rpoBreaches: number;
  failureGroups: number;
  failedDrills: number;
  staleDrills: number;
  emptyPlans: number;
}

interface ProblemItem {
  label: string;
  planId: string;
  detail: string;
}

interface StorageView {
  rows: StorageEstimate[];
  total: { snapshots: number; bytes: number; basis: StorageEstimate['basis'] | 'none' };
}

interface Analysis {
  input: ReportInput;
  zone: string;
  counts: ProblemCounts;
  headline: string;
  plans: PlanView[];
  unprotected: UnprotectedResource[];
  failures: FailureGroup[];
  failureTotal: number;
  drills: DrillView[];
  storage: StorageView;
  warnings: string[];
  problems: ProblemItem[];
}

function analyse(input: ReportInput): Analysis {
  const warnings = input.warnings.map((warning) => clean(warning, MAX_FREE_TEXT));
  const zoneIsValid = isValidTimezone(input.timezone);
  // A typo in the timezone must not cost the on-call their report: fall back to UTC and say so.
  if (!zoneIsValid) warnings.push(`timezone "${clean(input.timezone, MAX_NAME)}" is not an IANA zone; times are in UTC`);
  const zone = zoneIsValid ? input.timezone : 'UTC';

  const plans = input.plans.map((plan) => planView(plan, input.primaryRegion, input.generatedAt));
  const planOrder = new Map(input.plans.map((plan, index) => [plan.planId, index]));
  const byPlanOrder = (a: string, b: string): number =>
    (planOrder.get(a) ?? Number.MAX_SAFE_INTEGER) - (planOrder.get(b) ?? Number.MAX_SAFE_INTEGER) || compareText(a, b);

  const typeOrder = (type: ResourceType): number => RESOURCE_TYPES.indexOf(type);
  const unprotected = [...input.unprotected].sort((a, b) => typeOrder(a.type) - typeOrder(b.type) || compareText(a.id, b.id));
  const failures = [...input.activity.failures].sort(
    (a, b) =>
      b.count - a.count ||
      byPlanOrder(a.planId ?? '', b.planId ?? '') ||
      compareText(a.kind, b.kind) ||
      compareText(a.errorName, b.errorName),
  );
  const drills = [...input.drills].sort((a, b) => byPlanOrder(a.planId, b.planId)).map(drillView);

  const regionOrder = (planId: string, region: string): number => {
    const index = input.plans.find((plan) => plan.planId === planId)?.regions.indexOf(region) ?? -1;
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };
  const rows = [...input.storage].sort(
    (a, b) =>
      byPlanOrder(a.planId, b.planId) ||
      regionOrder(a.planId, a.region) - regionOrder(b.planId, b.region) ||
      compareText(a.region, b.region),
  );
  const bases = new Set(rows.map((row) => row.basis));
  const storage: StorageView = {
    rows,
    total: {
      snapshots: sum(rows.map((row) => row.snapshots)),
      bytes: sum(rows.map((row) => row.bytes)),
      basis: bases.size === 0 ? 'none' : bases.size === 1 ? [...bases][0]! : 'mixed',
    },
  };

  const counts: ProblemCounts = {
    rpoBreaches: sum(plans.map((plan) => plan.breaches)),
    failureGroups: failures.length,
    failedDrills: drills.filter((drill) => drill.state === 'fail').length,
    staleDrills: drills.filter((drill) => drill.state === 'stale').length,
    emptyPlans: plans.filter((plan) => plan.existing === 0).length,
    total: 0,
  };
  counts.total = counts.rpoBreaches + counts.failureGroups + counts.failedDrills + counts.staleDrills + counts.emptyPlans;

  const analysis: Analysis = {
    input,
    zone,
    counts,
    headline: headlineFor(counts, input.plans.length, warnings.length),
    plans,
    unprotected,
    failures,
    failureTotal: sum(failures.map((group) => group.count)),
    drills,
    storage,
    warnings,
    problems: [],
  };
  analysis.problems = problemItems(analysis);
  return analysis;
}

function planView(plan: PlanStatus, primaryRegion: string, generatedAt: Date): PlanView {
  const primary = plan.regions[0] ?? primaryRegion;
  const resources = plan.resources
    .map((resource): ResourceView => {
      const regions = resource.regions.map((status) => regionView(status, resource.exists, primary, generatedAt));
      return { resource, regions, breaches: regions.filter((region) => isBreach(region.state)).length };
    })
    .sort((a, b) => Number(b.breaches > 0) - Number(a.breaches > 0) || compareText(a.resource.resourceId, b.resource.resourceId));
  const existing = resources.filter((view) => view.resource.exists).length;
  return {
    plan,
    resources,
    existing,
    gone: resources.length - existing,
    breaches: sum(resources.map((view) => view.breaches)),
    breachedResources: resources.filter((view) => view.breaches > 0).length,
  };
}

/**
 * A deleted resource can no longer be backed up, so its ageing points are shown but not counted as RPO
 * breaches (they would alarm every day forever); a plan left with only deleted resources counts as empty.
 */
function regionView(status: RegionRecoveryStatus, exists: boolean, primary: string, generatedAt: Date): RegionView {
  const ageMs = status.ageMs ?? (status.latestGoodAt ? generatedAt.getTime() - status.latestGoodAt.getTime() : undefined);
  const state: RegionState = !exists
    ? 'gone'
    : status.compliant
      ? status.latestGoodAt
        ? 'ok'
        : 'pending'
      : status.latestGoodAt
        ? 'breach'
        : 'none';
  return {
    region: status.region,
    role: status.region === primary ? 'primary' : 'dr',
    state,
    ...(status.latestGoodAt ? { latestGoodAt: status.latestGoodAt } : {}),
    ...(ageMs !== undefined ? { ageMs } : {}),
    ...(status.copyLagMs !== undefined ? { copyLagMs: status.copyLagMs } : {}),
    scope: status.scope ?? 'resource',
  };
}

function isBreach(state: RegionState): boolean {
  return state === 'breach' || state === 'none';
}

/** A failed latest drill counts once, as failed, even when it is also stale: one re-run fixes both. */
function drillView(status: DrillStatus): DrillView {
  const last = status.lastDrill;
  const state: DrillState =
    last && !last.passed ? 'fail' : status.stale ? 'stale' : status.beyondRunLog ? 'unknown' : last ? 'pass' : 'none';
  return { planId: status.planId, state, stale: status.stale, ...(last ? { last } : {}), ...(status.dueAt ? { dueAt: status.dueAt } : {}) };
}

function headlineFor(counts: ProblemCounts, planCount: number, warningCount: number): string {
  if (counts.total === 0) {
    const state =
      planCount === 0 ? 'no plans configured' : planCount === 1 ? '1 plan compliant' : `all ${grouped(planCount)} plans compliant`;
    // "compliant" is only as good as what the report could read: say when it could not read everything.
    return warningCount > 0 ? `${state} (${counted(warningCount, 'warning')})` : state;
  }
  const parts = [
    counts.rpoBreaches ? counted(counts.rpoBreaches, 'RPO breach', 'RPO breaches') : '',
    counts.failureGroups ? counted(counts.failureGroups, 'failure group') : '',
    counts.failedDrills ? counted(counts.failedDrills, 'failed drill') : '',
    counts.staleDrills ? counted(counts.staleDrills, 'stale drill') : '',
    counts.emptyPlans ? counted(counts.emptyPlans, 'plan with no resources', 'plans with no resources') : '',
  ].filter(Boolean);
  return `${counted(counts.total, 'problem')}: ${parts.join(', ')}`;
}

function subjectFor(stack: string, report: Analysis): string {
  const prefix = `[${ascii(stack).slice(0, 40)}] `;
  const candidates = [
    prefix + ascii(report.headline),
    `${prefix}${counted(report.counts.total, 'problem')} (details in the report)`,
    ascii(report.headline),
  ];
  const subject = candidates.find((candidate) => candidate.length <= DAILY_REPORT_DEFAULTS.subjectLength) ?? candidates[2]!;
  return subject.slice(0, DAILY_REPORT_DEFAULTS.subjectLength).trim();
}

function problemItems(report: Analysis): ProblemItem[] {
  const items: ProblemItem[] = [];
  for (const plan of report.plans) {
    for (const view of plan.resources) {
      for (const region of view.regions) {
        if (!isBreach(region.state)) continue;
        const where = `${resourceLabel(view.resource)}, ${region.region} (${region.role === 'primary' ? 'primary' : 'DR'})`;
        const detail =
          region.state === 'none'
            ? 'no good recovery point'
            : `${ageText(region)} old, RPO ${formatDuration(plan.plan.rpoMs)}`;
        items.push({ label: 'RPO breach', planId: plan.plan.planId, detail: `${where}: ${detail}` });
      }
    }
  }
  for (const group of report.failures) {
    items.push({
      label: 'failures',
      planId: group.planId ?? '(no plan)',
      detail: `${clean(group.errorName, MAX_NAME)} ×${grouped(group.count)} on ${group.kind} (see LAST 24 HOURS)`,
    });
  }
  for (const drill of report.drills) {
    if (drill.state === 'fail' && drill.last) {
      const cause = drill.last.cause ? `: ${clean(drill.last.cause, MAX_FREE_TEXT)}` : '';
      items.push({ label: 'failed drill', planId: drill.planId, detail: `drill of ${shortDate(drill.last.at, report.zone)}${cause}` });
    } else if (drill.state === 'stale') {
      items.push({ label: 'stale drill', planId: drill.planId, detail: staleText(drill, report) });
    }
  }
  for (const plan of report.plans) {
    if (plan.existing === 0) {
      items.push({ label: 'empty plan', planId: plan.plan.planId, detail: emptyPlanText(plan) });
    }
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------------
// Fitting: one cap C applies to every list, so only lists longer than C are cut, the longest the most. The
// largest C that fits is found by doubling then bisecting, which keeps renders few and mostly small.

type ListKey = 'problems' | 'resources' | 'unprotected' | 'failureIds' | 'failureGroups' | 'storageRows' | 'warnings';
type Caps = Record<ListKey, number>;

const NO_CAPS: Caps = {
  problems: Infinity,
  resources: Infinity,
  unprotected: Infinity,
  failureIds: Infinity,
  failureGroups: Infinity,
  storageRows: Infinity,
  warnings: Infinity,
};

function longestList(report: Analysis): number {
  return Math.max(
    report.problems.length,
    report.unprotected.length,
    report.failures.length,
    report.storage.rows.length,
    report.warnings.length,
    ...report.plans.map((plan) => plan.resources.length),
    ...report.failures.map((group) => group.resourceIds.length),
  );
}

function capsAt(base: Caps, cap: number): Caps {
  const caps = { ...base };
  for (const key of Object.keys(caps) as ListKey[]) caps[key] = Math.min(caps[key], cap);
  return caps;
}

/** Output with the base caps when it fits, else with the largest uniform cap that fits; undefined when none does. */
function fitLists(
  base: Caps,
  longest: number,
  limit: number,
  render: (caps: Caps) => string,
): { output: string; shrunk: boolean } | undefined {
  const full = render(base);
  if (sentBytes(full) <= limit) return { output: full, shrunk: false };
  let best: string | undefined;
  let fitting = -1;
  let failing = longest;
  for (let cap = 0; cap < failing; cap = cap === 0 ? 1 : cap * 2) {
    const output = render(capsAt(base, cap));
    if (sentBytes(output) > limit) {
      failing = cap;
      break;
    }
    best = output;
    fitting = cap;
  }
  if (best === undefined) return undefined;
  while (failing - fitting > 1) {
    const cap = Math.floor((fitting + failing) / 2);
    const output = render(capsAt(base, cap));
    if (sentBytes(output) <= limit) {
      best = output;
      fitting = cap;
    } else {
      failing = cap;
    }
  }
  return { output: best, shrunk: true };
}

function fitText(report: Analysis, limit: number): { text: string; truncated: boolean } {
  const base: Caps = {
    ...NO_CAPS,
    problems: DAILY_REPORT_DEFAULTS.problemLinesShown,
    failureIds: DAILY_REPORT_DEFAULTS.failureIdsShown,
  };
  const fitted = fitLists(base, longestList(report), limit, (caps) => renderText(report, caps, caps !== base));
  if (fitted) return { text: fitted.output, truncated: fitted.shrunk };
  return { text: hardCut(renderText(report, capsAt(base, 0), true), limit), truncated: true };
}

function fitJson(report: Analysis, limit: number, textTruncated: boolean): { json: string; truncated: boolean } {
  const fitted = fitLists(NO_CAPS, longestList(report), limit, (caps) => JSON.stringify(jsonForm(report, caps, textTruncated)));
  if (fitted) return { json: fitted.output, truncated: fitted.shrunk };
  return { json: JSON.stringify(minimalJsonForm(report, textTruncated)), truncated: true };
}

/** Last resort when even empty lists do not fit (thousands of plans): keep whole lines up to the budget. */
function hardCut(text: string, limit: number): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  // Envelope quotes, then each line escaped plus its escaped "\n"; 300 bytes stay free for the closing line.
  let bytes = 2;
  for (const line of lines) {
    const cost = sentBytes(line);
    if (bytes + cost > limit - 300) break;
    kept.push(line);
    bytes += cost;
  }
  kept.push(`… report cut here, ${grouped(lines.length - kept.length)} more lines ${MORE_HINT}`);
  return `${kept.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Text form.

function renderText(report: Analysis, caps: Caps, cutForSize: boolean): string {
  const { input, zone } = report;
  const lines: string[] = [
    report.headline,
    '',
    `Daily backup report of stack ${clean(input.stack, MAX_NAME)} (primary Region ${input.primaryRegion})`,
    `Generated ${longDate(input.generatedAt, zone)}; all times below are in ${zone}.`,
  ];
  if (cutForSize) {
    lines.push('This email was shortened to fit the SNS size limit: cut lists end with "… and N more".');
  }

  if (report.problems.length > 0) {
    lines.push('', `PROBLEMS (${grouped(report.problems.length)})`);
    const labelWidth = Math.max(...report.problems.map((item) => item.label.length));
    for (const item of report.problems.slice(0, caps.problems)) {
      lines.push(`  ${item.label.padEnd(labelWidth)}  ${item.planId}: ${item.detail}`);
    }
    pushMore(lines, '  ', report.problems.length - caps.problems, 'problem', 'problems', '(see the sections below)');
  }

  lines.push('', `PLANS (${grouped(report.plans.length)})`);
  if (report.plans.some((plan) => plan.breaches > 0)) {
    lines.push('  per Region: ok = newest good point within the RPO, BREACH = older, NONE = no good point');
  }
  if (report.plans.length === 0) lines.push('  no plans are configured: nothing is being backed up by this stack');
  report.plans.forEach((plan, index) => {
    if (index > 0) lines.push('');
    lines.push(...planLines(plan, zone, caps.resources));
  });

  lines.push('', 'COVERAGE');
  if (report.unprotected.length === 0) {
    lines.push('  every volume, instance, RDS instance and Aurora cluster is covered');
  } else {
    lines.push(
      `  ${counted(report.unprotected.length, 'resource')} in ${input.primaryRegion} match no plan and no DLM policy ` +
        '(listed, not counted as problems):',
    );
    for (const resource of report.unprotected.slice(0, caps.unprotected)) {
      const name = resource.name ? ` "${clean(resource.name, MAX_NAME)}"` : '';
      lines.push(`    ${resource.type.padEnd(14)}  ${resource.id}${name}`);
    }
    pushMore(lines, '    ', report.unprotected.length - caps.unprotected, 'resource', 'resources');
  }

  lines.push('', 'LAST 24 HOURS');
  const { activity } = input;
  lines.push(
    `  ${counted(activity.created, 'recovery point')} created, ${counted(activity.copied, 'copy', 'copies')} completed, ` +
      `${counted(activity.pruned, 'recovery point')} pruned`,
  );
  if (report.failures.length === 0) {
    lines.push('  no failures');
  } else {
    lines.push(`  ${counted(report.failureTotal, 'failure')} in ${counted(report.failures.length, 'group')}:`);
    for (const group of report.failures.slice(0, caps.failureGroups)) lines.push(`    ${failureLine(group, caps.failureIds)}`);
    pushMore(lines, '    ', report.failures.length - caps.failureGroups, 'failure group', 'failure groups');
  }

  lines.push('', 'DRILLS');
  if (report.drills.length === 0) lines.push('  no plan has drill results');
  for (const drill of report.drills) lines.push(...drillLines(drill, report));

  lines.push(...storageLines(report, caps.storageRows));

  if (report.warnings.length > 0) {
    lines.push('', `WARNINGS (${grouped(report.warnings.length)})`);
    for (const warning of report.warnings.slice(0, caps.warnings)) lines.push(`  - ${warning}`);
    pushMore(lines, '  ', report.warnings.length - caps.warnings, 'warning', 'warnings');
  }

  lines.push('', '--', `Full details: CLI \`backup-orchestrator report\`; other subscriptions receive the JSON form.`);
  return `${lines.flatMap((line) => wrapLine(line, DAILY_REPORT_DEFAULTS.lineWidth)).join('\n')}\n`;
}

function planLines(view: PlanView, zone: string, resourceCap: number): string[] {
  const { plan } = view;
  const description = plan.description ? `: ${clean(plan.description, MAX_FREE_TEXT)}` : '';
  const copies = plan.regions.slice(1);
  const resources =
    view.existing === 0
      ? 'NO RESOURCES'
      : `${counted(view.existing, 'resource')}` + (view.breachedResources ? `, ${grouped(view.breachedResources)} in BREACH` : '');
  const gone = view.gone ? `, ${grouped(view.gone)} deleted` : '';
  const lines = [
    `${plan.planId}${description}`,
    `  RPO ${formatDuration(plan.rpoMs)}, RTO ${formatDuration(plan.rtoMs)} · ${plan.engine === 'dlm' ? 'DLM' : 'lambda'} engine · ` +
      `${resources}${gone} · ${plan.regions[0] ?? '?'}` +
      (copies.length ? ` copied to ${copies.join(', ')}` : ', no DR copy'),
  ];
  if (view.existing === 0) lines.push(`  ${emptyPlanText(view)}`);
  const regionWidth = Math.max(9, ...view.resources.flatMap((resource) => resource.regions.map((region) => region.region.length)));
  for (const resource of view.resources.slice(0, resourceCap)) {
    const gone = resource.resource.exists ? '' : ' — deleted: points kept, not counted against the RPO';
    lines.push(`  ${resourceLabel(resource.resource)} (${resource.resource.type})${gone}`);
    for (const region of resource.regions) lines.push(`    ${regionLine(region, regionWidth, zone)}`);
  }
  const hidden = view.resources.slice(resourceCap);
  if (hidden.length > 0) {
    // Breaches sort first, so what is cut is usually healthy; say so, or say how many breaches are hidden.
    const hiddenBreached = hidden.filter((resource) => resource.breaches > 0).length;
    const health = hiddenBreached ? `${grouped(hiddenBreached)} in BREACH` : 'none in breach';
    lines.push(`  … and ${counted(hidden.length, 'more resource', 'more resources')}, ${health} ${MORE_HINT}`);
  }
  return lines;
}

const STATE_TEXT: Record<RegionState, string> = { ok: 'ok', pending: 'ok', breach: 'BREACH', none: 'NONE', gone: 'gone' };

function regionLine(region: RegionView, regionWidth: number, zone: string): string {
  const head = `${STATE_TEXT[region.state].padEnd(6)}  ${region.region.padEnd(regionWidth)}  ${region.role === 'primary' ? 'primary' : 'DR     '}  `;
  // DLM copies of volume snapshots cannot be tied to their volume: say the Region is judged for the plan.
  const planLevel = region.scope === 'plan' ? '  (plan-level: newest copy of any volume of the plan; DLM copies are not tracked per volume)' : '';
  if (!region.latestGoodAt) {
    const pending = region.role === 'primary' ? 'no recovery point yet, still within the RPO' : 'no copy yet, still within the RPO and time for a first copy';
    return head + (region.state === 'pending' ? pending : 'no good recovery point') + planLevel;
  }
  const lag = region.copyLagMs !== undefined ? `  copy lag ${formatDuration(region.copyLagMs)}` : '';
  return `${head}${shortDate(region.latestGoodAt, zone)}  ${`${ageText(region)} old`.padEnd(15)}${lag}${planLevel}`.trimEnd();
}

function failureLine(group: FailureGroup, idCap: number): string {
  const plan = group.planId ? `plan ${group.planId}` : 'no plan';
  const ids = group.resourceIds.slice(0, idCap).join(', ');
  const hidden = group.resourceIds.length - Math.min(idCap, group.resourceIds.length);
  const more = hidden > 0 ? `${ids ? ' ' : ''}… and ${counted(hidden, 'more resource', 'more resources')}` : '';
  const named = ids || more ? `: ${ids}${more}` : '';
  return `${clean(group.errorName, MAX_NAME)} ×${grouped(group.count)} (${plan}, ${group.kind})${named} — ${clean(group.reason, MAX_FREE_TEXT)}`;
}

function drillLines(drill: DrillView, report: Analysis): string[] {
  const last = drill.last;
  const label = `  ${drill.planId}: `;
  if (drill.state === 'stale') {
    const previous = last ? `last: ${last.passed ? 'PASS' : 'FAIL'} on ${longDate(last.at, report.zone)}` : 'never drilled';
    return [`${label}STALE, ${staleText(drill, report)} (${previous})`];
  }
  if (drill.state === 'unknown' && drill.dueAt) {
    return [
      `${label}NOT KNOWN: the drill scheduled for ${longDate(drill.dueAt, report.zone)} is older than the run log keeps ` +
        `and no drill since is in it: see that drill's email`,
    ];
  }
  if (!last) {
    const due = drill.dueAt ? 'not due: its schedule has not run yet' : `not due: drills go stale after ${report.input.settings.drillStaleDays} days`;
    return [`${label}no drill yet (${due})`];
  }
  const lines = [
    `${label}${last.passed ? 'PASS' : 'FAIL'} on ${longDate(last.at, report.zone)}, restore of ${last.resourceId} in ${last.region}`,
    `    ${drillObjectives(last)}`,
  ];
  if (!last.passed && last.cause) lines.push(`    cause: ${clean(last.cause, MAX_FREE_TEXT)}`);
  return lines;
}

function drillObjectives(drill: DrillResultSummary): string {
  const rto = drill.rtoMs !== undefined ? formatDuration(drill.rtoMs) : 'not measured';
  const rpo = drill.achievedRpoMs !== undefined ? formatDuration(drill.achievedRpoMs) : 'not measured';
  return `RTO ${rto} of ${formatDuration(drill.rtoObjectiveMs)}, RPO ${rpo} of ${formatDuration(drill.rpoObjectiveMs)}`;
}

const BASIS_TEXT: Record<StorageView['total']['basis'], string> = {
  measured: 'measured',
  'upper-bound': 'upper bound',
  mixed: 'mixed',
  none: '',
};

function storageLines(report: Analysis, rowCap: number): string[] {
  const { settings } = report.input;
  const { rows, total } = report.storage;
  const lines = ['', `STORAGE (estimated cost: GB × ${settings.pricePerGbMonth} ${settings.currency} per GB-month)`];
  if (rows.length === 0) return [...lines, '  no snapshots stored'];
  const planWidth = Math.min(30, Math.max(5, ...rows.map((row) => row.planId.length)));
  const regionWidth = Math.max(9, ...rows.map((row) => row.region.length));
  const snapshotWidth = `${grouped(total.snapshots)} snapshots`.length;
  const costWidth = formatMoney(monthlyCost(total.bytes, settings.pricePerGbMonth)).length;
  const row = (planId: string, region: string, snapshots: number, bytes: number, basis: string): string =>
    `  ${planId.padEnd(planWidth)}  ${region.padEnd(regionWidth)}  ${counted(snapshots, 'snapshot').padStart(snapshotWidth)}  ` +
    `${formatSize(bytes).padStart(10)}  ${basis.padEnd(11)}  ` +
    `${formatMoney(monthlyCost(bytes, settings.pricePerGbMonth)).padStart(costWidth)} ${settings.currency}/month`;
  for (const estimate of rows.slice(0, rowCap)) {
    lines.push(row(estimate.planId, estimate.region, estimate.snapshots, estimate.bytes, BASIS_TEXT[estimate.basis]));
  }
  pushMore(lines, '  ', rows.length - rowCap, 'storage row', 'storage rows');
  lines.push(row('total', '', total.snapshots, total.bytes, BASIS_TEXT[total.basis]));
  if (total.basis !== 'measured') {
    lines.push('  measured: FullSnapshotSizeInBytes; upper bound: source volume size (the real cost is lower)');
  }
  return lines;
}

function pushMore(lines: string[], indent: string, hidden: number, singular: string, plural: string, hint = MORE_HINT): void {
  if (hidden > 0) lines.push(`${indent}… and ${grouped(hidden)} more ${hidden === 1 ? singular : plural} ${hint}`);
}

function resourceLabel(resource: ResourceStatus): string {
  return resource.name ? `${resource.resourceId} "${clean(resource.name, MAX_NAME)}"` : resource.resourceId;
}

function ageText(region: RegionView): string {
  return region.ageMs !== undefined ? formatDuration(region.ageMs) : '?';
}

function staleText(drill: DrillView, report: Analysis): string {
  return drill.dueAt
    ? `no drill since the one scheduled for ${shortDate(drill.dueAt, report.zone)}`
    : `no drill in the last ${report.input.settings.drillStaleDays} days`;
}

function emptyPlanText(plan: PlanView): string {
  return plan.gone
    ? 'protects no existing resource (only deleted ones): check its selection tags'
    : 'protects no resources: check its selection tags';
}

/**
 * Wraps at spaces within the width; continuation lines are indented 4 more than the original, and a word
 * longer than the width is split.
 */
function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  let chars = [...line];
  if (chars.length <= width) return [line];
  const indent = line.length - line.trimStart().length;
  const continuation = ' '.repeat(Math.min(indent + 4, Math.floor(width / 2)));
  const out: string[] = [];
  let start = indent;
  while (chars.length > width) {
    const cut = breakPoint(chars, start, width, true) ?? breakPoint(chars, start, width, false) ?? width;
    out.push(chars.slice(0, cut).join('').trimEnd());
    chars = [...continuation, ...chars.slice(cut).join('').trimStart()];
    start = continuation.length;
  }
  out.push(chars.join(''));
  return out;
}

/** Last space within the width; `keepTogether` keeps numbers with their words ("9 h 12 min", "and 30 more", "… and"). */
function breakPoint(chars: readonly string[], start: number, width: number, keepTogether: boolean): number | undefined {
  for (let index = width; index > start; index -= 1) {
    if (chars[index] !== ' ') continue;
    if (keepTogether && (/[\d…×]/.test(chars[index - 1] ?? '') || /\d/.test(chars[index + 1] ?? ''))) continue;
    return index;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// JSON form (schemaVersion 1): durations in seconds, dates ISO 8601 UTC, absent values null.

function jsonForm(report: Analysis, caps: Caps, textTruncated: boolean): object {
  const { input, storage } = report;
  const { settings } = input;
  let resourcesOmitted = 0;
  let failureIdsOmitted = 0;
  const plans = report.plans.map((view) => {
    const shown = view.resources.slice(0, caps.resources);
    resourcesOmitted += view.resources.length - shown.length;
    return {
      planId: view.plan.planId,
      description: view.plan.description,
      engine: view.plan.engine,
      rpoSeconds: seconds(view.plan.rpoMs),
      rtoSeconds: seconds(view.plan.rtoMs),
      regions: view.plan.regions,
      resourceCount: view.existing,
      deletedResourceCount: view.gone,
      rpoBreaches: view.breaches,
      resources: shown.map((resource) => ({
        resourceId: resource.resource.resourceId,
        type: resource.resource.type,
        name: resource.resource.name ?? null,
        exists: resource.resource.exists,
        rpoBreaches: resource.breaches,
        regions: resource.regions.map((region) => ({
          region: region.region,
          role: region.role,
          status: region.state,
          latestGoodAt: region.latestGoodAt ? region.latestGoodAt.toISOString() : null,
          ageSeconds: region.ageMs !== undefined ? seconds(region.ageMs) : null,
          copyLagSeconds: region.copyLagMs !== undefined ? seconds(region.copyLagMs) : null,
          scope: region.scope,
        })),
      })),
      resourcesOmitted: view.resources.length - shown.length,
    };
  });
  const failures = report.failures.slice(0, caps.failureGroups).map((group) => {
    const ids = group.resourceIds.slice(0, caps.failureIds);
    failureIdsOmitted += group.resourceIds.length - ids.length;
    return {
      kind: group.kind,
      planId: group.planId ?? null,
      errorName: group.errorName,
      reason: clean(group.reason, MAX_FREE_TEXT),
      count: group.count,
      resourceIds: ids,
      resourceIdsOmitted: group.resourceIds.length - ids.length,
    };
  });
  const unprotectedShown = report.unprotected.slice(0, caps.unprotected);
  const rowsShown = storage.rows.slice(0, caps.storageRows);
  const warningsShown = report.warnings.slice(0, caps.warnings);
  const omitted = {
    resources: resourcesOmitted,
    unprotected: report.unprotected.length - unprotectedShown.length,
    failureGroups: report.failures.length - failures.length,
    failureResourceIds: failureIdsOmitted,
    storageRows: storage.rows.length - rowsShown.length,
    warnings: report.warnings.length - warningsShown.length,
  };
  return {
    ...jsonHeader(report),
    plans,
    unprotected: {
      count: report.unprotected.length,
      resources: unprotectedShown.map((resource) => ({ type: resource.type, id: resource.id, name: resource.name ?? null })),
      omitted: omitted.unprotected,
    },
    activity: {
      created: input.activity.created,
      copied: input.activity.copied,
      pruned: input.activity.pruned,
      failureCount: report.failureTotal,
      failureGroupCount: report.failures.length,
      failures,
      failureGroupsOmitted: omitted.failureGroups,
    },
    drills: report.drills.map((drill) => ({
      planId: drill.planId,
      status: drill.state,
      stale: drill.stale,
      dueAt: drill.dueAt ? drill.dueAt.toISOString() : null,
      lastDrill: drill.last
        ? {
            at: drill.last.at.toISOString(),
            passed: drill.last.passed,
            region: drill.last.region,
            resourceId: drill.last.resourceId,
            rtoSeconds: drill.last.rtoMs !== undefined ? seconds(drill.last.rtoMs) : null,
            rtoObjectiveSeconds: seconds(drill.last.rtoObjectiveMs),
            achievedRpoSeconds: drill.last.achievedRpoMs !== undefined ? seconds(drill.last.achievedRpoMs) : null,
            rpoObjectiveSeconds: seconds(drill.last.rpoObjectiveMs),
            cause: drill.last.cause !== undefined ? clean(drill.last.cause, MAX_FREE_TEXT) : null,
          }
        : null,
    })),
    storage: {
      currency: settings.currency,
      pricePerGbMonth: settings.pricePerGbMonth,
      rows: rowsShown.map((row) => ({
        planId: row.planId,
        region: row.region,
        snapshots: row.snapshots,
        bytes: row.bytes,
        basis: row.basis,
        monthlyCost: roundCents(monthlyCost(row.bytes, settings.pricePerGbMonth)),
      })),
      rowsOmitted: omitted.storageRows,
      total: {
        snapshots: storage.total.snapshots,
        bytes: storage.total.bytes,
        basis: storage.total.basis === 'none' ? null : storage.total.basis,
        monthlyCost: roundCents(monthlyCost(storage.total.bytes, settings.pricePerGbMonth)),
      },
    },
    warnings: warningsShown,
    warningsOmitted: omitted.warnings,
    truncated: {
      json: Object.values(omitted).some((count) => count > 0),
      text: textTruncated,
      resourcesOmitted: omitted.resources,
      unprotectedOmitted: omitted.unprotected,
      failureGroupsOmitted: omitted.failureGroups,
      failureResourceIdsOmitted: omitted.failureResourceIds,
      storageRowsOmitted: omitted.storageRows,
      warningsOmitted: omitted.warnings,
    },
  };
}

function jsonHeader(report: Analysis): object {
  const { input, counts } = report;
  return {
    schemaVersion: DAILY_REPORT_SCHEMA_VERSION,
    generatedAt: input.generatedAt.toISOString(),
    stack: input.stack,
    primaryRegion: input.primaryRegion,
    timezone: report.zone,
    headline: report.headline,
    problems: counts.total,
    problemCounts: {
      rpoBreaches: counts.rpoBreaches,
      failureGroups: counts.failureGroups,
      failedDrills: counts.failedDrills,
      staleDrills: counts.staleDrills,
      emptyPlans: counts.emptyPlans,
    },
  };
}

/** When even empty lists overflow (thousands of plans), the JSON form keeps only what is always exact. */
function minimalJsonForm(report: Analysis, textTruncated: boolean): object {
  return {
    ...jsonHeader(report),
    plans: [],
    plansOmitted: report.plans.length,
    truncated: { json: true, text: textTruncated, everythingOmitted: true },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Small formatting helpers.

/** Size of a form once it is a JSON string inside the SNS message envelope: what counts against 256 KiB. */
function sentBytes(form: string): number {
  let bytes = 2;
  for (let index = 0; index < form.length; index += 1) {
    const code = form.charCodeAt(index);
    if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x20) bytes += code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d ? 2 : 6;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(form.charCodeAt(index + 1))) {
      bytes += 4;
      index += 1;
    } else if (code >= 0xd800 && code <= 0xdfff) bytes += 6; // a lone surrogate is escaped as \\uXXXX
    else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function longDate(date: Date, zone: string): string {
  return `${shortDate(date, zone)} ${zone}`;
}

function shortDate(date: Date, zone: string): string {
  return formatLocal(zone, date.getTime());
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** AWS bills snapshot storage per GB-month where a GB is 2^30 bytes. */
function monthlyCost(bytes: number, pricePerGbMonth: number): number {
  return (bytes / GIB) * pricePerGbMonth;
}

function roundCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

function formatMoney(amount: number): string {
  const [whole = '0', cents = '00'] = roundCents(amount).toFixed(2).split('.');
  return `${grouped(Number(whole))}.${cents}`;
}

function formatSize(bytes: number): string {
  if (bytes >= TIB) return `${(bytes / TIB).toFixed(2)} TiB`;
  if (bytes === 0) return '0 GiB';
  return `${Math.max(bytes / GIB, 0.1).toFixed(1)} GiB`;
}

/** 4812 → "4,812", independent of the runtime's locale data. */
function grouped(value: number): string {
  const [whole = '', fraction] = String(value).split('.');
  const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? digits : `${digits}.${fraction}`;
}

function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${grouped(count)} ${count === 1 ? singular : plural}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Free text from AWS or users: control characters (newlines, tabs) become spaces, and it is capped in length. */
function clean(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

/** SNS subjects: printable ASCII only, no line breaks. */
function ascii(text: string): string {
  return text
    .replace(/×/g, 'x')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}
