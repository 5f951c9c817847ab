/**
 * Per-column drift: chooses the test (tests.ts), computes it on the best data available, and decides
 * by effect size. Pure: inputs are profiles (src/drift/profile.ts) and, where raw values exist on both
 * sides, their exact paired counts.
 *
 * What each test is computed on:
 * - raw values on both sides (`basis: 'raw'`): exactly as SciPy does on the samples;
 * - exact value frequencies in both profiles (`'values'`, discrete numeric columns and categories): exact too;
 * - value sketches of both sides (`'sketch'`, large raw data; src/drift/sketch.ts): exact where every bin
 *   holds one value (then as `'raw'`), else Wasserstein and KS within certified bounds, the statistic
 *   being the lower bound; a column whose bounds straddle its threshold is marked `undecided` and the
 *   caller pairs its raw values;
 * - histograms only (`'bins'`): KS on the CDFs at the reference's bin edges (a lower bound of D),
 *   Wasserstein on piecewise-linear CDFs (values spread uniformly within each bin), and JS/PSI/chi-square
 *   on the bin counts — which are what JS/PSI use in every mode, since binning is part of their definition.
 */
import type { CategoricalProfile, NumericProfile } from './profile.js';
import { DISCRETE_LIMIT } from './profile.js';
import { chisquare } from './stats/chisquare.js';
import { jensenShannon } from './stats/jensenshannon.js';
import { ksPValue, ksTest } from './stats/ks.js';
import { psi } from './stats/psi.js';
import { pairFromRows, stdA, type PairedCounts } from './stats/samples.js';
import { distinctAtLeast, pairedFromSketches, sketchDistances, type ValueSketch } from './sketch.js';
import { normedWassersteinPaired, wassersteinHistograms, WASSERSTEIN_MIN_NORM } from './stats/wasserstein.js';
import { proportionsZTest } from './stats/ztest.js';
import { clipped } from '../report/escape.js';
import { FEW_VALUES_MAX, resolveTest, TESTS, type ColumnKind, type TestName } from './tests.js';
import type { DriftTestSpec } from '../spec/types.js';

export interface FeatureDrift {
  test: TestName;
  /** the test's statistic (a p-value for ks/chisquare/z, a distance otherwise); null when a side has no values */
  statistic: number | null;
  threshold: number;
  /** the p-value (for distance tests: of KS on numeric columns, chi-square on categories), shown, not gated on */
  p_value: number | null;
  drifted: boolean;
  n_ref: number;
  n_cur: number;
  kind: ColumnKind;
  basis: 'raw' | 'values' | 'sketch' | 'bins';
  /** basis 'sketch': the certified range of the statistic (the statistic is its lower end for distances) */
  bounds?: [number, number];
  /** basis 'sketch' only, before settling: the bounds straddle the threshold, so the raw values must be paired */
  undecided?: boolean;
  /** PSI only: 'moderate' (0.1–0.2) or 'significant' (≥ 0.2) */
  severity?: 'moderate' | 'significant';
  note?: string;
}

export interface NumericInput {
  ref: NumericProfile;
  cur: NumericProfile;
  /** exact paired counts of the raw values, when both sides are raw data */
  raw?: PairedCounts;
  /** value sketches of both sides (large raw data), used where `raw` is absent */
  sketch?: { ref: ValueSketch; cur: ValueSketch };
}

/** Paired counts from the exact value frequencies of two profiles. */
export function pairValues(a: Record<string, number>, b: Record<string, number>): PairedCounts {
  const m = new Map<number, [number, number]>();
  for (const [k, c] of Object.entries(a)) m.set(Number(k), [c, 0]);
  for (const [k, c] of Object.entries(b)) {
    const e = m.get(Number(k));
    if (e) e[1] += c;
    else m.set(Number(k), [0, c]);
  }
  const rows = [...m.entries()].sort((x, y) => x[0] - y[0]).map(([v, [ca, cb]]) => [v, ca, cb] as [number, number, number]);
  return pairFromRows(rows);
}

/** Counts of the paired values (or of one side) in the reference's buckets (profile semantics). */
export function bucketCounts(values: ArrayLike<number>, counts: ArrayLike<number>, edges: number[]): number[] {
  const k = edges.length;
  const out = new Array<number>(k + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let b: number;
    if (v < edges[0]) b = 0;
    else if (v > edges[k - 1]) b = k;
    else if (v === edges[k - 1]) b = Math.max(1, k - 1);
    else {
      // first edge strictly greater than v
      let lo = 1;
      let hi = k - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (edges[mid] > v) hi = mid;
        else lo = mid + 1;
      }
      b = lo;
    }
    out[b] += counts[i];
  }
  return out;
}

/** Chi-square over the categories the reference has (expected = reference shares × current count there). */
function chiOnReferenceCells(ref: ArrayLike<number>, cur: ArrayLike<number>): number | null {
  const obs: number[] = [];
  const exp: number[] = [];
  let nRef = 0;
  let nCur = 0;
  for (let i = 0; i < ref.length; i++) {
    if (ref[i] > 0) {
      nRef += ref[i];
      nCur += cur[i];
    }
  }
  if (nRef === 0 || nCur === 0) return null;
  for (let i = 0; i < ref.length; i++) {
    if (ref[i] > 0) {
      obs.push(cur[i]);
      exp.push((ref[i] * nCur) / nRef);
    }
  }
  if (obs.length < 2) return 1;
  return chisquare(obs, exp).pvalue;
}

function zOnCounts(values: string[] | ArrayLike<number>, ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  // Evidently: the first key in sorted order is "0", the other "1"
  const nRef = Array.from(ref).reduce((s, v) => s + v, 0);
  const nCur = Array.from(cur).reduce((s, v) => s + v, 0);
  void values;
  return proportionsZTest(nRef - ref[0], nRef, nCur - cur[0], nCur).pvalue;
}

/** Both sides have values, yet a test on the reference's cells found none of the window's there. */
function noCommonCells(statistic: number | null, before?: string): { note?: string } {
  const note = "none of the window's values is one the reference has (see unseen categories)";
  return statistic === null ? { note: before ? `${before}; ${note}` : note } : {};
}

function decide(test: TestName, statistic: number | null, threshold: number): boolean {
  if (statistic === null || Number.isNaN(statistic)) return false;
  return TESTS[test].gate === 'p_value' ? statistic < threshold : statistic >= threshold;
}

function psiSeverity(test: TestName, s: number | null): FeatureDrift['severity'] {
  if (test !== 'psi' || s === null) return undefined;
  return s >= 0.2 ? 'significant' : s >= 0.1 ? 'moderate' : undefined;
}

/**
 * The tests on counts over shared cells, for categorical columns and for discrete or binned numeric ones:
 * Jensen–Shannon and PSI (p-value from chi-square), the two-proportion z-test when `zLabels` names exactly
 * two cells, and chi-square otherwise.
 */
function onCounts(test: TestName, a: ArrayLike<number>, b: ArrayLike<number>, zLabels: string[] | ArrayLike<number> | null): { statistic: number | null; pValue: number | null } {
  if (test === 'jensenshannon') return { statistic: jensenShannon(a, b, 2), pValue: chiOnReferenceCells(a, b) };
  if (test === 'psi') return { statistic: psi(a, b), pValue: chiOnReferenceCells(a, b) };
  const p = test === 'z' && zLabels ? zOnCounts(zLabels, a, b) : chiOnReferenceCells(a, b);
  return { statistic: p, pValue: p };
}

function ksOnBins(refCounts: number[], curCounts: number[], nRef: number, nCur: number): number {
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let i = 0; i < refCounts.length; i++) {
    ca += refCounts[i];
    cb += curCounts[i];
    d = Math.max(d, Math.abs(ca / nRef - cb / nCur));
  }
  return d;
}

/** Drift of one numeric column. */
export function compareNumeric(input: NumericInput, spec: DriftTestSpec | undefined): FeatureDrift {
  const { ref, cur } = input;
  const sk = input.raw ? undefined : input.sketch;
  const fromSketch = sk ? pairedFromSketches(sk.ref, sk.cur) ?? undefined : undefined;
  const exact = input.raw ?? fromSketch ?? (!sk && ref.values && cur.values ? pairValues(ref.values, cur.values) : undefined);
  // a sketch with one value per bin is the exact value counts: of raw data ('raw'), or of a package's training data ('values')
  const basis: FeatureDrift['basis'] = input.raw || (fromSketch && !ref.sketch) ? 'raw' : exact ? 'values' : sk ? 'sketch' : 'bins';
  const distances = basis === 'sketch' ? sketchDistances(sk!.ref, sk!.cur) : null;
  const nValues = exact ? exact.values.length : sk ? Math.max(distinctAtLeast(sk.ref), distinctAtLeast(sk.cur)) : undefined;
  const { test, threshold } = resolveTest('numeric', ref.count, nValues, spec);
  const base = { test, threshold, n_ref: ref.count, n_cur: cur.count, kind: 'numeric' as const, basis };
  if (ref.count === 0 || cur.count === 0) {
    return { ...base, statistic: null, p_value: null, drifted: false, note: `no finite values in the ${ref.count === 0 ? 'reference' : 'current window'}` };
  }
  // a sketch that cannot tell the test (few values) or whose bins overlap: the raw values decide
  if (basis === 'sketch' && (!distances || (nValues !== undefined && nValues <= FEW_VALUES_MAX))) {
    return { ...base, statistic: null, p_value: null, drifted: false, undecided: true };
  }
  const refBins = ref.counts;
  const curBins = exact && basis === 'raw' ? bucketCounts(exact.values, exact.b, ref.edges) : cur.counts;
  const ksP = (d?: number): number => {
    if (exact) return ksTest(exact).pvalue;
    return ksPValue(d ?? distances?.ks.lower ?? ksOnBins(refBins, curBins, ref.count, cur.count), ref.count, cur.count).pvalue;
  };
  // value counts for the category-like tests where the column is discrete (Evidently: ≤ 20 reference values)
  const discrete = exact && exact.values.length <= DISCRETE_LIMIT;
  const [va, vb] = discrete ? [exact.a, exact.b] : [refBins, curBins];
  let statistic: number | null;
  let pValue: number | null;
  let bounds: [number, number] | undefined;
  switch (test) {
    case 'ks':
      statistic = pValue = ksP();
      // a larger D gives a smaller p-value
      if (distances) bounds = [ksP(distances.ks.upper), statistic];
      break;
    case 'wasserstein': {
      if (exact) statistic = normedWassersteinPaired(exact);
      else if (distances) {
        const norm = Math.max(Math.sqrt(ref.m2 / ref.count), WASSERSTEIN_MIN_NORM);
        statistic = distances.wasserstein.lower / norm;
        bounds = [statistic, distances.wasserstein.upper / norm];
      } else {
        const k = ref.edges.length;
        const lo = Math.min(ref.edges[0], cur.min ?? ref.edges[0], ref.min ?? ref.edges[0]);
        const hi = Math.max(ref.edges[k - 1], cur.max ?? ref.edges[k - 1], ref.max ?? ref.edges[k - 1]);
        const points = [lo, ...ref.edges, hi];
        const std = Math.sqrt(ref.m2 / ref.count);
        statistic = wassersteinHistograms(points, refBins, curBins) / Math.max(std, WASSERSTEIN_MIN_NORM);
      }
      pValue = ksP();
      break;
    }
    default:
      ({ statistic, pValue } = onCounts(test, va, vb, nValues !== undefined && nValues <= 2 && exact ? exact.values : null));
  }
  const drifted = decide(test, statistic, threshold);
  const out: FeatureDrift = { ...base, statistic, p_value: pValue, drifted, severity: psiSeverity(test, statistic), ...noCommonCells(statistic) };
  if (bounds) {
    out.bounds = bounds;
    if (decide(test, bounds[0], threshold) !== decide(test, bounds[1], threshold)) out.undecided = true;
  }
  return out;
}

/** Drift of one categorical column (exact: frequencies are complete on both sides). */
export function compareCategorical(ref: CategoricalProfile, cur: CategoricalProfile, spec: DriftTestSpec | undefined): FeatureDrift {
  const keys = [...new Set([...Object.keys(ref.frequencies), ...Object.keys(cur.frequencies)])].sort();
  const a = keys.map((k) => ref.frequencies[k] ?? 0);
  const b = keys.map((k) => cur.frequencies[k] ?? 0);
  const { test, threshold, note } = resolveTest('categorical', ref.count, keys.length, spec);
  const base = { test, threshold, n_ref: ref.count, n_cur: cur.count, kind: 'categorical' as const, basis: 'values' as const, ...(note ? { note } : {}) };
  if (ref.count === 0 || cur.count === 0) {
    return { ...base, statistic: null, p_value: null, drifted: false, note: `no values in the ${ref.count === 0 ? 'reference' : 'current window'}` };
  }
  const { statistic, pValue } = onCounts(test, a, b, keys.length <= 2 ? keys : null);
  return { ...base, statistic, p_value: pValue, drifted: decide(test, statistic, threshold), severity: psiSeverity(test, statistic), ...noCommonCells(statistic, base.note) };
}

export interface MissingDrift {
  ref_rate: number;
  cur_rate: number;
  difference: number;
  threshold: number;
  p_value: number | null;
  drifted: boolean;
}

function missingOf(p: NumericProfile | CategoricalProfile): { missing: number; total: number } {
  const missing = p.nulls + (p.kind === 'numeric' ? p.nans : 0);
  return { missing, total: p.count + missing };
}

/** Missing-rate drift: the share of null/NaN values moved by more than the threshold (absolute). */
export function compareMissing(ref: NumericProfile | CategoricalProfile, cur: NumericProfile | CategoricalProfile, threshold: number): MissingDrift {
  const r = missingOf(ref);
  const c = missingOf(cur);
  const refRate = r.total ? r.missing / r.total : 0;
  const curRate = c.total ? c.missing / c.total : 0;
  const difference = curRate - refRate;
  const p = r.total && c.total ? proportionsZTest(r.missing, r.total, c.missing, c.total).pvalue : null;
  return { ref_rate: refRate, cur_rate: curRate, difference, threshold, p_value: p, drifted: Math.abs(difference) > threshold };
}

export interface UnseenDrift {
  /** up to 10 of the unseen categories, most frequent first, each cut to 200 characters (they come from the window) */
  categories: string[];
  count: number;
  share: number;
  threshold: number;
  drifted: boolean;
}

/**
 * Categories of the current window the reference never saw: of a categorical column, or of a numeric one
 * tested like categories (its exact value frequencies, `values`, as the categories).
 */
export function unseenCategories(ref: Pick<CategoricalProfile, 'frequencies'>, cur: Pick<CategoricalProfile, 'frequencies' | 'count'>, threshold: number): UnseenDrift {
  const unseen = Object.entries(cur.frequencies).filter(([k]) => !(k in ref.frequencies)).sort((x, y) => y[1] - x[1]);
  const count = unseen.reduce((s, [, c]) => s + c, 0);
  const share = cur.count ? count / cur.count : 0;
  return { categories: unseen.slice(0, 10).map(([k]) => clipped(k, 200)), count, share, threshold, drifted: share > threshold };
}

/** Population std of the reference from a profile (numpy's np.std), for reports. */
export function referenceStd(p: NumericProfile, raw?: PairedCounts): number {
  return raw ? stdA(raw) : p.count ? Math.sqrt(p.m2 / p.count) : 0;
}
