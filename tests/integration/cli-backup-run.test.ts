import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { StopDBInstanceCommand } from '@aws-sdk/client-rds';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import { ec2, rds } from '../../sandbox/aws-clients.js';
import { createDbInstance, createVolume } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { runCli } from '../support/cli.js';

const REGION = 'eu-west-1';
let moto: MotoServer;
let ec2Client: EC2Client;
let plansFile: string;
const env = { STACK_NAME: 'backup-orchestrator-cli' };

async function ourSnapshots(): Promise<number> {
  const result = await ec2Client.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAG.stack}`, Values: ['backup-orchestrator-cli'] }] }));
  return result.Snapshots?.length ?? 0;
}

beforeAll(async () => {
  // The SDK's credential chain reads the process environment: fake keys, and every call goes to moto.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  moto = await startMotoServer();
  ec2Client = ec2(moto.endpoint, REGION);
  plansFile = join(mkdtempSync(join(tmpdir(), 'bo-cli-run-')), 'plans.yml');
  writeFileSync(
    plansFile,
    `version: 1\nprimaryRegion: ${REGION}\nplans:\n  - id: gold\n    selection: { resourceTypes: [ebs-volume, rds-instance] }\n    schedule: { expression: cron(0 */4 * * ? *) }\n    rpo: 8h\n    rto: 1h\n    retention: { count: 3 }\n`,
  );
  await createVolume(ec2Client, { az: `${REGION}a`, sizeGiB: 8, tags: { 'backup:plan': 'gold' } });
  await createVolume(ec2Client, { az: `${REGION}a`, sizeGiB: 8, tags: { 'backup:plan': 'gold' } });
});

afterAll(async () => {
  await moto?.stop();
});

describe('backup-orchestrator backup run against a local endpoint', () => {
  it('lists what it would snapshot on --dry-run and creates nothing', async () => {
    const result = await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', '2026-11-26T12:00:00Z', '--dry-run'], env);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('plan gold, slot 2026-11-26T12:00Z (dry run: nothing created)');
    expect(result.stdout).toContain('2 resources: 0 created, 0 already done, 2 skipped, 0 failed');
    expect(await ourSnapshots()).toBe(0);
  });

  it('snapshots the slot, shows progress, and a second run finds it already done', async () => {
    const first = await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', '2026-11-26T13:59:00Z'], env);
    const second = await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', '2026-11-26T12:00:00Z', '--json'], env);

    expect(first.code).toBe(0);
    expect(first.stderr.split('\n').filter((line) => line.includes(': created snap-'))).toHaveLength(2);
    expect(first.stdout).toContain('2 resources: 2 created, 0 already done, 0 skipped, 0 failed');
    expect(JSON.parse(second.stdout)).toMatchObject({ planId: 'gold', slot: '2026-11-26T12:00Z', created: 0, alreadyDone: 2 });
    expect(await ourSnapshots()).toBe(2);
  });

  it('exits 1 and names the resource when a snapshot fails', async () => {
    await createDbInstance(rds(moto.endpoint, REGION), { id: 'paused-db', tags: { 'backup:plan': 'gold' } });
    await rds(moto.endpoint, REGION).send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'paused-db' }));

    const result = await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--endpoint', moto.endpoint, '--at', '2026-11-26T15:30:00Z'], env);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('! rds-instance paused-db: FAILED (ResourceNotReady) RDS instance is stopped, not available');
  });
});
