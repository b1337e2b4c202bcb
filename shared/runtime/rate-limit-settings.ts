import { parseRateLimitOverrides, RATE_LIMIT_DEFAULTS, type RateLimitSettings } from '../domain/api-rate-limits.js';
import { ConfigurationError } from './environment.js';

/**
 * Client-side API limits from the environment: API_RATE_SHARE (the fraction of each documented account
 * limit one container uses, default 0.95) and API_RATE_LIMITS (bucket sizes that replace the documented ones).
 */
export function readRateLimitSettings(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const shareText = env.API_RATE_SHARE;
  const share = shareText === undefined || shareText === '' ? RATE_LIMIT_DEFAULTS.share : Number(shareText);
  if (!(share > 0) || !Number.isFinite(share)) throw new ConfigurationError(`API_RATE_SHARE must be a number above 0, such as 0.95, not "${shareText}"`);
  const overrides = env.API_RATE_LIMITS ? parseRateLimitOverrides(env.API_RATE_LIMITS) : {};
  if (typeof overrides === 'string') throw new ConfigurationError(`API_RATE_LIMITS: ${overrides}`);
  return { share, overrides };
}
