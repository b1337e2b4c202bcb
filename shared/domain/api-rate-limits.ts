import type { BucketSize } from './token-bucket.js';

/** A service whose API limits are known here: EC2 documents them per API, RDS one for all its API calls. */
export type RateLimitedService = 'ec2' | 'rds';

/** RDS's documented limit: 300 requests in a burst, then 12 a second, per account and Region, all calls together. */
export const RDS_ACCOUNT_SIZE: BucketSize = { burst: 300, refillPerSecond: 12 };

/** EC2's request-rate categories; each API has its own bucket of its category's size. */
export type Ec2ApiCategory = 'resource-create-delete' | 'mutating' | 'non-mutating' | 'unfiltered-non-mutating';

/** Documented EC2 bucket sizes per category (account, Region, API). */
export const EC2_CATEGORY_SIZES: Readonly<Record<Ec2ApiCategory, BucketSize>> = {
  'resource-create-delete': { burst: 100, refillPerSecond: 5 },
  mutating: { burst: 50, refillPerSecond: 5 },
  'non-mutating': { burst: 100, refillPerSecond: 20 },
  'unfiltered-non-mutating': { burst: 50, refillPerSecond: 10 },
};

const RESOURCE_CREATE_DELETE = new Set(['CreateSnapshot', 'CreateSnapshots', 'DeleteSnapshot', 'CreateVolume']);
const UNFILTERED_WHEN_BARE = new Set(['DescribeSnapshots', 'DescribeVolumes']);

/** Which of EC2's buckets a call draws from: describe calls without filter, ids or page size count as unfiltered. */
export function ec2CategoryOf(command: string, input: Record<string, unknown> = {}): Ec2ApiCategory {
  if (RESOURCE_CREATE_DELETE.has(command)) return 'resource-create-delete';
  if (/^(Describe|Get|List)/.test(command)) {
    const narrowed = ['Filters', 'SnapshotIds', 'VolumeIds', 'MaxResults', 'NextToken'].some((key) => {
      const value = input[key];
      return Array.isArray(value) ? value.length > 0 : value !== undefined;
    });
    return UNFILTERED_WHEN_BARE.has(command) && !narrowed ? 'unfiltered-non-mutating' : 'non-mutating';
  }
  return 'mutating';
}

/** Configured limits: bucket sizes by `service:command` or `service:category` (or `service:*`), and this container's share. */
export interface RateLimitSettings {
  /** Fraction of each account limit one container may use (headroom for other callers, split across containers). */
  share: number;
  overrides: Readonly<Record<string, BucketSize>>;
}

export const RATE_LIMIT_DEFAULTS: RateLimitSettings = { share: 0.95, overrides: {} };

/** The bucket one call draws from (its key names service, API and, for unfiltered describes, the category), or none. */
export function apiBucketOf(
  settings: RateLimitSettings,
  service: string,
  command: string,
  input: Record<string, unknown> = {},
): { key: string; size: BucketSize } | undefined {
  const scaled = (size: BucketSize): BucketSize => ({ burst: size.burst * settings.share, refillPerSecond: size.refillPerSecond * settings.share });
  const explicit = settings.overrides[`${service}:${command}`];
  if (service === 'ec2') {
    const category = ec2CategoryOf(command, input);
    const key = category === 'unfiltered-non-mutating' ? `ec2:${command}:unfiltered` : `ec2:${command}`;
    return { key, size: scaled(explicit ?? settings.overrides[`ec2:${category}`] ?? settings.overrides['ec2:*'] ?? EC2_CATEGORY_SIZES[category]) };
  }
  const configured = explicit ?? settings.overrides[`${service}:*`] ?? (service === 'rds' ? RDS_ACCOUNT_SIZE : undefined);
  return configured ? { key: explicit ? `${service}:${command}` : `${service}:*`, size: scaled(configured) } : undefined;
}

/**
 * Parses `API_RATE_LIMITS`: comma-separated `service:name=burst/perSecond`, name being an API, an EC2
 * category or `*`. Answers the problem in one sentence when the text is not of that form.
 */
export function parseRateLimitOverrides(text: string): Record<string, BucketSize> | string {
  const overrides: Record<string, BucketSize> = {};
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z0-9-]+):([A-Za-z*-]+)=([0-9.]+)\/([0-9.]+)$/.exec(entry);
    const burst = Number(match?.[3]);
    const refillPerSecond = Number(match?.[4]);
    if (!match || !(burst > 0) || !(refillPerSecond > 0)) {
      return `"${entry}" is not of the form service:name=burst/perSecond (e.g. ec2:CreateSnapshot=100/5)`;
    }
    overrides[`${match[1]}:${match[2]}`] = { burst, refillPerSecond };
  }
  return overrides;
}
