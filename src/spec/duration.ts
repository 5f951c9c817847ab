const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration Slipway waits with one timer: 2^31-1 ms, about 24.8 days. Node's timers take a
 * signed 32-bit delay; a longer one prints a TimeoutOverflowWarning and fires after 1 ms instead.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/** MAX_DURATION_MS in words, for messages: 596h is the largest whole number of hours that fits. */
export const MAX_DURATION_TEXT = '596h (about 24.8 days, the longest a timer can wait)';

/** Parses `90s`, `30m`, `2h`, `250ms` into milliseconds; undefined for anything else. Not capped: timers use checkDuration. */
export function parseDuration(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : undefined;
}

/**
 * Parses a duration used as a timer delay: `{ ms }`, or `{ problem }` saying what is wrong, to follow
 * the value in a message (`'600h' is …`): not a duration, longer than MAX_DURATION_MS, or (unless
 * `zero` allows it) 0.
 */
export function checkDuration(text: string, opts: { zero?: boolean } = {}): { ms: number; problem?: undefined } | { ms?: undefined; problem: string } {
  const ms = parseDuration(text);
  if (ms === undefined) return { problem: 'is not a duration such as 90s, 30m or 2h' };
  if (ms > MAX_DURATION_MS) return { problem: `is too long: at most ${MAX_DURATION_TEXT}` };
  if (ms === 0 && !opts.zero) return { problem: 'must be more than 0' };
  return { ms };
}

/** Parses a sub-millisecond duration, `250us`, `250µs` or `0.5ms` (or `0`), into milliseconds, not rounded; undefined for anything else. */
export function parseMicroDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const m = /^([0-9]+(?:\.[0-9]+)?)(us|µs|ms)$/.exec(t);
  return m ? Number(m[1]) / (m[2] === 'ms' ? 1 : 1000) : undefined;
}
