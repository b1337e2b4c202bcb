import { describe, expect, it } from '@jest/globals';
import {
  planRetention,
  planRetentionForMany,
  summarizeDecisions,
  type PointState,
  type RecoveryPoint,
  type RetentionContext,
  type RetentionDecision,
  type RetentionPolicy,
} from '../../../shared/domain/retention-planner.js';

const OWNER = { tagKey: 'backup-orchestrator:stack', value: 'prod' };
const PLAN = { tagKey: 'backup-orchestrator:plan', planId: 'nightly' };
const OURS: Record<string, string> = { [OWNER.tagKey]: OWNER.value, [PLAN.tagKey]: PLAN.planId };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function point(
  id: string,
  time: string | Date,
  state: PointState = 'completed',
  tags: Record<string, string> = OURS,
  resourceId = 'vol-1',
): RecoveryPoint {
  return { id, resourceId, time: typeof time === 'string' ? new Date(time) : time, state, tags };
}

function context(now: string, overrides: Partial<RetentionContext> = {}): RetentionContext {
  return {
    now: new Date(now),
    ownership: OWNER,
    planTag: PLAN,
    latestScheduledBackupFailed: false,
    sourceExists: true,
    ...overrides,
  };
}

function policy(overrides: Partial<RetentionPolicy>): RetentionPolicy {
  return { minKeep: 1, keepLastWhenSourceGone: true, errorGraceMs: 7 * DAY, timezone: 'UTC', ...overrides };
}

function byId(decisions: readonly RetentionDecision[]): Map<string, RetentionDecision> {
  return new Map(decisions.map((decision) => [decision.id, decision]));
}

function keptIds(decisions: readonly RetentionDecision[]): string[] {
  return decisions.filter((decision) => decision.action === 'keep').map((decision) => decision.id);
}

/** Hourly points `from` (inclusive) to `to` (exclusive), ids are the ISO minute in UTC, e.g. `2024-03-31T22:00Z`. */
function hourlyPoints(from: string, to: string): RecoveryPoint[] {
  const points: RecoveryPoint[] = [];
  for (let ms = Date.parse(from); ms < Date.parse(to); ms += HOUR) {
    points.push(point(`${new Date(ms).toISOString().slice(0, 16)}Z`, new Date(ms)));
  }
  return points;
}

/** Daily points at noon UTC, `days` of them ending on `lastDay`, ids `d0` (newest) … `d{days-1}`. */
function dailyPoints(lastDay: string, days: number): RecoveryPoint[] {
  const last = Date.parse(`${lastDay}T12:00:00Z`);
  return Array.from({ length: days }, (_, k) => point(`d${k}`, new Date(last - k * DAY)));
}

describe('planRetention: count', () => {
  it('keeps the newest N completed points and expires the rest', () => {
    const points = dailyPoints('2024-06-10', 10);
    const decisions = planRetention(points, policy({ count: 3 }), context('2024-06-11T00:00:00Z'));

    expect(decisions.map((d) => d.id)).toEqual(points.map((p) => p.id)); // input order
    const d = byId(decisions);
    expect(d.get('d0')).toEqual({
      id: 'd0',
      action: 'keep',
      reasons: ['newest-completed', 'min-keep', 'count'],
    });
    expect(d.get('d1')).toEqual({ id: 'd1', action: 'keep', reasons: ['count'] });
    expect(d.get('d2')).toEqual({ id: 'd2', action: 'keep', reasons: ['count'] });
    for (let k = 3; k < 10; k++)
      expect(d.get(`d${k}`)).toEqual({ id: `d${k}`, action: 'delete', reason: 'expired' });
  });

  it('breaks ties on equal times by id (the greater id is the newer), whatever the input order', () => {
    const points = [point('snap-b', '2024-06-01T00:00:00Z'), point('snap-a', '2024-06-01T00:00:00Z')];
    const ctx = context('2024-06-02T00:00:00Z');
    for (const input of [points, [...points].reverse()]) {
      const d = byId(planRetention(input, policy({ count: 1 }), ctx));
      expect(d.get('snap-b')).toMatchObject({
        action: 'keep',
        reasons: ['newest-completed', 'min-keep', 'count'],
      });
      expect(d.get('snap-a')).toEqual({ id: 'snap-a', action: 'delete', reason: 'expired' });
    }
  });

  it('ignores pending, error, foreign and other-plan points when counting the newest', () => {
    const points = [
      point('old', '2024-06-01T00:00:00Z'),
      point('mid', '2024-06-02T00:00:00Z'),
      point('new', '2024-06-03T00:00:00Z'),
      point('pending', '2024-06-04T00:00:00Z', 'pending'),
      point('error', '2024-06-04T01:00:00Z', 'error'),
      point('foreign', '2024-06-04T02:00:00Z', 'completed', { [PLAN.tagKey]: PLAN.planId }),
      point('stranger', '2024-06-04T03:00:00Z', 'completed', {
        [OWNER.tagKey]: 'staging',
        [PLAN.tagKey]: PLAN.planId,
      }),
      point('other-plan', '2024-06-04T04:00:00Z', 'completed', {
        [OWNER.tagKey]: OWNER.value,
        [PLAN.tagKey]: 'weekly',
      }),
    ];
    const d = byId(planRetention(points, policy({ count: 2 }), context('2024-06-05T00:00:00Z')));
    expect(d.get('new')).toMatchObject({
      action: 'keep',
      reasons: ['newest-completed', 'min-keep', 'count'],
    });
    expect(d.get('mid')).toMatchObject({ action: 'keep', reasons: ['count'] });
    expect(d.get('old')).toMatchObject({ action: 'delete', reason: 'expired' });
    expect(d.get('pending')).toMatchObject({ action: 'keep', reasons: ['pending'] });
    expect(d.get('error')).toMatchObject({ action: 'keep', reasons: ['error-in-grace'] });
    expect(d.get('foreign')).toMatchObject({ action: 'keep', reasons: ['not-ours'] });
    expect(d.get('stranger')).toMatchObject({ action: 'keep', reasons: ['not-ours'] });
    expect(d.get('other-plan')).toMatchObject({ action: 'keep', reasons: ['other-plan'] });
  });
});

describe('planRetention: maxAge', () => {
  it('keeps completed points strictly younger than maxAge, including points dated in the future', () => {
    const now = '2024-06-30T00:00:00Z';
    const nowMs = Date.parse(now);
    const points = [
      point('exactly-7d', new Date(nowMs - 7 * DAY)),
      point('just-younger', new Date(nowMs - 7 * DAY + 1)),
      point('8d', new Date(nowMs - 8 * DAY)),
      point('1h', new Date(nowMs - HOUR)),
      point('future', new Date(nowMs + 2 * DAY)),
    ];
    const d = byId(planRetention(points, policy({ maxAgeMs: 7 * DAY }), context(now)));
    expect(d.get('future')).toMatchObject({
      action: 'keep',
      reasons: ['newest-completed', 'min-keep', 'max-age'],
    });
    expect(d.get('1h')).toMatchObject({ action: 'keep', reasons: ['max-age'] });
    expect(d.get('just-younger')).toMatchObject({ action: 'keep', reasons: ['max-age'] });
    expect(d.get('exactly-7d')).toMatchObject({ action: 'delete', reason: 'expired' });
    expect(d.get('8d')).toMatchObject({ action: 'delete', reason: 'expired' });
  });
});

describe('planRetention: tiers are evaluated in the policy time zone', () => {
  it('daily: the first point of each Europe/Paris local day, not of each UTC day', () => {
    // Paris is UTC+1 in January: 23:30Z is already 00:30 the next local day.
    const points = [
      point('jan14-2230Z', '2024-01-14T22:30:00Z'), // 14 Jan 23:30 Paris
      point('jan14-2330Z', '2024-01-14T23:30:00Z'), // 15 Jan 00:30 Paris: first of local 15 Jan
      point('jan15-0030Z', '2024-01-15T00:30:00Z'), // 15 Jan 01:30 Paris: first of UTC 15 Jan
      point('jan15-2230Z', '2024-01-15T22:30:00Z'), // 15 Jan 23:30 Paris
      point('jan15-2315Z', '2024-01-15T23:15:00Z'), // 16 Jan 00:15 Paris: first (and only) of local 16 Jan
    ];
    const now = context('2024-01-16T12:00:00Z');

    const paris = byId(planRetention(points, policy({ tiers: { daily: 2 }, timezone: 'Europe/Paris' }), now));
    expect(keptIds([...paris.values()]).sort()).toEqual(['jan14-2330Z', 'jan15-2315Z']);
    expect(paris.get('jan14-2330Z')).toMatchObject({ action: 'keep', reasons: ['daily'] });
    expect(paris.get('jan15-2315Z')).toMatchObject({
      action: 'keep',
      reasons: ['newest-completed', 'min-keep', 'daily'],
    });

    // Same points in UTC: local days are 14 Jan (22:30Z, 23:30Z) and 15 Jan (00:30Z …): different representatives.
    const utc = planRetention(points, policy({ tiers: { daily: 2 }, timezone: 'UTC' }), now);
    expect(keptIds(utc).sort()).toEqual(['jan14-2230Z', 'jan15-0030Z', 'jan15-2315Z']);
  });

  it('hourly: local hours of Asia/Kolkata (UTC+05:30) start at :30 UTC', () => {
    const points = [
      point('1000Z', '2024-05-01T10:00:00Z'), // 15:30 IST
      point('1020Z', '2024-05-01T10:20:00Z'), // 15:50 IST
      point('1040Z', '2024-05-01T10:40:00Z'), // 16:10 IST
      point('1100Z', '2024-05-01T11:00:00Z'), // 16:30 IST
    ];
    const decisions = planRetention(
      points,
      policy({ tiers: { hourly: 2 }, timezone: 'Asia/Kolkata' }),
      context('2024-05-01T12:00:00Z'),
    );
    const d = byId(decisions);
    expect(d.get('1000Z')).toMatchObject({ action: 'keep', reasons: ['hourly'] });
    expect(d.get('1020Z')).toMatchObject({ action: 'delete', reason: 'expired' });
    expect(d.get('1040Z')).toMatchObject({ action: 'keep', reasons: ['hourly'] });
    expect(d.get('1100Z')).toMatchObject({ action: 'keep', reasons: ['newest-completed', 'min-keep'] });
  });

  it('hourly: the wall-clock hour repeated when DST ends (America/New_York) is two real hours', () => {
    // 2024-11-03: 01:00–01:59 EDT (05:00Z–05:59Z), then 01:00–01:59 EST (06:00Z–06:59Z), then 02:00 EST (07:00Z).
    const points = ['04:00', '04:30', '05:00', '05:30', '06:00', '06:30', '07:00', '07:30', '08:00'].map(
      (hm) => point(hm, `2024-11-03T${hm}:00Z`),
    );
    const decisions = planRetention(
      points,
      policy({ tiers: { hourly: 3 }, timezone: 'America/New_York' }),
      context('2024-11-03T09:00:00Z'),
    );
    expect(keptIds(decisions)).toEqual(['06:00', '07:00', '08:00']);
  });

  it('weekly: ISO weeks start on local Monday in America/New_York', () => {
    const points = [
      point('sun-mar03', '2024-03-03T17:00:00Z'), // Sun 3 Mar 12:00 EST, week 2024-W09
      point('mon-mar04', '2024-03-04T14:00:00Z'), // Mon 4 Mar 09:00 EST, first of 2024-W10
      point('sun-mar10-late', '2024-03-11T03:30:00Z'), // Sun 10 Mar 23:30 EDT (Monday in UTC), still 2024-W10
      point('mon-mar11-early', '2024-03-11T04:30:00Z'), // Mon 11 Mar 00:30 EDT, first of 2024-W11
      point('wed-mar13', '2024-03-13T16:00:00Z'), // Wed 13 Mar, 2024-W11
    ];
    const now = context('2024-03-14T00:00:00Z');
    const ny = planRetention(points, policy({ tiers: { weekly: 2 }, timezone: 'America/New_York' }), now);
    expect(keptIds(ny)).toEqual(['mon-mar04', 'mon-mar11-early', 'wed-mar13']);
    expect(byId(ny).get('mon-mar11-early')).toMatchObject({ reasons: ['weekly'] });

    // In UTC the Sunday-evening point is the first of the week starting Monday 11 Mar.
    const utc = planRetention(points, policy({ tiers: { weekly: 2 }, timezone: 'UTC' }), now);
    expect(keptIds(utc)).toEqual(['mon-mar04', 'sun-mar10-late', 'wed-mar13']);
  });

  it('monthly: local months of Pacific/Auckland (UTC+13 in summer)', () => {
    const points = [
      point('jan15', '2024-01-15T00:00:00Z'),
      point('jan31-local', '2024-01-31T10:30:00Z'), // 31 Jan 23:30 NZDT
      point('feb01-local', '2024-01-31T11:30:00Z'), // 1 Feb 00:30 NZDT: first of local February
      point('feb15', '2024-02-15T00:00:00Z'),
    ];
    const decisions = planRetention(
      points,
      policy({ tiers: { monthly: 2 }, timezone: 'Pacific/Auckland' }),
      context('2024-02-20T00:00:00Z'),
    );
    const d = byId(decisions);
    expect(d.get('jan15')).toMatchObject({ action: 'keep', reasons: ['monthly'] });
    expect(d.get('jan31-local')).toMatchObject({ action: 'delete', reason: 'expired' });
    expect(d.get('feb01-local')).toMatchObject({ action: 'keep', reasons: ['monthly'] });
    expect(d.get('feb15')).toMatchObject({ action: 'keep', reasons: ['newest-completed', 'min-keep'] });
  });

  it('yearly: local years of Asia/Kolkata', () => {
    const points = [
      point('2023-06', '2023-06-01T00:00:00Z'),
      point('2023-12-31-local', '2023-12-31T18:00:00Z'), // 31 Dec 2023 23:30 IST
      point('2024-01-01-local', '2023-12-31T19:00:00Z'), // 1 Jan 2024 00:30 IST: first of local 2024
      point('2024-06', '2024-06-01T00:00:00Z'),
    ];
    const decisions = planRetention(
      points,
      policy({ tiers: { yearly: 2 }, timezone: 'Asia/Kolkata' }),
      context('2024-07-01T00:00:00Z'),
    );
    expect(keptIds(decisions)).toEqual(['2023-06', '2024-01-01-local', '2024-06']);
    expect(byId(decisions).get('2024-01-01-local')).toMatchObject({ reasons: ['yearly'] });
  });

  it('only buckets that contain a completed point of ours count towards N', () => {
    const points = [
      point('day1', '2024-04-01T10:00:00Z'),
      point('day2', '2024-04-02T10:00:00Z'),
      point('day3-error', '2024-04-03T10:00:00Z', 'error'),
      point('day4-pending', '2024-04-04T10:00:00Z', 'pending'),
      point('day5-foreign', '2024-04-05T10:00:00Z', 'completed', {}),
      point('day6', '2024-04-06T10:00:00Z'),
    ];
    const decisions = planRetention(points, policy({ tiers: { daily: 2 } }), context('2024-04-06T12:00:00Z'));
    expect(byId(decisions).get('day2')).toMatchObject({ action: 'keep', reasons: ['daily'] });
    expect(byId(decisions).get('day1')).toMatchObject({ action: 'delete', reason: 'expired' });
  });
});

describe('planRetention: GFS 24h / 7d / 4w / 12m / 3y over a year of hourly points', () => {
  const gfs = { hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 };
  // 2024 is a leap year: 366 × 24 = 8784 hourly points, 2024-01-01T00:00Z … 2024-12-31T23:00Z.
  const points = hourlyPoints('2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z');
  const now = context('2025-01-01T00:00:00Z');

  it('in UTC keeps 45 points', () => {
    expect(points).toHaveLength(8784);
    const decisions = planRetention(points, policy({ tiers: gfs, timezone: 'UTC' }), now);
    // hourly: 31 Dec 00:00–23:00 (24). daily: 25–31 Dec 00:00, of which 31 Dec is already hourly (+6).
    // weekly (ISO): weeks starting Mon 30 Dec (already daily), 23, 16, 9 Dec (+3).
    // monthly: the 1st of each month of 2024 at 00:00, none kept yet (+12). yearly: only 2024 exists, its
    // first point is 1 Jan 00:00, already monthly (+0). 24 + 6 + 3 + 12 + 0 = 45.
    const kept = keptIds(decisions);
    expect(kept).toHaveLength(45);
    const expected = new Set<string>();
    for (let h = 0; h < 24; h++) expected.add(`2024-12-31T${String(h).padStart(2, '0')}:00Z`);
    for (const day of ['25', '26', '27', '28', '29', '30', '23', '16', '09'])
      expected.add(`2024-12-${day}T00:00Z`);
    for (let m = 1; m <= 12; m++) expected.add(`2024-${String(m).padStart(2, '0')}-01T00:00Z`);
    expect(new Set(kept)).toEqual(expected);

    const summary = summarizeDecisions(decisions);
    expect(summary).toEqual({
      keep: 45,
      delete: 8784 - 45,
      byReason: {
        'newest-completed': 1,
        'min-keep': 1,
        hourly: 24,
        daily: 7,
        weekly: 4,
        monthly: 12,
        yearly: 1,
        expired: 8784 - 45,
      },
    });
    expect(byId(decisions).get('2024-01-01T00:00Z')).toMatchObject({ reasons: ['monthly', 'yearly'] });
    expect(byId(decisions).get('2024-12-30T00:00Z')).toMatchObject({ reasons: ['daily', 'weekly'] });
  });

  it('in Europe/Paris keeps 45 points, with local-midnight representatives and a second local year', () => {
    const decisions = planRetention(points, policy({ tiers: gfs, timezone: 'Europe/Paris' }), now);
    // The last point, 31 Dec 23:00Z, is 1 Jan 2025 00:00 in Paris: local 2025 has one point.
    // hourly: 31 Dec 00:00Z–23:00Z (24).
    // daily (local 1 Jan 2025, 31…26 Dec): local midnights 30 Dec 23:00Z … 25 Dec 23:00Z (+6).
    // weekly: 2025-W01 (Mon 30 Dec local = 29 Dec 23:00Z, already daily), W52, W51, W50 (+3).
    // monthly: Jan 2025 (already), Dec … Feb 2024 local midnights of the 1st (+11); in summer time these are 22:00Z.
    // yearly: 2025 (already), 2024 whose first point is 1 Jan 2024 00:00Z = 01:00 local (+1).
    // 24 + 6 + 3 + 11 + 1 = 45.
    const expected = new Set<string>();
    for (let h = 0; h < 24; h++) expected.add(`2024-12-31T${String(h).padStart(2, '0')}:00Z`);
    for (const day of [25, 26, 27, 28, 29, 30]) expected.add(`2024-12-${day}T23:00Z`);
    for (const day of ['2024-12-22', '2024-12-15', '2024-12-08']) expected.add(`${day}T23:00Z`);
    for (const iso of ['2024-11-30T23', '2024-10-31T23', '2024-02-29T23', '2024-01-31T23'])
      expected.add(`${iso}:00Z`);
    for (const iso of ['09-30', '08-31', '07-31', '06-30', '05-31', '04-30', '03-31'])
      expected.add(`2024-${iso}T22:00Z`);
    expected.add('2024-01-01T00:00Z');
    expect(expected.size).toBe(45);
    expect(new Set(keptIds(decisions))).toEqual(expected);

    const d = byId(decisions);
    // Not weekly: 1 Jan 2025 is in 2025-W01, whose first point is Mon 30 Dec 00:00 local.
    expect(d.get('2024-12-31T23:00Z')).toMatchObject({
      reasons: ['newest-completed', 'min-keep', 'hourly', 'daily', 'monthly', 'yearly'],
    });
    expect(d.get('2024-01-01T00:00Z')).toMatchObject({ reasons: ['yearly'] });
    expect(d.get('2024-03-31T22:00Z')).toMatchObject({ reasons: ['monthly'] }); // 1 Apr 00:00 CEST
    expect(summarizeDecisions(decisions).byReason).toMatchObject({
      hourly: 24,
      daily: 7,
      weekly: 4,
      monthly: 12,
      yearly: 2,
    });
  });
});

describe('planRetention: min-keep', () => {
  it('overrides an aggressive maxAge, counting only completed points of ours', () => {
    const points = [
      ...dailyPoints('2024-06-10', 6),
      point('newer-pending', '2024-06-11T00:00:00Z', 'pending'),
      point('newer-error', '2024-06-11T01:00:00Z', 'error'),
    ];
    const d = byId(
      planRetention(points, policy({ maxAgeMs: HOUR, minKeep: 3 }), context('2024-06-12T00:00:00Z')),
    );
    expect(d.get('d0')).toMatchObject({ action: 'keep', reasons: ['newest-completed', 'min-keep'] });
    expect(d.get('d1')).toMatchObject({ action: 'keep', reasons: ['min-keep'] });
    expect(d.get('d2')).toMatchObject({ action: 'keep', reasons: ['min-keep'] });
    for (const id of ['d3', 'd4', 'd5'])
      expect(d.get(id)).toMatchObject({ action: 'delete', reason: 'expired' });
    expect(d.get('newer-pending')).toMatchObject({ action: 'keep', reasons: ['pending'] });
    expect(d.get('newer-error')).toMatchObject({ action: 'keep', reasons: ['error-in-grace'] });
  });
});

describe('planRetention: source gone', () => {
  const points = [
    point('old', '2023-01-01T00:00:00Z'),
    point('last-good', '2023-02-01T00:00:00Z'),
    point('failed-after', '2023-03-01T00:00:00Z', 'error'),
  ];
  const ctx = context('2025-01-01T00:00:00Z', { sourceExists: false });

  it('keeps the newest completed point forever, also marked source-gone-last', () => {
    const d = byId(planRetention(points, policy({ maxAgeMs: 30 * DAY }), ctx));
    expect(d.get('last-good')).toEqual({
      id: 'last-good',
      action: 'keep',
      reasons: ['newest-completed', 'min-keep', 'source-gone-last'],
    });
    expect(d.get('old')).toMatchObject({ action: 'delete', reason: 'expired' });
    expect(d.get('failed-after')).toMatchObject({ action: 'delete', reason: 'error-past-grace' });
  });

  it('still keeps the newest completed point when keepLastWhenSourceGone is false', () => {
    const d = byId(planRetention(points, policy({ maxAgeMs: 30 * DAY, keepLastWhenSourceGone: false }), ctx));
    expect(d.get('last-good')).toMatchObject({ action: 'keep', reasons: ['newest-completed', 'min-keep'] });
  });

  it('does not mark source-gone-last while the source exists', () => {
    const d = byId(planRetention(points, policy({ maxAgeMs: 30 * DAY }), { ...ctx, sourceExists: true }));
    expect(d.get('last-good')).toMatchObject({ action: 'keep', reasons: ['newest-completed', 'min-keep'] });
  });
});

describe('planRetention: error points', () => {
  const now = '2024-06-30T00:00:00Z';
  const nowMs = Date.parse(now);
  const points = [
    point('good', new Date(nowMs - 10 * DAY)),
    point('err-1d', new Date(nowMs - DAY), 'error'),
    point('err-exactly-grace', new Date(nowMs - 3 * DAY), 'error'),
    point('err-4d', new Date(nowMs - 4 * DAY), 'error'),
    point('err-future', new Date(nowMs + DAY), 'error'),
    point('err-4d-other-plan', new Date(nowMs - 4 * DAY), 'error', { ...OURS, [PLAN.tagKey]: 'other' }),
    point('err-4d-foreign', new Date(nowMs - 4 * DAY), 'error', { Name: 'x' }),
  ];
  const grace = policy({ count: 1, errorGraceMs: 3 * DAY });

  it('keeps our error points within the grace and deletes older ones', () => {
    const d = byId(planRetention(points, grace, context(now)));
    expect(d.get('err-1d')).toMatchObject({ action: 'keep', reasons: ['error-in-grace'] });
    expect(d.get('err-exactly-grace')).toMatchObject({ action: 'keep', reasons: ['error-in-grace'] });
    expect(d.get('err-future')).toMatchObject({ action: 'keep', reasons: ['error-in-grace'] });
    expect(d.get('err-4d')).toEqual({ id: 'err-4d', action: 'delete', reason: 'error-past-grace' });
    expect(d.get('err-4d-other-plan')).toMatchObject({ action: 'keep', reasons: ['other-plan'] });
    expect(d.get('err-4d-foreign')).toMatchObject({ action: 'keep', reasons: ['not-ours'] });
    expect(d.get('good')).toMatchObject({
      action: 'keep',
      reasons: ['newest-completed', 'min-keep', 'count'],
    });
  });

  it('deletes nothing when the latest scheduled backup failed, and says so on every point', () => {
    const decisions = planRetention(points, grace, context(now, { latestScheduledBackupFailed: true }));
    expect(decisions.every((d) => d.action === 'keep' && d.reasons.includes('latest-backup-failed'))).toBe(
      true,
    );
    const d = byId(decisions);
    expect(d.get('err-4d')).toMatchObject({ reasons: ['latest-backup-failed'] });
    expect(d.get('err-1d')).toMatchObject({ reasons: ['error-in-grace', 'latest-backup-failed'] });
    expect(d.get('err-4d-foreign')).toMatchObject({ reasons: ['not-ours', 'latest-backup-failed'] });
  });
});

describe('planRetention: reasons', () => {
  it('lists every rule that keeps a point, in a stable order', () => {
    const points = [point('older', '2024-06-01T08:00:00Z'), point('newest', '2024-06-02T08:00:00Z')];
    const decisions = planRetention(
      points,
      policy({
        count: 5,
        maxAgeMs: 30 * DAY,
        minKeep: 2,
        tiers: { hourly: 1, daily: 2, weekly: 1, monthly: 1, yearly: 1 },
      }),
      context('2024-06-03T00:00:00Z', { latestScheduledBackupFailed: true, sourceExists: false }),
    );
    expect(decisions).toEqual([
      {
        id: 'older',
        action: 'keep',
        reasons: [
          'min-keep',
          'count',
          'max-age',
          'daily',
          'weekly',
          'monthly',
          'yearly',
          'latest-backup-failed',
        ],
      },
      {
        id: 'newest',
        action: 'keep',
        reasons: [
          'newest-completed',
          'min-keep',
          'count',
          'max-age',
          'hourly',
          'daily',
          'latest-backup-failed',
          'source-gone-last',
        ],
      },
    ]);
  });

  it('latest-backup-failed keeps expired points that no rule keeps', () => {
    const points = dailyPoints('2024-06-10', 3);
    const d = byId(
      planRetention(
        points,
        policy({ count: 1 }),
        context('2024-06-11T00:00:00Z', { latestScheduledBackupFailed: true }),
      ),
    );
    expect(d.get('d2')).toEqual({ id: 'd2', action: 'keep', reasons: ['latest-backup-failed'] });
  });
});

describe('planRetention: safety edges', () => {
  it('deletes nothing under a policy without count, maxAge or tiers (or with only zeros)', () => {
    const points = [...dailyPoints('2020-01-10', 5), point('old-error', '2020-01-01T00:00:00Z', 'error')];
    for (const empty of [
      policy({}),
      policy({ count: 0, maxAgeMs: 0, tiers: { daily: 0 } }),
      policy({ tiers: {} }),
    ]) {
      const decisions = planRetention(points, empty, context('2024-01-01T00:00:00Z'));
      expect(decisions.every((d) => d.action === 'keep' && d.reasons.includes('empty-policy'))).toBe(true);
    }
  });

  it('gives duplicated entries of one id the same decision, and counts them once', () => {
    const points = [
      point('a', '2024-06-01T00:00:00Z'),
      point('b', '2024-06-02T00:00:00Z'),
      point('c', '2024-06-03T00:00:00Z'),
      point('b', '2024-06-02T00:00:00Z'),
    ];
    const decisions = planRetention(points, policy({ count: 2 }), context('2024-06-04T00:00:00Z'));
    expect(decisions.map((d) => [d.id, d.action])).toEqual([
      ['a', 'delete'],
      ['b', 'keep'],
      ['c', 'keep'],
      ['b', 'keep'],
    ]);
  });

  it('keeps ids whose entries disagree, without counting them as good points', () => {
    const points = [
      point('a', '2024-06-01T00:00:00Z'),
      point('b', '2024-06-02T00:00:00Z'),
      point('c', '2024-06-03T00:00:00Z'),
      point('c', '2024-06-03T00:00:00Z', 'error'),
    ];
    const decisions = planRetention(points, policy({ count: 1 }), context('2024-06-04T00:00:00Z'));
    expect(decisions).toEqual([
      { id: 'a', action: 'delete', reason: 'expired' },
      { id: 'b', action: 'keep', reasons: ['newest-completed', 'min-keep', 'count'] },
      { id: 'c', action: 'keep', reasons: ['duplicate-id'] },
      { id: 'c', action: 'keep', reasons: ['duplicate-id'] },
    ]);
  });

  it('plans each resource on its own if given several', () => {
    const points = [
      point('v1-old', '2024-06-01T00:00:00Z', 'completed', OURS, 'vol-1'),
      point('v1-new', '2024-06-02T00:00:00Z', 'completed', OURS, 'vol-1'),
      point('v2-only', '2024-05-01T00:00:00Z', 'completed', OURS, 'vol-2'),
    ];
    const decisions = planRetention(points, policy({ count: 1 }), context('2024-06-04T00:00:00Z'));
    expect(keptIds(decisions)).toEqual(['v1-new', 'v2-only']);
  });

  it('rejects malformed input instead of planning deletions', () => {
    const points = [point('a', '2024-06-01T00:00:00Z')];
    const ctx = context('2024-06-04T00:00:00Z');
    expect(() => planRetention(points, policy({ count: 1, timezone: 'Mars/Olympus' }), ctx)).toThrow(
      RangeError,
    );
    expect(() => planRetention(points, policy({ count: 1, minKeep: 0 }), ctx)).toThrow(RangeError);
    expect(() => planRetention(points, policy({ count: -1 }), ctx)).toThrow(RangeError);
    expect(() => planRetention(points, policy({ count: 1.5 }), ctx)).toThrow(RangeError);
    expect(() => planRetention(points, policy({ maxAgeMs: Number.NaN }), ctx)).toThrow(RangeError);
    expect(() => planRetention(points, policy({ tiers: { daily: -2 } }), ctx)).toThrow(RangeError);
    expect(() => planRetention([point('bad', new Date(Number.NaN))], policy({ count: 1 }), ctx)).toThrow(
      RangeError,
    );
    expect(() => planRetention(points, policy({ count: 1 }), { ...ctx, now: new Date('nope') })).toThrow(
      RangeError,
    );
  });

  it('plans an empty history', () => {
    expect(planRetention([], policy({ count: 1 }), context('2024-06-04T00:00:00Z'))).toEqual([]);
  });
});

describe('planRetentionForMany', () => {
  it('plans each group like planRetention, in group order', () => {
    const vol1 = dailyPoints('2024-06-10', 4).map((p) => ({ ...p, id: `v1-${p.id}`, resourceId: 'vol-1' }));
    const vol2 = dailyPoints('2024-06-08', 3).map((p) => ({ ...p, id: `v2-${p.id}`, resourceId: 'vol-2' }));
    const groups = [
      { points: vol1, context: context('2024-06-11T00:00:00Z') },
      { points: vol2, context: context('2024-06-11T00:00:00Z', { sourceExists: false }) },
      { points: [], context: context('2024-06-11T00:00:00Z') },
    ];
    const p = policy({ count: 2 });
    expect(planRetentionForMany(groups, p)).toEqual(groups.map((g) => planRetention(g.points, p, g.context)));
  });

  it('deletes nothing of a resource that any group says had its latest scheduled backup fail', () => {
    const all = dailyPoints('2024-06-10', 4);
    const groups = [
      { points: all.slice(0, 2), context: context('2024-06-11T00:00:00Z') },
      {
        points: all.slice(2),
        context: context('2024-06-11T00:00:00Z', { latestScheduledBackupFailed: true }),
      },
    ];
    const result = planRetentionForMany(groups, policy({ count: 1 }));
    expect(result.flat().every((d) => d.action === 'keep')).toBe(true);
  });

  it('never deletes in one group an id that another group keeps', () => {
    const shared = point('snap-shared', '2024-06-01T00:00:00Z', 'completed', OURS, 'vol-1');
    const groups = [
      { points: [shared, point('v1-new', '2024-06-02T00:00:00Z')], context: context('2024-06-11T00:00:00Z') },
      { points: [{ ...shared, resourceId: 'vol-2' }], context: context('2024-06-11T00:00:00Z') },
    ];
    const [first, second] = planRetentionForMany(groups, policy({ count: 1 }));
    expect(first).toEqual([
      { id: 'snap-shared', action: 'keep', reasons: ['duplicate-id'] },
      { id: 'v1-new', action: 'keep', reasons: ['newest-completed', 'min-keep', 'count'] },
    ]);
    expect(second).toEqual([
      { id: 'snap-shared', action: 'keep', reasons: ['newest-completed', 'min-keep', 'count'] },
    ]);
  });
});

describe('summarizeDecisions', () => {
  it('counts keeps, deletes and each reason', () => {
    expect(
      summarizeDecisions([
        { id: 'a', action: 'keep', reasons: ['newest-completed', 'min-keep'] },
        { id: 'b', action: 'keep', reasons: ['min-keep'] },
        { id: 'c', action: 'delete', reason: 'expired' },
        { id: 'd', action: 'delete', reason: 'error-past-grace' },
      ]),
    ).toEqual({
      keep: 2,
      delete: 2,
      byReason: { 'newest-completed': 1, 'min-keep': 2, expired: 1, 'error-past-grace': 1 },
    });
    expect(summarizeDecisions([])).toEqual({ keep: 0, delete: 0, byReason: {} });
  });
});
