import { describe, expect, it } from '@jest/globals';
import { CreateSnapshotCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Readable } from 'node:stream';
import { ApiRateLimiter, useRateLimit } from '../../../shared/aws/api-rate-limiter.js';
import { readRateLimitSettings } from '../../../shared/runtime/rate-limit-settings.js';

/** A clock that only moves when someone sleeps on it: waits are exact and tests take no time. */
function virtualClock() {
  let now = 0;
  const slept: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)), slept };
}

/** An EC2 endpoint in memory: answers CreateSnapshot (or fails the first `failures` calls with a 503). */
function ec2WithHandler(answer: () => { statusCode: number; body: string }, limiter: ApiRateLimiter, maxAttempts = 1) {
  const calls: number[] = [];
  const client = new EC2Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts,
    retryStrategy: undefined,
    requestHandler: {
      handle: async () => {
        calls.push(Date.now());
        const { statusCode, body } = answer();
        return { response: { statusCode, headers: {}, body: Readable.from([Buffer.from(body)]) } };
      },
    } as never,
  });
  useRateLimit(client as never, limiter, 'eu-west-1');
  return { client, calls };
}

const CREATED = '<CreateSnapshotResponse><requestId>r</requestId><snapshotId>snap-1</snapshotId><status>pending</status></CreateSnapshotResponse>';

describe('the rate-limiting middleware', () => {
  it('lets the burst through, then spaces CreateSnapshot calls at the refill rate', async () => {
    const clock = virtualClock();
    const limiter = new ApiRateLimiter({ share: 1, overrides: { 'ec2:CreateSnapshot': { burst: 3, refillPerSecond: 2 } } }, clock);
    const { client, calls } = ec2WithHandler(() => ({ statusCode: 200, body: CREATED }), limiter);

    for (let call = 0; call < 5; call += 1) await client.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' }));

    expect(calls).toHaveLength(5);
    expect(clock.slept).toEqual([500, 500]);
    expect(limiter.stats).toMatchObject({ calls: 5, waited: 2, waitedMs: 1000 });
  });

  it('keeps a bucket per API: describes do not wait for creates', async () => {
    const clock = virtualClock();
    const limiter = new ApiRateLimiter({ share: 1, overrides: { 'ec2:CreateSnapshot': { burst: 1, refillPerSecond: 1 } } }, clock);
    const { client } = ec2WithHandler(() => ({ statusCode: 200, body: '<DescribeVolumesResponse><volumeSet/></DescribeVolumesResponse>' }), limiter);

    await limiter.acquire('ec2', 'eu-west-1', 'CreateSnapshot');
    await client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:backup:plan', Values: ['gold'] }] }));

    expect(clock.slept).toEqual([]);
  });

  it('takes a token for every attempt, retries included', async () => {
    const clock = virtualClock();
    const limiter = new ApiRateLimiter({ share: 1, overrides: {} }, clock);
    let answered = 0;
    const failingOnce = () => {
      answered += 1;
      return answered === 1
        ? { statusCode: 503, body: '<Response><Errors><Error><Code>ServiceUnavailable</Code><Message>x</Message></Error></Errors><RequestID>r</RequestID></Response>' }
        : { statusCode: 200, body: CREATED };
    };
    const { client, calls } = ec2WithHandler(failingOnce, limiter, 3);

    const result = await client.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' }));

    expect(result.SnapshotId).toBe('snap-1');
    expect(calls).toHaveLength(2);
    expect(limiter.stats.calls).toBe(2);
  });

  it('reads its share and sizes from the environment, and refuses what it cannot read', () => {
    expect(readRateLimitSettings({ API_RATE_SHARE: '0.475', API_RATE_LIMITS: 'ec2:CopySnapshot=20/2' })).toEqual({
      share: 0.475,
      overrides: { 'ec2:CopySnapshot': { burst: 20, refillPerSecond: 2 } },
    });
    expect(readRateLimitSettings({})).toEqual({ share: 0.95, overrides: {} });
    expect(() => readRateLimitSettings({ API_RATE_SHARE: 'half' })).toThrow('API_RATE_SHARE must be a number above 0, such as 0.95, not "half"');
    expect(() => readRateLimitSettings({ API_RATE_LIMITS: 'CreateSnapshot=1' })).toThrow('API_RATE_LIMITS: "CreateSnapshot=1" is not of the form');
  });
});
