import { describe, expect, it } from '@jest/globals';
import { IdempotencyInconsistentStateError, IdempotencyItemNotFoundError, IdempotencyPersistenceLayerError } from '@aws-lambda-powertools/idempotency';
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

describe('classifyFailure of the claim store (Powertools Idempotency)', () => {
  // The error classes Powertools really throws: no $metadata, the DynamoDB error in `cause`.
  const persistence = (cause?: unknown) => new IdempotencyPersistenceLayerError('Failed to save in progress record to idempotency store', cause === undefined ? undefined : { cause });

  it.each([
    ['ProvisionedThroughputExceededException', 400],
    ['ThrottlingException', 400],
    ['InternalServerError', 500],
    ['SomethingNew', 503],
  ])('treats a claim store failing with %s (HTTP %s) as transient, naming the claim store and the cause', (name, status) => {
    const failure = classifyFailure(persistence(awsError(name, status)));

    expect(failure).toEqual({
      kind: 'transient',
      name: 'IdempotencyPersistenceLayerError',
      message: `Failed to save in progress record to idempotency store: ${name}: ${name} happened`,
    });
  });

  it('treats a claim store that cannot be reached at all (a network error) as transient', () => {
    const network = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

    expect(classifyFailure(persistence(network)).kind).toBe('transient');
  });

  it('treats a claim store refusing the request (a missing table, no permission) as permanent', () => {
    expect(classifyFailure(persistence(awsError('ResourceNotFoundException', 400))).kind).toBe('permanent');
    expect(classifyFailure(persistence(awsError('AccessDeniedException', 400))).kind).toBe('permanent');
    expect(classifyFailure(persistence()).kind).toBe('permanent');
  });

  it('treats a claim that expired or vanished while it was read as transient', () => {
    expect(classifyFailure(new IdempotencyInconsistentStateError('Item has expired during processing and may not longer be valid.')).kind).toBe('transient');
    expect(classifyFailure(new IdempotencyItemNotFoundError()).kind).toBe('transient');
  });

  it('says a create whose claim store failed may have been carried out, since the failed step may follow the create', () => {
    expect(mayHaveTakenEffect(classifyFailure(persistence(awsError('ThrottlingException', 400))))).toBe(true);
  });
});
