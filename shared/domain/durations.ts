/** Durations in the plans file are written like `30m`, `8h`, `1d12h`, `2w`: minutes, hours, days, weeks. */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
/** How far after a run's own clock a scheduled time or slot may lie (clocks differ a little) and still count as come. */
export const CLOCK_SKEW_MS = HOUR_MS;

const UNIT_MS = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: WEEK_MS } as const;
const DURATION_PATTERN = /^(?:\d+[mhdw])+$/;

export const DURATION_FORMAT_HELP = 'a duration such as 30m, 8h, 1d12h or 2w (units m, h, d, w)';

/**
 * Parses a plans-file duration into milliseconds; undefined when the text is not a positive duration,
 * so the schema can turn it into a precise validation message.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_PATTERN.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([mhdw])/g)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total > 0 ? total : undefined;
}

/** Human form for reports and errors: `14 min 32 s`, `3 h 10 min`, `2 d 4 h`. Rounds down to the second. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  const sign = ms < 0 ? '-' : '';
  let seconds = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(seconds / 86_400);
  seconds -= days * 86_400;
  const hours = Math.floor(seconds / 3_600);
  seconds -= hours * 3_600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes && !days) parts.push(`${minutes} min`);
  if (seconds && !days && !hours) parts.push(`${seconds} s`);
  return sign + (parts.length ? parts.join(' ') : '0 s');
}
