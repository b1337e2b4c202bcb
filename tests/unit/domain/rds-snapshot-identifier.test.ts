import { describe, expect, it } from '@jest/globals';
import { rdsSnapshotIdentifier } from '../../../shared/domain/recovery-point-tags.js';

/** RDS's rules for an identifier: a letter first, then letters, digits and single hyphens, no hyphen at the end. */
const VALID = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
const SLOT = new Date('2026-11-26T12:00:00Z');

describe('rdsSnapshotIdentifier', () => {
  it('names a snapshot after its plan, resource and slot', () => {
    expect(rdsSnapshotIdentifier('gold', 'Orders_DB', SLOT, 'instance')).toBe('bo-gold-orders-db-20261126-1200');
    expect(rdsSnapshotIdentifier('gold', 'ledger', SLOT, 'cluster')).toBe('bo-gold-ledger-20261126-1200');
  });

  it.each([
    // A 13-character plan id and a 40-character cluster name: 71 characters whole.
    ['production-db', 'orders-aurora-postgresql-cluster-eu-west'],
    // The longest cluster name AWS allows, with a short plan id, and with the longest plan id.
    ['gold', 'a'.repeat(63)],
    ['p'.repeat(32), `x${'-y'.repeat(31)}`],
  ])('names a cluster snapshot of plan %s and cluster %s within the 63 characters CreateDBClusterSnapshot takes', (planId, clusterId) => {
    const identifier = rdsSnapshotIdentifier(planId, clusterId, SLOT, 'cluster');

    expect(identifier.length).toBeLessThanOrEqual(63);
    expect(identifier).toMatch(VALID);
    // The plan and slot stay readable.
    expect(identifier.startsWith(`bo-${planId}-`)).toBe(true);
    expect(identifier.endsWith('-20261126-1200')).toBe(true);
  });

  it('keeps apart long cluster names that share their first characters, and the same cluster in two plans', () => {
    const clusters = ['orders-aurora-postgresql-cluster-eu-west-1', 'orders-aurora-postgresql-cluster-eu-west-2'];
    const names = new Set([
      ...clusters.map((cluster) => rdsSnapshotIdentifier('production-db', cluster, SLOT, 'cluster')),
      rdsSnapshotIdentifier('production-d', `b-${clusters[0]}`, SLOT, 'cluster'),
    ]);

    expect(names.size).toBe(3);
  });

  it('leaves a DB snapshot of the longest names whole, within its 255 characters', () => {
    const identifier = rdsSnapshotIdentifier('p'.repeat(32), 'i'.repeat(63), SLOT, 'instance');

    expect(identifier).toBe(`bo-${'p'.repeat(32)}-${'i'.repeat(63)}-20261126-1200`);
  });
});
