/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, with scipy.stats.ks_2samp's default method='auto':
 * the exact p-value when both samples have at most 10,000 values, the asymptotic one (kstwo with
 * n = round(n1·n2/(n1+n2))) otherwise.
 */
import { kolmognSf } from './kolmogorov.js';
import { pairSamples, type PairedCounts } from './samples.js';

export const KS_MAX_EXACT_N = 10000;

export interface KsResult {
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymp';
}

/** D = sup |F_a − F_b| over the pooled values, computed exactly as SciPy does (counts / n). */
export function ksStatistic(p: PairedCounts): number {
  let ca = 0;
  let cb = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  for (let i = 0; i < p.values.length; i++) {
    ca += p.a[i];
    cb += p.b[i];
    const diff = ca / p.na - cb / p.nb;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const negMin = Math.min(1, Math.max(0, -minS));
  return negMin > maxS ? negMin : maxS;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Round half to even, as numpy's np.round. */
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Pr(D_{n,n} ≥ h/n), SciPy's `_compute_prob_outside_square`. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k--;
  }
  return 2 * P;
}

/** 1 − (proportion of lattice paths staying strictly inside |x/m − y/n| < h/lcm), SciPy's inside method. */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) for (let q = maxj - minj; q < maxj - minj + (lastlen - curlen) && q < lenA; q++) A[q] = 1;
  }
  return A[maxj - minj - 1];
}

/** The p-value of a two-sided two-sample KS statistic d for sample sizes n1, n2 (method 'auto'). */
export function ksPValue(d: number, n1: number, n2: number): { pvalue: number; statistic: number; method: 'exact' | 'asymp' } {
  if (n1 <= 0 || n2 <= 0) throw new Error('ks: both samples must be non-empty');
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundEven(d * lcm);
    const dd = h / lcm;
    if (h === 0) return { pvalue: 1, statistic: dd, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
    if (Number.isFinite(prob) && prob >= 0 && prob <= 1) return { pvalue: prob, statistic: dd, method: 'exact' };
    d = dd;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return { pvalue: Math.min(1, Math.max(0, kolmognSf(roundEven(en), d))), statistic: d, method: 'asymp' };
}

/** scipy.stats.ks_2samp(a, b) on paired counts. */
export function ksTest(p: PairedCounts): KsResult {
  const d = ksStatistic(p);
  const r = ksPValue(d, p.na, p.nb);
  return { statistic: r.statistic, pvalue: r.pvalue, method: r.method };
}

/** scipy.stats.ks_2samp(a, b) on raw samples (non-finite values must be removed first). */
export function ks2samp(a: Float64Array | number[], b: Float64Array | number[]): KsResult {
  return ksTest(pairSamples(a, b));
}
