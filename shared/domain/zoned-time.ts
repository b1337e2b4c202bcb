/**
 * Wall-clock time in IANA time zones, from the runtime's Intl time zone data and nothing else: a Lambda bundle
 * carries no date library (luxon alone was 71 KB to parse at every cold start).
 *
 * Offsets are cached per zone and UTC day: since 1970 no zone has changed its UTC offset twice within six days
 * (tzdb), so a day whose two midnights share an offset has no change, and a day whose midnights differ has
 * exactly one, found once to the second. Instants before 1970 are worked out on every call. Offsets are those of the whole
 * second an instant falls in (zone rules change only on whole seconds).
 */

import { DAY_MS, MINUTE_MS } from './durations.js';

/** A local date and time, with the zone's UTC offset in force then. */
export interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  offsetMinutes: number;
}

/** An ISO 8601 week: its number (1-53) within its week-numbering year, which may differ from the calendar year. */
export interface IsoWeek {
  weekYear: number;
  week: number;
}

const SECOND_MS = 1_000;
/** Days after 1970 that are cached: the next midnight must stay within the range of a Date (±8.64e15 ms). */
const LAST_CACHED_DAY = 8.64e15 / DAY_MS - 1;

interface Zone {
  /** Gives the local fields of an instant; hourCycle h23 because some runtimes print midnight as 24 otherwise. */
  format: Intl.DateTimeFormat;
  /** UTC offset (minutes) at the start of each UTC day looked at, by day number since 1970. */
  midnights: Map<number, number>;
  /** The instant of the one offset change in a UTC day whose midnights differ, by day number. */
  changes: Map<number, number>;
}

const zones = new Map<string, Zone>();
let canonicalZones: ReadonlySet<string> | undefined;

/**
 * True when the proleptic Gregorian calendar has this day (no 31 April; 29 February in leap years only), year 0
 * included: where Date would roll a day the month lacks into the next month.
 */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCMonth() === month - 1;
}

/**
 * True for IANA zone names the runtime knows (e.g. Europe/Paris, UTC); bare UTC offsets such as
 * "+05:00" are refused because EventBridge Scheduler only takes zone names.
 */
export function isValidTimezone(timezone: string): boolean {
  if (typeof timezone !== 'string' || !/^[A-Za-z]/.test(timezone)) return false;
  // The runtime's list of canonical zones answers for nearly every name without loading zone rules (the first
  // formatter built for a zone costs some 15 ms of a cold start); aliases such as US/Pacific take the long way.
  // UTC, which every Intl must support (ECMA-402), is not in V8's list: without it here, checking the most common
  // zone built a formatter, some 15 ms of a cold start (the report's default REPORT_TIMEZONE).
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  if (canonicalZones.has(timezone) || zones.has(timezone)) return true;
  try {
    zones.set(timezone, newZone(timezone));
    return true;
  } catch {
    // Intl refuses a zone it does not know with a RangeError.
    return false;
  }
}

/**
 * Why a zone name Intl takes is not written as IANA writes it, or undefined when it is (a link such as US/Pacific
 * included). Intl ignores case, and EventBridge Scheduler, which gets the name as written, may not. Every part of
 * an IANA name begins with a capital (Europe/Paris, US/Pacific, UTC, Etc/GMT+5).
 */
export function timezoneSpellingIssue(timezone: string): string | undefined {
  if (!isValidTimezone(timezone)) return undefined;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone;
  if (resolved !== timezone && resolved.toLowerCase() === timezone.toLowerCase()) return `write it as IANA writes it: "${resolved}"`;
  if (timezone.split('/').some((part) => !/^[A-Z]/.test(part))) {
    return `write it as IANA writes it, each part with its capital (e.g. Asia/Kolkata, US/Pacific, UTC); Intl knows it as "${resolved}"`;
  }
  return undefined;
}

/**
 * UTC offset in minutes of `timezone` at instant `epochMs` (+330 in Asia/Kolkata, -210 in America/St_Johns).
 * @throws RangeError for an unknown zone or an invalid instant.
 */
export function offsetMinutesAt(timezone: string, epochMs: number): number {
  const zone = zoneOf(timezone);
  const day = Math.floor(epochMs / DAY_MS);
  if (!(day >= 0 && day <= LAST_CACHED_DAY)) return offsetFromParts(zone.format, epochMs);
  const before = midnightOffset(zone, day);
  const after = midnightOffset(zone, day + 1);
  if (before === after) return before;
  let change = zone.changes.get(day);
  if (change === undefined) {
    change = changeInstant(zone.format, day, after);
    zone.changes.set(day, change);
  }
  return epochMs < change ? before : after;
}

/**
 * Local date and time of instant `epochMs` in `timezone`.
 * @throws RangeError for an unknown zone or an invalid instant.
 */
export function localFields(timezone: string, epochMs: number): LocalFields {
  const offsetMinutes = offsetMinutesAt(timezone, epochMs);
  const local = new Date(epochMs + offsetMinutes * MINUTE_MS);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: ((local.getUTCDay() + 6) % 7) + 1,
    offsetMinutes,
  };
}

/**
 * ISO 8601 week of a calendar date: weeks start on Monday and week 1 holds the year's first Thursday, so
 * 2027-01-01 is in week 53 of 2026 and 2026-12-28 … 2027-01-03 form one week.
 */
export function isoWeekOf(date: Pick<LocalFields, 'year' | 'month' | 'day'>): IsoWeek {
  const dayNumber = Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
  // 1970-01-01, day 0, was a Thursday.
  const weekday = ((((dayNumber + 3) % 7) + 7) % 7) + 1;
  // A week belongs to the year of its Thursday.
  const thursday = dayNumber + 4 - weekday;
  const weekYear = new Date(thursday * DAY_MS).getUTCFullYear();
  return { weekYear, week: Math.floor((thursday - Date.UTC(weekYear, 0, 1) / DAY_MS) / 7) + 1 };
}

/**
 * `yyyy-MM-dd HH:mm` of instant `epochMs` in `timezone`, e.g. 2026-03-29 03:00.
 * @throws RangeError for an unknown zone or an invalid instant.
 */
export function formatLocal(timezone: string, epochMs: number): string {
  const local = localFields(timezone, epochMs);
  return `${pad(local.year, 4)}-${pad(local.month, 2)}-${pad(local.day, 2)} ${pad(local.hour, 2)}:${pad(local.minute, 2)}`;
}

/**
 * Converts a wall-clock time (expressed as if it were UTC epoch ms) to an instant. An ambiguous time (fall
 * back) resolves to the earlier instant; a non-existent one (spring forward) moves forward by the gap, as
 * Temporal's 'compatible' disambiguation does. Assumes at most one offset change within a day.
 * @throws RangeError for an unknown zone.
 */
export function localToInstant(timezone: string, localMs: number): number {
  const before = offsetMinutesAt(timezone, localMs - DAY_MS);
  const after = offsetMinutesAt(timezone, localMs + DAY_MS);
  const candidateBefore = localMs - before * MINUTE_MS;
  const candidateAfter = localMs - after * MINUTE_MS;
  const beforeOk = offsetMinutesAt(timezone, candidateBefore) === before;
  const afterOk = before === after ? beforeOk : offsetMinutesAt(timezone, candidateAfter) === after;
  if (beforeOk && afterOk) return Math.min(candidateBefore, candidateAfter);
  if (beforeOk) return candidateBefore;
  if (afterOk) return candidateAfter;
  if (before === after) {
    // Two transitions within the window: fall back to a direct fix-up from the offset in force.
    const offset = offsetMinutesAt(timezone, candidateBefore);
    return localMs - offset * MINUTE_MS;
  }
  return localMs - Math.min(before, after) * MINUTE_MS;
}

function zoneOf(timezone: string): Zone {
  let zone = zones.get(timezone);
  if (zone === undefined) {
    if (!isValidTimezone(timezone)) throw new RangeError(`'${String(timezone)}' is not an IANA time zone`);
    // isValidTimezone has already built the zone of an alias.
    zone = zones.get(timezone) ?? newZone(timezone);
    zones.set(timezone, zone);
  }
  return zone;
}

function newZone(timezone: string): Zone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return { format, midnights: new Map(), changes: new Map() };
}

function midnightOffset(zone: Zone, day: number): number {
  let offset = zone.midnights.get(day);
  if (offset === undefined) {
    offset = offsetFromParts(zone.format, day * DAY_MS);
    zone.midnights.set(day, offset);
  }
  return offset;
}

/** The first whole second of UTC day `day` with offset `after`, by bisection: the day holds one change. */
function changeInstant(format: Intl.DateTimeFormat, day: number, after: number): number {
  let low = day * DAY_MS;
  let high = low + DAY_MS;
  while (high - low > SECOND_MS) {
    const middle = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS;
    if (offsetFromParts(format, middle) === after) high = middle;
    else low = middle;
  }
  return high;
}

/** The offset the formatter's zone has at the whole second holding `epochMs`: its wall clock minus UTC. */
function offsetFromParts(format: Intl.DateTimeFormat, epochMs: number): number {
  const second = Math.floor(epochMs / SECOND_MS) * SECOND_MS;
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const { type, value } of format.formatToParts(second)) parts[type] = value;
  const year = Number(parts.year);
  const wall = new Date(0);
  // setUTCFullYear, unlike Date.UTC, takes the years 0-99 as they are.
  wall.setUTCFullYear(parts.era === 'BC' ? 1 - year : year, Number(parts.month) - 1, Number(parts.day));
  wall.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second));
  return (wall.getTime() - second) / MINUTE_MS;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
