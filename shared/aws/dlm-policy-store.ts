import {
  CreateLifecyclePolicyCommand,
  DeleteLifecyclePolicyCommand,
  GetLifecyclePoliciesCommand,
  GetLifecyclePolicyCommand,
  UpdateLifecyclePolicyCommand,
  type DLMClient,
  type LifecyclePolicy,
  type PolicyDetails,
  type Tag,
} from '@aws-sdk/client-dlm';
import type { DlmPolicy, DlmPolicyDetails, DlmPolicyLike, DlmTag } from '../domain/dlm-policy.js';
import { TAG } from '../domain/recovery-point-tags.js';
import type { DlmPolicyStore, LiveDlmPolicy } from '../use-cases/sync-dlm.js';

const tags = (list: readonly Tag[] | undefined): DlmTag[] | undefined =>
  list?.flatMap((tag) => (tag.Key !== undefined ? [{ Key: tag.Key, Value: tag.Value ?? '' }] : []));

/** The SDK's policy, field by field, as the domain compares it (shared/domain/dlm-policy.ts). */
export function toDlmPolicyLike(policy: LifecyclePolicy): DlmPolicyLike {
  const details = policy.PolicyDetails;
  return {
    Description: policy.Description,
    State: policy.State,
    ExecutionRoleArn: policy.ExecutionRoleArn,
    ...(details
      ? {
          PolicyDetails: {
            PolicyType: details.PolicyType,
            ResourceTypes: details.ResourceTypes,
            ResourceLocations: details.ResourceLocations,
            TargetTags: tags(details.TargetTags),
            Parameters: details.Parameters
              ? { ExcludeBootVolume: details.Parameters.ExcludeBootVolume, ExcludeDataVolumeTags: tags(details.Parameters.ExcludeDataVolumeTags) }
              : undefined,
            EventSource: details.EventSource,
            Actions: details.Actions,
            Schedules: details.Schedules?.map((schedule) => ({
              Name: schedule.Name,
              CopyTags: schedule.CopyTags,
              TagsToAdd: tags(schedule.TagsToAdd),
              VariableTags: tags(schedule.VariableTags),
              CreateRule: schedule.CreateRule && {
                Location: schedule.CreateRule.Location,
                Interval: schedule.CreateRule.Interval,
                IntervalUnit: schedule.CreateRule.IntervalUnit,
                Times: schedule.CreateRule.Times,
                CronExpression: schedule.CreateRule.CronExpression,
                Scripts: schedule.CreateRule.Scripts,
              },
              RetainRule: schedule.RetainRule && { ...schedule.RetainRule },
              CrossRegionCopyRules: schedule.CrossRegionCopyRules?.map((rule) => ({
                Target: rule.Target,
                TargetRegion: rule.TargetRegion,
                Encrypted: rule.Encrypted,
                CmkArn: rule.CmkArn,
                CopyTags: rule.CopyTags,
                RetainRule: rule.RetainRule && { ...rule.RetainRule },
                DeprecateRule: rule.DeprecateRule,
              })),
              FastRestoreRule: schedule.FastRestoreRule,
              ShareRules: schedule.ShareRules,
              ArchiveRule: schedule.ArchiveRule,
              DeprecateRule: schedule.DeprecateRule,
            })),
          },
        }
      : {}),
  };
}

/** The domain's desired details as the SDK takes them; empty lists are left out (DLM refuses VariableTags on volume policies). */
export function toSdkPolicyDetails(details: DlmPolicyDetails): PolicyDetails {
  return {
    PolicyType: details.PolicyType,
    ResourceTypes: [...details.ResourceTypes],
    ResourceLocations: [...details.ResourceLocations],
    TargetTags: details.TargetTags.map((tag) => ({ ...tag })),
    ...(details.Parameters ? { Parameters: { ...details.Parameters } } : {}),
    Schedules: details.Schedules.map((schedule) => ({
      Name: schedule.Name,
      CopyTags: schedule.CopyTags,
      TagsToAdd: schedule.TagsToAdd.map((tag) => ({ ...tag })),
      ...(schedule.VariableTags.length ? { VariableTags: schedule.VariableTags.map((tag) => ({ ...tag })) } : {}),
      CreateRule: { ...schedule.CreateRule },
      RetainRule: { ...schedule.RetainRule },
      ...(schedule.CrossRegionCopyRules.length
        ? { CrossRegionCopyRules: schedule.CrossRegionCopyRules.map((rule) => ({ ...rule, RetainRule: { ...rule.RetainRule } })) }
        : {}),
    })),
  };
}

/**
 * Lifecycle policies in one Region through @aws-sdk/client-dlm. Only policies whose tags carry our ownership
 * tag are ever read in full, updated or deleted; IAM enforces the same (infra/resources/sync-dlm-role.yml).
 */
export class AwsDlmPolicyStore implements DlmPolicyStore {
  constructor(private readonly dlm: DLMClient) {}

  async listOurs(stack: string): Promise<LiveDlmPolicy[]> {
    // GetLifecyclePolicies filters by target tags and tags-to-add, not by policy tags: the ownership check is ours.
    const { Policies = [] } = await this.dlm.send(new GetLifecyclePoliciesCommand({}));
    const ours = Policies.filter((summary) => summary.PolicyId && !summary.DefaultPolicy && summary.Tags?.[TAG.stack] === stack);
    const live: LiveDlmPolicy[] = [];
    for (const summary of ours) {
      const { Policy } = await this.dlm.send(new GetLifecyclePolicyCommand({ PolicyId: summary.PolicyId }));
      if (!Policy) continue;
      live.push({ policyId: summary.PolicyId as string, tags: { ...(Policy.Tags ?? summary.Tags ?? {}) }, policy: toDlmPolicyLike(Policy) });
    }
    return live;
  }

  async create(policy: DlmPolicy): Promise<string> {
    const { PolicyId } = await this.dlm.send(
      new CreateLifecyclePolicyCommand({
        ExecutionRoleArn: policy.ExecutionRoleArn,
        Description: policy.Description,
        State: policy.State,
        Tags: { ...policy.Tags },
        PolicyDetails: toSdkPolicyDetails(policy.PolicyDetails),
      }),
    );
    if (!PolicyId) throw new Error('CreateLifecyclePolicy returned no PolicyId');
    return PolicyId;
  }

  async update(policyId: string, policy: DlmPolicy): Promise<void> {
    await this.dlm.send(
      new UpdateLifecyclePolicyCommand({
        PolicyId: policyId,
        ExecutionRoleArn: policy.ExecutionRoleArn,
        Description: policy.Description,
        State: policy.State,
        PolicyDetails: toSdkPolicyDetails(policy.PolicyDetails),
      }),
    );
  }

  async delete(policyId: string): Promise<void> {
    await this.dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId: policyId }));
  }
}
