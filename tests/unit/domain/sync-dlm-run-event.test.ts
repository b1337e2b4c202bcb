import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as z from 'zod/mini';
import { dryRunField, parseEntryPayload, scheduledTimeField, schedulerContextFields } from '../../../shared/domain/entry-payload.js';
import { BadInputError } from '../../../shared/domain/errors.js';
import { parseSyncDlmRun } from '../../../shared/domain/sync-dlm-run-event.js';

describe('parseSyncDlmRun', () => {
  it('accepts the daily schedule payload, an empty event after a deploy, and a dry run', () => {
    expect(parseSyncDlmRun({ scheduledTime: '2026-11-26T15:00:00Z', executionId: 'exec-1', attempt: '1' })).toEqual({
      dryRun: false,
      scheduledTime: new Date('2026-11-26T15:00:00Z'),
    });
    expect(parseSyncDlmRun({})).toEqual({ dryRun: false });
    expect(parseSyncDlmRun(undefined)).toEqual({ dryRun: false });
    expect(parseSyncDlmRun({ dryRun: true })).toEqual({ dryRun: true });
  });

  it('rejects anything else with a BadInputError naming each wrong field', () => {
    expect(() => parseSyncDlmRun({ dryRun: 'yes', plan: 'gold' })).toThrow(
      expect.objectContaining({
        name: 'BadInputError',
        message: 'sync-dlm received a payload that is not a sync run: dryRun must be true or false; unexpected field(s) plan',
      }),
    );
  });
});

describe('parseSyncDlmRun against the zod fields every other entry point uses', () => {
  /** The strict schema sync-dlm would have with entry-payload.ts's fields: the hand check must answer as it does. */
  const schema = z.strictObject({ scheduledTime: z.optional(scheduledTimeField), dryRun: z.optional(dryRunField), ...schedulerContextFields });
  const REFUSAL = 'sync-dlm received a payload that is not a sync run';

  type Outcome = { run: { dryRun: boolean; scheduledTime?: Date } } | { refused: string };
  const outcome = (parse: () => { dryRun: boolean; scheduledTime?: Date }): Outcome => {
    try {
      return { run: parse() };
    } catch (error) {
      if (!(error instanceof BadInputError)) throw error;
      return { refused: error.message };
    }
  };
  const byZod = (event: unknown): Outcome =>
    outcome(() => {
      const data = parseEntryPayload(schema, event ?? {}, REFUSAL);
      return { dryRun: data.dryRun ?? false, ...(data.scheduledTime ? { scheduledTime: new Date(data.scheduledTime) } : {}) };
    });

  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  /** Timestamps near the edges of RFC 3339: leap days and centuries, day 0 and 31, hour 24, odd offsets and forms. */
  const timestamp = fc
    .record({
      year: fc.oneof(fc.constantFrom(0, 1900, 2000, 2023, 2024, 2100, 2400, 9999), fc.integer({ min: 0, max: 9999 })),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.oneof(fc.constantFrom(0, 28, 29, 30, 31, 32), fc.integer({ min: 1, max: 31 })),
      hour: fc.integer({ min: 0, max: 25 }),
      minute: fc.integer({ min: 0, max: 61 }),
      second: fc.option(fc.integer({ min: 0, max: 61 })),
      fraction: fc.constantFrom('', '.5', '.123456789', '.'),
      zone: fc.constantFrom('Z', 'z', '', '+00:00', '-05:30', '+23:59', '+24:00', '+05:60', '+0530', '+05', ' '),
      separator: fc.constantFrom('T', 'T', 'T', ' ', 't'),
    })
    .map(({ year, month, day, hour, minute, second, fraction, zone, separator }) =>
      `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}${separator}${pad(hour, 2)}:${pad(minute, 2)}${second === null ? '' : `:${pad(second, 2)}${fraction}`}${zone}`,
    );
  const anyValue = fc.oneof(fc.jsonValue(), fc.constantFrom(undefined, Number.NaN, Number.POSITIVE_INFINITY));
  const field = <T>(valid: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyValue }), { nil: undefined, freq: 3 });
  const payload = fc
    .record(
      {
        scheduledTime: field(timestamp),
        dryRun: field(fc.boolean()),
        scheduleArn: field(fc.string()),
        executionId: field(fc.uuid()),
        attempt: field(fc.oneof(fc.integer(), fc.double(), fc.string())),
        extra: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue(), { maxKeys: 3 }), { nil: undefined }),
      },
      { requiredKeys: [] },
    )
    .map(({ extra, ...fields }) => ({ ...extra, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) }));

  it('accepts and refuses exactly the payloads the zod schema does, with the same messages', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 8, arbitrary: payload }, { weight: 1, arbitrary: anyValue }), (event) => {
        expect(outcome(() => parseSyncDlmRun(event))).toEqual(byZod(event));
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the same timestamps as zod, refusing days the calendar lacks', () => {
    fc.assert(
      fc.property(timestamp, (scheduledTime) => {
        expect(outcome(() => parseSyncDlmRun({ scheduledTime }))).toEqual(byZod({ scheduledTime }));
      }),
      { numRuns: 20_000 },
    );
    for (const scheduledTime of ['2024-02-29T00:00:00Z', '2000-02-29T12:00:00.5+01:00', '0000-02-29T00:00:00Z']) {
      expect(parseSyncDlmRun({ scheduledTime }).scheduledTime).toEqual(new Date(scheduledTime));
    }
    for (const scheduledTime of ['2023-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-11-26T15:00Z', '2026-11-26T24:00:00Z']) {
      expect(() => parseSyncDlmRun({ scheduledTime })).toThrow('scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z');
    }
  });
});
