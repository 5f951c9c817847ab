/**
 * Value sketches (src/drift/sketch.ts) against the exact computations on the raw values (which match
 * SciPy: stats-golden.test.ts): the bounds always contain the exact Wasserstein distance and KS
 * statistic, the lower bound is close to it, moments are exact, discrete data pair exactly, and bucket
 * counts on sketch edges equal the raw values' counts on the same edges.
 */
import { describe, expect, it } from 'vitest';
import { bucketCounts } from '../../src/drift/compare.js';
import { profileFromSketch, sketchEdges } from '../../src/drift/sketch-profile.js';
import { coarsenSketch, keyBoundary, keyOf, mergeSketches, pairedFromSketches, sketchDistances, sketchMoments, sketchValues, type ValueSketch } from '../../src/drift/sketch.js';
import { ksStatistic } from '../../src/drift/stats/ks.js';
import { pairSamples, stdA } from '../../src/drift/stats/samples.js';
import { wassersteinPaired } from '../../src/drift/stats/wasserstein.js';
import { Prng } from '../../src/evaluate/prng.js';

const rng = new Prng(7);
const normal = () => Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());

const makers: Record<string, (shift: number) => number> = {
  normal: (s) => 10 + normal() + s,
  'log-normal (heavy tail)': (s) => Math.exp(10.5 + 0.8 * normal() + s),
  'around zero, negatives and zeros': (s) => (rng.nextDouble() < 0.1 ? 0 : 3 * normal() + s),
  'mixture with a far mode': (s) => (rng.nextDouble() < 0.05 ? 1e6 + normal() : normal() * 0.01 + s),
  'rounded to cents': (s) => Math.round((100 + 20 * normal() + s) * 100) / 100,
};

function sample(n: number, f: (s: number) => number, shift: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(shift);
  return out;
}

/** The sketch's bins as DuckDB would cut them, with the window's counts below/above the reference's range. */
function withRange(s: ValueSketch, values: Float64Array, min: number, max: number): ValueSketch {
  const below = new Map<number, number>();
  const above = new Map<number, number>();
  for (const v of values) {
    const k = keyOf(v);
    if (v < min) below.set(k, (below.get(k) ?? 0) + 1);
    if (v > max) above.set(k, (above.get(k) ?? 0) + 1);
  }
  return { ...s, below: s.keys.map((k) => below.get(k) ?? 0), above: s.keys.map((k) => above.get(k) ?? 0) };
}

describe('value sketches', () => {
  for (const [name, f] of Object.entries(makers)) {
    for (const shift of [0, 0.3]) {
      it(`${name}, shift ${shift}: the bounds contain the exact W1 and KS D, and the estimate is within 0.1 % of W1`, () => {
        const a = sample(20_000, f, 0);
        const b = sample(15_000, f, shift);
        const exact = pairSamples(a, b);
        const w = wassersteinPaired(exact);
        const d = ksStatistic(exact);
        const sa = sketchValues(a);
        const sb = sketchValues(b);
        const paired = pairedFromSketches(sa, sb);
        if (paired) {
          // one value per bin (rounded data): the sketch is the exact paired counts
          expect(Array.from(paired.values)).toEqual(Array.from(exact.values));
          expect(Array.from(paired.a)).toEqual(Array.from(exact.a));
          return;
        }
        const r = sketchDistances(sa, sb)!;
        const tol = 1e-9 * Math.max(1, w);
        expect(r.wasserstein.lower).toBeLessThanOrEqual(w + tol);
        expect(r.wasserstein.upper).toBeGreaterThanOrEqual(w - tol);
        expect(Math.abs(r.wasserstein.lower - w)).toBeLessThanOrEqual(1e-3 * w);
        expect(r.ks.lower).toBeLessThanOrEqual(d + 1e-12);
        expect(r.ks.upper).toBeGreaterThanOrEqual(d - 1e-12);
        // normed by the reference's std: the certified interval is narrow next to the 0.1 threshold
        expect((r.wasserstein.upper - r.wasserstein.lower) / stdA(exact)).toBeLessThan(0.01);
      });
    }
  }

  it('moments from the bins equal the values\' count, mean, M2, min and max', () => {
    const a = sample(30_000, makers['log-normal (heavy tail)'], 0);
    const m = sketchMoments(sketchValues(a));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const m2 = a.reduce((s, v) => s + (v - mean) ** 2, 0);
    expect(m.count).toBe(a.length);
    expect(m.mean).toBeCloseTo(mean, 6);
    expect(Math.abs(m.m2 - m2) / m2).toBeLessThan(1e-12);
    expect(m.min).toBe(Math.min(...a));
    expect(m.max).toBe(Math.max(...a));
  });

  it('integers pair exactly; NaN and ±Infinity are counted apart', () => {
    const a = Float64Array.from({ length: 5000 }, (_, i) => (i * 7919) % 13);
    const b = Float64Array.from({ length: 4000 }, (_, i) => (i % 17 === 0 ? NaN : i % 101 === 0 ? Infinity : (i * 31) % 15));
    const sb = sketchValues(b, 3);
    expect(sb.nans).toBe(b.filter((v) => !Number.isFinite(v)).length);
    expect(sb.nulls).toBe(3);
    const p = pairedFromSketches(sketchValues(a), sb)!;
    const want = pairSamples(a, b.filter(Number.isFinite));
    expect(Array.from(p.values)).toEqual(Array.from(want.values));
    expect(Array.from(p.b)).toEqual(Array.from(want.b));
  });

  it('keys are monotone in value and every value lies in its key\'s bin (half-open: [lo, hi) above zero, (lo, hi] below)', () => {
    const vs = [-1e300, -5, -1.0000001, -1, -0.5, -1e-300, 0, 5e-324, 1e-300, 0.5, 1, 1.0000001, 2, 3, 1e300];
    for (let i = 1; i < vs.length; i++) expect(keyOf(vs[i])).toBeGreaterThanOrEqual(keyOf(vs[i - 1]));
    for (const v of vs) {
      const k = keyOf(v);
      const [lo, hi] = [keyBoundary(k), keyBoundary(k + 1)];
      expect(lo - Math.abs(lo) * 1e-12).toBeLessThanOrEqual(v);
      expect(v).toBeLessThanOrEqual(hi + Math.abs(hi) * 1e-12);
      // (boundaries among subnormals are not representable: there only the inclusive check holds)
      if (v > 1e-300) expect(v).toBeLessThan(hi);
      if (v < -1e-300) expect(v).toBeGreaterThan(lo);
    }
  });

  it('bucket counts on the sketch edges equal the raw values\' counts on the same edges, window outside the range included', () => {
    const a = sample(20_000, makers.normal, 0);
    const b = sample(12_000, makers.normal, 1.5);
    const sa = sketchValues(a);
    const e = sketchEdges(sa, 20);
    expect(e.edges).toHaveLength(21);
    const ref = profileFromSketch(sa, e);
    const ones = (n: number) => new Float64Array(n).fill(1);
    expect(ref.counts).toEqual(bucketCounts(a, ones(a.length), e.edges));
    for (const c of ref.counts.slice(1, -1)) expect(Math.abs(c / a.length - 0.05)).toBeLessThan(0.002);
    const sb = withRange(sketchValues(b), b, ref.min!, ref.max!);
    const cur = profileFromSketch(sb, e);
    expect(cur.counts).toEqual(bucketCounts(b, ones(b.length), e.edges));
    expect(cur.counts[cur.counts.length - 1]).toBeGreaterThan(0);
  });

  it('coarsening to 64 bins per doubling gives the sketch made at that scale; shards merge into the whole', () => {
    const a = sample(20_000, makers['around zero, negatives and zeros'], 0);
    const coarse = coarsenSketch(sketchValues(a), 64);
    const direct = sketchValues(a, 0, 64);
    expect(coarse.keys).toEqual(direct.keys);
    expect(coarse.n).toEqual(direct.n);
    expect(coarse.min).toEqual(direct.min);
    expect(coarse.max).toEqual(direct.max);
    coarse.m2.forEach((v, i) => expect(Math.abs(v - direct.m2[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, direct.m2[i])));
    const merged = mergeSketches(mergeSketches(sketchValues(a.subarray(0, 5000), 0, 64), sketchValues(a.subarray(5000, 12000), 0, 64))!, sketchValues(a.subarray(12000), 0, 64))!;
    expect(merged.keys).toEqual(direct.keys);
    expect(merged.n).toEqual(direct.n);
    merged.sum.forEach((v, i) => expect(v).toBeCloseTo(direct.sum[i], 8));
    // sketches of different scales do not mix
    expect(mergeSketches(sketchValues(a), direct)).toBeUndefined();
    expect(sketchDistances(sketchValues(a), direct)).toBeNull();
    // at the coarse scale the bounds still hold the exact distance
    const b = sample(20_000, makers['around zero, negatives and zeros'], 0.3);
    const r = sketchDistances(direct, sketchValues(b, 0, 64))!;
    const w = wassersteinPaired(pairSamples(a, b));
    expect(r.wasserstein.lower).toBeLessThanOrEqual(w + 1e-9);
    expect(r.wasserstein.upper).toBeGreaterThanOrEqual(w - 1e-9);
  });

  it('a constant column and an empty side', () => {
    const c = sketchValues(new Float64Array(100).fill(4.2));
    expect(sketchEdges(c, 20).edges).toEqual([4.2, 4.2]);
    expect(profileFromSketch(c, sketchEdges(c, 20)).values).toEqual({ '4.2': 100 });
    expect(sketchDistances(c, sketchValues(new Float64Array(0)))).toBeNull();
  });
});
