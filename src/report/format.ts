/** Number formatting and the direction of a change, shared by the report's tables. */

/** Metrics where lower is better (used when a delta does not say). */
const LOWER_IS_BETTER = new Set(['log_loss', 'brier', 'ece', 'mae', 'rmse', 'mse', 'mape', 'latency_p99_ms', 'single_p99_ms', 'single_p50_ms']);

export function higherIsBetter(metric: string, explicit?: boolean): boolean {
  return explicit ?? !LOWER_IS_BETTER.has(metric);
}

/** A number for humans: 4 decimals below 10, 2 below 1000, grouped integers above; n/a for null. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 10) return x.toFixed(2);
  if (a !== 0 && a < 0.0001) return x.toExponential(2);
  return x.toFixed(4);
}

export function signed(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return (x > 0 ? '+' : x < 0 ? '−' : '±') + num(Math.abs(x));
}

export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${(x * 100).toFixed(digits)}%`;
}

export type Direction = 'better' | 'worse' | 'noise';

/** better/worse only when the whole confidence interval is on one side of zero. */
export function direction(ciLow: number, ciHigh: number, higherBetter: boolean): Direction {
  if (ciLow > 0) return higherBetter ? 'better' : 'worse';
  if (ciHigh < 0) return higherBetter ? 'worse' : 'better';
  return 'noise';
}

export function arrow(delta: number, dir: Direction): string {
  const a = delta > 0 ? '▲' : delta < 0 ? '▼' : '＝';
  return dir === 'better' ? `${a} better` : dir === 'worse' ? `${a} worse` : `${a} within noise`;
}

/** "2h 3m 4s" */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return 'n/a';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [h ? `${h}h` : '', m ? `${m}m` : '', `${s % 60}s`].filter(Boolean).join(' ');
}

/** How far an observed value is from a gate threshold like ">= 0.8"; undefined when not parseable. */
export function missedBy(observed: number | null, threshold: string): number | undefined {
  const m = /^\s*(>=|<=|>|<|==)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$/.exec(threshold);
  if (!m || observed === null || !Number.isFinite(observed)) return undefined;
  return Math.abs(observed - Number(m[2]));
}
