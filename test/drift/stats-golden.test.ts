import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chi2Contingency, chisquare } from '../../src/drift/stats/chisquare.js';
import { compareCategorical } from '../../src/drift/compare.js';
import type { CategoricalProfile } from '../../src/drift/profile.js';
import { jensenShannon } from '../../src/drift/stats/jensenshannon.js';
import { psi } from '../../src/drift/stats/psi.js';
import { ks2samp } from '../../src/drift/stats/ks.js';
import { kolmognSf } from '../../src/drift/stats/kolmogorov.js';
import { chi2Sf, gammainc, gammaincc, normalSf } from '../../src/drift/stats/special.js';
import { normedWassersteinPaired, wassersteinDistance } from '../../src/drift/stats/wasserstein.js';
import { pairSamples } from '../../src/drift/stats/samples.js';
import { values, type SampleSpec } from './golden-data.js';

/** Golden values from SciPy (test/fixtures/drift/make_golden.py). */
const golden = JSON.parse(readFileSync(new URL('../fixtures/drift/golden.json', import.meta.url), 'utf8'));

/** 1e-9 relative; values below 1e-12 (p-values near 0) compared by absolute tolerance. */
function close(actual: number, expected: number, what: string): void {
  if (expected === actual) return;
  const ok = Math.abs(expected) < 1e-12 ? Math.abs(actual - expected) <= 1e-14 : Math.abs(actual - expected) <= 1e-9 * Math.abs(expected);
  expect(ok, `${what}: expected ${expected}, got ${actual} (rel ${Math.abs(actual - expected) / Math.abs(expected)})`).toBe(true);
}

type Sample = number[] | { spec: SampleSpec };

describe('drift statistics match SciPy', () => {
  it('ks_2samp (exact and asymptotic, ties, tiny and constant samples)', () => {
    for (const c of golden.ks_2samp as { name: string; a: Sample; b: Sample; statistic: number; pvalue: number }[]) {
      const r = ks2samp(values(c.a), values(c.b));
      close(r.statistic, c.statistic, `${c.name} statistic`);
      close(r.pvalue, c.pvalue, `${c.name} pvalue`);
    }
  });

  it('kstwo.sf, every branch of the one-sample distribution', () => {
    for (const c of golden.kstwo_sf as { n: number; x: number; sf: number }[]) close(kolmognSf(c.n, c.x), c.sf, `kstwo.sf(${c.x}, ${c.n})`);
  });

  it('chisquare', () => {
    for (const c of golden.chisquare as { name: string; obs: number[]; exp: number[] | null; statistic: number; pvalue: number }[]) {
      const r = chisquare(c.obs, c.exp ?? undefined);
      close(r.statistic, c.statistic, `${c.name} statistic`);
      close(r.pvalue, c.pvalue, `${c.name} pvalue`);
    }
  });

  it('chi2_contingency (with and without Yates)', () => {
    for (const c of golden.chi2_contingency as { name: string; table: number[][]; correction: boolean; statistic: number; pvalue: number; dof: number }[]) {
      const r = chi2Contingency(c.table, c.correction);
      close(r.statistic, c.statistic, `${c.name} statistic`);
      close(r.pvalue, c.pvalue, `${c.name} pvalue`);
      expect(r.dof).toBe(c.dof);
    }
  });

  it('chi2.sf, gammainc and gammaincc, norm.sf', () => {
    for (const c of golden.chi2_sf as { x: number; df: number; sf: number }[]) close(chi2Sf(c.x, c.df), c.sf, `chi2.sf(${c.x}, ${c.df})`);
    for (const c of golden.gammainc as { a: number; x: number; p: number; q: number }[]) {
      close(gammainc(c.a, c.x), c.p, `gammainc(${c.a}, ${c.x})`);
      close(gammaincc(c.a, c.x), c.q, `gammaincc(${c.a}, ${c.x})`);
    }
    for (const c of golden.norm_sf as { z: number; sf: number }[]) close(normalSf(c.z), c.sf, `norm.sf(${c.z})`);
  });

  it('wasserstein_distance and the normed version', () => {
    for (const c of golden.wasserstein_distance as { name: string; a: number[]; b: number[]; distance: number; normed: number }[]) {
      close(wassersteinDistance(c.a, c.b), c.distance, `${c.name} distance`);
      close(normedWassersteinPaired(pairSamples(c.a, c.b)), c.normed, `${c.name} normed`);
    }
  });

  it('jensenshannon base 2', () => {
    for (const c of golden.jensenshannon as { name: string; p: number[]; q: number[]; distance: number }[]) close(jensenShannon(c.p, c.q, 2), c.distance, c.name);
  });
});

interface CountsCase {
  name: string;
  ref: number[];
  cur: number[];
  jensenshannon_base2: number;
  jensenshannon_base_e: number;
  psi: number;
  chisquare_reference_cells: number | null;
  z?: number;
}

/** A categorical profile of value counts (categories c0, c1, … in sorted order). */
function categorical(counts: number[]): CategoricalProfile {
  const frequencies: Record<string, number> = {};
  counts.forEach((n, i) => {
    if (n > 0) frequencies[`c${i}`] = n;
  });
  return { kind: 'categorical', count: counts.reduce((a, b) => a + b, 0), nulls: 0, frequencies };
}

describe('drift tests on value counts, edge cases, match SciPy and Evidently', () => {
  const cases = golden.counts as CountsCase[];

  it('Jensen–Shannon: base 2 as reported; Evidently (base e) reads the same distance × √ln 2', () => {
    for (const c of cases) {
      close(jensenShannon(c.ref, c.cur, 2), c.jensenshannon_base2, `${c.name} base 2`);
      close(jensenShannon(c.ref, c.cur, Math.E), c.jensenshannon_base_e, `${c.name} base e`);
      close(c.jensenshannon_base2 * Math.sqrt(Math.LN2), c.jensenshannon_base_e, `${c.name} base 2 → e`);
    }
  });

  it("PSI as Evidently fills empty buckets, through a categorical column's comparison", () => {
    for (const c of cases) {
      close(psi(c.ref, c.cur), c.psi, c.name);
      const f = compareCategorical(categorical(c.ref), categorical(c.cur), { test: 'psi' });
      close(f.statistic!, c.psi, `${c.name} (compareCategorical)`);
    }
  });

  it('chi-square over the reference categories, and the z-test for two values, through the comparison', () => {
    for (const c of cases) {
      const chi = compareCategorical(categorical(c.ref), categorical(c.cur), { test: 'chisquare' });
      if (c.chisquare_reference_cells === null) expect(chi.statistic, c.name).toBeNull();
      else close(chi.statistic!, c.chisquare_reference_cells, `${c.name} chisquare`);
      if (c.z !== undefined) {
        // two categories on the union: both sides must name both, so a side without one holds it at 0
        const z = compareCategorical(categorical(c.ref), categorical(c.cur), { test: 'z' });
        close(z.statistic!, c.z, `${c.name} z`);
      }
    }
  });
});
