import type { Plan } from '../../shared/domain/plan-schema.js';
import { parsePlansFile } from '../../shared/domain/plans-file.js';

/** A valid plans file with one plan, for tests that need a realistic Plan without caring about its details. */
export function planFixture(overrides: { id?: string; resourceTypes?: string[]; copySourceTags?: string[]; schedule?: string } = {}): Plan {
  const id = overrides.id ?? 'gold';
  const source = `
version: 1
primaryRegion: eu-west-1
plans:
  - id: ${id}
    selection:
      resourceTypes: [${(overrides.resourceTypes ?? ['ebs-volume', 'ec2-instance', 'rds-instance', 'aurora-cluster']).join(', ')}]
    schedule:
      expression: ${overrides.schedule ?? 'cron(0 */4 * * ? *)'}
      timezone: UTC
    rpo: 8h
    rto: 1h
    snapshot:
      copySourceTags: [${(overrides.copySourceTags ?? ['Name']).join(', ')}]
    retention:
      count: 7
`;
  const plan = parsePlansFile(source, 'fixture.yml').plans[0];
  if (!plan) throw new Error('fixture has no plan');
  return plan;
}
