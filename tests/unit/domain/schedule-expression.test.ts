import { describe, expect, it } from '@jest/globals';
import {
  ScheduleExpressionError,
  longestGapMs,
  nextOccurrence,
  occurrencesBetween,
  parseScheduleExpression,
  previousOccurrence,
} from '../../../shared/domain/schedule-expression.js';
import type { CronExpression, RateExpression } from '../../../shared/domain/schedule-expression.js';
import { DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS as MINUTE } from '../../../shared/domain/durations.js';

const at = (iso: string): Date => new Date(iso);
const cron = (source: string): CronExpression => parseScheduleExpression(source) as CronExpression;
const rate = (source: string): RateExpression => parseScheduleExpression(source) as RateExpression;

function parseError(source: string): ScheduleExpressionError {
  try {
    parseScheduleExpression(source);
  } catch (error) {
    if (error instanceof ScheduleExpressionError) return error;
    throw error;
  }
  throw new Error(`expected '${source}' to be rejected`);
}

function nextIn(source: string, after: string, timezone = 'UTC'): string | undefined {
  return nextOccurrence(parseScheduleExpression(source), at(after), timezone)?.toISOString();
}

function previousIn(source: string, atOrBefore: string, timezone = 'UTC'): string | undefined {
  return previousOccurrence(parseScheduleExpression(source), at(atOrBefore), timezone)?.toISOString();
}

describe('parseScheduleExpression', () => {
  describe('rate expressions', () => {
    it.each([
      ['rate(1 minute)', 1, 'minute', MINUTE],
      ['rate(5 minutes)', 5, 'minute', 5 * MINUTE],
      ['rate(1 hour)', 1, 'hour', HOUR],
      ['rate(12 hours)', 12, 'hour', 12 * HOUR],
      ['rate(1 day)', 1, 'day', DAY],
      ['rate(7 days)', 7, 'day', 7 * DAY],
    ])('parses %s into its value, unit and interval', (source, value, unit, intervalMs) => {
      // Prepare / Act
      const parsed = parseScheduleExpression(source);

      // Assess
      expect(parsed).toEqual({ kind: 'rate', source, value, unit, intervalMs });
    });

    it('ignores whitespace around the expression and between its parts', () => {
      // Prepare / Act
      const parsed = rate('  rate(  30   minutes )  ');

      // Assess
      expect(parsed.source).toBe('rate(  30   minutes )');
      expect(parsed.intervalMs).toBe(30 * MINUTE);
    });
  });

  describe('cron expressions', () => {
    it('expands steps, ranges and day names into sorted field values', () => {
      // Prepare / Act
      const parsed = cron('cron(0/15 8-17 ? * MON-FRI *)');

      // Assess
      expect(parsed.kind).toBe('cron');
      expect(parsed.minutes).toEqual([0, 15, 30, 45]);
      expect(parsed.hours).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
      expect(parsed.dayOfMonth).toEqual({ kind: 'any' });
      expect(parsed.months).toHaveLength(12);
      expect(parsed.dayOfWeek).toEqual({ kind: 'days', days: [2, 3, 4, 5, 6] });
      expect(parsed.years[0]).toBe(1970);
      expect(parsed.years[parsed.years.length - 1]).toBe(2199);
    });

    it('accepts lists, wildcard steps, stepped ranges and lower-case names', () => {
      // Prepare / Act
      const parsed = cron('cron(10-30/10 */4 1,15 jan-Mar,oct ? 2025,2027-2028)');

      // Assess
      expect(parsed.minutes).toEqual([10, 20, 30]);
      expect(parsed.hours).toEqual([0, 4, 8, 12, 16, 20]);
      expect(parsed.dayOfMonth).toEqual({ kind: 'days', days: [1, 15] });
      expect(parsed.months).toEqual([1, 2, 3, 10]);
      expect(parsed.years).toEqual([2025, 2027, 2028]);
    });

    it.each([
      ['cron(0 0 L * ? *)', { kind: 'last' }],
      ['cron(0 0 LW * ? *)', { kind: 'lastWeekday' }],
      ['cron(0 0 15W * ? *)', { kind: 'nearestWeekday', day: 15 }],
    ])('parses the special day-of-month form in %s', (source, rule) => {
      // Prepare / Act
      const parsed = cron(source);

      // Assess
      expect(parsed.dayOfMonth).toEqual(rule);
    });

    it.each([
      ['cron(0 0 ? * 6L *)', { kind: 'lastInMonth', day: 6 }],
      ['cron(0 0 ? * friL *)', { kind: 'lastInMonth', day: 6 }],
      ['cron(0 0 ? * 3#2 *)', { kind: 'nthInMonth', day: 3, nth: 2 }],
      ['cron(0 0 ? * TUE#2 *)', { kind: 'nthInMonth', day: 3, nth: 2 }],
      ['cron(0 0 ? * L *)', { kind: 'days', days: [7] }],
    ])('parses the special day-of-week form in %s', (source, rule) => {
      // Prepare / Act
      const parsed = cron(source);

      // Assess
      expect(parsed.dayOfWeek).toEqual(rule);
    });
  });

  describe('rejections', () => {
    it.each([
      [
        '',
        'schedule expression is empty; use rate(value unit) or cron(minutes hours day-of-month month day-of-week year)',
      ],
      ['   ', 'schedule expression is empty'],
      ['every 5 minutes', "'every 5 minutes' is not a schedule expression; use rate(value unit) or cron("],
      ['weekly(1)', "'weekly(...)' is not a schedule expression"],
      ['cron(0 12 * * ? *', "'cron(0 12 * * ? *' is missing the closing ')'"],
      ['CRON(0 12 * * ? *)', "write 'cron(' in lower case, not 'CRON('"],
    ])('rejects the non-expression %j', (source, message) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toContain(message);
    });

    it('rejects one-time at() schedules because a backup plan must recur', () => {
      // Prepare / Act
      const error = parseError('at(2025-06-01T02:00:00)');

      // Assess
      expect(error.message).toBe(
        'at() is a one-time schedule; a backup plan needs a recurring cron() or rate() expression',
      );
    });

    it.each([
      ['cron(0 12 * * ?)', 5],
      ['cron(0 12 * * ? * *)', 7],
      ['cron()', 0],
    ])('rejects %s for not having exactly 6 fields', (source, count) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toBe(
        `cron() needs exactly 6 fields (minutes hours day-of-month month day-of-week year), got ${count}`,
      );
    });

    it.each([
      ['cron(60 0 * * ? *)', "minutes field '60' is out of range 0-59"],
      ['cron(0 24 * * ? *)', "hours field '24' is out of range 0-23"],
      ['cron(0 0 0 * ? *)', "day-of-month field '0' is out of range 1-31"],
      ['cron(0 0 32 * ? *)', "day-of-month field '32' is out of range 1-31"],
      ['cron(0 0 * 13 ? *)', "month field '13' is out of range 1-12 (or JAN-DEC)"],
      ['cron(0 0 ? * 8 *)', "day-of-week field '8' is out of range 1-7 (or SUN-SAT)"],
      ['cron(0 0 ? * 0 *)', "day-of-week field '0' is out of range 1-7 (or SUN-SAT)"],
      ['cron(0 0 * * ? 1969)', "year field '1969' is out of range 1970-2199"],
      ['cron(0 0 * * ? 2200)', "year field '2200' is out of range 1970-2199"],
      ['cron(0 0,25 * * ? *)', "hours field '25' is out of range 0-23"],
      ['cron(0 0 ? * 2-9 *)', "day-of-week field '9' is out of range 1-7 (or SUN-SAT)"],
      ['cron(0 0 32W * ? *)', "day-of-month field '32' is out of range 1-31"],
      ['cron(0 0 ? * 8L *)', "day-of-week field '8' is out of range 1-7 (or SUN-SAT)"],
    ])('rejects the out-of-range value in %s', (source, message) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toBe(message);
    });

    it.each([
      ['cron(*/0 * * * ? *)', "minutes field step '0' in '*/0' must be a whole number from 1 to 59"],
      ['cron(0/x * * * ? *)', "minutes field step 'x' in '0/x' must be a whole number from 1 to 59"],
      ['cron(0/60 * * * ? *)', "minutes field step '60' in '0/60' must be a whole number from 1 to 59"],
      ['cron(0 */ * * ? *)', "hours field step '' in '*/' must be a whole number from 1 to 23"],
      ['cron(0 0 1/2/3 * ? *)', "day-of-month field '1/2/3' has more than one '/'"],
      ['cron(0 2 ? * 1/2 *)', "day-of-week field '1/2' is not valid; EventBridge allows no '/' step there: list the days instead (e.g. MON,WED,FRI)"],
      ['cron(0 2 ? * MON-FRI/2 *)', "day-of-week field 'MON-FRI/2' is not valid; EventBridge allows no '/' step there: list the days instead (e.g. MON,WED,FRI)"],
    ])('rejects the bad step in %s', (source, message) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toBe(message);
    });

    it('rejects day-of-month and day-of-week both being ?', () => {
      // Prepare / Act
      const error = parseError('cron(0 0 ? * ? *)');

      // Assess
      expect(error.message).toBe("day-of-month and day-of-week cannot both be '?'; set one of them");
    });

    it('rejects neither day-of-month nor day-of-week being ?', () => {
      // Prepare / Act
      const error = parseError('cron(0 0 * * MON-FRI *)');

      // Assess
      expect(error.message).toBe("one of day-of-month ('*') and day-of-week ('MON-FRI') must be '?'");
    });

    it('rejects ? outside the day fields', () => {
      // Prepare / Act
      const error = parseError('cron(0 ? * * ? *)');

      // Assess
      expect(error.message).toBe(
        "hours field cannot be '?'; '?' is only allowed in day-of-month or day-of-week",
      );
    });

    it.each([
      ['cron(0 0 1 JANUARY ? *)', "month field 'JANUARY' is not valid; use 1-12 (or JAN-DEC)"],
      ['cron(0 0 1 MON ? *)', "month field 'MON' is not valid; use 1-12 (or JAN-DEC)"],
      ['cron(0 0 ? * FUN *)', "day-of-week field 'FUN' is not valid; use 1-7 (or SUN-SAT)"],
      ['cron(0 0 ? * JAN *)', "day-of-week field 'JAN' is not valid; use 1-7 (or SUN-SAT)"],
      ['cron(x 0 * * ? *)', "minutes field 'x' is not valid; use 0-59"],
      ['cron(-5 0 * * ? *)', "minutes field '-5' is not valid; use 0-59"],
      ['cron(0 0 ? * MON-FRI-SAT *)', "day-of-week field 'MON-FRI-SAT' is not valid; use 1-7 (or SUN-SAT)"],
    ])('rejects the bad value or name in %s', (source, message) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toBe(message);
    });

    it.each([
      [
        'cron(0 0 ? * FRI-MON *)',
        "day-of-week field range 'FRI-MON' runs backwards; the start must not be after the end",
      ],
      ['cron(0 0 1,,15 * ? *)', "day-of-month field '1,,15' has an empty list item"],
      ['cron(0 0 ? * 3#6 *)', "day-of-week field '3#6' is not valid; the number after '#' must be 1-5"],
      ['cron(0 0 ? * 6L,2 *)', "day-of-week field '6L,2' is not valid; 'nL', 'n#k' and '?' must stand alone"],
      [
        'cron(0 0 L-3 * ? *)',
        "day-of-month field 'L-3' is not valid; 'L', 'LW', 'nW' and '?' must stand alone",
      ],
      ['cron(0 0 1,L * ? *)', "day-of-month field '1,L' is not valid"],
    ])('rejects the misused wildcard in %s', (source, message) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toContain(message);
    });

    it.each([
      ['rate(1 minutes)', 'use the singular unit when the value is 1: rate(1 minute), not rate(1 minutes)'],
      ['rate(1 hours)', 'use the singular unit when the value is 1: rate(1 hour), not rate(1 hours)'],
      ['rate(1 days)', 'use the singular unit when the value is 1: rate(1 day), not rate(1 days)'],
      ['rate(5 minute)', 'use the plural unit when the value is not 1: rate(5 minutes), not rate(5 minute)'],
      ['rate(2 day)', 'use the plural unit when the value is not 1: rate(2 days), not rate(2 day)'],
    ])('rejects the wrong singular/plural unit in %s', (source, message) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toBe(message);
    });

    it.each([
      ['rate(0 minutes)', "rate value '0' must be a positive whole number"],
      ['rate(-5 minutes)', "rate value '-5' must be a positive whole number"],
      ['rate(1.5 hours)', "rate value '1.5' must be a positive whole number"],
      ['rate(five minutes)', "rate value 'five' must be a positive whole number"],
      ['rate(5 weeks)', "rate unit 'weeks' is not supported; use minute(s), hour(s) or day(s)"],
      ['rate(5 Minutes)', "rate unit 'Minutes' is not supported; use minute(s), hour(s) or day(s)"],
      ['rate(5)', "rate() needs a value and a unit, e.g. rate(5 minutes); got 'rate(5)'"],
      ['rate()', "rate() needs a value and a unit, e.g. rate(5 minutes); got 'rate()'"],
      ['rate(99999999999999 days)', "rate value '99999999999999' is too large"],
    ])('rejects the bad rate %s', (source, message) => {
      // Prepare / Act
      const error = parseError(source);

      // Assess
      expect(error.message).toBe(message);
    });

    it('throws a named ScheduleExpressionError that is an Error', () => {
      // Prepare / Act
      const error = parseError('nonsense');

      // Assess
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('ScheduleExpressionError');
    });
  });
});

describe('nextOccurrence and previousOccurrence', () => {
  it('finds the next and previous firing of a plain daily cron', () => {
    // Prepare
    const expression = 'cron(30 2 * * ? *)';

    // Act
    const next = nextIn(expression, '2025-01-10T12:00:00Z');
    const previous = previousIn(expression, '2025-01-10T12:00:00Z');

    // Assess
    expect(next).toBe('2025-01-11T02:30:00.000Z');
    expect(previous).toBe('2025-01-10T02:30:00.000Z');
  });

  it('returns the following firing, never the same one, when after is itself an occurrence', () => {
    // Prepare / Act
    const next = nextIn('cron(30 2 * * ? *)', '2025-01-10T02:30:00Z');

    // Assess
    expect(next).toBe('2025-01-11T02:30:00.000Z');
  });

  it('returns an exact occurrence time from previousOccurrence as its own slot', () => {
    // Prepare / Act
    const previous = previousIn('cron(30 2 * * ? *)', '2025-01-10T02:30:00Z');
    const justBefore = previousIn('cron(30 2 * * ? *)', '2025-01-10T02:29:59.999Z');

    // Assess
    expect(previous).toBe('2025-01-10T02:30:00.000Z');
    expect(justBefore).toBe('2025-01-09T02:30:00.000Z');
  });

  it('skips the weekend for a stepped range on weekdays', () => {
    // Prepare: Friday 2025-01-10 17:45 is the last slot of the week
    const expression = 'cron(0/15 8-17 ? * MON-FRI *)';

    // Act
    const next = nextIn(expression, '2025-01-10T17:45:00Z');
    const previous = previousIn(expression, '2025-01-13T07:59:00Z');

    // Assess
    expect(next).toBe('2025-01-13T08:00:00.000Z');
    expect(previous).toBe('2025-01-10T17:45:00.000Z');
  });

  it('walks a day-of-month list and a month list', () => {
    // Prepare / Act
    const nextDay = nextIn('cron(0 6 1,15 * ? *)', '2025-01-15T06:00:00Z');
    const nextMonth = nextIn('cron(0 0 1 JAN,JUL ? *)', '2025-01-01T00:00:00Z');
    const previousMonth = previousIn('cron(0 0 1 JAN,JUL ? *)', '2025-06-30T23:59:00Z');

    // Assess
    expect(nextDay).toBe('2025-02-01T06:00:00.000Z');
    expect(nextMonth).toBe('2025-07-01T00:00:00.000Z');
    expect(previousMonth).toBe('2025-01-01T00:00:00.000Z');
  });

  it('fires on the last day of the month for L, leap years included', () => {
    // Prepare / Act
    const leap = nextIn('cron(0 0 L * ? *)', '2024-02-01T00:00:00Z');
    const common = nextIn('cron(0 0 L * ? *)', '2025-02-01T00:00:00Z');

    // Assess
    expect(leap).toBe('2024-02-29T00:00:00.000Z');
    expect(common).toBe('2025-02-28T00:00:00.000Z');
  });

  it('fires on the last weekday of the month for LW', () => {
    // Prepare: 2025-05-31 is a Saturday, 2025-08-31 a Sunday
    const expression = 'cron(0 0 LW * ? *)';

    // Act
    const may = nextIn(expression, '2025-05-01T00:00:00Z');
    const august = nextIn(expression, '2025-08-01T00:00:00Z');
    const september = nextIn(expression, '2025-09-01T00:00:00Z');

    // Assess
    expect(may).toBe('2025-05-30T00:00:00.000Z');
    expect(august).toBe('2025-08-29T00:00:00.000Z');
    expect(september).toBe('2025-09-30T00:00:00.000Z');
  });

  it('fires on the weekday nearest the 15th for 15W', () => {
    // Prepare: 2025-01-15 is a Wednesday, 2025-02-15 a Saturday, 2025-06-15 a Sunday
    const expression = 'cron(0 9 15W * ? *)';

    // Act
    const january = nextIn(expression, '2025-01-01T00:00:00Z');
    const february = nextIn(expression, '2025-02-01T00:00:00Z');
    const june = nextIn(expression, '2025-06-01T00:00:00Z');

    // Assess
    expect(january).toBe('2025-01-15T09:00:00.000Z');
    expect(february).toBe('2025-02-14T09:00:00.000Z');
    expect(june).toBe('2025-06-16T09:00:00.000Z');
  });

  it('keeps 1W inside the month: a Saturday 1st moves to Monday the 3rd', () => {
    // Prepare: 2025-02-01 is a Saturday
    // Act
    const february = nextIn('cron(0 9 1W * ? *)', '2025-01-31T12:00:00Z');

    // Assess
    expect(february).toBe('2025-02-03T09:00:00.000Z');
  });

  it('fires on the last given weekday of the month for nL', () => {
    // Prepare / Act: last Friday of March 2025 is the 28th
    const next = nextIn('cron(0 1 ? * 6L *)', '2025-03-01T00:00:00Z');
    const previous = previousIn('cron(0 1 ? * 6L *)', '2025-03-27T00:00:00Z');

    // Assess
    expect(next).toBe('2025-03-28T01:00:00.000Z');
    expect(previous).toBe('2025-02-28T01:00:00.000Z');
  });

  it('fires on the k-th given weekday for n#k and skips months without one', () => {
    // Prepare / Act
    const secondTuesday = nextIn('cron(0 1 ? * 3#2 *)', '2025-01-01T00:00:00Z');
    const fifthMonday = nextIn('cron(0 1 ? * MON#5 *)', '2025-04-01T00:00:00Z');

    // Assess
    expect(secondTuesday).toBe('2025-01-14T01:00:00.000Z');
    expect(fifthMonday).toBe('2025-06-30T01:00:00.000Z');
  });

  it('returns undefined once the year field is exhausted', () => {
    // Prepare
    const expression = 'cron(0 0 1 1 ? 2020)';

    // Act
    const next = nextIn(expression, '2025-01-01T00:00:00Z');
    const previous = previousIn(expression, '2025-01-01T00:00:00Z');
    const beforeFirst = previousIn('cron(0 0 1 1 ? 2030)', '2025-01-01T00:00:00Z');

    // Assess
    expect(next).toBeUndefined();
    expect(previous).toBe('2020-01-01T00:00:00.000Z');
    expect(beforeFirst).toBeUndefined();
  });

  it('returns undefined for a date that never exists', () => {
    // Prepare / Act
    const next = nextIn('cron(0 0 30 FEB ? *)', '2025-01-01T00:00:00Z');
    const previous = previousIn('cron(0 0 30 FEB ? *)', '2025-01-01T00:00:00Z');

    // Assess
    expect(next).toBeUndefined();
    expect(previous).toBeUndefined();
  });

  it('aligns rate occurrences on the Unix epoch regardless of time zone', () => {
    // Prepare
    const expression = 'rate(6 hours)';

    // Act
    const next = nextIn(expression, '2025-01-01T05:00:00Z', 'Asia/Kolkata');
    const previous = previousIn(expression, '2025-01-01T05:00:00Z', 'America/New_York');
    const exact = previousIn(expression, '2025-01-01T06:00:00Z');

    // Assess
    expect(next).toBe('2025-01-01T06:00:00.000Z');
    expect(previous).toBe('2025-01-01T00:00:00.000Z');
    expect(exact).toBe('2025-01-01T06:00:00.000Z');
  });

  it('evaluates cron fields in the wall time of the time zone', () => {
    // Prepare
    const expression = 'cron(0 2 * * ? *)';

    // Act
    const winter = nextIn(expression, '2025-01-15T00:00:00Z', 'Europe/Paris');
    const summer = nextIn(expression, '2025-07-14T12:00:00Z', 'Europe/Paris');

    // Assess
    expect(winter).toBe('2025-01-15T01:00:00.000Z');
    expect(summer).toBe('2025-07-15T00:00:00.000Z');
  });

  it('fires a local time skipped by spring-forward at the next existing instant (America/New_York)', () => {
    // Prepare: on 2025-03-09 clocks jump from 02:00 EST to 03:00 EDT
    const expression = 'cron(30 2 * * ? *)';
    const zone = 'America/New_York';

    // Act
    const dayBefore = nextIn(expression, '2025-03-08T00:00:00Z', zone);
    const gapDay = nextIn(expression, '2025-03-09T00:00:00Z', zone);
    const dayAfter = nextIn(expression, '2025-03-09T07:30:00Z', zone);

    // Assess: 02:30 EST = 07:30Z; the missing 02:30 becomes 03:30 EDT = 07:30Z; 02:30 EDT = 06:30Z
    expect(dayBefore).toBe('2025-03-08T07:30:00.000Z');
    expect(gapDay).toBe('2025-03-09T07:30:00.000Z');
    expect(dayAfter).toBe('2025-03-10T06:30:00.000Z');
  });

  it('fires a local time repeated by fall-back only once, at its first instant (America/New_York)', () => {
    // Prepare: on 2025-11-02 clocks go back from 02:00 EDT to 01:00 EST
    const expression = 'cron(30 1 * * ? *)';
    const zone = 'America/New_York';

    // Act
    const first = nextIn(expression, '2025-11-02T00:00:00Z', zone);
    const afterFirst = nextIn(expression, '2025-11-02T05:30:00Z', zone);
    const slotOfSecondPass = previousIn(expression, '2025-11-02T06:45:00Z', zone);

    // Assess: 01:30 EDT = 05:30Z; the repeated 01:30 EST (06:30Z) does not fire
    expect(first).toBe('2025-11-02T05:30:00.000Z');
    expect(afterFirst).toBe('2025-11-03T06:30:00.000Z');
    expect(slotOfSecondPass).toBe('2025-11-02T05:30:00.000Z');
  });

  it('keeps spring-forward occurrences distinct and in order when gap times collide with real ones', () => {
    // Prepare: 02:00 and 02:30 do not exist on 2025-03-09 and land on 03:00 and 03:30 EDT
    const expression = cron('cron(0,30 2-3 * * ? *)');
    const zone = 'America/New_York';

    // Act
    const day = occurrencesBetween(expression, zone, at('2025-03-09T05:00:00Z'), at('2025-03-10T05:00:00Z'));
    const previous = previousOccurrence(expression, at('2025-03-09T07:29:00Z'), zone);

    // Assess
    expect(day.map((d) => d.toISOString())).toEqual(['2025-03-09T07:00:00.000Z', '2025-03-09T07:30:00.000Z']);
    expect(previous?.toISOString()).toBe('2025-03-09T07:00:00.000Z');
  });

  it('always returns cron occurrences on a whole minute', () => {
    // Prepare / Act
    const next = nextOccurrence(
      cron('cron(*/7 * * * ? *)'),
      at('2025-04-01T10:03:27.123Z'),
      'Asia/Kathmandu',
    );

    // Assess
    expect(next?.getUTCSeconds()).toBe(0);
    expect(next?.getUTCMilliseconds()).toBe(0);
  });

  it('rejects an unknown time zone with a ScheduleExpressionError', () => {
    // Prepare
    const expression = cron('cron(0 0 * * ? *)');

    // Act
    const act = (): unknown => nextOccurrence(expression, at('2025-01-01T00:00:00Z'), 'Mars/Olympus_Mons');

    // Assess
    expect(act).toThrow(ScheduleExpressionError);
    expect(act).toThrow(
      "time zone 'Mars/Olympus_Mons' is not a valid IANA time zone name (e.g. Europe/Paris)",
    );
  });

  it('rejects an invalid Date', () => {
    // Prepare
    const expression = cron('cron(0 0 * * ? *)');

    // Act
    const act = (): unknown => previousOccurrence(expression, new Date('not a date'), 'UTC');

    // Assess
    expect(act).toThrow(RangeError);
  });
});

describe('occurrencesBetween', () => {
  it('lists 24 hourly occurrences in a UTC day, excluding from and including to', () => {
    // Prepare / Act
    const hours = occurrencesBetween(
      cron('cron(0 * * * ? *)'),
      'UTC',
      at('2025-01-01T00:00:00Z'),
      at('2025-01-02T00:00:00Z'),
    );

    // Assess
    expect(hours).toHaveLength(24);
    expect(hours[0]?.toISOString()).toBe('2025-01-01T01:00:00.000Z');
    expect(hours[23]?.toISOString()).toBe('2025-01-02T00:00:00.000Z');
  });

  it('lists 23 hourly occurrences in the Europe/Paris spring-forward day', () => {
    // Prepare: local 2025-03-30 runs from 2025-03-29T23:00Z to 2025-03-30T22:00Z
    const expression = cron('cron(0 * * * ? *)');

    // Act
    const hours = occurrencesBetween(
      expression,
      'Europe/Paris',
      at('2025-03-29T22:59:59Z'),
      at('2025-03-30T21:59:59Z'),
    );

    // Assess
    expect(hours).toHaveLength(23);
    expect(new Set(hours.map((d) => d.getTime())).size).toBe(23);
  });

  it('lists 24 hourly occurrences in the 25-hour America/New_York fall-back day', () => {
    // Prepare: local 2025-11-02 runs from 04:00Z to 2025-11-03T05:00Z
    const expression = cron('cron(0 * * * ? *)');

    // Act
    const hours = occurrencesBetween(
      expression,
      'America/New_York',
      at('2025-11-02T03:59:59Z'),
      at('2025-11-03T04:59:59Z'),
    );

    // Assess: 01:00 fires once (05:00Z), so the next firing, 02:00 EST, is two hours later
    expect(hours).toHaveLength(24);
    expect(hours.map((d) => d.toISOString())).toContain('2025-11-02T05:00:00.000Z');
    expect(hours.map((d) => d.toISOString())).not.toContain('2025-11-02T06:00:00.000Z');
  });

  it('lists rate occurrences on epoch-aligned multiples of the interval', () => {
    // Prepare / Act
    const fires = occurrencesBetween(
      rate('rate(6 hours)'),
      'UTC',
      at('2025-01-01T00:00:00Z'),
      at('2025-01-02T00:00:00Z'),
    );

    // Assess
    expect(fires.map((d) => d.toISOString())).toEqual([
      '2025-01-01T06:00:00.000Z',
      '2025-01-01T12:00:00.000Z',
      '2025-01-01T18:00:00.000Z',
      '2025-01-02T00:00:00.000Z',
    ]);
  });

  it('stops at the limit and returns nothing for an empty window', () => {
    // Prepare
    const expression = cron('cron(* * * * ? *)');

    // Act
    const capped = occurrencesBetween(
      expression,
      'UTC',
      at('2025-01-01T00:00:00Z'),
      at('2025-02-01T00:00:00Z'),
      10,
    );
    const empty = occurrencesBetween(
      expression,
      'UTC',
      at('2025-01-02T00:00:00Z'),
      at('2025-01-01T00:00:00Z'),
    );

    // Assess
    expect(capped).toHaveLength(10);
    expect(capped[9]?.toISOString()).toBe('2025-01-01T00:10:00.000Z');
    expect(empty).toEqual([]);
  });
});

describe('longestGapMs', () => {
  const from = at('2025-01-01T00:00:00Z');

  it('is 4 hours for cron(0 */4 * * ? *)', () => {
    // Prepare / Act
    const gap = longestGapMs(cron('cron(0 */4 * * ? *)'), 'UTC', from);

    // Assess
    expect(gap).toBe(4 * HOUR);
  });

  it('is 6 hours for rate(6 hours)', () => {
    // Prepare / Act
    const gap = longestGapMs(rate('rate(6 hours)'), 'Europe/Paris', from);

    // Assess
    expect(gap).toBe(6 * HOUR);
  });

  it('is 3 days for a weekday-only cron because of the weekend', () => {
    // Prepare / Act
    const gap = longestGapMs(cron('cron(0 3 ? * MON-FRI *)'), 'UTC', from);

    // Assess
    expect(gap).toBe(3 * DAY);
  });

  it('is Infinity when the schedule has fewer than two occurrences', () => {
    // Prepare / Act
    const past = longestGapMs(cron('cron(0 0 1 1 ? 2020)'), 'UTC', from);
    const once = longestGapMs(cron('cron(0 0 1 6 ? 2025)'), 'UTC', from);

    // Assess
    expect(past).toBe(Infinity);
    expect(once).toBe(Infinity);
  });

  it('sees the fall-back hour as a longer gap for a 5-minute cron in Europe/Paris', () => {
    // Prepare / Act: 02:00-02:55 fire once (CEST), then 03:00 CET is 65 minutes after 02:55 CEST
    const gap = longestGapMs(cron('cron(0/5 * * * ? *)'), 'Europe/Paris', from);

    // Assess
    expect(gap).toBe(65 * MINUTE);
  });

  it('scans all 400 days of a 5-minute cron (115,200 runs) to the end', () => {
    // Prepare
    const expression = cron('cron(0/5 * * * ? *)');

    // Act
    const gap = longestGapMs(expression, 'UTC', from, 400);

    // Assess
    expect(gap).toBe(5 * MINUTE);
  });
});
