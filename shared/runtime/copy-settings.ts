import { COPY_SETTINGS_DEFAULTS, type CopySettings } from '../domain/copies.js';
import { parseDuration } from '../domain/durations.js';
import { ConfigurationError } from './environment.js';

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError(`${name} must be a whole number of at least 1, not "${text}"`);
  return value;
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = parseDuration(text);
  if (value === undefined) throw new ConfigurationError(`${name} must be a duration such as 30m, 12h or 14d, not "${text}"`);
  return value;
}

/**
 * Copy limits from the environment (defaults in COPY_SETTINGS_DEFAULTS): MAX_COPIES_IN_FLIGHT per
 * destination Region and service, COPY_MAX_ATTEMPTS, COPY_STUCK_AFTER and COPY_LOOKBACK as durations.
 */
export function readCopySettings(env: NodeJS.ProcessEnv = process.env): CopySettings {
  return {
    inFlightLimit: wholeNumber(env, 'MAX_COPIES_IN_FLIGHT', COPY_SETTINGS_DEFAULTS.inFlightLimit),
    maxAttempts: wholeNumber(env, 'COPY_MAX_ATTEMPTS', COPY_SETTINGS_DEFAULTS.maxAttempts),
    stuckAfterMs: duration(env, 'COPY_STUCK_AFTER', COPY_SETTINGS_DEFAULTS.stuckAfterMs),
    lookbackMs: duration(env, 'COPY_LOOKBACK', COPY_SETTINGS_DEFAULTS.lookbackMs),
  };
}
