/**
 * The sandbox's estate, for the plans of sandbox/backup-plans.yml (tag backup:plan=gold|silver): in the primary Region
 * 6 EBS volumes (one encrypted with a customer key, two that no plan selects), 2 EC2 instances with 2 volumes
 * each, 3 RDS instances (one that no plan selects), 1 Aurora cluster (encrypted: Aurora cannot encrypt a cluster
 * snapshot while copying it); in each copy Region the KMS key its copy rule names.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { PlansConfig } from '../shared/domain/plan-schema.js';
import { createAuroraCluster, createDbInstance, createInstanceWithVolumes, createKmsKey, createVolume } from './estate.js';

export interface DemoEstate {
  /** Plan id → what its tag selects, e.g. gold → ['ebs-volume orders-data (vol-…)', …]. */
  byPlan: Record<string, string[]>;
  unprotected: string[];
  /** Names by resource id, for progress lines. */
  names: Record<string, string>;
  /** Counts for the summary line. */
  counts: { volumes: number; instances: number; instanceVolumes: number; dbInstances: number; auroraClusters: number; keys: string[] };
}

export async function buildDemoEstate(config: PlansConfig, clients: { ec2: EC2Client; rds: RDSClient; kms: (region: string) => KMSClient }): Promise<DemoEstate> {
  const region = config.primaryRegion;
  const az = `${region}a`;
  const estate: DemoEstate = { byPlan: {}, unprotected: [], names: {}, counts: { volumes: 0, instances: 0, instanceVolumes: 0, dbInstances: 0, auroraClusters: 0, keys: [] } };
  const add = (plan: string | undefined, what: string, id: string, name: string) => {
    estate.names[id] = name;
    const line = `${what} ${name}${id === name ? '' : ` (${id})`}`;
    if (plan) (estate.byPlan[plan] ??= []).push(line);
    else estate.unprotected.push(line);
  };

  const appKey = await createKmsKey(clients.kms(region), { alias: 'alias/app-data', description: 'application data' });
  estate.counts.keys.push(`${appKey.aliasName} in ${region}`);
  for (const copy of [...new Map(config.plans.flatMap((plan) => plan.copies).filter((copy) => copy.kmsKeyId?.startsWith('alias/')).map((copy) => [`${copy.region}|${copy.kmsKeyId}`, copy])).values()]) {
    const key = await createKmsKey(clients.kms(copy.region), { alias: copy.kmsKeyId as string, description: 'disaster-recovery copies' });
    estate.counts.keys.push(`${key.aliasName} in ${copy.region}`);
  }

  const volumes: Array<[string, number, string | undefined, boolean]> = [
    ['orders-data', 100, 'gold', true],
    ['uploads', 200, 'gold', false],
    ['build-cache', 30, 'silver', false],
    ['artifacts', 30, 'silver', false],
    ['scratch', 10, undefined, false],
    ['tmp-export', 50, undefined, false],
  ];
  for (const [name, sizeGiB, plan, encrypted] of volumes) {
    const tags = { Name: name, team: 'shop', ...(plan ? { 'backup:plan': plan } : {}) };
    const { volumeId } = await createVolume(clients.ec2, { az, sizeGiB, tags, ...(encrypted ? { encrypted: true, kmsKeyId: appKey.keyArn } : {}) });
    add(plan, 'ebs-volume', volumeId, name);
    estate.counts.volumes += 1;
  }
  for (const name of ['app-1', 'app-2']) {
    const instance = await createInstanceWithVolumes(clients.ec2, { az, extraVolumes: 1, extraVolumeSizeGiB: 20, tags: { 'backup:plan': 'gold', Name: name, team: 'shop' } });
    add('gold', 'ec2-instance', instance.instanceId, name);
    for (const volumeId of instance.volumeIds) estate.names[volumeId] = `${name} volume`;
    estate.counts.instances += 1;
    estate.counts.instanceVolumes += instance.volumeIds.length;
  }
  for (const id of ['orders-db', 'billing-db']) {
    await createDbInstance(clients.rds, { id, tags: { 'backup:plan': 'gold', team: 'shop' } });
    add('gold', 'rds-instance', id, id);
    estate.counts.dbInstances += 1;
  }
  await createDbInstance(clients.rds, { id: 'analytics-scratch' });
  add(undefined, 'rds-instance', 'analytics-scratch', 'analytics-scratch');
  estate.counts.dbInstances += 1;
  await createAuroraCluster(clients.rds, { id: 'ledger', kmsKeyId: appKey.keyArn, tags: { 'backup:plan': 'gold', team: 'shop' } });
  add('gold', 'aurora-cluster', 'ledger', 'ledger');
  estate.counts.auroraClusters += 1;
  return estate;
}
