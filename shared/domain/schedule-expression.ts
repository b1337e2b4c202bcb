/**
 * Amazon EventBridge Scheduler schedule expressions: parsing, validation and evaluation.
 *
 * Supports the two recurring forms AWS documents, `rate(value unit)` and the six-field
 * `cron(minutes hours day-of-month month day-of-week year)`. One-time `at(...)` schedules are
 * rejected because a backup plan must recur. Pure TypeScript: time zones come from ./zoned-time.ts.
 */
import { isValidTimezone, localToInstant, offsetMinutesAt } from './zoned-time.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './durations.js';

export type RateUnit = 'minute' | 'hour' | 'day';

export interface RateExpression {
  kind: 'rate';
  source: string;
  value: number;
  unit: RateUnit;
  intervalMs: number;
}

/** Day-of-month field: `?`, a value set (`*`, lists, ranges, steps), `L`, `LW` or `nW`. */
export type DayOfMonthRule =
  | { kind: 'any' }
  | { kind: 'days'; days: readonly number[] }
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number };

/** Day-of-week field (1 = SUN … 7 = SAT): `?`, a value set, `nL` (last n of the month) or `n#k` (k-th n). */
export type DayOfWeekRule =
  | { kind: 'any' }
  | { kind: 'days'; days: readonly number[] }
  | { kind: 'lastInMonth'; day: number }
  | { kind: 'nthInMonth'; day: number; nth: number };

export interface CronExpression {
  kind: 'cron';
  source: string;
  /** Sorted, distinct allowed values of each plain field. */
  minutes: readonly number[];
  hours: readonly number[];
  dayOfMonth: DayOfMonthRule;
  months: readonly number[];
  dayOfWeek: DayOfWeekRule;
  years: readonly number[];
}

export type ScheduleExpression = RateExpression | CronExpression;

/** Thrown for every malformed or unsupported schedule expression (and unknown time zones). */
export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';

  constructor(message: string) {
    super(message);
  }
}

/** Largest instant a JavaScript Date can represent. */
const MAX_DATE_MS = 8.64e15;
const DEFAULT_LIMIT = 100_000;
const DEFAULT_HORIZON_DAYS = 400;

const FORMS_HINT = 'use rate(value unit) or cron(minutes hours day-of-month month day-of-week year)';

const RATE_UNITS: Readonly<Record<string, { unit: RateUnit; plural: boolean }>> = {
  minute: { unit: 'minute', plural: false },
  minutes: { unit: 'minute', plural: true },
  hour: { unit: 'hour', plural: false },
  hours: { unit: 'hour', plural: true },
  day: { unit: 'day', plural: false },
  days: { unit: 'day', plural: true },
};

const UNIT_MS: Readonly<Record<RateUnit, number>> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  allowed: string;
}

const MINUTES_FIELD: FieldSpec = { name: 'minutes', min: 0, max: 59, allowed: '0-59' };
const HOURS_FIELD: FieldSpec = { name: 'hours', min: 0, max: 23, allowed: '0-23' };
const DAY_OF_MONTH_FIELD: FieldSpec = { name: 'day-of-month', min: 1, max: 31, allowed: '1-31' };
const MONTH_FIELD: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  allowed: '1-12 (or JAN-DEC)',
};
const DAY_OF_WEEK_FIELD: FieldSpec = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
  allowed: '1-7 (or SUN-SAT)',
};
const YEAR_FIELD: FieldSpec = { name: 'year', min: 1970, max: 2199, allowed: '1970-2199' };

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses and validates an EventBridge Scheduler expression so a bad plan is rejected before any
 * AWS call; throws ScheduleExpressionError naming the offending part and what is allowed.
 */
export function parseScheduleExpression(source: string): ScheduleExpression {
  if (typeof source !== 'string')
    throw new ScheduleExpressionError(`schedule expression must be a string; ${FORMS_HINT}`);
  const text = source.trim();
  if (text === '') throw new ScheduleExpressionError(`schedule expression is empty; ${FORMS_HINT}`);

  const match = /^([A-Za-z]+)\((.*)\)$/s.exec(text);
  if (!match) {
    const opened = /^(rate|cron|at)\(/i.exec(text);
    if (opened) throw new ScheduleExpressionError(`'${text}' is missing the closing ')'`);
    throw new ScheduleExpressionError(`'${text}' is not a schedule expression; ${FORMS_HINT}`);
  }
  const keyword = match[1] ?? '';
  const inner = (match[2] ?? '').trim();

  switch (keyword) {
    case 'rate':
      return parseRate(text, inner);
    case 'cron':
      return parseCron(text, inner);
    case 'at':
      throw new ScheduleExpressionError(
        `at() is a one-time schedule; a backup plan needs a recurring cron() or rate() expression`,
      );
    default:
      if (['rate', 'cron', 'at'].includes(keyword.toLowerCase())) {
        throw new ScheduleExpressionError(
          `write '${keyword.toLowerCase()}(' in lower case, not '${keyword}('`,
        );
      }
      throw new ScheduleExpressionError(`'${keyword}(...)' is not a schedule expression; ${FORMS_HINT}`);
  }
}

function parseRate(source: string, inner: string): RateExpression {
  const parts = inner === '' ? [] : inner.split(/\s+/);
  if (parts.length !== 2) {
    throw new ScheduleExpressionError(
      `rate() needs a value and a unit, e.g. rate(5 minutes); got 'rate(${inner})'`,
    );
  }
  const [valueText = '', unitText = ''] = parts;
  if (!/^\d+$/.test(valueText) || Number(valueText) === 0) {
    throw new ScheduleExpressionError(`rate value '${valueText}' must be a positive whole number`);
  }
  const unitInfo = Object.hasOwn(RATE_UNITS, unitText) ? RATE_UNITS[unitText] : undefined;
  if (!unitInfo) {
    throw new ScheduleExpressionError(
      `rate unit '${unitText}' is not supported; use minute(s), hour(s) or day(s)`,
    );
  }
  const value = Number(valueText);
  const { unit } = unitInfo;
  if (value === 1 && unitInfo.plural) {
    throw new ScheduleExpressionError(
      `use the singular unit when the value is 1: rate(1 ${unit}), not rate(1 ${unitText})`,
    );
  }
  if (value !== 1 && !unitInfo.plural) {
    throw new ScheduleExpressionError(
      `use the plural unit when the value is not 1: rate(${valueText} ${unit}s), not rate(${valueText} ${unitText})`,
    );
  }
  const intervalMs = value * UNIT_MS[unit];
  if (!Number.isSafeInteger(intervalMs) || intervalMs > MAX_DATE_MS) {
    throw new ScheduleExpressionError(`rate value '${valueText}' is too large`);
  }
  return { kind: 'rate', source, value, unit, intervalMs };
}

function parseCron(source: string, inner: string): CronExpression {
  const fields = inner === '' ? [] : inner.split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      `cron() needs exactly 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  }
  const [minText = '', hourText = '', domText = '', monthText = '', dowText = '', yearText = ''] = fields;

  const minutes = parsePlainField(MINUTES_FIELD, minText);
  const hours = parsePlainField(HOURS_FIELD, hourText);
  const dayOfMonth = parseDayOfMonth(domText);
  const months = parsePlainField(MONTH_FIELD, monthText);
  const dayOfWeek = parseDayOfWeek(dowText);
  const years = parsePlainField(YEAR_FIELD, yearText);

  if (dayOfMonth.kind === 'any' && dayOfWeek.kind === 'any') {
    throw new ScheduleExpressionError(`day-of-month and day-of-week cannot both be '?'; set one of them`);
  }
  if (dayOfMonth.kind !== 'any' && dayOfWeek.kind !== 'any') {
    throw new ScheduleExpressionError(
      `one of day-of-month ('${domText}') and day-of-week ('${dowText}') must be '?'`,
    );
  }
  return { kind: 'cron', source, minutes, hours, dayOfMonth, months, dayOfWeek, years };
}

function parsePlainField(field: FieldSpec, text: string): number[] {
  if (text.includes('?')) {
    throw new ScheduleExpressionError(
      `${field.name} field cannot be '?'; '?' is only allowed in day-of-month or day-of-week`,
    );
  }
  return parseValueList(field, text);
}

function parseDayOfMonth(text: string): DayOfMonthRule {
  const upper = text.toUpperCase();
  if (upper === '?') return { kind: 'any' };
  if (upper === 'L') return { kind: 'last' };
  if (upper === 'LW') return { kind: 'lastWeekday' };
  const weekday = /^(\d+)W$/.exec(upper);
  if (weekday) return { kind: 'nearestWeekday', day: parseSingleValue(DAY_OF_MONTH_FIELD, weekday[1] ?? '') };
  if (/[LW?]/.test(upper)) {
    throw new ScheduleExpressionError(
      `day-of-month field '${text}' is not valid; 'L', 'LW', 'nW' and '?' must stand alone (e.g. 15W)`,
    );
  }
  return { kind: 'days', days: parseValueList(DAY_OF_MONTH_FIELD, text) };
}

function parseDayOfWeek(text: string): DayOfWeekRule {
  const upper = text.toUpperCase();
  if (upper === '?') return { kind: 'any' };
  // A bare 'L' is the last day of the week, Saturday.
  if (upper === 'L') return { kind: 'days', days: [7] };
  const last = /^([A-Z0-9]+)L$/.exec(upper);
  if (last) return { kind: 'lastInMonth', day: parseSingleValue(DAY_OF_WEEK_FIELD, last[1] ?? '') };
  const nth = /^([A-Z0-9]+)#(.*)$/.exec(upper);
  if (nth) {
    const day = parseSingleValue(DAY_OF_WEEK_FIELD, nth[1] ?? '');
    const nthText = nth[2] ?? '';
    if (!/^[1-5]$/.test(nthText)) {
      throw new ScheduleExpressionError(
        `day-of-week field '${text}' is not valid; the number after '#' must be 1-5`,
      );
    }
    return { kind: 'nthInMonth', day, nth: Number(nthText) };
  }
  if (/[#?]/.test(upper) || /L(,|-|\/|$)/.test(upper)) {
    throw new ScheduleExpressionError(
      `day-of-week field '${text}' is not valid; 'nL', 'n#k' and '?' must stand alone (e.g. 6L, 3#2)`,
    );
  }
  if (upper.includes('/')) {
    // EventBridge takes no step in this field (its wildcards there are , - * ? L #) and refuses the schedule.
    throw new ScheduleExpressionError(`day-of-week field '${text}' is not valid; EventBridge allows no '/' step there: list the days instead (e.g. MON,WED,FRI)`);
  }
  return { kind: 'days', days: parseValueList(DAY_OF_WEEK_FIELD, text) };
}

/** Parses `*`, values, ranges, steps and comma lists into sorted distinct values. */
function parseValueList(field: FieldSpec, text: string): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '')
      throw new ScheduleExpressionError(`${field.name} field '${text}' has an empty list item`);
    const slash = item.split('/');
    if (slash.length > 2)
      throw new ScheduleExpressionError(`${field.name} field '${item}' has more than one '/'`);
    const [base = '', stepText] = slash;
    let step = 1;
    if (stepText !== undefined) {
      const maxStep = field.max - field.min;
      step = Number(stepText);
      if (!/^\d+$/.test(stepText) || step < 1 || step > maxStep) {
        throw new ScheduleExpressionError(
          `${field.name} field step '${stepText}' in '${item}' must be a whole number from 1 to ${maxStep}`,
        );
      }
    }
    let start: number;
    let end: number;
    if (base === '*') {
      start = field.min;
      end = field.max;
    } else {
      const dash = base.split('-');
      if (dash.length === 2) {
        start = parseSingleValue(field, dash[0] ?? '', item);
        end = parseSingleValue(field, dash[1] ?? '', item);
        if (start > end) {
          throw new ScheduleExpressionError(
            `${field.name} field range '${base}' runs backwards; the start must not be after the end`,
          );
        }
      } else if (dash.length === 1) {
        start = parseSingleValue(field, base, item);
        // 'a/n' means every n starting at a; a bare 'a' is just a.
        end = stepText === undefined ? start : field.max;
      } else {
        throw new ScheduleExpressionError(`${field.name} field '${item}' is not valid; use ${field.allowed}`);
      }
    }
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function parseSingleValue(field: FieldSpec, token: string, context: string = token): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < field.min || value > field.max) {
      throw new ScheduleExpressionError(`${field.name} field '${token}' is out of range ${field.allowed}`);
    }
    return value;
  }
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return field.min + index;
  const shown = token === '' ? context : token;
  throw new ScheduleExpressionError(`${field.name} field '${shown}' is not valid; use ${field.allowed}`);
}

// ---------------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------------

/** The zone name, once checked: the functions below take it as it is. */
function zoneFor(timezone: string): string {
  if (!isValidTimezone(timezone)) {
    throw new ScheduleExpressionError(
      `time zone '${timezone}' is not a valid IANA time zone name (e.g. Europe/Paris)`,
    );
  }
  return timezone;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** Local calendar date of instant `ms` in `zone`, shifted by `deltaDays`. */
function localDateOf(zone: string, ms: number, deltaDays: number): LocalDate {
  // Clamp so the shifted date stays representable; cron years (1970-2199) are far inside this range.
  const clamped = Math.min(Math.max(ms, -MAX_DATE_MS + 3 * DAY_MS), MAX_DATE_MS - 3 * DAY_MS);
  const local = new Date(clamped + offsetMinutesAt(zone, clamped) * MINUTE_MS + deltaDays * DAY_MS);
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

// ---------------------------------------------------------------------------------------------
// Cron calendar matching
// ---------------------------------------------------------------------------------------------

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Day of week with 1 = Sunday … 7 = Saturday, as in cron. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** Days of the month (ascending) on which the cron's day fields match. */
function matchingDays(cron: CronExpression, year: number, month: number): number[] {
  const dim = daysInMonth(year, month);
  const dom = cron.dayOfMonth;
  switch (dom.kind) {
    case 'days':
      return dom.days.filter((d) => d <= dim);
    case 'last':
      return [dim];
    case 'lastWeekday': {
      const wd = weekdayOf(year, month, dim);
      return [wd === 7 ? dim - 1 : wd === 1 ? dim - 2 : dim];
    }
    case 'nearestWeekday': {
      // The nearest weekday never leaves the month: 1W on a Saturday is Monday the 3rd.
      const target = dom.day;
      if (target > dim) return [];
      const wd = weekdayOf(year, month, target);
      if (wd === 7) return [target === 1 ? 3 : target - 1];
      if (wd === 1) return [target === dim ? target - 2 : target + 1];
      return [target];
    }
    case 'any':
      break;
  }
  const dow = cron.dayOfWeek;
  const firstWeekday = weekdayOf(year, month, 1);
  switch (dow.kind) {
    case 'days': {
      const days: number[] = [];
      for (let d = 1; d <= dim; d++) {
        if (dow.days.includes(((firstWeekday - 1 + d - 1) % 7) + 1)) days.push(d);
      }
      return days;
    }
    case 'lastInMonth': {
      const lastWeekday = weekdayOf(year, month, dim);
      return [dim - ((lastWeekday - dow.day + 7) % 7)];
    }
    case 'nthInMonth': {
      const day = 1 + ((dow.day - firstWeekday + 7) % 7) + 7 * (dow.nth - 1);
      return day <= dim ? [day] : [];
    }
    case 'any': {
      // Unreachable for parsed expressions (exactly one field is '?'); treat as every day.
      return Array.from({ length: dim }, (_, i) => i + 1);
    }
  }
}

function* matchingDatesForward(cron: CronExpression, start: LocalDate): Generator<LocalDate> {
  for (const year of cron.years) {
    if (year < start.year) continue;
    for (const month of cron.months) {
      if (year === start.year && month < start.month) continue;
      const sameMonth = year === start.year && month === start.month;
      for (const day of matchingDays(cron, year, month)) {
        if (sameMonth && day < start.day) continue;
        yield { year, month, day };
      }
    }
  }
}

function* matchingDatesBackward(cron: CronExpression, start: LocalDate): Generator<LocalDate> {
  for (let yi = cron.years.length - 1; yi >= 0; yi--) {
    const year = cron.years[yi] ?? 0;
    if (year > start.year) continue;
    for (let mi = cron.months.length - 1; mi >= 0; mi--) {
      const month = cron.months[mi] ?? 0;
      if (year === start.year && month > start.month) continue;
      const sameMonth = year === start.year && month === start.month;
      const days = matchingDays(cron, year, month);
      for (let di = days.length - 1; di >= 0; di--) {
        const day = days[di] ?? 0;
        if (sameMonth && day > start.day) continue;
        yield { year, month, day };
      }
    }
  }
}

/** Distinct firing instants (ascending) for one local date. */
function instantsOnDate(cron: CronExpression, zone: string, date: LocalDate): number[] {
  const midnight = Date.UTC(date.year, date.month - 1, date.day);
  const lastMinute = 1439 * MINUTE_MS;
  const start = localToInstant(zone, midnight);
  // Usual case: no offset change during the day, so wall time maps linearly onto instants.
  const linear = localToInstant(zone, midnight + lastMinute) - start === lastMinute;
  const out: number[] = [];
  for (const hour of cron.hours) {
    for (const minute of cron.minutes) {
      const sinceMidnight = hour * HOUR_MS + minute * MINUTE_MS;
      out.push(linear ? start + sinceMidnight : localToInstant(zone, midnight + sinceMidnight));
    }
  }
  return linear ? out : sortedUnique(out, (a, b) => a - b);
}

function sortedUnique(values: number[], compare: (a: number, b: number) => number): number[] {
  const sorted = [...values].sort(compare);
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}

/**
 * Ascending instants > afterMs. Keeps one day buffered because a spring-forward shift can push a
 * late-evening wall time past the next day's first firing.
 */
function* cronForward(cron: CronExpression, zone: string, afterMs: number): Generator<number> {
  let pending: number[] = [];
  for (const date of matchingDatesForward(cron, localDateOf(zone, afterMs, -1))) {
    const today = instantsOnDate(cron, zone, date).filter((t) => t > afterMs);
    const first = today[0];
    if (first === undefined) continue;
    const lastPending = pending[pending.length - 1];
    if (lastPending === undefined || lastPending < first) {
      yield* pending;
      pending = today;
      continue;
    }
    const merged = sortedUnique([...pending, ...today], (a, b) => a - b);
    let i = 0;
    while (i < merged.length && (merged[i] ?? 0) < first) yield merged[i++] ?? 0;
    pending = merged.slice(i);
  }
  yield* pending;
}

/** Descending instants <= atOrBeforeMs; mirror image of cronForward. */
function* cronBackward(cron: CronExpression, zone: string, atOrBeforeMs: number): Generator<number> {
  let pending: number[] = [];
  for (const date of matchingDatesBackward(cron, localDateOf(zone, atOrBeforeMs, 1))) {
    const today = instantsOnDate(cron, zone, date)
      .filter((t) => t <= atOrBeforeMs)
      .reverse();
    const last = today[0];
    if (last === undefined) continue;
    const lastPending = pending[pending.length - 1];
    if (lastPending === undefined || lastPending > last) {
      yield* pending;
      pending = today;
      continue;
    }
    const merged = sortedUnique([...pending, ...today], (a, b) => b - a);
    let i = 0;
    while (i < merged.length && (merged[i] ?? 0) > last) yield merged[i++] ?? 0;
    pending = merged.slice(i);
  }
  yield* pending;
}

function* rateForward(rate: RateExpression, afterMs: number): Generator<number> {
  for (
    let t = Math.floor(afterMs / rate.intervalMs) * rate.intervalMs + rate.intervalMs;
    t <= MAX_DATE_MS;
    t += rate.intervalMs
  ) {
    yield t;
  }
}

function* rateBackward(rate: RateExpression, atOrBeforeMs: number): Generator<number> {
  for (
    let t = Math.floor(atOrBeforeMs / rate.intervalMs) * rate.intervalMs;
    t >= -MAX_DATE_MS;
    t -= rate.intervalMs
  ) {
    yield t;
  }
}

function forward(expr: ScheduleExpression, timezone: string, afterMs: number): Generator<number> {
  const zone = zoneFor(timezone);
  return expr.kind === 'rate' ? rateForward(expr, afterMs) : cronForward(expr, zone, afterMs);
}

function instantOf(date: Date, what: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} must be a valid Date`);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/**
 * First occurrence strictly after `after`, evaluated in the IANA `timezone`; undefined when there is
 * none (e.g. year field in the past). Strictly-after lets callers chain calls without repeats.
 */
export function nextOccurrence(expr: ScheduleExpression, after: Date, timezone: string): Date | undefined {
  const afterMs = instantOf(after, 'after');
  for (const t of forward(expr, timezone, afterMs)) return new Date(t);
  return undefined;
}

/**
 * Latest occurrence at or before `atOrBefore` (the schedule "slot" that time belongs to); undefined when none.
 * Rates use the epoch-aligned floor: EventBridge anchors real rate schedules at creation time, but the
 * floor to a multiple of intervalMs since 1970-01-01T00:00Z gives each fire a distinct, stable slot id.
 */
export function previousOccurrence(
  expr: ScheduleExpression,
  atOrBefore: Date,
  timezone: string,
): Date | undefined {
  const ms = instantOf(atOrBefore, 'atOrBefore');
  const zone = zoneFor(timezone);
  const iterator = expr.kind === 'rate' ? rateBackward(expr, ms) : cronBackward(expr, zone, ms);
  for (const t of iterator) return new Date(t);
  return undefined;
}

/**
 * All occurrences with from < t <= to, oldest first, capped at `limit` (default 100000) so a
 * fine-grained schedule over a long window cannot exhaust memory.
 */
export function occurrencesBetween(
  expr: ScheduleExpression,
  timezone: string,
  from: Date,
  to: Date,
  limit: number = DEFAULT_LIMIT,
): Date[] {
  const fromMs = instantOf(from, 'from');
  const toMs = instantOf(to, 'to');
  if (!(limit >= 0)) throw new RangeError('limit must be zero or more');
  const out: Date[] = [];
  if (toMs <= fromMs || limit < 1) {
    zoneFor(timezone);
    return out;
  }
  for (const t of forward(expr, timezone, fromMs)) {
    if (t > toMs) break;
    out.push(new Date(t));
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Longest gap between consecutive occurrences t with from < t <= from + horizonDays (default 400),
 * used to check that a plan's RPO can ever be met. Infinity if fewer than 2 occurrences.
 */
export function longestGapMs(
  expr: ScheduleExpression,
  timezone: string,
  from: Date,
  horizonDays: number = DEFAULT_HORIZON_DAYS,
): number {
  const fromMs = instantOf(from, 'from');
  if (!(horizonDays > 0) || !Number.isFinite(horizonDays))
    throw new RangeError('horizonDays must be a positive number');
  const endMs = fromMs + horizonDays * DAY_MS;
  let previous: number | undefined;
  let longest = Number.POSITIVE_INFINITY;
  let count = 0;
  for (const t of forward(expr, timezone, fromMs)) {
    if (t > endMs) break;
    if (previous !== undefined) {
      const gap = t - previous;
      longest = count === 1 ? gap : Math.max(longest, gap);
    }
    previous = t;
    count++;
  }
  return count < 2 ? Number.POSITIVE_INFINITY : longest;
}
