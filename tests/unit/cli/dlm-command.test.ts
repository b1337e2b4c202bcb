import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CreateLifecyclePolicyCommand, DLMClient, GetLifecyclePoliciesCommand, GetLifecyclePolicyCommand } from '@aws-sdk/client-dlm';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';
import { runCli } from '../../support/cli.js';

const dlmMock = mockClient(DLMClient);
const ROLE = 'arn:aws:iam::123456789012:role/bo-prod-dlm';
const ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
let folder: string;
let plansFile: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'bo-dlm-cli-'));
  plansFile = join(folder, 'plans.yml');
  writeFileSync(
    plansFile,
    `version: 1
primaryRegion: eu-west-1
plans:
  - id: bronze
    engine: dlm
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 2 * * ? *) }
    rpo: 26h
    rto: 4h
    retention: { count: 7 }
`,
  );
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

beforeEach(() => {
  dlmMock.reset();
});

describe('backup-orchestrator dlm sync', () => {
  it('lists dlm sync in the help', async () => {
    const result = await runCli(['--help']);

    expect(result.stdout).toContain('backup-orchestrator dlm sync');
    expect(result.stdout).toContain('[--execution-role <arn>]');
  });

  it('needs the DLM execution role and says where to find it, before any AWS call', async () => {
    // Act
    const result = await runCli(['dlm', 'sync', '--plans', plansFile]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: dlm sync needs the role Data Lifecycle Manager runs the policies with: pass --execution-role <arn> or set DLM_EXECUTION_ROLE_ARN (the stack output DlmExecutionRoleArn)',
    );
    expect(dlmMock.calls()).toHaveLength(0);
  });

  it('rejects an unknown dlm subcommand', async () => {
    const result = await runCli(['dlm', 'apply', '--plans', plansFile]);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: unknown command "dlm apply": use "dlm sync [--dry-run]"; see --help');
  });

  it('prints the policy a dry run would create, field by field, and creates nothing', async () => {
    // Prepare: DLM already holds a policy of ours for a plan that is gone, and one that is not ours.
    dlmMock.on(GetLifecyclePoliciesCommand).resolves({
      Policies: [
        { PolicyId: 'policy-0001', Tags: { [TAG.stack]: 'bo-prod', [TAG.plan]: 'retired' } },
        { PolicyId: 'policy-0002', Tags: { team: 'data' } },
      ],
    });
    dlmMock.on(GetLifecyclePolicyCommand).resolves({ Policy: { PolicyId: 'policy-0001', Tags: { [TAG.stack]: 'bo-prod', [TAG.plan]: 'retired' } } });

    // Act
    const result = await runCli(['dlm', 'sync', '--plans', plansFile, '--stack', 'bo-prod', '--execution-role', ROLE, '--dry-run'], ENV);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      '~ plan bronze: would create policy',
      '    Description: (none) → backup-orchestrator bo-prod plan bronze',
      '    State: (none) → ENABLED',
      `    ExecutionRoleArn: (none) → ${ROLE}`,
      '    ResourceTypes: (none) → VOLUME',
      '    TargetTags: (none) → backup:plan=bronze',
      '    Schedules[schedule]: added (cron(0 2 * * ? *), keep 7)',
      '~ plan retired: would delete policy policy-0001 — its plan is no longer in the plans file',
      '',
      'dry run for bo-prod: nothing was changed',
    ]);
    expect(dlmMock.commandCalls(CreateLifecyclePolicyCommand)).toHaveLength(0);
  });

  it('creates the policy with the role from the environment, prints JSON and exits 1 when a plan fails', async () => {
    // Prepare
    dlmMock.on(GetLifecyclePoliciesCommand).resolves({ Policies: [] });
    dlmMock.on(CreateLifecyclePolicyCommand).rejects(Object.assign(new Error('policy limit reached'), { name: 'LimitExceededException', $metadata: { httpStatusCode: 429 } }));

    // Act
    const result = await runCli(['dlm', 'sync', '--plans', plansFile, '--json'], { ...ENV, DLM_EXECUTION_ROLE_ARN: ROLE, STACK_NAME: 'bo-prod' });

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ stack: 'bo-prod', failed: 1, outcomes: [{ planId: 'bronze', action: 'create', status: 'failed', errorName: 'LimitExceededException' }] });
    expect(dlmMock.commandCalls(CreateLifecyclePolicyCommand)[0]?.args[0].input).toMatchObject({ ExecutionRoleArn: ROLE, Tags: { [TAG.stack]: 'bo-prod', [TAG.plan]: 'bronze' } });
  });
});
