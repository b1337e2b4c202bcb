import { describe, expect, it } from '@jest/globals';
import { BadInputError } from '../../../shared/domain/errors.js';
import { parsePruneRun } from '../../../shared/domain/prune-run-event.js';

describe('parsePruneRun', () => {
  it('reads the scheduler payload, with the scheduled time as the clock', () => {
    expect(parsePruneRun({ scheduledTime: '2026-11-26T15:00:00Z', executionId: 'e-1', attempt: '1' })).toEqual({
      scheduledTime: new Date('2026-11-26T15:00:00Z'),
      dryRun: false,
      executionId: 'e-1',
    });
    expect(parsePruneRun({ scheduledTime: '2026-11-26T16:00:00+01:00', region: 'eu-central-1', dryRun: true, budget: 20 })).toEqual({
      scheduledTime: new Date('2026-11-26T15:00:00Z'),
      region: 'eu-central-1',
      dryRun: true,
      budget: 20,
    });
  });

  it('names every wrong field precisely', () => {
    expect(() => parsePruneRun({ scheduledTime: 'now', region: 'eu-wets-1', budget: 0, dryrun: true })).toThrow(
      'prune received a payload that is not a prune run: unknown Region "eu-wets-1" (expected an AWS Region name such as eu-west-1); ' +
        'scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z; budget must be at least 1 snapshot deletion; unexpected field(s) dryrun',
    );
    expect(() => parsePruneRun({ scheduledTime: '2026-11-26T15:00:00Z', budget: 2.5 })).toThrow('budget must be a whole number of snapshot deletions');
    expect(() => parsePruneRun(undefined)).toThrow(BadInputError);
  });
});
