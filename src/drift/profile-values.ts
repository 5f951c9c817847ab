/**
 * Profiles of in-memory values (pure; the DuckDB path is src/data/profile.ts and gives the same
 * numbers): used by tests, by the statistical-property checks, and for model outputs held in memory.
 */
import { DISCRETE_LIMIT, type CategoricalProfile, type NumericProfile } from './profile.js';
import { bucketCounts } from './compare.js';
import { pairSorted, sortedCopy } from './stats/samples.js';

/** Linear-interpolation quantile of sorted values (DuckDB quantile_cont, numpy's default). */
export function quantileSorted(s: Float64Array, q: number): number {
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Quantile edges as profileRelation makes them: min, the (i/bins) quantiles, max; deduplicated. */
export function quantileEdges(sorted: Float64Array, bins = 20): number[] {
  if (!sorted.length) return [0, 0];
  const all = [sorted[0]];
  for (let i = 1; i < bins; i++) all.push(quantileSorted(sorted, i / bins));
  all.push(sorted[sorted.length - 1]);
  const edges = all.filter((e, j) => j === 0 || e > all[j - 1]);
  return edges.length === 1 ? [edges[0], edges[0]] : edges;
}

/** A numeric profile of values (NaN/±Infinity counted as nans, `nulls` given separately). */
export function profileNumbers(values: ArrayLike<number>, options: {
  edges?: number[]; nulls?: number; bins?: number; values?: boolean;
  /** the values are a Float64Array of finite values already in increasing order (used as is) */
  sorted?: boolean;
}  = {}): NumericProfile {
  let sorted: Float64Array;
  let nans = 0;
  if (options.sorted && values instanceof Float64Array) sorted = values;
  else {
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) {
      if (Number.isFinite(values[i])) finite.push(values[i]);
      else nans++;
    }
    sorted = sortedCopy(finite);
  }
  const n = sorted.length;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mean;
    mean += d / (i + 1);
    m2 += d * (sorted[i] - mean);
  }
  const edges = options.edges ?? quantileEdges(sorted, options.bins);
  const paired = pairSorted(sorted, new Float64Array(0));
  const p: NumericProfile = {
    kind: 'numeric', count: n, nulls: options.nulls ?? 0, nans, mean: n ? mean : 0, m2, min: n ? sorted[0] : null, max: n ? sorted[n - 1] : null,
    edges, counts: bucketCounts(paired.values, paired.a, edges),
  };
  if (options.values ?? paired.values.length <= DISCRETE_LIMIT) {
    p.values = {};
    for (let i = 0; i < paired.values.length; i++) p.values[String(paired.values[i])] = paired.a[i];
  }
  return p;
}

/** A categorical profile of values (null/undefined counted as nulls). */
export function profileCategories(values: ArrayLike<string | number | boolean | null | undefined>): CategoricalProfile {
  const frequencies: Record<string, number> = {};
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) nulls++;
    else frequencies[String(v)] = (frequencies[String(v)] ?? 0) + 1;
  }
  return { kind: 'categorical', count: values.length - nulls, nulls, frequencies };
}
