import { describe, expect, it } from '@jest/globals';
import { CreateSnapshotCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { Readable } from 'node:stream';
import { FaultInjector } from '../../support/fault-injection.js';

function virtualClock() {
  let now = 0;
  const slept: number[] = [];
  return { now: () => now, advance: (ms: number) => void (now += ms), sleep: async (ms: number) => void (slept.push(ms), (now += ms)), slept };
}

const OK: Record<string, string> = {
  ec2: '<CreateSnapshotResponse><requestId>r</requestId><snapshotId>snap-1</snapshotId><status>pending</status></CreateSnapshotResponse>',
  rds: '<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult></DescribeDBInstancesResponse>',
};

/** A client whose service answers every call that reaches it with success, counting them. */
function client<T extends EC2Client | RDSClient>(Client: new (config: never) => T, service: 'ec2' | 'rds', faults: FaultInjector): { client: T; reached: () => number } {
  let reached = 0;
  const instance = new Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
    requestHandler: { handle: async () => ((reached += 1), { response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(OK[service] ?? '')]) } }) },
  } as never);
  faults.attach(instance as never, 'eu-west-1');
  return { client: instance, reached: () => reached };
}

const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({ name: error.name, status: error.$metadata?.httpStatusCode }));

describe('the fault-injection middleware', () => {
  it('throttles CreateSnapshot like EC2: 100 at once, then 5 a second, with RequestLimitExceeded', async () => {
    const clock = virtualClock();
    const faults = new FaultInjector({ throttle: { share: 1, overrides: {} }, clock });
    const { client: ec2, reached } = client(EC2Client, 'ec2', faults);

    const burst = await Promise.all(Array.from({ length: 101 }, () => errorOf(ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' })))));
    clock.advance(200);
    const afterRefill = await errorOf(ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' })));

    expect(burst.filter((error) => error === undefined)).toHaveLength(100);
    expect(burst.filter((error) => error !== undefined)).toEqual([{ name: 'RequestLimitExceeded', status: 503 }]);
    expect(afterRefill).toBeUndefined();
    expect(reached()).toBe(101);
    expect(faults.stats).toMatchObject({ calls: 102, throttled: 1, failed: 0 });
  });

  it('throttles each API on its own bucket: describes still pass while creates are throttled', async () => {
    const clock = virtualClock();
    const faults = new FaultInjector({ throttle: { share: 0.01, overrides: {} }, clock });
    const { client: ec2 } = client(EC2Client, 'ec2', faults);

    await ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' }));
    const throttled = await errorOf(ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' })));
    const describe = await errorOf(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-1'] })));

    expect(throttled).toEqual({ name: 'RequestLimitExceeded', status: 503 });
    expect(describe).toBeUndefined();
  });

  it('fails about the chosen fraction of calls with the named errors, before they reach the service', async () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const faults = new FaultInjector({ failureRate: 0.3, random });
    const { client: ec2, reached } = client(EC2Client, 'ec2', faults);

    const results = await Promise.all(Array.from({ length: 1000 }, () => errorOf(ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' })))));
    const failed = results.filter((result) => result !== undefined);

    expect(failed.length).toBeGreaterThan(250);
    expect(failed.length).toBeLessThan(350);
    expect(new Set(failed.map((error) => `${error?.name} ${error?.status}`))).toEqual(new Set(['RequestLimitExceeded 503', 'InternalError 500', 'ServiceUnavailable 503']));
    expect(reached()).toBe(1000 - failed.length);
  });

  it('answers RDS with its own error codes', async () => {
    const faults = new FaultInjector({ failureRate: 1, errors: ['RequestLimitExceeded'] });
    const { client: rds, reached } = client(RDSClient, 'rds', faults);

    expect(await errorOf(rds.send(new DescribeDBInstancesCommand({})))).toEqual({ name: 'ThrottlingException', status: 400 });
    expect(reached()).toBe(0);
  });

  it('adds the latency it is given to every call', async () => {
    const clock = virtualClock();
    const faults = new FaultInjector({ latencyMs: 40, clock });
    const { client: ec2 } = client(EC2Client, 'ec2', faults);

    await ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' }));
    await ec2.send(new CreateSnapshotCommand({ VolumeId: 'vol-2' }));

    expect(clock.slept).toEqual([40, 40]);
  });
});
