import { describe, expect, it } from '@jest/globals';
import { apiBucketOf, ec2CategoryOf, parseRateLimitOverrides, RATE_LIMIT_DEFAULTS } from '../../../shared/domain/api-rate-limits.js';
import { TokenBucket } from '../../../shared/domain/token-bucket.js';

describe('TokenBucket', () => {
  it('lets a full burst go at once, then one call per refill interval', () => {
    const bucket = new TokenBucket({ burst: 100, refillPerSecond: 5 }, 0);

    const waits = Array.from({ length: 103 }, () => bucket.reserve(0));

    expect(waits.slice(0, 100).every((wait) => wait === 0)).toBe(true);
    expect(waits.slice(100)).toEqual([200, 400, 600]);
  });

  it('books tokens in order, so a call that waits keeps its turn whatever the clock does meanwhile', () => {
    const bucket = new TokenBucket({ burst: 1, refillPerSecond: 10 }, 0);

    expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(0)).toBe(100);
    expect(bucket.reserve(50)).toBe(150);
    expect(bucket.available(200)).toBeCloseTo(0);
  });

  it('refills with time up to its burst and no further', () => {
    const bucket = new TokenBucket({ burst: 50, refillPerSecond: 5 }, 0);
    for (let call = 0; call < 50; call += 1) bucket.reserve(0);

    expect(bucket.available(2_000)).toBeCloseTo(10);
    expect(bucket.available(3_600_000)).toBe(50);
  });

  it('refuses a call on arrival when empty, as the service does, and takes none', () => {
    const bucket = new TokenBucket({ burst: 2, refillPerSecond: 1 }, 0);

    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(999), bucket.tryTake(1_000)]).toEqual([true, true, false, false, true]);
  });

  it('rejects a bucket that could never refill', () => {
    expect(() => new TokenBucket({ burst: 10, refillPerSecond: 0 }, 0)).toThrow('a token bucket needs a positive burst and refill rate, not 10/0');
  });
});

describe('EC2 API buckets', () => {
  it('sorts calls into the documented categories, unfiltered describes apart', () => {
    expect(ec2CategoryOf('CreateSnapshot')).toBe('resource-create-delete');
    expect(ec2CategoryOf('DeleteSnapshot')).toBe('resource-create-delete');
    expect(ec2CategoryOf('CopySnapshot')).toBe('mutating');
    expect(ec2CategoryOf('CreateTags')).toBe('mutating');
    expect(ec2CategoryOf('DescribeSnapshots', { Filters: [{ Name: 'tag:x', Values: ['y'] }] })).toBe('non-mutating');
    expect(ec2CategoryOf('DescribeSnapshots', {})).toBe('unfiltered-non-mutating');
    expect(ec2CategoryOf('DescribeVolumes', { MaxResults: 500 })).toBe('non-mutating');
    expect(ec2CategoryOf('DescribeInstances', {})).toBe('non-mutating');
  });

  it('gives each API its own bucket of its category size, scaled by the container share', () => {
    const settings = { share: 0.5, overrides: {} };

    expect(apiBucketOf(settings, 'ec2', 'CreateSnapshot')).toEqual({ key: 'ec2:CreateSnapshot', size: { burst: 50, refillPerSecond: 2.5 } });
    expect(apiBucketOf(settings, 'ec2', 'CopySnapshot')).toEqual({ key: 'ec2:CopySnapshot', size: { burst: 25, refillPerSecond: 2.5 } });
    expect(apiBucketOf(settings, 'ec2', 'DescribeVolumes', {})).toEqual({ key: 'ec2:DescribeVolumes:unfiltered', size: { burst: 25, refillPerSecond: 5 } });
    expect(apiBucketOf(settings, 'sns', 'Publish')).toBeUndefined();
  });

  it('draws every RDS call from one bucket of RDS\'s documented 300 burst and 12 a second, scaled by the share', () => {
    const settings = { share: 0.5, overrides: {} };
    const buckets = ['CreateDBSnapshot', 'CopyDBClusterSnapshot', 'DeleteDBSnapshot', 'DescribeDBSnapshots'].map((api) => apiBucketOf(settings, 'rds', api));

    expect(buckets).toEqual(Array.from({ length: 4 }, () => ({ key: 'rds:*', size: { burst: 150, refillPerSecond: 6 } })));
  });

  it('takes configured sizes by API, then by category, then for the whole service', () => {
    const overrides = parseRateLimitOverrides('ec2:CreateSnapshot=200/10, ec2:mutating=20/2, rds:*=40/4');
    const settings = { ...RATE_LIMIT_DEFAULTS, share: 1, overrides: overrides as Record<string, never> };

    expect(apiBucketOf(settings, 'ec2', 'CreateSnapshot')?.size).toEqual({ burst: 200, refillPerSecond: 10 });
    expect(apiBucketOf(settings, 'ec2', 'CopySnapshot')?.size).toEqual({ burst: 20, refillPerSecond: 2 });
    expect(apiBucketOf(settings, 'rds', 'CopyDBSnapshot')).toEqual({ key: 'rds:*', size: { burst: 40, refillPerSecond: 4 } });
  });

  it('names the entry it cannot read', () => {
    expect(parseRateLimitOverrides('ec2:CreateSnapshot=100/5,ec2:CopySnapshot=fast')).toBe(
      '"ec2:CopySnapshot=fast" is not of the form service:name=burst/perSecond (e.g. ec2:CreateSnapshot=100/5)',
    );
  });
});
