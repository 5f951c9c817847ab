/**
 * First Wasserstein distance between two one-dimensional distributions (scipy.stats.wasserstein_distance)
 * and Evidently's normed version: W1 / max(std of the reference, 0.001), drift at ≥ 0.1.
 */
import { pairSamples, stdA, type PairedCounts } from './samples.js';

/** Evidently's floor on the reference standard deviation, so constant columns do not divide by zero. */
export const WASSERSTEIN_MIN_NORM = 0.001;

/** ∫|F_a − F_b| over the pooled distinct values (exact; what SciPy computes from the sorted samples). */
export function wassersteinPaired(p: PairedCounts): number {
  let ca = 0;
  let cb = 0;
  let w = 0;
  for (let i = 0; i < p.values.length - 1; i++) {
    ca += p.a[i];
    cb += p.b[i];
    w += Math.abs(ca / p.na - cb / p.nb) * (p.values[i + 1] - p.values[i]);
  }
  return w;
}

export function wassersteinDistance(a: Float64Array | number[], b: Float64Array | number[]): number {
  return wassersteinPaired(pairSamples(a, b));
}

/** Normed Wasserstein on raw samples: W1 / max(np.std(reference), 0.001). */
export function normedWassersteinPaired(p: PairedCounts): number {
  return wassersteinPaired(p) / Math.max(stdA(p), WASSERSTEIN_MIN_NORM);
}

/**
 * W1 between two histograms on the same breakpoints, each spread uniformly within its buckets
 * (piecewise-linear CDFs): `points` are the bucket boundaries (non-decreasing), `a` and `b` the
 * bucket masses (points.length − 1 of them). Exact for the interpolated CDFs.
 */
export function wassersteinHistograms(points: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): number {
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    na += a[i];
    nb += b[i];
  }
  if (na === 0 || nb === 0) return NaN;
  let fa = 0;
  let fb = 0;
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    const d0 = fa - fb;
    fa += a[i] / na;
    fb += b[i] / nb;
    const d1 = fa - fb;
    const width = points[i + 1] - points[i];
    if (width <= 0) continue;
    if (d0 * d1 >= 0) w += (width * (Math.abs(d0) + Math.abs(d1))) / 2;
    else w += (width * (d0 * d0 + d1 * d1)) / (2 * (Math.abs(d0) + Math.abs(d1)));
  }
  return w;
}
