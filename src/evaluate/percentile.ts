/**
 * Percentiles with numpy's default ("linear") method: for q in [0, 100] over n sorted values,
 * h = (n − 1)·q/100 and the result interpolates between the values at floor(h) and ceil(h).
 */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('percentile of an empty sample');
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile q must be in [0, 100], got ${q}`);
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const frac = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  // numpy's _lerp: a + (b − a)·t, switched to b − (b − a)·(1 − t) when t ≥ 0.5 for exactness at the ends
  const diff = b - a;
  return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
}

/** Percentile of an unsorted sample (copies and sorts it). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values as ArrayLike<number>);
  s.sort();
  return percentileSorted(s, q);
}
