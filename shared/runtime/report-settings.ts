import type { ReportSettings } from '../domain/report-model.js';
import { isValidTimezone } from '../domain/zoned-time.js';
import { ConfigurationError } from './environment.js';

/** Report settings from deploy parameters (serverless.yml → environment), checked at cold start. */
export function reportSettings(env: NodeJS.ProcessEnv = process.env): { timezone: string; topicArn?: string; report: ReportSettings } {
  const timezone = env.REPORT_TIMEZONE ?? 'UTC';
  if (!isValidTimezone(timezone)) throw new ConfigurationError(`REPORT_TIMEZONE "${timezone}" is not an IANA timezone`);
  const number = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new ConfigurationError(`${name} "${raw}" must be a non-negative number`);
    return value;
  };
  return {
    timezone,
    ...(env.NOTIFICATION_TOPIC_ARN ? { topicArn: env.NOTIFICATION_TOPIC_ARN } : {}),
    report: {
      drillStaleDays: number('REPORT_DRILL_STALE_DAYS', 30),
      pricePerGbMonth: number('REPORT_PRICE_PER_GB_MONTH', 0.05),
      currency: env.REPORT_CURRENCY ?? 'USD',
    },
  };
}
