import { groupRecoveryPoints, type StoredRecoveryPoint } from '../domain/recovery-points.js';
import type { RecoveryPointSource } from '../use-cases/restore-drill.js';
import type { SnapshotCatalog } from './snapshot-catalog.js';

/** Our recovery points of a plan in a Region: the snapshot catalog of that Region, grouped into points. */
export class CatalogRecoveryPointSource implements RecoveryPointSource {
  constructor(private readonly catalogFor: (region: string) => SnapshotCatalog) {}

  async listPoints(query: { stack: string; planId: string; region: string }): Promise<StoredRecoveryPoint[]> {
    return groupRecoveryPoints(await this.catalogFor(query.region).listOurs({ stack: query.stack, planId: query.planId }));
  }
}
