import { describe, expect, it } from '@jest/globals';
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
