import { describe, expect, it } from '@jest/globals';
import { CreateSnapshotCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import { Readable } from 'node:stream';
import { scaledAdaptiveRetry, scaledBackoff } from '../../../shared/aws/retry-strategy.js';

const UNAVAILABLE =
  '<Response><Errors><Error><Code>ServiceUnavailable</Code><Message>x</Message></Error></Errors><RequestID>r</RequestID></Response>';
const CREATED =
  '<CreateSnapshotResponse><requestId>r</requestId><snapshotId>snap-1</snapshotId><status>pending</status></CreateSnapshotResponse>';

describe('the SDK retry on a scaled clock', () => {
  it('waits the SDK backoff (random up to base × 2^retries, capped at 20 s) times the scale', () => {
    const backoff = scaledBackoff(0.05, () => 0.5);

    backoff.setDelayBase(50);
    expect([0, 1, 2, 3].map((retries) => backoff.computeNextBackoffDelay(retries))).toEqual([1, 2, 5, 10]);
    backoff.setDelayBase(1_000);
    expect(backoff.computeNextBackoffDelay(10)).toBe(500);
  });

  it('leaves the SDK its own strategy at scale 1', () => {
    expect(scaledAdaptiveRetry(6, 1)).toBeUndefined();
  });

  it('still retries adaptively, within the attempt budget, at a smaller scale', async () => {
    const answers = [503, 503, 200];
    const client = new EC2Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      retryStrategy: scaledAdaptiveRetry(3, 0.01),
      requestHandler: {
        handle: async () => {
          const statusCode = answers.shift() ?? 503;
          return {
            response: {
              statusCode,
              headers: {},
              body: Readable.from([Buffer.from(statusCode === 200 ? CREATED : UNAVAILABLE)]),
            },
          };
        },
      } as never,
    });

    const result = await client.send(new CreateSnapshotCommand({ VolumeId: 'vol-1' }));

    expect(result.SnapshotId).toBe('snap-1');
    expect(result.$metadata.attempts).toBe(3);
    expect(scaledAdaptiveRetry(3, 0.01)).toBeInstanceOf(AdaptiveRetryStrategy);
  });
});
