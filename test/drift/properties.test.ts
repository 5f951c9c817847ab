import { describe, expect, it } from 'vitest';
import { assessFeatures, featuresDrifted, type ColumnPair } from '../../src/drift/assess.js';
import { profileCategories, profileNumbers } from '../../src/drift/profile-values.js';
import { pairSorted } from '../../src/drift/stats/samples.js';
import { xorshiftUniforms } from './golden-data.js';

/**
 * Statistical properties of the default drift decision (pure functions on Float64Arrays, no DuckDB):
 * 200 resamples of 10,000 reference vs 10,000 current rows, 5 numeric and 2 categorical features.
 */
const N = 10_000;
const RESAMPLES = 200;
const CATS = ['a', 'b', 'c', 'd'];
const CAT_P = [0.4, 0.3, 0.2, 0.1];

function normals(seed: number, n: number, shift: number): Float64Array {
  const u = xorshiftUniforms(seed, 2 * n);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = Math.sqrt(-2 * Math.log(u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]) + shift;
  return z;
}

function categories(seed: number, n: number): string[] {
  const u = xorshiftUniforms(seed, n);
  return Array.from(u, (v) => {
    let acc = 0;
    for (let k = 0; k < CATS.length; k++) if (v < (acc += CAT_P[k])) return CATS[k];
    return CATS[CATS.length - 1];
  });
}

function window(r: number, shiftFeature0: number): Record<string, ColumnPair> {
  const cols: Record<string, ColumnPair> = {};
  for (let f = 0; f < 5; f++) {
    const ref = normals(1 + r * 1000 + f * 10, N, 0).sort();
    const cur = normals(2 + r * 1000 + f * 10, N, f === 0 ? shiftFeature0 : 0).sort();
    const refProfile = profileNumbers(ref, { sorted: true });
    cols[`x${f}`] = { ref: refProfile, cur: profileNumbers(cur, { edges: refProfile.edges, sorted: true }), raw: pairSorted(ref, cur) };
  }
  for (let f = 0; f < 2; f++) {
    cols[`c${f}`] = { ref: profileCategories(categories(5 + r * 1000 + f * 10, N)), cur: profileCategories(categories(6 + r * 1000 + f * 10, N)) };
  }
  return cols;
}

describe('drift decision: statistical properties', () => {
  it('uses the large-sample tests at n = 10,000 (normed Wasserstein, Jensen–Shannon)', () => {
    const a = assessFeatures(window(0, 0));
    expect(a.features.x0.test).toBe('wasserstein');
    expect(a.features.c0.test).toBe('jensenshannon');
    expect(a.features.x0.basis).toBe('raw');
  });

  it('false-alarm rate ≤ 2% over 200 resamples without drift', () => {
    let alarms = 0;
    for (let r = 0; r < RESAMPLES; r++) if (featuresDrifted(assessFeatures(window(r, 0)))) alarms++;
    expect(alarms / RESAMPLES).toBeLessThanOrEqual(0.02);
  });

  it('a 0.2σ mean shift in one feature is detected in ≥ 99% of 200 resamples, on that feature', () => {
    let detected = 0;
    let others = 0;
    for (let r = 0; r < RESAMPLES; r++) {
      const a = assessFeatures(window(r, 0.2));
      if (a.features.x0.drifted && featuresDrifted(a)) detected++;
      others += a.drifted_features.filter((f) => f !== 'x0').length;
    }
    expect(detected / RESAMPLES).toBeGreaterThanOrEqual(0.99);
    expect(others).toBeLessThanOrEqual(0.02 * RESAMPLES);
  });

  it('a 0.05σ shift (well inside the 0.1 threshold) is not called drift', () => {
    let alarms = 0;
    for (let r = 0; r < 20; r++) if (assessFeatures(window(r, 0.05)).features.x0.drifted) alarms++;
    expect(alarms).toBe(0);
  });
});
