import { describe, expect, it } from '@jest/globals';
import { copyActivity } from '../../../shared/use-cases/copy-activity.js';

const AT = new Date('2026-11-26T15:15:00Z');

describe('copyActivity', () => {
  it('gives one record per plan with the copies started and what failed, and none for a run that did nothing', () => {
    const records = copyActivity({
      at: AT,
      source: 'reconcile',
      outcomes: [
        { planId: 'gold', sourceId: 'snap-1', kind: 'ebs', region: 'eu-central-1', status: 'started', copyId: 'snap-c1', attempt: 1 },
        { planId: 'gold', sourceId: 'snap-2', kind: 'ebs', region: 'eu-central-1', status: 'deferred', reason: 'limit' },
        { planId: 'gold', sourceId: 'bo-db', kind: 'rds-instance', region: 'eu-central-1', status: 'failed', errorName: 'InvalidParameterValue', reason: 'bad' },
        { planId: 'silver', sourceId: 'snap-3', kind: 'ebs', region: 'eu-north-1', status: 'blocked', reason: 'key' },
      ],
      problems: [{ planId: 'silver', region: 'eu-north-1', kmsKeyId: 'alias/dr', message: 'plan silver: no copy to eu-north-1 was started: …' }],
    });

    expect(records).toEqual([
      { at: AT, kind: 'copy', source: 'reconcile', planId: 'gold', copied: 1, failures: [{ resourceId: 'bo-db to eu-central-1', errorName: 'InvalidParameterValue', reason: 'bad' }] },
      {
        at: AT,
        kind: 'copy',
        source: 'reconcile',
        planId: 'silver',
        copied: 0,
        failures: [{ resourceId: 'KMS key alias/dr in eu-north-1', errorName: 'CopyKeyUnusable', reason: 'plan silver: no copy to eu-north-1 was started: …' }],
      },
    ]);
    expect(copyActivity({ at: AT, source: 'copy-snapshot', outcomes: [], problems: [] })).toEqual([]);
  });
});
