import { describe, expect, it } from '@jest/globals';
import { classifyFailure, mayHaveTakenEffect } from '../../../shared/domain/failure-classification.js';

const awsError = (name: string, status?: number) => Object.assign(new Error(`${name} happened`), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe('classifyFailure', () => {
  it.each([
    ['RequestLimitExceeded', 503, 'transient'],
    ['InternalError', 500, 'transient'],
    ['SomethingNew', 502, 'transient'],
    ['ECONNRESET', undefined, 'transient'],
    ['SnapshotCreationPerVolumeRateExceeded', 400, 'per-volume-rate'],
    ['IdempotencyAlreadyInProgressError', undefined, 'in-progress-elsewhere'],
    ['InvalidVolume.NotFound', 400, 'permanent'],
    ['SomethingNew', undefined, 'permanent'],
  ])('treats %s (HTTP %s) as %s', (name, status, kind) => {
    expect(classifyFailure(awsError(name, status)).kind).toBe(kind);
  });
});

describe('mayHaveTakenEffect', () => {
  it.each([
    ['InternalError', 500, true],
    ['ServiceUnavailable', 503, true],
    ['TimeoutError', undefined, true],
    ['ECONNRESET', undefined, true],
    ['RequestLimitExceeded', 503, false],
    ['ThrottlingException', 400, false],
    ['ECONNREFUSED', undefined, false],
    ['SnapshotCreationPerVolumeRateExceeded', 400, false],
    ['InvalidVolume.NotFound', 400, false],
  ])('says a create that failed with %s (HTTP %s) may have been carried out: %s', (name, status, expected) => {
    expect(mayHaveTakenEffect(classifyFailure(awsError(name, status)))).toBe(expected);
  });
});
