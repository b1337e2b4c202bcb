import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Context } from 'aws-lambda';
import { TAG } from '../../shared/domain/recovery-point-tags.js';
import type { CreateSnapshotsSummary } from '../../shared/use-cases/create-snapshots.js';
import { dynamodb, ec2 } from '../../sandbox/aws-clients.js';
import { createInstanceWithVolumes, createVolume, tagRecord } from '../../sandbox/estate.js';
import { startMotoServer, type MotoServer } from '../../sandbox/moto-server.js';
import { createStackTables } from '../../sandbox/stack-tables.js';
import { lambdaContext, useHandlerEnvironment } from '../support/lambda.js';

/**
 * EC2's CreateSnapshot and CreateSnapshots take no client token: when EC2 carries a create out but its
 * answer is lost (a 500, a timeout), sending the create again makes a second snapshot of the slot. Here
 * moto carries out every create, and the first answer for each resource is replaced by an InternalError.
 */
const REGION = 'eu-west-1';
const STACK = 'backup-orchestrator-test';
const SLOT = '2026-11-26T12:00Z';
const PLANS = `
version: 1
primaryRegion: ${REGION}
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume, ec2-instance] }
    schedule: { expression: cron(0 * * * ? *) }
    rpo: 2h
    rto: 1h
    retention: { count: 3 }
`;

let moto: MotoServer;
let client: EC2Client;
let handler: (event: unknown, context: Context) => Promise<CreateSnapshotsSummary>;
const volumes: string[] = [];
let instanceVolumes: string[] = [];
/** Creates whose answer was lost, by the resource they were for. */
const lost = new Set<string>();

beforeAll(async () => {
  moto = await startMotoServer();
  client = ec2(moto.endpoint, REGION);
  const tables = await createStackTables(dynamodb(moto.endpoint, REGION), 'lost-answers');
  for (let index = 0; index < 2; index += 1) volumes.push((await createVolume(client, { az: `${REGION}a`, sizeGiB: 1, tags: { 'backup:plan': 'gold' } })).volumeId);
  // The instance is selected by its tag; its volumes carry none, so they are snapshotted with it, not alone.
  const instance = await createInstanceWithVolumes(client, { az: `${REGION}a`, extraVolumes: 1, tags: { 'backup:plan': 'gold' }, volumeTags: { 'backup:plan': '' } });
  instanceVolumes = instance.volumeIds;

  useHandlerEnvironment({
    endpoint: moto.endpoint,
    region: REGION,
    plansYaml: PLANS,
    extra: { IDEMPOTENCY_TABLE: tables.idempotencyTable, ACTIVITY_TABLE: tables.activityTable, RETRY_DELAY_SCALE: '0.01' },
  });
  const { onClientCreated } = await import('../../shared/aws/clients.js');
  onClientCreated((created, { service }) => {
    if (service !== 'ec2') return;
    created.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = (args as { input: { VolumeId?: string; InstanceSpecification?: { InstanceId?: string } } }).input;
        const resource = input.VolumeId ?? input.InstanceSpecification?.InstanceId;
        if (/^CreateSnapshots?Command$/.test(context.commandName ?? '') && resource && !lost.has(resource)) {
          lost.add(resource);
          throw Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
        }
        return result;
      },
      { step: 'finalizeRequest', name: 'loseFirstCreateAnswer' },
    );
  });
  ({ handler } = (await import('../../functions/create-snapshots.js')) as unknown as { handler: typeof handler });
}, 120_000);

afterAll(async () => {
  await moto?.stop();
});

describe('create-snapshots when EC2 carried a create out but its answer was lost', () => {
  it('takes exactly one snapshot per volume and one per instance volume, and reports them created', async () => {
    const summary = await handler({ planId: 'gold', scheduledTime: '2026-11-26T12:00:00Z' }, lambdaContext('create-snapshots'));

    const snapshots = (await client.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAG.slot}`, Values: [SLOT] }] }))).Snapshots ?? [];
    const perVolume = new Map<string, number>();
    for (const snapshot of snapshots) perVolume.set(snapshot.VolumeId ?? '', (perVolume.get(snapshot.VolumeId ?? '') ?? 0) + 1);
    expect(lost.size).toBe(3);
    expect(Object.fromEntries(perVolume)).toEqual(Object.fromEntries([...volumes, ...instanceVolumes].map((volume) => [volume, 1])));
    expect(snapshots.every((snapshot) => tagRecord(snapshot.Tags)[TAG.stack] === STACK)).toBe(true);
    expect({ created: summary.created, failed: summary.failed }).toEqual({ created: 3, failed: 0 });
  });
});
