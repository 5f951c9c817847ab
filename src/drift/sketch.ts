/**
 * A value sketch of one numeric column: its finite values grouped into logarithmic bins (about 1,024 per
 * doubling, so each bin spans ≤ 0.07 % of its values' magnitude), with per bin the count, sum, minimum,
 * maximum and sum of squared deviations. DuckDB builds it in one GROUP BY (src/data/sketch.ts).
 *
 * What it gives exactly: count, mean, M2 (std), min, max, the counts of any edges that lie on bin
 * boundaries, and — when every bin holds a single value (counts, codes, integers) — the exact value
 * frequencies, so the tests are then computed as on the raw values. What it bounds: the Wasserstein
 * distance and the KS statistic. With F the empirical CDFs, ∫ over a bin [lo, hi] of F_a − F_b is exact
 * from the counts and sums (∫F = (hi − lo)·F(hi) − Σ(x − lo)/n), between bins F_a − F_b is constant, so
 * W = Σ |∫ bin (F_a − F_b)| + gaps is exact wherever F_a − F_b keeps its sign inside each bin, and never
 * above the truth; an upper bound follows from F's monotonicity inside each bin. A verdict is taken
 * from the sketch only when both bounds fall on the same side of the threshold; otherwise the column is
 * paired exactly (src/drift/load.ts).
 */
import { pairFromRows, type PairedCounts } from './stats/samples.js';

/** Bins per doubling of magnitude: the key of v > 0 is floor(log2(v) · KEY_SCALE) + KEY_OFFSET. */
export const KEY_SCALE = 1024;
export const KEY_OFFSET = 1_200_000;
/** Bins per doubling of the sketches stored in a package's reference profile (≈ 1.1 % of a value's magnitude per bin). */
export const PACKAGE_SKETCH_SCALE = 64;

export interface ValueSketch {
  /** bins per doubling (KEY_SCALE when absent); a package stores its sketches coarser (PACKAGE_SKETCH_SCALE) */
  scale?: number;
  /** bin keys, strictly increasing (monotone in value) */
  keys: number[];
  n: number[];
  sum: number[];
  min: number[];
  max: number[];
  /** sum of squared deviations from the bin's mean */
  m2: number[];
  /** per bin, values below / above the reference's min / max (a current window sketched against a reference) */
  below?: number[];
  above?: number[];
  nulls: number;
  /** NaN and ±Infinity */
  nans: number;
}

export interface Moments {
  count: number;
  mean: number;
  m2: number;
  min: number | null;
  max: number | null;
}

/** Count, mean and M2 of the whole column from its bins (Chan et al.: stable). */
export function sketchMoments(s: ValueSketch): Moments {
  let count = 0;
  let total = 0;
  for (let i = 0; i < s.keys.length; i++) {
    count += s.n[i];
    total += s.sum[i];
  }
  const mean = count ? total / count : 0;
  let m2 = 0;
  for (let i = 0; i < s.keys.length; i++) {
    const d = s.sum[i] / s.n[i] - mean;
    m2 += s.m2[i] + s.n[i] * d * d;
  }
  const last = s.keys.length - 1;
  return { count, mean, m2, min: last >= 0 ? s.min[0] : null, max: last >= 0 ? s.max[last] : null };
}

/** Whether every bin holds one distinct value (then the sketch is the exact value frequencies). */
export function singleValued(s: ValueSketch): boolean {
  for (let i = 0; i < s.keys.length; i++) if (s.min[i] !== s.max[i]) return false;
  return true;
}

/** A lower bound on the number of distinct values: one per bin, two per bin with a spread. */
export function distinctAtLeast(s: ValueSketch): number {
  let d = 0;
  for (let i = 0; i < s.keys.length; i++) d += s.min[i] === s.max[i] ? 1 : 2;
  return d;
}

/** The lower boundary of a key's bin, as a value (the bin holds values in [boundary(k), boundary(k + 1))). */
export function keyBoundary(key: number, scale = KEY_SCALE): number {
  if (key === 0) return 0;
  if (key > 0) return Math.pow(2, (key - KEY_OFFSET) / scale);
  return -Math.pow(2, (-key - KEY_OFFSET + 1) / scale);
}

/** The key of a value, as src/data/sketch.ts computes it in DuckDB (for in-memory sketches and tests). */
export function keyOf(v: number, scale = KEY_SCALE): number {
  if (v === 0) return 0;
  return v > 0 ? KEY_OFFSET + Math.floor(Math.log2(v) * scale) : -KEY_OFFSET - Math.floor(Math.log2(-v) * scale);
}

/** A key at a coarser scale (`factor` = fine scale / coarse scale): floor(floor(x) / f) = floor(x / f). */
function coarserKey(key: number, factor: number): number {
  if (key === 0) return 0;
  return key > 0 ? KEY_OFFSET + Math.floor((key - KEY_OFFSET) / factor) : -KEY_OFFSET - Math.floor((-key - KEY_OFFSET) / factor);
}

/** The M2 of two groups combined (Chan et al.): their own M2s plus the spread between their means. */
export function combinedM2(na: number, meanA: number, m2a: number, nb: number, meanB: number, m2b: number): number {
  const d = meanB - meanA;
  return m2a + m2b + (d * d * na * nb) / (na + nb);
}

/**
 * Appends bin `x` of `from` to `out` under `key`, folding it into `out`'s last bin when that has the same
 * key (keys arrive in increasing order): counts and sums add, min/max widen, M2 combines exactly.
 */
function appendBin(out: ValueSketch, key: number, from: ValueSketch, x: number): void {
  const last = out.keys.length - 1;
  if (last >= 0 && out.keys[last] === key) {
    out.m2[last] = combinedM2(out.n[last], out.sum[last] / out.n[last], out.m2[last], from.n[x], from.sum[x] / from.n[x], from.m2[x]);
    out.n[last] += from.n[x];
    out.sum[last] += from.sum[x];
    out.min[last] = Math.min(out.min[last], from.min[x]);
    out.max[last] = Math.max(out.max[last], from.max[x]);
    if (out.below) out.below[last] += from.below?.[x] ?? 0;
    if (out.above) out.above[last] += from.above?.[x] ?? 0;
    return;
  }
  out.keys.push(key);
  out.n.push(from.n[x]);
  out.sum.push(from.sum[x]);
  out.min.push(from.min[x]);
  out.max.push(from.max[x]);
  out.m2.push(from.m2[x]);
  out.below?.push(from.below?.[x] ?? 0);
  out.above?.push(from.above?.[x] ?? 0);
}

/**
 * The sketch at a coarser scale (a divisor of its own): bins with the same coarse key merged, moments
 * combined exactly (Chan et al.), below/above counts summed.
 */
export function coarsenSketch(s: ValueSketch, scale: number): ValueSketch {
  const from = s.scale ?? KEY_SCALE;
  if (scale === from) return s;
  if (scale > from || from % scale !== 0) throw new Error(`cannot coarsen a sketch of ${from} bins per doubling to ${scale}`);
  const factor = from / scale;
  const out: ValueSketch = { scale, keys: [], n: [], sum: [], min: [], max: [], m2: [], nulls: s.nulls, nans: s.nans };
  if (s.below) out.below = [];
  if (s.above) out.above = [];
  for (let i = 0; i < s.keys.length; i++) appendBin(out, coarserKey(s.keys[i], factor), s, i);
  return out;
}

/** Two sketches of the same scale merged (shards of one column): the sketch of all their values. */
export function mergeSketches(a: ValueSketch, b: ValueSketch): ValueSketch | undefined {
  if ((a.scale ?? KEY_SCALE) !== (b.scale ?? KEY_SCALE)) return undefined;
  const out: ValueSketch = { ...(a.scale ? { scale: a.scale } : {}), keys: [], n: [], sum: [], min: [], max: [], m2: [], nulls: a.nulls + b.nulls, nans: a.nans + b.nans };
  let i = 0;
  let j = 0;
  while (i < a.keys.length || j < b.keys.length) {
    if (j >= b.keys.length || (i < a.keys.length && a.keys[i] <= b.keys[j])) appendBin(out, a.keys[i], a, i++);
    else appendBin(out, b.keys[j], b, j++);
  }
  return out;
}

/**
 * A sketch from exact value counts (distinct finite values, any order): each value's bin by keyOf, the
 * bin's moments exact. `range`: the reference's min and max, to count the values outside it.
 */
export function sketchFromCounts(values: ArrayLike<number>, counts: ArrayLike<number>, extra: { nulls?: number; nans?: number; range?: { min: number; max: number }; scale?: number } = {}): ValueSketch {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((x, y) => values[x] - values[y]);
  const scale = extra.scale ?? KEY_SCALE;
  const s: ValueSketch = { ...(extra.scale && extra.scale !== KEY_SCALE ? { scale } : {}), keys: [], n: [], sum: [], min: [], max: [], m2: [], nulls: extra.nulls ?? 0, nans: extra.nans ?? 0 };
  if (extra.range) {
    s.below = [];
    s.above = [];
  }
  let at = 0;
  while (at < order.length) {
    const k = keyOf(values[order[at]], scale);
    let end = at;
    let n = 0;
    let sum = 0;
    let below = 0;
    let above = 0;
    while (end < order.length && keyOf(values[order[end]], scale) === k) {
      const v = values[order[end]];
      const c = counts[order[end]];
      n += c;
      sum += v * c;
      if (extra.range && v < extra.range.min) below += c;
      if (extra.range && v > extra.range.max) above += c;
      end++;
    }
    const mean = sum / n;
    let m2 = 0;
    for (let i = at; i < end; i++) m2 += counts[order[i]] * (values[order[i]] - mean) ** 2;
    s.keys.push(k);
    s.n.push(n);
    s.sum.push(sum);
    s.min.push(values[order[at]]);
    s.max.push(values[order[end - 1]]);
    s.m2.push(m2);
    if (extra.range) {
      s.below!.push(below);
      s.above!.push(above);
    }
    at = end;
  }
  return s;
}

/** A sketch of in-memory values (the DuckDB path gives the same bins up to rounding at bin boundaries). */
export function sketchValues(values: ArrayLike<number>, nulls = 0, scale = KEY_SCALE): ValueSketch {
  const counts = new Map<number, number>();
  let nans = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) nans++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return sketchFromCounts([...counts.keys()], [...counts.values()], { nulls, nans, scale });
}

/** Both sides' bins merged by key; null when bins overlap in value (a key function that is not monotone). */
interface MergedBins {
  lo: number[];
  hi: number[];
  a: number[];
  b: number[];
  sa: number[];
  sb: number[];
  na: number;
  nb: number;
}

function mergeBins(a: ValueSketch, b: ValueSketch): MergedBins | null {
  if ((a.scale ?? KEY_SCALE) !== (b.scale ?? KEY_SCALE)) return null;
  const m: MergedBins = { lo: [], hi: [], a: [], b: [], sa: [], sb: [], na: 0, nb: 0 };
  let i = 0;
  let j = 0;
  while (i < a.keys.length || j < b.keys.length) {
    const ka = i < a.keys.length ? a.keys[i] : Infinity;
    const kb = j < b.keys.length ? b.keys[j] : Infinity;
    const k = Math.min(ka, kb);
    let lo = Infinity;
    let hi = -Infinity;
    let ca = 0;
    let cb = 0;
    let sa = 0;
    let sb = 0;
    if (ka === k) {
      lo = a.min[i];
      hi = a.max[i];
      ca = a.n[i];
      sa = a.sum[i];
      i++;
    }
    if (kb === k) {
      lo = Math.min(lo, b.min[j]);
      hi = Math.max(hi, b.max[j]);
      cb = b.n[j];
      sb = b.sum[j];
      j++;
    }
    if (m.hi.length && !(lo > m.hi[m.hi.length - 1])) return null;
    m.lo.push(lo);
    m.hi.push(hi);
    m.a.push(ca);
    m.b.push(cb);
    m.sa.push(sa);
    m.sb.push(sb);
    m.na += ca;
    m.nb += cb;
  }
  return m;
}

/** Exact paired counts when both sketches hold one value per bin; null otherwise. */
export function pairedFromSketches(a: ValueSketch, b: ValueSketch): PairedCounts | null {
  if (!singleValued(a) || !singleValued(b)) return null;
  const m = mergeBins(a, b);
  if (!m) return null;
  const rows: [number, number, number][] = [];
  for (let i = 0; i < m.lo.length; i++) {
    if (m.lo[i] !== m.hi[i]) return null; // the two sides hold different values under one key
    rows.push([m.lo[i], m.a[i], m.b[i]]);
  }
  return pairFromRows(rows);
}

export interface Bounds {
  /** the sketch's estimate: a lower bound, exact where F_a − F_b keeps its sign inside every bin */
  lower: number;
  upper: number;
}

/** Bounds on W1 = ∫|F_a − F_b| and on the KS statistic sup|F_a − F_b|; null if a side is empty or bins overlap. */
export function sketchDistances(a: ValueSketch, b: ValueSketch): { wasserstein: Bounds; ks: Bounds } | null {
  const m = mergeBins(a, b);
  if (!m || m.na === 0 || m.nb === 0) return null;
  let fa = 0;
  let fb = 0;
  let wLo = 0;
  let wHi = 0;
  let dLo = 0;
  let dHi = 0;
  for (let i = 0; i < m.lo.length; i++) {
    const lo = m.lo[i];
    const hi = m.hi[i];
    if (i > 0) {
      const gap = Math.abs(fa - fb) * (lo - m.hi[i - 1]);
      wLo += gap;
      wHi += gap;
    }
    const faAfter = fa + m.a[i] / m.na;
    const fbAfter = fb + m.b[i] / m.nb;
    const width = hi - lo;
    // ∫_lo^hi F = width · F(hi) − Σ(x − lo)/n, for each side
    const ia = width * faAfter - (m.sa[i] - m.a[i] * lo) / m.na;
    const ib = width * fbAfter - (m.sb[i] - m.b[i] * lo) / m.nb;
    const delta = ia - ib;
    const mPlus = Math.max(0, faAfter - fb);
    const mMinus = Math.max(0, fbAfter - fa);
    wLo += Math.abs(delta);
    wHi += Math.max(Math.abs(delta), Math.min(2 * width * mPlus - delta, 2 * width * mMinus + delta));
    fa = faAfter;
    fb = fbAfter;
    const at = Math.abs(fa - fb);
    dLo = Math.max(dLo, at);
    dHi = Math.max(dHi, at, width > 0 ? Math.max(mPlus, mMinus) : 0);
  }
  return { wasserstein: { lower: wLo, upper: wHi }, ks: { lower: dLo, upper: dHi } };
}

/**
 * Inner bin edges at the reference's (i / bins) quantiles, rounded to bin boundaries so that any sketch
 * on the same keys is bucketed exactly: the boundary below the first bin where the count reaches
 * i/bins of the total. Returns the edges' values and keys (strictly increasing, inside (min, max)).
 */
export function sketchQuantileEdges(s: ValueSketch, bins: number): { values: number[]; keys: number[] } {
  const { count } = sketchMoments(s);
  const values: number[] = [];
  const keys: number[] = [];
  const last = s.keys.length - 1;
  let cum = 0;
  let q = 1;
  for (let i = 0; i < s.keys.length && q < bins; i++) {
    // the boundary below bin i is an edge for every quantile already reached by the bins before it
    if (i > 0 && cum >= (q * count) / bins) {
      const v = keyBoundary(s.keys[i], s.scale);
      if (v > s.min[0] && v < s.max[last]) {
        keys.push(s.keys[i]);
        values.push(v);
      }
      while (q < bins && cum >= (q * count) / bins) q++;
    }
    cum += s.n[i];
  }
  return { values, keys };
}

/**
 * Bucket counts in profile semantics (underflow, inner buckets, overflow; see NumericProfile) of a sketch
 * on edges [min, …inner at bin boundaries (by key)…, max] of the reference. A reference's own sketch has
 * nothing below or above; a current window's sketch carries per-bin counts below/above the reference's range.
 */
export function sketchBucketCounts(s: ValueSketch, innerKeys: number[], edgeCount: number): number[] {
  const counts = new Array<number>(edgeCount + 1).fill(0);
  let e = 0;
  for (let i = 0; i < s.keys.length; i++) {
    while (e < innerKeys.length && innerKeys[e] <= s.keys[i]) e++;
    const below = s.below?.[i] ?? 0;
    const above = s.above?.[i] ?? 0;
    counts[0] += below;
    counts[edgeCount] += above;
    counts[Math.min(1 + e, edgeCount - 1)] += s.n[i] - below - above;
  }
  return counts;
}
