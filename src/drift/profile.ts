/**
 * Reference profiles: the compact summary of a dataset that drift checks compare against.
 * The format merges: the profile of shards, merged, equals the profile of the whole, provided the
 * shards were binned on the same edges (the reference's). Pure: computing one from data is in
 * src/data/profile.ts.
 */
import { combinedM2, mergeSketches, type ValueSketch } from './sketch.js';

export interface NumericProfile {
  kind: 'numeric';
  /** finite values */
  count: number;
  /** null / missing values */
  nulls: number;
  /** NaN and ±Infinity */
  nans: number;
  /** mean and sum of squared deviations of the finite values (Chan et al. merge) */
  mean: number;
  m2: number;
  min: number | null;
  max: number | null;
  /**
   * Bin edges fixed on the reference: its minimum, quantiles, and maximum (non-decreasing; [v, v] for a
   * constant column). counts has edges.length + 1 buckets: counts[0] = v < edges[0] (underflow),
   * counts[i] = edges[i-1] <= v < edges[i] for the inner buckets, the last inner bucket also holding
   * v == edges[last], and counts[edges.length] = v > edges[last] (overflow).
   */
  edges: number[];
  counts: number[];
  /**
   * Exact frequencies of the finite values (String(value) → count), present when the column has few
   * distinct values (≤ DISCRETE_LIMIT in the reference). They let drift tests on a profile be exact for
   * discrete numeric columns (codes, counts, flags) and give the number of distinct values that the
   * default test selection needs. Merges by summing; dropped when one side lacks them.
   */
  values?: Record<string, number>;
  /** approximate number of distinct finite values (HyperLogLog), where computed; informational, not merged */
  distinct?: number;
  /**
   * A package's continuous columns: a value sketch of the training data (src/drift/sketch.ts, at
   * PACKAGE_SKETCH_SCALE bins per doubling), so that Wasserstein and KS against a window have certified
   * bounds instead of 20-bin interpolation. Merges by key.
   */
  sketch?: ValueSketch;
}

/** Numeric columns with at most this many distinct finite values keep exact value frequencies. */
export const DISCRETE_LIMIT = 20;

export interface CategoricalProfile {
  kind: 'categorical';
  count: number;
  nulls: number;
  /** value (as string) → count */
  frequencies: Record<string, number>;
}

export type ColumnProfile = NumericProfile | CategoricalProfile;

export interface Profile {
  rows: number;
  columns: Record<string, ColumnProfile>;
}

export function variance(p: NumericProfile): number {
  return p.count > 1 ? p.m2 / (p.count - 1) : 0;
}

function addFrequencies(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function mergeColumn(a: ColumnProfile, b: ColumnProfile): ColumnProfile {
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    return { kind: 'categorical', count: a.count + b.count, nulls: a.nulls + b.nulls, frequencies: addFrequencies(a.frequencies, b.frequencies) };
  }
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    if (a.edges.length !== b.edges.length || a.edges.some((e, i) => e !== b.edges[i])) {
      throw new Error('cannot merge numeric profiles binned on different edges');
    }
    const n = a.count + b.count;
    const delta = b.mean - a.mean;
    const mean = n ? a.mean + (delta * b.count) / n : 0;
    const m2 = n ? combinedM2(a.count, a.mean, a.m2, b.count, b.mean, b.m2) : 0;
    const min = a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min);
    const max = a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max);
    const merged: NumericProfile = { kind: 'numeric', count: n, nulls: a.nulls + b.nulls, nans: a.nans + b.nans, mean, m2, min, max, edges: a.edges, counts: a.counts.map((c, i) => c + b.counts[i]) };
    if (a.values && b.values) merged.values = addFrequencies(a.values, b.values);
    const sketch = a.sketch && b.sketch ? mergeSketches(a.sketch, b.sketch) : undefined;
    if (sketch) merged.sketch = sketch;
    return merged;
  }
  throw new Error(`cannot merge a ${a.kind} profile with a ${b.kind} profile`);
}

export function mergeProfiles(a: Profile, b: Profile): Profile {
  const columns: Record<string, ColumnProfile> = { ...a.columns };
  for (const [name, col] of Object.entries(b.columns)) columns[name] = columns[name] ? mergeColumn(columns[name], col) : col;
  return { rows: a.rows + b.rows, columns };
}
