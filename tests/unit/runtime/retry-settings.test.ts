import { describe, expect, it } from '@jest/globals';
import { readRetryDelays, readRetryDelayScale } from '../../../shared/runtime/retry-settings.js';
import { CREATE_SNAPSHOTS_DEFAULTS } from '../../../shared/use-cases/create-snapshots.js';
import { TRANSIENT_RETRY_DEFAULTS } from '../../../shared/use-cases/retry-transient.js';
import { SYNC_DLM_DEFAULTS } from '../../../shared/use-cases/sync-dlm.js';

describe('the retry delay scale (RETRY_DELAY_SCALE)', () => {
  it('keeps every production wait when unset', () => {
    const delays = readRetryDelays({});

    expect(delays.scale).toBe(1);
    expect(delays.transient).toEqual(TRANSIENT_RETRY_DEFAULTS);
    expect(delays.createSnapshots).toEqual(CREATE_SNAPSHOTS_DEFAULTS.retry);
    expect(delays.syncDlmBaseDelayMs).toBe(SYNC_DLM_DEFAULTS.baseDelayMs);
    expect(readRetryDelayScale({ RETRY_DELAY_SCALE: '' })).toBe(1);
  });

  it('multiplies every wait before a retry, and only the waits', () => {
    const delays = readRetryDelays({ RETRY_DELAY_SCALE: '0.05' });

    expect(delays.scale).toBe(0.05);
    expect(delays.transient).toMatchObject({ attempts: TRANSIENT_RETRY_DEFAULTS.attempts, baseDelayMs: 10 });
    expect(delays.createSnapshots).toEqual({
      attempts: CREATE_SNAPSHOTS_DEFAULTS.retry.attempts,
      baseDelayMs: 25,
      perVolumeRateDelayMs: 750,
    });
    expect(delays.syncDlmBaseDelayMs).toBe(25);
  });

  it.each([
    ['fast', 'RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "fast"'],
    ['0', 'RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "0"'],
    ['-0.5', 'RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "-0.5"'],
    ['20', 'RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "20"'],
    ['1/20', 'RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "1/20"'],
    ['Infinity', 'RETRY_DELAY_SCALE must be a number above 0 and at most 1, such as 0.05, not "Infinity"'],
  ])('refuses RETRY_DELAY_SCALE=%s with a precise ConfigurationError', (text, message) => {
    expect(() => readRetryDelays({ RETRY_DELAY_SCALE: text })).toThrow(
      expect.objectContaining({ name: 'ConfigurationError', message }),
    );
  });
});
