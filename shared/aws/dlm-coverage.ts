import { GetLifecyclePoliciesCommand, GetLifecyclePolicyCommand, type DLMClient } from '@aws-sdk/client-dlm';
import type { ResourceType } from '../domain/plan-schema.js';

/** What an enabled DLM snapshot policy protects: resources of these types carrying any of these tags. */
export interface DlmTarget {
  policyId: string;
  resourceTypes: ResourceType[];
  targetTags: Array<{ key: string; value: string }>;
}

const DLM_RESOURCE_TYPES: Record<string, ResourceType> = { VOLUME: 'ebs-volume', INSTANCE: 'ec2-instance' };

/**
 * Target tags of every enabled EBS snapshot policy in the Region, whoever made it: a volume a DLM policy
 * snapshots is covered, even if no plan of ours selects it.
 */
export async function listDlmTargets(dlm: DLMClient): Promise<DlmTarget[]> {
  const { Policies = [] } = await dlm.send(new GetLifecyclePoliciesCommand({ State: 'ENABLED' }));
  const targets: DlmTarget[] = [];
  for (const summary of Policies) {
    if (!summary.PolicyId || (summary.PolicyType && summary.PolicyType !== 'EBS_SNAPSHOT_MANAGEMENT')) continue;
    const { Policy } = await dlm.send(new GetLifecyclePolicyCommand({ PolicyId: summary.PolicyId }));
    const details = Policy?.PolicyDetails;
    targets.push({
      policyId: summary.PolicyId,
      resourceTypes: (details?.ResourceTypes ?? []).flatMap((type) => (DLM_RESOURCE_TYPES[type] ? [DLM_RESOURCE_TYPES[type]] : [])),
      targetTags: (details?.TargetTags ?? []).flatMap((tag) => (tag.Key ? [{ key: tag.Key, value: tag.Value ?? '' }] : [])),
    });
  }
  return targets;
}
