const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `90s`, `30m`, `2h`, `250ms` into milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : undefined;
}

/** Parses a sub-millisecond duration, `250us`, `250µs` or `0.5ms` (or `0`), into milliseconds, not rounded; undefined for anything else. */
export function parseMicroDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const m = /^([0-9]+(?:\.[0-9]+)?)(us|µs|ms)$/.exec(t);
  return m ? Number(m[1]) / (m[2] === 'ms' ? 1 : 1000) : undefined;
}
