import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import { ec2 } from '../../sandbox/aws-clients.js';
import { createVolume } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { runCli } from '../support/cli.js';

const REGION = 'eu-west-1';
const STACK = 'backup-orchestrator-cli';
const env = { STACK_NAME: STACK };
const NOW = new Date('2026-11-26T15:30:00Z');
let moto: MotoServer;
let ec2Client: EC2Client;
let plansFile: string;

/** The slots of our snapshots still in moto, oldest first. */
async function slotsLeft(): Promise<string[]> {
  const result = await ec2Client.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAG.stack}`, Values: [STACK] }] }));
  return (result.Snapshots ?? []).map((snapshot) => snapshot.Tags?.find((tag) => tag.Key === TAG.slot)?.Value ?? '?').sort();
}

beforeAll(async () => {
  // The SDK's credential chain reads the process environment: fake keys, and every call goes to moto.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  moto = await startMotoServer();
  ec2Client = ec2(moto.endpoint, REGION);
  plansFile = join(mkdtempSync(join(tmpdir(), 'bo-cli-prune-')), 'plans.yml');
  writeFileSync(
    plansFile,
    `version: 1\nprimaryRegion: ${REGION}\nplans:\n  - id: gold\n    selection: { resourceTypes: [ebs-volume] }\n    schedule: { expression: cron(0 */4 * * ? *) }\n    rpo: 8h\n    rto: 1h\n    retention: { count: 2, minKeep: 1 }\n`,
  );
  await createVolume(ec2Client, { az: `${REGION}a`, sizeGiB: 8, tags: { 'backup:plan': 'gold', Name: 'orders' } });
  for (const at of ['2026-11-26T00:00:00Z', '2026-11-26T04:00:00Z', '2026-11-26T08:00:00Z', '2026-11-26T12:00:00Z']) {
    await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', at], env, NOW);
  }
});

afterAll(async () => {
  await moto?.stop();
});

describe('backup-orchestrator prune against a local endpoint', () => {
  it('prints the keep/delete plan with reasons on --dry-run, shows progress, deletes nothing and exits 0', async () => {
    const result = await runCli(['prune', '--plans', plansFile, '--endpoint', moto.endpoint, '--dry-run'], env, NOW);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`prune ${REGION} (primary Region) at 2026-11-26T15:30Z — dry run`);
    expect(result.stdout.match(/\n {6}keep {3}2026-11-26T(08|12):00Z/g)).toHaveLength(2);
    expect(result.stdout.match(/\n {6}delete 2026-11-26T(00|04):00Z/g)).toHaveLength(2);
    expect(result.stdout).toContain('4 points: 2 kept, 2 to delete; 2 snapshots would be deleted (dry run: nothing deleted)');
    expect(result.stderr.split('\n')).toEqual([`pruning ${REGION} (dry run)…`, expect.stringMatching(/^ {2}snap-[0-9a-f]+: would-delete$/), expect.stringMatching(/^ {2}snap-[0-9a-f]+: would-delete$/)]);
    expect(await slotsLeft()).toEqual(['2026-11-26T00:00Z', '2026-11-26T04:00Z', '2026-11-26T08:00Z', '2026-11-26T12:00Z']);
  });

  it('deletes what the plan no longer keeps, then finds nothing to do and says so in JSON', async () => {
    const first = await runCli(['prune', '--plans', plansFile, '--endpoint', moto.endpoint, '--region', REGION], env, NOW);
    const second = await runCli(['prune', '--plans', plansFile, '--endpoint', moto.endpoint, '--region', REGION, '--json'], env, NOW);

    expect(first.code).toBe(0);
    expect(first.stdout).toContain('2 points deleted (2 snapshots), 0 already gone, 0 skipped in use, 0 failed');
    expect(first.stderr.split('\n').filter((line) => line.endsWith(': deleted'))).toHaveLength(2);
    expect(await slotsLeft()).toEqual(['2026-11-26T08:00Z', '2026-11-26T12:00Z']);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
    expect(JSON.parse(second.stdout)).toMatchObject({ dryRun: false, pointsPruned: 0, failures: 0, regions: [{ region: REGION, counts: { points: 2, keep: 2, delete: 0 } }] });
  });

  it('exits 2 on an unknown Region before any AWS call', async () => {
    const result = await runCli(['prune', '--plans', plansFile, '--endpoint', moto.endpoint, '--region', 'eu-west-9'], env, NOW);

    expect(result).toMatchObject({ code: 2, stdout: '', stderr: 'error: --region "eu-west-9" is not an AWS Region: e.g. eu-west-1' });
  });
});
