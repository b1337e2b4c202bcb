import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateLifecyclePolicyCommand,
  DeleteLifecyclePolicyCommand,
  DLMClient,
  GetLifecyclePoliciesCommand,
  GetLifecyclePolicyCommand,
  UpdateLifecyclePolicyCommand,
  type CreateLifecyclePolicyCommandInput,
  type LifecyclePolicy,
  type UpdateLifecyclePolicyCommandInput,
} from '@aws-sdk/client-dlm';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsDlmPolicyStore, toDlmPolicyLike } from '../../../shared/aws/dlm-policy-store.js';
import { desiredDlmPolicy, diffDlmPolicies } from '../../../shared/domain/dlm-policy.js';
import type { PlansConfig } from '../../../shared/domain/plan-schema.js';
import { parsePlansFile } from '../../../shared/domain/plans-file.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { syncDlmPolicies, type SyncDlmDeps } from '../../../shared/use-cases/sync-dlm.js';

// moto has no DLM: the service is an in-memory fake behind aws-sdk-client-mock, so outcomes are asserted on its state.
const dlmMock = mockClient(DLMClient);
const STACK = 'bo-prod';
const ROLE = 'arn:aws:iam::123456789012:role/bo-prod-dlm';

const CONFIG = parsePlansFile(
  `
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    engine: dlm
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 2 * * ? *) }
    rpo: 26h
    rto: 4h
    retention: { count: 14 }
  - id: silver
    engine: dlm
    selection: { resourceTypes: [ec2-instance] }
    schedule: { expression: rate(12 hours) }
    rpo: 13h
    rto: 4h
    retention: { count: 6, tiers: { weekly: 4 } }
  - id: copper
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: rate(1 day) }
    rpo: 26h
    rto: 4h
    retention: { count: 7 }
`,
  'plans.yml',
);

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
}

/** An in-memory DLM: what CreateLifecyclePolicy stores, GetLifecyclePolicy returns; failures can be queued per call. */
class FakeDlm {
  readonly policies = new Map<string, LifecyclePolicy>();
  private readonly failures = new Map<string, Error[]>();
  private next = 1;

  failNext(command: string, ...errors: Error[]): void {
    this.failures.set(command, [...(this.failures.get(command) ?? []), ...errors]);
  }

  /** The next `count` creates for the plan make their policy, then answer with a 500 (the answer lost on the way). */
  loseAnswers(planId: string, count = 1): void {
    this.lostAnswers.set(planId, count);
  }

  private readonly lostAnswers = new Map<string, number>();

  add(policy: Omit<LifecyclePolicy, 'PolicyId'>): string {
    const id = `policy-${(this.next++).toString(16).padStart(8, '0')}`;
    this.policies.set(id, structuredClone({ ...policy, PolicyId: id }));
    return id;
  }

  private failure(command: string): void {
    const error = this.failures.get(command)?.shift();
    if (error) throw error;
  }

  install(): void {
    dlmMock.on(GetLifecyclePoliciesCommand).callsFake(() => {
      this.failure('GetLifecyclePolicies');
      return {
        Policies: [...this.policies.values()].map((policy) => ({
          PolicyId: policy.PolicyId,
          Description: policy.Description,
          State: policy.State,
          Tags: policy.Tags,
          PolicyType: 'EBS_SNAPSHOT_MANAGEMENT',
        })),
      };
    });
    dlmMock.on(GetLifecyclePolicyCommand).callsFake((input: { PolicyId: string }) => {
      this.failure('GetLifecyclePolicy');
      const policy = this.policies.get(input.PolicyId);
      if (!policy) throw awsError('ResourceNotFoundException', 404);
      return { Policy: structuredClone(policy) };
    });
    dlmMock.on(CreateLifecyclePolicyCommand).callsFake((input: CreateLifecyclePolicyCommandInput) => {
      const planId = input.Tags?.[TAG.plan] ?? '';
      this.failure(`CreateLifecyclePolicy:${planId}`);
      const PolicyId = this.add({ Description: input.Description, State: input.State, ExecutionRoleArn: input.ExecutionRoleArn, PolicyDetails: input.PolicyDetails, Tags: input.Tags });
      const lost = this.lostAnswers.get(planId) ?? 0;
      if (lost > 0) {
        this.lostAnswers.set(planId, lost - 1);
        throw awsError('InternalServerException', 500);
      }
      return { PolicyId };
    });
    dlmMock.on(UpdateLifecyclePolicyCommand).callsFake((input: UpdateLifecyclePolicyCommandInput) => {
      this.failure('UpdateLifecyclePolicy');
      const policy = this.policies.get(input.PolicyId as string);
      if (!policy) throw awsError('ResourceNotFoundException', 404);
      this.policies.set(input.PolicyId as string, structuredClone({ ...policy, Description: input.Description, State: input.State, ExecutionRoleArn: input.ExecutionRoleArn, PolicyDetails: input.PolicyDetails }));
      return {};
    });
    dlmMock.on(DeleteLifecyclePolicyCommand).callsFake((input: { PolicyId: string }) => {
      this.failure('DeleteLifecyclePolicy');
      if (!this.policies.delete(input.PolicyId)) throw awsError('ResourceNotFoundException', 404);
      return {};
    });
  }

  /** The live policy serving a plan of ours, as the domain reads it. */
  planPolicies(planId: string): LifecyclePolicy[] {
    return [...this.policies.values()].filter((policy) => policy.Tags?.[TAG.stack] === STACK && policy.Tags[TAG.plan] === planId);
  }
}

let dlm: FakeDlm;
let sleeps: number[];

function deps(overrides: Partial<SyncDlmDeps> = {}): SyncDlmDeps {
  return {
    stack: STACK,
    executionRoleArn: ROLE,
    store: new AwsDlmPolicyStore(new DLMClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    maxAttempts: 4,
    baseDelayMs: 100,
    ...overrides,
  };
}

const sync = (config: PlansConfig = CONFIG, dryRun = false, overrides: Partial<SyncDlmDeps> = {}) => syncDlmPolicies({ config, dryRun }, deps(overrides));
/** gold turned to EC2 instances: a change DLM takes only in a new policy (replace). */
const GOLD_ON_INSTANCES = parsePlansFile(
  `
version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    engine: dlm
    selection: { resourceTypes: [ec2-instance] }
    schedule: { expression: cron(0 2 * * ? *) }
    rpo: 26h
    rto: 4h
    retention: { count: 14 }
`,
  'plans.yml',
);
const desiredOf = (planId: string) => desiredDlmPolicy(CONFIG.plans.find((plan) => plan.id === planId)!, { stack: STACK, primaryRegion: 'eu-west-1', executionRoleArn: ROLE });
const mutatingCalls = () =>
  dlmMock.commandCalls(CreateLifecyclePolicyCommand).length +
  dlmMock.commandCalls(UpdateLifecyclePolicyCommand).length +
  dlmMock.commandCalls(DeleteLifecyclePolicyCommand).length;

beforeEach(() => {
  dlmMock.reset();
  dlm = new FakeDlm();
  dlm.install();
  sleeps = [];
});

describe('syncDlmPolicies', () => {
  it('creates one tagged policy per engine: dlm plan, equal to the plan translation, and none for lambda plans', async () => {
    // Act
    const summary = await sync();

    // Assess
    expect(summary).toMatchObject({ created: 2, updated: 0, deleted: 0, failed: 0 });
    expect(summary.outcomes.map((outcome) => [outcome.planId, outcome.action, outcome.status])).toEqual([
      ['gold', 'create', 'done'],
      ['silver', 'create', 'done'],
    ]);
    for (const planId of ['gold', 'silver']) {
      const [live, ...more] = dlm.planPolicies(planId);
      expect(more).toEqual([]);
      expect(live?.Tags).toEqual({ [TAG.stack]: STACK, [TAG.plan]: planId });
      expect(diffDlmPolicies(desiredOf(planId), toDlmPolicyLike(live!))).toEqual([]);
    }
    expect(dlm.planPolicies('copper')).toEqual([]);
    // Volume policies must not carry VariableTags (DLM accepts them on instance policies only) nor empty lists.
    expect(dlm.planPolicies('gold')[0]?.PolicyDetails?.Schedules?.[0]).not.toHaveProperty('VariableTags');
    expect(dlm.planPolicies('gold')[0]?.PolicyDetails?.Schedules?.[0]).not.toHaveProperty('CrossRegionCopyRules');
  });

  it('changes nothing when the live policies already match the plans', async () => {
    // Prepare
    await sync();
    dlmMock.resetHistory();

    // Act
    const summary = await sync();

    // Assess
    expect(summary).toMatchObject({ created: 0, updated: 0, replaced: 0, deleted: 0, unchanged: 2, failed: 0 });
    expect(mutatingCalls()).toBe(0);
  });

  it('updates a drifted policy in place, listing every changed field, and leaves it matching the plan', async () => {
    // Prepare
    await sync();
    const [gold] = dlm.planPolicies('gold');
    gold!.State = 'DISABLED';
    gold!.PolicyDetails!.Schedules![0]!.RetainRule = { Count: 3 };

    // Act
    const summary = await sync();

    // Assess
    const outcome = summary.outcomes.find((candidate) => candidate.planId === 'gold');
    expect(outcome).toMatchObject({ action: 'update', status: 'done', policyId: gold!.PolicyId });
    expect(outcome?.changes).toEqual(['State: DISABLED → ENABLED', 'Schedules[schedule].RetainRule.Count: 3 → 14']);
    expect(dlm.planPolicies('gold').map((policy) => policy.PolicyId)).toEqual([gold!.PolicyId]);
    expect(diffDlmPolicies(desiredOf('gold'), toDlmPolicyLike(dlm.planPolicies('gold')[0]!))).toEqual([]);
  });

  it('deletes only policies of ours whose plan is gone or left DLM, and never one without our ownership and plan tags', async () => {
    // Prepare
    const ours = (planId: string) => ({ Description: 'x', State: 'ENABLED' as const, Tags: { [TAG.stack]: STACK, [TAG.plan]: planId } });
    const removedPlan = dlm.add(ours('retired'));
    const lambdaPlan = dlm.add(ours('copper'));
    const userPolicy = dlm.add({ Description: 'hand made', State: 'ENABLED', Tags: { team: 'data' } });
    const otherStack = dlm.add({ Description: 'staging', State: 'ENABLED', Tags: { [TAG.stack]: 'bo-staging', [TAG.plan]: 'retired' } });
    const noPlanTag = dlm.add({ Description: 'ours, unknown plan', State: 'ENABLED', Tags: { [TAG.stack]: STACK } });

    // Act
    const summary = await sync();

    // Assess
    const deletions = summary.outcomes.filter((outcome) => outcome.action === 'delete');
    expect(deletions.map((outcome) => [outcome.planId, outcome.policyId, outcome.reason, outcome.status])).toEqual([
      ['retired', removedPlan, 'plan-removed', 'done'],
      ['copper', lambdaPlan, 'plan-not-on-dlm', 'done'],
    ]);
    expect([...dlm.policies.keys()]).toEqual(expect.arrayContaining([userPolicy, otherStack, noPlanTag]));
    expect(dlm.policies.has(removedPlan) || dlm.policies.has(lambdaPlan)).toBe(false);
    expect(summary.untouched).toEqual([noPlanTag]);
    // Policies that are not ours are not even read in full.
    const read = dlmMock.commandCalls(GetLifecyclePolicyCommand).map((call) => call.args[0].input.PolicyId);
    expect(read).not.toContain(userPolicy);
    expect(read).not.toContain(otherStack);
  });

  it('deletes a duplicate policy of a plan and keeps the first one', async () => {
    // Prepare
    await sync();
    const [first] = dlm.planPolicies('gold');
    const { PolicyId: firstId, ...copy } = first!;
    const duplicate = dlm.add(copy);

    // Act
    const summary = await sync();

    // Assess
    expect(summary.outcomes.filter((outcome) => outcome.action === 'delete')).toMatchObject([{ planId: 'gold', policyId: duplicate, reason: 'duplicate', status: 'done' }]);
    expect(dlm.planPolicies('gold').map((policy) => policy.PolicyId)).toEqual([firstId]);
  });

  it('after a replace whose delete failed, keeps the new policy that matches the plan and deletes the stale one, creating nothing', async () => {
    // Prepare: gold's old policy (volumes) and, made by a replace whose delete then failed, its new one (instances).
    const stale = dlm.add({ ...structuredClone(desiredOf('gold')), PolicyDetails: { ...structuredClone(desiredOf('gold').PolicyDetails), ResourceTypes: ['INSTANCE'] } });
    const fresh = dlm.add(structuredClone(desiredOf('gold')));
    expect(stale < fresh).toBe(true);
    dlmMock.resetHistory();

    // Act
    const summary = await sync();

    // Assess
    expect(summary.outcomes.filter((outcome) => outcome.planId === 'gold').map((outcome) => [outcome.action, outcome.policyId])).toEqual([
      ['unchanged', fresh],
      ['delete', stale],
    ]);
    expect(dlm.planPolicies('gold').map((policy) => policy.PolicyId)).toEqual([fresh]);
    expect(dlmMock.commandCalls(CreateLifecyclePolicyCommand).filter((call) => call.args[0].input.Tags?.[TAG.plan] === 'gold')).toHaveLength(0);
  });

  it('when no policy matches the plan, updates in place the one that needs no replacing and deletes the stale one', async () => {
    // Prepare: the stale policy (instances) and the one a replace made (volumes); then the plan's retention changed.
    const stale = dlm.add({ ...structuredClone(desiredOf('gold')), PolicyDetails: { ...structuredClone(desiredOf('gold').PolicyDetails), ResourceTypes: ['INSTANCE'] } });
    const fresh = dlm.add(structuredClone(desiredOf('gold')));
    const longer: PlansConfig = {
      ...CONFIG,
      plans: CONFIG.plans.map((plan) => (plan.id === 'gold' ? { ...plan, retention: { ...plan.retention, count: 21 } } : plan)),
    };
    dlmMock.resetHistory();

    // Act
    const summary = await sync(longer);

    // Assess
    expect(summary.outcomes.filter((outcome) => outcome.planId === 'gold').map((outcome) => [outcome.action, outcome.status, outcome.policyId])).toEqual([
      ['update', 'done', fresh],
      ['delete', 'done', stale],
    ]);
    expect(dlm.planPolicies('gold').map((policy) => policy.PolicyId)).toEqual([fresh]);
    expect(dlmMock.commandCalls(CreateLifecyclePolicyCommand).filter((call) => call.args[0].input.Tags?.[TAG.plan] === 'gold')).toHaveLength(0);
  });

  it('refuses a plan it cannot translate and changes nothing for it, not even its duplicate policies', async () => {
    // Prepare: gold's policy exists twice (a replace whose delete failed), then gold asks for a zone with daylight saving time.
    await sync();
    const [first] = dlm.planPolicies('gold');
    const { PolicyId: firstId, ...copy } = first!;
    const duplicate = dlm.add(copy);
    const refused: PlansConfig = {
      ...CONFIG,
      plans: CONFIG.plans.map((plan) => (plan.id === 'gold' ? { ...plan, schedule: { ...plan.schedule, timezone: 'Europe/Paris' } } : plan)),
    };
    dlmMock.resetHistory();

    // Act
    const summary = await sync(refused);

    // Assess
    expect(summary.outcomes.map((outcome) => [outcome.planId, outcome.action, outcome.status])).toEqual([
      ['gold', 'update', 'failed'],
      ['silver', 'unchanged', 'done'],
    ]);
    expect(summary.outcomes[0]?.error).toContain('schedule.timezone');
    expect(summary).toMatchObject({ deleted: 0, failed: 1 });
    expect(dlm.planPolicies('gold').map((policy) => policy.PolicyId).sort()).toEqual([firstId, duplicate].sort());
    expect(mutatingCalls()).toBe(0);
  });

  it('replaces a policy whose resource type changed: the new policy first, then the old one goes', async () => {
    // Prepare
    await sync();
    const [old] = dlm.planPolicies('gold');
    dlmMock.resetHistory();

    // Act
    const summary = await sync(GOLD_ON_INSTANCES);

    // Assess
    const outcome = summary.outcomes.find((candidate) => candidate.planId === 'gold');
    expect(outcome).toMatchObject({ action: 'replace', status: 'done', replacedPolicyId: old!.PolicyId });
    expect(outcome?.changes).toContain('ResourceTypes: VOLUME → INSTANCE');
    expect(dlm.planPolicies('gold').map((policy) => [policy.PolicyId, policy.PolicyDetails?.ResourceTypes])).toEqual([[outcome?.policyId, ['INSTANCE']]]);
    const order = dlmMock.calls().map((call) => call.args[0].constructor.name).filter((name) => /Create|Delete/.test(name));
    expect(order).toEqual(['CreateLifecyclePolicyCommand', 'DeleteLifecyclePolicyCommand', 'DeleteLifecyclePolicyCommand']);
  });

  it('in a dry run lists what would be created, updated and deleted, field by field, and changes nothing', async () => {
    // Prepare
    await sync();
    const [gold] = dlm.planPolicies('gold');
    gold!.PolicyDetails!.TargetTags = [{ Key: 'backup:plan', Value: 'old' }];
    const silver = dlm.planPolicies('silver')[0]!;
    dlm.policies.delete(silver.PolicyId!);
    const retired = dlm.add({ Description: 'x', State: 'ENABLED', Tags: { [TAG.stack]: STACK, [TAG.plan]: 'retired' } });
    const before = structuredClone([...dlm.policies.entries()]);
    dlmMock.resetHistory();

    // Act
    const summary = await sync(CONFIG, true);

    // Assess
    expect(summary.outcomes.map((outcome) => [outcome.planId, outcome.action, outcome.status])).toEqual([
      ['gold', 'update', 'planned'],
      ['silver', 'create', 'planned'],
      ['retired', 'delete', 'planned'],
    ]);
    expect(summary.outcomes[0]?.changes).toEqual(['TargetTags: backup:plan=old → backup:plan=gold']);
    expect(summary.outcomes[1]?.changes).toContain('Schedules[weekly]: added (cron(2 0 ? * MON *), keep 4)');
    expect(summary.outcomes[2]).toMatchObject({ policyId: retired, reason: 'plan-removed' });
    expect(summary).toMatchObject({ dryRun: true, created: 0, updated: 0, deleted: 0 });
    expect(mutatingCalls()).toBe(0);
    expect([...dlm.policies.entries()]).toEqual(before);
  });

  it('records an API error on one plan and still syncs the others', async () => {
    // Prepare
    dlm.failNext('CreateLifecyclePolicy:gold', awsError('InvalidRequestException'));

    // Act
    const summary = await sync();

    // Assess
    expect(summary.outcomes.map((outcome) => [outcome.planId, outcome.status, outcome.errorName])).toEqual([
      ['gold', 'failed', 'InvalidRequestException'],
      ['silver', 'done', undefined],
    ]);
    expect(summary.outcomes[0]).toMatchObject({ attempts: 1, error: 'InvalidRequestException happened' });
    expect(summary).toMatchObject({ created: 1, failed: 1 });
    expect(dlm.planPolicies('gold')).toEqual([]);
    expect(dlm.planPolicies('silver')).toHaveLength(1);
  });

  it('retries a throttled call with growing back-off until it succeeds', async () => {
    // Prepare
    dlm.failNext('GetLifecyclePolicies', awsError('ThrottlingException'));
    dlm.failNext('CreateLifecyclePolicy:gold', awsError('ThrottlingException'), awsError('InternalServerException', 500));

    // Act
    const summary = await sync();

    // Assess: 3 creates and, after the 500, one look for a policy it may have made.
    expect(summary.outcomes[0]).toMatchObject({ planId: 'gold', action: 'create', status: 'done', attempts: 4 });
    expect(dlm.planPolicies('gold')).toHaveLength(1);
    expect(sleeps).toEqual([75, 75, 150]);
  });

  it('makes one policy when a create makes it but its answer is lost: it looks for the policy before sending the create again', async () => {
    // Prepare
    dlm.loseAnswers('gold');

    // Act
    const summary = await sync();

    // Assess
    const [policy, ...more] = dlm.planPolicies('gold');
    expect(more).toEqual([]);
    expect(summary.outcomes.find((outcome) => outcome.planId === 'gold')).toMatchObject({ action: 'create', status: 'done', policyId: policy?.PolicyId });
    expect(dlmMock.commandCalls(CreateLifecyclePolicyCommand).filter((call) => call.args[0].input.Tags?.[TAG.plan] === 'gold')).toHaveLength(1);
    expect(summary.created).toBe(2);
  });

  it('replaces a policy once when the new policy\'s create loses its answer, and deletes only the old one', async () => {
    // Prepare
    await sync();
    const [old] = dlm.planPolicies('gold');
    dlm.loseAnswers('gold');

    // Act
    const summary = await sync(GOLD_ON_INSTANCES);

    // Assess
    const outcome = summary.outcomes.find((candidate) => candidate.planId === 'gold');
    expect(outcome).toMatchObject({ action: 'replace', status: 'done', replacedPolicyId: old!.PolicyId });
    expect(dlm.planPolicies('gold').map((policy) => [policy.PolicyId, policy.PolicyDetails?.ResourceTypes])).toEqual([[outcome?.policyId, ['INSTANCE']]]);
  });

  it('gives up on a plan when throttling outlasts the attempts, and reports it', async () => {
    // Prepare
    dlm.failNext('CreateLifecyclePolicy:gold', ...Array.from({ length: 4 }, () => awsError('ThrottlingException')));

    // Act
    const summary = await sync();

    // Assess
    expect(summary.outcomes[0]).toMatchObject({ planId: 'gold', status: 'failed', errorName: 'ThrottlingException', attempts: 4 });
    expect(summary.outcomes[1]).toMatchObject({ planId: 'silver', status: 'done' });
  });

  it('fails the whole run when the policies cannot be listed, changing nothing', async () => {
    // Prepare
    dlm.failNext('GetLifecyclePolicies', awsError('AccessDeniedException', 403));

    // Act + Assess
    await expect(sync()).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(mutatingCalls()).toBe(0);
  });
});
