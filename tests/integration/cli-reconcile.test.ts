import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import { ec2, kms } from '../../sandbox/aws-clients.js';
import { createKmsKey, createVolume } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { runCli } from '../support/cli.js';

const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const env = { STACK_NAME: 'backup-orchestrator-cli' };
let moto: MotoServer;
let drEc2: EC2Client;
let plansFile: string;

async function drCopies(): Promise<number> {
  const result = await drEc2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAG.stack}`, Values: ['backup-orchestrator-cli'] }] }));
  return result.Snapshots?.length ?? 0;
}

beforeAll(async () => {
  // The SDK's credential chain reads the process environment: fake keys, and every call goes to moto.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  moto = await startMotoServer();
  drEc2 = ec2(moto.endpoint, DR);
  await createKmsKey(kms(moto.endpoint, DR), { alias: 'backup-dr' });
  plansFile = join(mkdtempSync(join(tmpdir(), 'bo-cli-reconcile-')), 'plans.yml');
  writeFileSync(
    plansFile,
    [
      'version: 1',
      `primaryRegion: ${PRIMARY}`,
      'plans:',
      '  - id: gold',
      '    selection: { resourceTypes: [ebs-volume] }',
      '    schedule: { expression: cron(0 * * * ? *) }',
      '    rpo: 8h',
      '    rto: 1h',
      '    retention: { count: 3 }',
      '    copies:',
      `      - { region: ${DR}, kmsKeyId: alias/backup-dr }`,
      '      - { region: eu-north-1, kmsKeyId: alias/nowhere }',
      '',
    ].join('\n'),
  );
  await createVolume(ec2(moto.endpoint, PRIMARY), { az: `${PRIMARY}a`, sizeGiB: 8, tags: { 'backup:plan': 'gold' } });
  await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', '2026-11-26T15:00:00Z'], env);
});

afterAll(async () => {
  await moto?.stop();
});

describe('backup-orchestrator reconcile against a local endpoint', () => {
  it('says on --dry-run what it would copy, and copies nothing (the missing key still counts as a problem)', async () => {
    const result = await runCli(['reconcile', '--plans', plansFile, '--endpoint', moto.endpoint, '--dry-run'], env);

    expect(result.stdout).toContain('reconcile at 2026-11-26T15:30:00.000Z (dry run: nothing started, deleted or tagged)');
    expect(result.stdout).toMatch(/\n {2}- ebs snap-[0-9a-f]+ \(plan gold\) to eu-central-1: skipped, dry run: would start a copy\n/);
    expect(result.code).toBe(1);
    expect(await drCopies()).toBe(0);
  });

  it('starts the missing copy, reports the unusable key once with exit code 1, and starts nothing the second time', async () => {
    const first = await runCli(['reconcile', '--plans', plansFile, '--endpoint', moto.endpoint], env);
    const second = await runCli(['reconcile', '--plans', plansFile, '--endpoint', moto.endpoint, '--json'], env);

    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/\+ ebs snap-[0-9a-f]+ \(plan gold\) to eu-central-1: started snap-[0-9a-f]+ \(attempt 1\)/);
    expect(first.stdout).toContain("KMS key problems (one per plan and Region):\n  ! plan gold: no copy to eu-north-1 was started: KMS key alias/nowhere cannot be used: it does not exist in eu-north-1;");
    expect(first.stdout).toContain('1 source, 2 copies wanted: 0 copied, 0 in flight, 1 started (0 redone), 0 deferred, 1 blocked, 0 failed, 0 not wanted by the DR retention; 0 completions recorded');
    // An EBS copy carries its own completion time (CompletionTime): the reconciler tags only RDS copies with it.
    expect(JSON.parse(second.stdout)).toMatchObject({ started: 0, copied: 1, completionsRecorded: 0 });
    expect(await drCopies()).toBe(1);
  });

  it('rejects an unknown subcommand precisely', async () => {
    const result = await runCli(['reconcile', 'now', '--plans', plansFile], env);

    expect(result).toMatchObject({ code: 2, stderr: 'error: unknown command "reconcile now": use "reconcile [--dry-run] [--json]"; see --help' });
  });
});
