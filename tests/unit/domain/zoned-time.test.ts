import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import {
  formatLocal,
  isoWeekOf,
  isValidTimezone,
  localFields,
  localToInstant,
  offsetMinutesAt,
} from '../../../shared/domain/zoned-time.js';
import { DAY_MS as DAY, HOUR_MS as HOUR } from '../../../shared/domain/durations.js';

const ms = (iso: string): number => Date.parse(iso);
/** A wall-clock time written as if it were UTC, as localToInstant takes it. */
const wall = (text: string): number => Date.parse(`${text}Z`);

/** Zones with negative, half-hour, 45-minute and 30-minute-DST offsets, both hemispheres, and no DST at all. */
const ZONES = [
  'UTC',
  'Europe/Paris',
  'Europe/London',
  'America/New_York',
  'America/St_Johns',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Australia/Adelaide',
  'Pacific/Chatham',
  'Pacific/Auckland',
  'Pacific/Apia',
  'Africa/Casablanca',
  'Asia/Gaza',
] as const;

/** Every offset change of `zone` in [from, to), found with luxon alone: day by day, then to the second. */
function luxonChanges(zone: string, from: number, to: number): number[] {
  const offset = (at: number) => IANAZone.create(zone).offset(at);
  const changes: number[] = [];
  for (let day = from; day < to; day += DAY) {
    if (offset(day) === offset(day + DAY)) continue;
    let low = day;
    let high = day + DAY;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (offset(middle) === offset(day)) low = middle;
      else high = middle;
    }
    changes.push(high);
  }
  return changes;
}

const CHANGES = ZONES.flatMap((zone) =>
  luxonChanges(zone, ms('2019-01-01T00:00:00Z'), ms('2031-01-01T00:00:00Z')).map((at) => ({ zone, at })),
);

/** What luxon says of an instant, in the shape of localFields plus the ISO week and the short format. */
function luxonView(zone: string, at: number) {
  const local = DateTime.fromMillis(at, { zone });
  return {
    fields: {
      year: local.year,
      month: local.month,
      day: local.day,
      hour: local.hour,
      minute: local.minute,
      second: local.second,
      weekday: local.weekday,
      offsetMinutes: local.offset,
    },
    week: { weekYear: local.weekYear, week: local.weekNumber },
    text: local.toFormat('yyyy-MM-dd HH:mm'),
  };
}

function ourView(zone: string, at: number) {
  const fields = localFields(zone, at);
  return { fields, week: isoWeekOf(fields), text: formatLocal(zone, at) };
}

describe('offsetMinutesAt', () => {
  it.each([
    ['Europe/Paris', '2026-03-29T00:59:59.999Z', 60],
    ['Europe/Paris', '2026-03-29T01:00:00.000Z', 120],
    ['Europe/Paris', '2026-10-25T00:59:59.999Z', 120],
    ['Europe/Paris', '2026-10-25T01:00:00.000Z', 60],
    ['America/St_Johns', '2026-01-15T12:00:00Z', -210],
    ['America/St_Johns', '2026-03-08T05:29:59Z', -210],
    ['America/St_Johns', '2026-03-08T05:30:00Z', -150],
    ['Australia/Lord_Howe', '2026-04-04T14:59:59Z', 660],
    ['Australia/Lord_Howe', '2026-04-04T15:00:00Z', 630],
    ['Australia/Lord_Howe', '2026-10-03T15:29:59Z', 630],
    ['Australia/Lord_Howe', '2026-10-03T15:30:00Z', 660],
    ['Pacific/Chatham', '2026-01-15T12:00:00Z', 825],
    ['Pacific/Chatham', '2026-07-15T12:00:00Z', 765],
    ['Asia/Kolkata', '2026-01-15T12:00:00Z', 330],
    ['Asia/Kolkata', '2026-07-15T12:00:00Z', 330],
    ['UTC', '2026-07-15T12:00:00Z', 0],
    ['US/Pacific', '2026-07-15T12:00:00Z', -420],
  ])('gives %s at %s an offset of %i minutes', (zone, iso, expected) => {
    // Prepare / Act
    const offset = offsetMinutesAt(zone, ms(iso));

    // Assess
    expect(offset).toBe(expected);
  });

  it('answers the same for instants before 1970, which it does not cache', () => {
    // Prepare
    const at = ms('1944-08-25T12:00:00Z');

    // Act
    const offset = offsetMinutesAt('Europe/Paris', at);

    // Assess
    expect(offset).toBe(IANAZone.create('Europe/Paris').offset(at));
  });

  it.each(['Mars/Olympus_Mons', '+05:00', ''])('refuses the unknown zone %j with a RangeError', (zone) => {
    // Prepare / Act / Assess
    expect(() => offsetMinutesAt(zone, 0)).toThrow(RangeError);
  });

  it('refuses an invalid instant with a RangeError', () => {
    // Prepare / Act / Assess
    expect(() => offsetMinutesAt('Europe/Paris', Number.NaN)).toThrow(RangeError);
  });
});

describe('localFields', () => {
  it('gives the local date, time, ISO weekday and offset just after clocks go forward', () => {
    // Prepare / Act
    const local = localFields('Europe/Paris', ms('2026-03-29T01:00:00Z'));

    // Assess
    expect(local).toEqual({
      year: 2026,
      month: 3,
      day: 29,
      hour: 3,
      minute: 0,
      second: 0,
      weekday: 7,
      offsetMinutes: 120,
    });
  });

  it('tells the two 02:30 of the night clocks go back apart by their offset', () => {
    // Prepare / Act
    const first = localFields('Europe/Paris', ms('2026-10-25T00:30:00Z'));
    const second = localFields('Europe/Paris', ms('2026-10-25T01:30:00Z'));

    // Assess
    expect([first.hour, first.minute, first.offsetMinutes]).toEqual([2, 30, 120]);
    expect([second.hour, second.minute, second.offsetMinutes]).toEqual([2, 30, 60]);
  });

  it('gives midnight as hour 0 of the next day, never hour 24', () => {
    // Prepare / Act
    const local = localFields('Europe/Paris', ms('2026-01-01T23:00:00Z'));

    // Assess
    expect(local).toMatchObject({ year: 2026, month: 1, day: 2, hour: 0, minute: 0, weekday: 5 });
  });
});

describe('isoWeekOf', () => {
  it.each([
    ['2026-12-28', 2026, 53],
    ['2026-12-31', 2026, 53],
    ['2027-01-01', 2026, 53],
    ['2027-01-04', 2027, 1],
    ['2021-01-03', 2020, 53],
    ['2021-01-04', 2021, 1],
    ['2024-12-30', 2025, 1],
    ['2026-06-15', 2026, 25],
  ])('puts %s in week-year %i, week %i', (iso, weekYear, weekNumber) => {
    // Prepare
    const [year, month, day] = iso.split('-').map(Number) as [number, number, number];
    const expected = { weekYear, week: weekNumber };

    // Act
    const week = isoWeekOf({ year, month, day });

    // Assess
    expect(week).toEqual(expected);
  });
});

describe('formatLocal', () => {
  it.each([
    ['Europe/Paris', '2026-03-29T01:00:00Z', '2026-03-29 03:00'],
    ['Europe/Paris', '2026-03-29T00:59:00Z', '2026-03-29 01:59'],
    ['Asia/Kolkata', '2026-01-01T00:00:00Z', '2026-01-01 05:30'],
    ['America/St_Johns', '2026-01-01T03:29:00Z', '2025-12-31 23:59'],
    ['Pacific/Chatham', '2026-01-01T00:00:00Z', '2026-01-01 13:45'],
    ['UTC', '2026-07-04T09:05:59Z', '2026-07-04 09:05'],
  ])('writes %s at %s as %s', (zone, iso, expected) => {
    // Prepare / Act
    const text = formatLocal(zone, ms(iso));

    // Assess
    expect(text).toBe(expected);
  });
});

describe('localToInstant', () => {
  it.each([
    ['Europe/Paris', '2026-07-01T12:00:00', '2026-07-01T10:00:00.000Z'],
    // Spring forward: a time in the gap moves forward by the gap.
    ['Europe/Paris', '2026-03-29T02:30:00', '2026-03-29T01:30:00.000Z'],
    ['Australia/Lord_Howe', '2026-10-04T02:15:00', '2026-10-03T15:45:00.000Z'],
    // Fall back: a time that happens twice is the earlier one.
    ['Europe/Paris', '2026-10-25T02:30:00', '2026-10-25T00:30:00.000Z'],
    ['Australia/Lord_Howe', '2026-04-05T01:45:00', '2026-04-04T14:45:00.000Z'],
    ['America/St_Johns', '2026-11-01T01:30:00', '2026-11-01T04:00:00.000Z'],
  ])('turns %s wall time %s into %s', (zone, local, expected) => {
    // Prepare / Act
    const instant = localToInstant(zone, wall(local));

    // Assess
    expect(new Date(instant).toISOString()).toBe(expected);
  });
});

describe('zoned time against luxon', () => {
  it('agrees with luxon on offset, local fields, ISO week and format for any instant since 1970', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Intl.supportedValuesOf('timeZone')),
        fc.integer({ min: 0, max: ms('2100-01-01T00:00:00Z') }),
        (zone, at) => {
          expect(ourView(zone, at)).toEqual(luxonView(zone, at));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('agrees with luxon within two hours of every offset change from 2019 to 2030', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHANGES),
        fc.integer({ min: -2 * HOUR, max: 2 * HOUR }),
        ({ zone, at }, delta) => {
          expect(ourView(zone, at + delta)).toEqual(luxonView(zone, at + delta));
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('isValidTimezone', () => {
  it.each([
    ['Europe/Paris', true],
    ['America/New_York', true],
    ['UTC', true],
    // Aliases are not in the runtime's list of canonical zones, but are zones all the same.
    ['US/Pacific', true],
    ['Asia/Calcutta', true],
    ['europe/paris', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
    ['+05:00', false],
  ])('reports %j as %s', (timezone, valid) => {
    // Prepare / Act
    const result = isValidTimezone(timezone);

    // Assess
    expect(result).toBe(valid);
  });
});
