import { describe, expect, it } from '@jest/globals';
import { copyLag, copyTags, isNamedAsOurs, keyProblem, needsCompletionTag, rdsCopyIdentifier, sourcesWorthCopying, sourceTimeOf } from '../../../shared/domain/copies.js';
import type { CopyRule } from '../../../shared/domain/plan-schema.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import { parseReconcileRun } from '../../../shared/domain/reconcile-run-event.js';

const source: StoredSnapshot = {
  kind: 'ebs',
  id: 'snap-0a1b2c3d4e5f60718',
  region: 'eu-west-1',
  state: 'completed',
  status: 'completed',
  startTime: new Date('2026-11-26T11:00:04Z'),
  tags: {
    Name: 'web-data',
    'aws:dlm:lifecycle-policy-id': 'policy-1',
    [TAG.stack]: 'backup-orchestrator-prod',
    [TAG.plan]: 'gold',
    [TAG.resourceId]: 'vol-1',
    [TAG.resourceType]: 'ebs-volume',
    [TAG.slot]: '2026-11-26T11:00Z',
  },
};

const rule: CopyRule = { region: 'eu-central-1', kmsKeyId: 'alias/backup-dr', encrypted: true, retention: { minKeep: 1, keepLastWhenSourceGone: true, errorGraceMs: 0, timezone: 'UTC', count: 7 } };

describe('copyTags', () => {
  it('carries the source tags (never aws: ones) and says what was copied from where, for which point, which attempt and when', () => {
    expect(copyTags({ source, attempt: 2, startedAt: new Date('2026-11-26T11:05:00.123Z') })).toEqual({
      Name: 'web-data',
      [TAG.stack]: 'backup-orchestrator-prod',
      [TAG.plan]: 'gold',
      [TAG.resourceId]: 'vol-1',
      [TAG.resourceType]: 'ebs-volume',
      [TAG.slot]: '2026-11-26T11:00Z',
      [TAG.sourceSnapshotId]: 'snap-0a1b2c3d4e5f60718',
      [TAG.sourceRegion]: 'eu-west-1',
      [TAG.sourceTime]: '2026-11-26T11:00Z',
      [TAG.copyAttempt]: '2',
      [TAG.copyStartedAt]: '2026-11-26T11:05:00Z',
    });
  });

  it('takes the source time from the start time when the source has no slot tag', () => {
    const tags = { ...source.tags };
    delete tags[TAG.slot];

    expect(copyTags({ source: { ...source, tags }, attempt: 1, startedAt: new Date() })[TAG.sourceTime]).toBe('2026-11-26T11:00:04Z');
    expect(sourceTimeOf({ tags: {}, startTime: undefined })).toBeUndefined();
  });
});

describe('rdsCopyIdentifier', () => {
  /** RDS's rules for an identifier: a letter first, then letters, digits and single hyphens, no hyphen at the end. */
  const VALID = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

  it('keeps the source identifier for the first attempt and suffixes later ones', () => {
    expect(rdsCopyIdentifier('bo-gold-orders-20261126-1100', 1, 'instance')).toBe('bo-gold-orders-20261126-1100');
    expect(rdsCopyIdentifier('bo-gold-orders-20261126-1100', 3, 'cluster')).toBe('bo-gold-orders-20261126-1100-r3');
  });

  it('names a redo of a 63-character cluster snapshot within the 63 characters CopyDBClusterSnapshot takes', () => {
    const source = 'bo-gold-payments-ledger-aurora-postgresql-prod-eu-20261126-1100';
    expect(source).toHaveLength(63);

    const redo = rdsCopyIdentifier(source, 2, 'cluster');

    expect(redo.length).toBeLessThanOrEqual(63);
    expect(redo).toMatch(VALID);
    expect(redo).toMatch(/^bo-gold-payments-ledger-aurora-postgresql-pr.*-r2$/);
    expect(rdsCopyIdentifier(source, 1, 'cluster')).toBe(source);
  });

  it('keeps two long sources that share a beginning apart, within the limit and without a doubled or trailing hyphen', () => {
    const [early, late] = ['1100', '1115'].map((minute) => `bo-gold-payments-ledger-aurora-postgresql-prod-eu-20261126-${minute}`);

    expect(rdsCopyIdentifier(early!, 2, 'cluster')).not.toBe(rdsCopyIdentifier(late!, 2, 'cluster'));
    for (const source of [`bo-gold-${'a'.repeat(243)}-xy`, `bo-${'b'.repeat(252)}`, `bo-gold-${'a'.repeat(40)}-${'b'.repeat(11)}`]) {
      for (const family of ['instance', 'cluster'] as const) {
        const identifier = rdsCopyIdentifier(source, 12, family);
        expect(identifier.length).toBeLessThanOrEqual(family === 'cluster' ? 63 : 255);
        expect(identifier).toMatch(VALID);
        expect(identifier.endsWith('-r12')).toBe(true);
      }
    }
  });
});

describe('isNamedAsOurs', () => {
  const tags = { [TAG.stack]: 's', [TAG.plan]: 'gold', [TAG.resourceId]: 'orders', [TAG.slot]: '2026-11-26T11:00Z' };

  it('takes an RDS point or copy named as the stack names it, and any EBS snapshot', () => {
    expect(isNamedAsOurs({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100', tags })).toBe(true);
    expect(isNamedAsOurs({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100-r2', tags: { ...tags, [TAG.sourceSnapshotId]: 'bo-gold-orders-20261126-1100', [TAG.copyAttempt]: '2' } })).toBe(true);
    expect(isNamedAsOurs({ kind: 'rds-cluster', id: rdsCopyIdentifier('bo-gold-orders-20261126-1100', 1, 'cluster'), tags: { ...tags, [TAG.sourceSnapshotId]: 'bo-gold-orders-20261126-1100' } })).toBe(true);
    expect(isNamedAsOurs({ kind: 'ebs', id: 'snap-0123', tags })).toBe(true);
  });

  it('refuses an RDS snapshot that carries our tags under another name: a manual snapshot, a copy made with "copy tags"', () => {
    expect(isNamedAsOurs({ kind: 'rds-instance', id: 'orders-restored-before-upgrade', tags })).toBe(false);
    expect(isNamedAsOurs({ kind: 'rds-instance', id: 'orders-audit-keep', tags: { ...tags, [TAG.sourceSnapshotId]: 'bo-gold-orders-20261126-1100' } })).toBe(false);
    expect(isNamedAsOurs({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100', tags: { ...tags, [TAG.slot]: '2026-11-26T12:00Z' } })).toBe(false);
  });
});

describe('copyLag', () => {
  it('is the time from the source point to the recorded completion of the copy', () => {
    expect(copyLag({ tags: { [TAG.sourceTime]: '2026-11-26T11:00Z', [TAG.copyCompletedAt]: '2026-11-26T11:45:00Z' } })).toEqual({
      sourceTime: new Date('2026-11-26T11:00:00Z'),
      completedAt: new Date('2026-11-26T11:45:00Z'),
      lagMs: 45 * 60_000,
    });
  });

  it('is unknown until the completion is recorded', () => {
    expect(copyLag({ tags: { [TAG.sourceTime]: '2026-11-26T11:00Z' } })).toBeUndefined();
  });

  it("prefers the completion time the service reports (EBS CompletionTime) to a recorded one", () => {
    const copy = { completedAt: new Date('2026-11-26T11:31:00Z'), tags: { [TAG.sourceTime]: '2026-11-26T11:00Z', [TAG.copyCompletedAt]: '2026-11-26T11:45:00Z' } };

    expect(copyLag(copy)?.lagMs).toBe(31 * 60_000);
  });
});

describe('needsCompletionTag', () => {
  it('asks for the completion tag only on RDS copies without one: EBS reports its own completion time', () => {
    expect(needsCompletionTag({ kind: 'ebs', tags: {} })).toBe(false);
    expect(needsCompletionTag({ kind: 'rds-instance', tags: {} })).toBe(true);
    expect(needsCompletionTag({ kind: 'rds-cluster', tags: { [TAG.copyCompletedAt]: '2026-11-26T11:45:00Z' } })).toBe(false);
  });
});

describe('keyProblem', () => {
  const arn = 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555';

  it('accepts an enabled symmetric encryption key', () => {
    expect(keyProblem('gold', rule, { found: true, arn, keyState: 'Enabled', keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT' })).toBeUndefined();
  });

  it('explains a key pending deletion, an asymmetric key and a key it could not find, with what to fix', () => {
    expect(keyProblem('gold', rule, { found: true, arn, keyState: 'PendingDeletion' })).toBe(
      `plan gold: no copy to eu-central-1 was started: KMS key alias/backup-dr (${arn}) is PendingDeletion, not Enabled; fix the key or the plan's copies[].kmsKeyId for eu-central-1`,
    );
    expect(keyProblem('gold', rule, { found: true, arn, keyState: 'Enabled', keyUsage: 'SIGN_VERIFY', keySpec: 'RSA_2048' })).toContain(
      'has key spec RSA_2048 and usage SIGN_VERIFY; EBS and RDS encrypt only with symmetric encryption keys',
    );
    expect(keyProblem('gold', rule, { found: false, reason: 'it does not exist in eu-central-1' })).toBe(
      "plan gold: no copy to eu-central-1 was started: KMS key alias/backup-dr cannot be used: it does not exist in eu-central-1; fix the key or the plan's copies[].kmsKeyId for eu-central-1",
    );
  });
});

describe('parseReconcileRun', () => {
  it('takes the scheduled time as the run clock', () => {
    expect(parseReconcileRun({ scheduledTime: '2026-11-26T15:15:00Z', scheduleArn: 'arn', executionId: 'x', attempt: '1' })).toEqual({
      now: new Date('2026-11-26T15:15:00Z'),
      dryRun: false,
    });
  });

  it('rejects a payload of the wrong shape precisely', () => {
    expect(() => parseReconcileRun({ scheduledTime: 'soon', planId: 'gold' })).toThrow(
      'reconcile received a payload that is not a scheduled reconcile run: scheduledTime must be an ISO-8601 timestamp such as 2026-11-26T15:00:00Z; unexpected field(s) planId',
    );
  });
});

describe('sourcesWorthCopying', () => {
  const volumeOf = (id: string, slot: string): StoredSnapshot => ({
    ...source,
    id,
    tags: { [TAG.stack]: 'backup-orchestrator-prod', [TAG.plan]: 'gold', [TAG.resourceId]: 'i-app', [TAG.resourceType]: 'ec2-instance', [TAG.slot]: slot },
  });

  it('keeps every volume snapshot of a multi-volume point the copy rule would keep, and none of one it would not', () => {
    const worth = sourcesWorthCopying({
      sources: [volumeOf('snap-new-1', '2026-11-26T12:00Z'), volumeOf('snap-new-2', '2026-11-26T12:00Z'), volumeOf('snap-old-1', '2026-11-20T12:00Z'), volumeOf('snap-old-2', '2026-11-20T12:00Z')],
      inRegion: [],
      rule: { ...rule, retention: { ...rule.retention, count: 1, maxAgeMs: undefined } },
      planId: 'gold',
      stack: 'backup-orchestrator-prod',
      now: new Date('2026-11-26T13:00:00Z'),
    });

    expect([...worth].sort()).toEqual(['snap-new-1', 'snap-new-2']);
  });

  it("judges a lone volume snapshot by its point's time, not as an incomplete point of its own", () => {
    // The third volume's copy of yesterday's 3-volume point is missing; the rule keeps 2 points.
    const sized = (snapshot: StoredSnapshot, region = snapshot.region): StoredSnapshot => ({ ...snapshot, region, tags: { ...snapshot.tags, [TAG.pointSize]: '3' } });
    const worth = sourcesWorthCopying({
      sources: [sized(volumeOf('snap-y3', '2026-11-25T12:00Z'))],
      inRegion: [
        ...['copy-t1', 'copy-t2', 'copy-t3'].map((id) => sized(volumeOf(id, '2026-11-26T12:00Z'), rule.region)),
        ...['copy-y1', 'copy-y2'].map((id) => sized(volumeOf(id, '2026-11-25T12:00Z'), rule.region)),
      ],
      rule: { ...rule, retention: { ...rule.retention, count: 2, maxAgeMs: undefined } },
      planId: 'gold',
      stack: 'backup-orchestrator-prod',
      now: new Date('2026-11-26T13:00:00Z'),
    });

    expect([...worth]).toEqual(['snap-y3']);
  });
});
