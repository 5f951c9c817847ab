/**
 * Pearson's chi-square tests with SciPy's semantics: scipy.stats.chisquare (goodness of fit) and
 * scipy.stats.chi2_contingency (independence, Yates' correction when dof = 1 by default).
 */
import { chi2Sf } from './special.js';

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  dof: number;
}

/** scipy.stats.chisquare(f_obs, f_exp, ddof): the sums must agree (relative 1e-8), as SciPy requires. */
export function chisquare(fObs: ArrayLike<number>, fExp?: ArrayLike<number>, ddof = 0): ChiSquareResult {
  const k = fObs.length;
  if (k === 0) throw new Error('chisquare: no categories');
  let sumObs = 0;
  for (let i = 0; i < k; i++) sumObs += fObs[i];
  const exp = new Float64Array(k);
  if (fExp) {
    if (fExp.length !== k) throw new Error('chisquare: f_obs and f_exp differ in length');
    let sumExp = 0;
    for (let i = 0; i < k; i++) sumExp += fExp[i];
    if (Math.abs(sumObs - sumExp) / Math.min(sumObs, sumExp) > 1e-8) {
      throw new Error(`chisquare: the sums of observed (${sumObs}) and expected (${sumExp}) frequencies must agree`);
    }
    for (let i = 0; i < k; i++) exp[i] = fExp[i];
  } else exp.fill(sumObs / k);
  let stat = 0;
  for (let i = 0; i < k; i++) {
    const d = fObs[i] - exp[i];
    stat += (d * d) / exp[i];
  }
  const dof = k - 1 - ddof;
  return { statistic: stat, pvalue: chi2Sf(stat, dof), dof };
}

/** Expected frequencies of a contingency table under independence (scipy.stats.contingency.expected_freq). */
export function expectedFreq(table: number[][]): number[][] {
  const rows = table.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = table[0].map((_, j) => table.reduce((s, r) => s + r[j], 0));
  const total = rows.reduce((s, v) => s + v, 0);
  return table.map((_, i) => cols.map((c) => (rows[i] * c) / total));
}

/** scipy.stats.chi2_contingency(table, correction) for a 2-D table. */
export function chi2Contingency(table: number[][], correction = true): ChiSquareResult & { expected: number[][] } {
  if (!table.length || !table[0].length) throw new Error('chi2_contingency: empty table');
  const expected = expectedFreq(table);
  for (const r of expected) for (const e of r) if (e === 0) throw new Error('chi2_contingency: a row or column sums to zero');
  const dof = table.length * table[0].length - table.length - table[0].length + 1;
  if (dof === 0) return { statistic: 0, pvalue: 1, dof, expected };
  let stat = 0;
  for (let i = 0; i < table.length; i++) {
    for (let j = 0; j < table[0].length; j++) {
      let d = table[i][j] - expected[i][j];
      if (dof === 1 && correction) {
        // Yates: move each observation 0.5 towards its expectation (never past it)
        const ad = Math.abs(d);
        d = Math.sign(d) * Math.min(0.5, ad);
        d = table[i][j] - expected[i][j] - d;
      }
      stat += (d * d) / expected[i][j];
    }
  }
  return { statistic: stat, pvalue: chi2Sf(stat, dof), dof, expected };
}
