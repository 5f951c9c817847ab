/**
 * Numeric profiles (src/drift/profile.ts) made from value sketches: the reference's bin edges at its
 * quantiles rounded to sketch bin boundaries, and both sides' bucket counts on them, exact by key.
 */
import { DISCRETE_LIMIT, type NumericProfile } from './profile.js';
import { singleValued, sketchBucketCounts, sketchMoments, sketchQuantileEdges, type ValueSketch } from './sketch.js';

export interface SketchEdges {
  /** [min, …inner, max] of the reference ([v, v] for a constant column, [0, 0] for an empty one) */
  edges: number[];
  /** the keys of the inner edges */
  innerKeys: number[];
}

export function sketchEdges(s: ValueSketch, bins: number): SketchEdges {
  const m = sketchMoments(s);
  if (m.min === null || m.max === null) return { edges: [0, 0], innerKeys: [] };
  if (m.min === m.max) return { edges: [m.min, m.min], innerKeys: [] };
  const inner = sketchQuantileEdges(s, bins);
  return { edges: [m.min, ...inner.values, m.max], innerKeys: inner.keys };
}

/**
 * The profile of a sketched column on the reference's edges. Exact value frequencies are kept when
 * every bin holds one value and there are at most DISCRETE_LIMIT of them, or when `values` asks.
 */
export function profileFromSketch(s: ValueSketch, e: SketchEdges, values = false): NumericProfile {
  const m = sketchMoments(s);
  const p: NumericProfile = {
    kind: 'numeric',
    count: m.count,
    nulls: s.nulls,
    nans: s.nans,
    mean: m.mean,
    m2: m.m2,
    min: m.min,
    max: m.max,
    edges: e.edges,
    counts: sketchBucketCounts(s, e.innerKeys, e.edges.length),
  };
  if (singleValued(s)) {
    p.distinct = s.keys.length;
    if (values || s.keys.length <= DISCRETE_LIMIT) {
      p.values = {};
      for (let i = 0; i < s.keys.length; i++) p.values[String(s.min[i])] = s.n[i];
    }
  }
  return p;
}
