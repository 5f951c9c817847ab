/**
 * How many bootstrap replicates make a percentile interval. With B replicates a 95% interval's bounds
 * are the 2.5th and 97.5th percentiles of B deltas: with B = 1 both are that one resample's delta (an
 * "interval" of width 0 that need not contain the point estimate), and below a few dozen each tail
 * holds less than one replicate, so the bounds are interpolated extremes. 100 puts at least 2.5
 * replicates in each tail of a 95% interval; SciPy's `scipy.stats.bootstrap` defaults to 9999 and
 * Slipway to 200. 0 turns the intervals off (point deltas only).
 */
export const MIN_BOOTSTRAP_SAMPLES = 100;

/** Why `samples` is not a usable replicate count (the caller names the flag or field), or undefined. */
export function bootstrapSamplesProblem(samples: number): string | undefined {
  if (samples === 0 || samples >= MIN_BOOTSTRAP_SAMPLES) return undefined;
  return `must be 0 (no confidence intervals) or at least ${MIN_BOOTSTRAP_SAMPLES} replicates, got ${samples}: with fewer, a percentile interval has almost no replicates in its tails and can exclude its own point estimate`;
}
