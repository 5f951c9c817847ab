import { describe, expect, it } from 'vitest';
import { drawCounts, pairedBootstrap } from '../../src/evaluate/bootstrap.js';
import { BinaryKernel } from '../../src/evaluate/binary.js';
import { BINARY_METRICS, REGRESSION_METRICS } from '../../src/evaluate/kernel.js';
import { percentile } from '../../src/evaluate/percentile.js';
import { Prng } from '../../src/evaluate/prng.js';
import { RegressionKernel } from '../../src/evaluate/regression.js';

function binaryData(n: number, seed: number, noise: number) {
  const rng = new Prng(seed);
  const y = new Uint8Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = rng.nextDouble();
    y[i] = rng.nextDouble() < x ? 1 : 0;
    a[i] = Math.min(1, Math.max(0, x + (rng.nextDouble() - 0.5) * noise));
    b[i] = Math.min(1, Math.max(0, x + (rng.nextDouble() - 0.5) * noise * 3));
  }
  return { y, a, b };
}

describe('PRNG and percentiles', () => {
  it('the PRNG is deterministic per seed and uniform enough', async () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
    const counts = new Array(10).fill(0);
    const r = new Prng(1);
    for (let i = 0; i < 100_000; i++) counts[r.nextInt(10)]++;
    for (const k of counts) expect(Math.abs(k - 10_000)).toBeLessThan(500);
  });

  it('percentiles interpolate linearly like numpy', async () => {
    // numpy.percentile([1, 2, 3, 4, 10], [0, 2.5, 50, 97.5, 100]) = [1, 1.1, 3, 9.4, 10]
    const v = [10, 2, 4, 1, 3];
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 2.5)).toBeCloseTo(1.1, 12);
    expect(percentile(v, 50)).toBe(3);
    expect(percentile(v, 97.5)).toBeCloseTo(9.4, 12);
    expect(percentile(v, 100)).toBe(10);
  });
});

describe('paired bootstrap', () => {
  const { y, a, b } = binaryData(3000, 5, 0.6);
  const cand = new BinaryKernel(y, a, 0.5);
  const champ = new BinaryKernel(y, b, 0.5);

  it('is seeded: the same seed gives the same intervals, another seed different ones', async () => {
    const r1 = await pairedBootstrap(cand, champ, BINARY_METRICS, { samples: 60, seed: 3, confidence: 0.95 });
    const r2 = await pairedBootstrap(cand, champ, BINARY_METRICS, { samples: 60, seed: 3, confidence: 0.95 });
    const r3 = await pairedBootstrap(cand, champ, BINARY_METRICS, { samples: 60, seed: 4, confidence: 0.95 });
    expect(r2).toEqual(r1);
    expect(r3.roc_auc.ci_low).not.toBe(r1.roc_auc.ci_low);
  });

  it('worker threads share the models and give exactly the in-thread result', async () => {
    const one = await pairedBootstrap(cand, champ, BINARY_METRICS, { samples: 12, seed: 5, confidence: 0.9, threads: 1 });
    const progress: number[] = [];
    const three = await pairedBootstrap(cand, champ, BINARY_METRICS, { samples: 12, seed: 5, confidence: 0.9, threads: 3, onReplicate: (d) => progress.push(d) });
    expect(three).toEqual(one);
    expect(progress).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const { y: ry, a: ra, b: rb } = binaryData(400, 8, 0.5);
    const reg = [new RegressionKernel(Float64Array.from(ry), ra), new RegressionKernel(Float64Array.from(ry), rb)];
    expect(await pairedBootstrap(reg[0], reg[1], REGRESSION_METRICS, { samples: 6, seed: 2, confidence: 0.9, threads: 2 })).toEqual(await pairedBootstrap(reg[0], reg[1], REGRESSION_METRICS, { samples: 6, seed: 2, confidence: 0.9, threads: 1 }));
  });

  it('reports the full-data delta with a CI around it, per metric, with its direction', async () => {
    const r = await pairedBootstrap(cand, champ, BINARY_METRICS, { samples: 100, seed: 1, confidence: 0.9 });
    const full = { a: cand.metrics(null), b: champ.metrics(null) };
    expect(Object.keys(r).sort()).toEqual(BINARY_METRICS.map((m) => m.name).sort());
    for (const [m, d] of Object.entries(r)) {
      expect(d.value).toBeCloseTo((full.a[m] as number) - (full.b[m] as number), 12);
      expect(d.ci_low).toBeLessThanOrEqual(d.ci_high);
      expect(d.replicates).toBe(100);
    }
    // the less noisy candidate is clearly better on AUC and log loss
    expect(r.roc_auc.ci_low).toBeGreaterThan(0);
    expect(r.log_loss.ci_high).toBeLessThan(0);
    expect(r.log_loss.higher_is_better).toBe(false);
  });

  it('pairs the resamples: a model against itself has a zero-width interval at 0', async () => {
    const r = await pairedBootstrap(cand, new BinaryKernel(y, a, 0.5), BINARY_METRICS, { samples: 30, seed: 9, confidence: 0.95 });
    for (const d of Object.values(r)) expect([d.value, d.ci_low, d.ci_high]).toEqual([0, 0, 0]);
  });

  it('the interval covers the truth at about the stated rate (regression, 60 repetitions)', async () => {
    // two models whose true MAE differs by exactly 0: errors drawn from the same distribution
    let covered = 0;
    for (let rep = 0; rep < 60; rep++) {
      const rng = new Prng(1000 + rep);
      const n = 300;
      const yt = new Float64Array(n);
      const p1 = new Float64Array(n);
      const p2 = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        yt[i] = rng.nextDouble() * 10;
        p1[i] = yt[i] + rng.nextDouble() - 0.5;
        p2[i] = yt[i] + rng.nextDouble() - 0.5;
      }
      const r = await pairedBootstrap(new RegressionKernel(yt, p1), new RegressionKernel(yt, p2), REGRESSION_METRICS, { samples: 100, seed: rep, confidence: 0.9 });
      if (r.mae.ci_low <= 0 && r.mae.ci_high >= 0) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(45); // nominal 90%: 54 expected
  });

  it('draws n rows as per-row counts, moving to 32-bit counts if a row is drawn more than 255 times', async () => {
    const c = drawCounts(new Prng(3), 1000, new Uint8Array(1000));
    expect(c).toBeInstanceOf(Uint8Array);
    expect(Array.from(c).reduce((a, b) => a + b, 0)).toBe(1000);
    let i = 0;
    const skewed = { nextInt: () => (i++ % 2 === 0 ? 0 : 1) } as unknown as Prng; // rows 0 and 1 get 300 draws each
    const big = drawCounts(skewed, 600, new Uint8Array(600));
    expect(big).toBeInstanceOf(Uint32Array);
    expect([big[0], big[1], Array.from(big).reduce((a, b) => a + b, 0)]).toEqual([300, 300, 600]);
  });

  it('metrics undefined on either model have no delta', async () => {
    const y1 = new Uint8Array(50); // one class: roc_auc and average_precision undefined
    const p = Float64Array.from({ length: 50 }, (_, i) => i / 50);
    const r = await pairedBootstrap(new BinaryKernel(y1, p, 0.5), new BinaryKernel(y1, p, 0.5), BINARY_METRICS, { samples: 5, seed: 1, confidence: 0.95 });
    expect(r.roc_auc).toBeUndefined();
    expect(r.average_precision).toBeUndefined();
    expect(r.brier).toBeDefined();
  });
});

describe('score ordering and calibration bins', () => {
  it('sorts any doubles highest first (negatives, −0 = +0, ties marked as runs)', async () => {
    const { sortDescending } = await import('../../src/evaluate/ranking.js');
    const s = Float64Array.from([0.5, -1, 3, -0, 0, 0.5, -2.5, 1e-300, -1e-300, 3]);
    const { order, runEnd } = sortDescending(s);
    expect(Array.from(order, (i) => s[i])).toEqual([3, 3, 0.5, 0.5, 1e-300, -0, 0, -1e-300, -1, -2.5]);
    expect(Array.from(runEnd)).toEqual([0, 1, 0, 1, 1, 0, 1, 1, 1, 1]);
  });

  it('calibration bins follow numpy.searchsorted on linspace edges (a value on an edge goes to the lower bin)', async () => {
    const { calibrationBin } = await import('../../src/evaluate/binary.js');
    expect([0, 0.05, 0.1, 0.1000001, 0.3, 0.30000000000000004, 0.7, 0.9, 0.95, 1].map((p) => calibrationBin(p))).toEqual([0, 0, 0, 1, 2, 2, 6, 8, 9, 9]);
  });
});

describe('ROC curve for charts', () => {
  it('starts at (0, 0), ends at (1, 1), is monotone and has at most 101 points', () => {
    const n = 5000;
    const rng = new Prng(4);
    const y = Uint8Array.from({ length: n }, () => (rng.nextDouble() < 0.3 ? 1 : 0));
    const p = Float64Array.from(y, (v) => Math.min(1, Math.max(0, 0.3 * v + rng.nextDouble() * 0.7)));
    const curve = new BinaryKernel(y, p, 0.5).full().extras.roc_curve!;
    expect(curve.fpr.length).toBeLessThanOrEqual(101);
    expect(curve.fpr.length).toBeGreaterThan(90);
    expect([curve.fpr[0], curve.tpr[0]]).toEqual([0, 0]);
    expect([curve.fpr.at(-1), curve.tpr.at(-1)]).toEqual([1, 1]);
    for (let i = 1; i < curve.fpr.length; i++) {
      expect(curve.fpr[i]).toBeGreaterThanOrEqual(curve.fpr[i - 1]);
      expect(curve.tpr[i]).toBeGreaterThanOrEqual(curve.tpr[i - 1]);
    }
    const small = new BinaryKernel(Uint8Array.from([0, 1, 0, 1]), Float64Array.from([0.1, 0.9, 0.5, 0.5]), 0.5).full().extras.roc_curve!;
    expect(small).toEqual({ fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1] });
  });
});
