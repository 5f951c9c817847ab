import type { MetricKernel, MetricValues, Weights } from './kernel.js';
import { RankingSums, sortDescending } from './ranking.js';

/**
 * Binary classification metrics with scikit-learn's definitions (checked against sklearn 1.2.1 by
 * test/evaluate/golden.test.ts):
 * - roc_auc, average_precision: see ranking.ts (ties as sklearn; AP step-wise, not trapezoid).
 *   Rows are kept in score order, so every metric (and every bootstrap replicate) is one pass.
 * - log_loss: probabilities clipped to [eps, 1 − eps] with eps = 2.220446049250313e-16, the float64
 *   machine epsilon that sklearn's eps="auto" picks for float64 input; then the row [1 − p, p] is
 *   renormalised by its sum, exactly as sklearn does.
 * - brier: mean (y − p)².
 * - accuracy, precision, recall, f1 at the threshold: a row is predicted positive when p ≥ threshold.
 *   Zero division gives null, not sklearn's default 0: precision is null when nothing is predicted
 *   positive, recall when there is no positive, f1 = 2tp / (2tp + fp + fn) when that denominator is 0.
 *   Otherwise the values equal sklearn's.
 * - ece: expected calibration error over sklearn.calibration.calibration_curve's bins
 *   (strategy="uniform", n_bins=10: edges i/10, a value on an inner edge goes to the lower bin):
 *   Σ_b (n_b / n)·|fraction_positive_b − mean_predicted_b|.
 */
export const LOG_LOSS_EPS = 2.220446049250313e-16;
export const CALIBRATION_BINS = 10;

export interface BinaryExtras {
  confusion_matrix: number[][];
  calibration: { ece: number; bins: { lower: number; upper: number; count: number; mean_predicted: number | null; fraction_positive: number | null }[] };
  roc_curve?: { fpr: number[]; tpr: number[] };
}

/** Per-row log loss with sklearn's clipping and renormalisation. */
export function binaryLogLossTerm(y: number, p: number): number {
  const c = p < LOG_LOSS_EPS ? LOG_LOSS_EPS : p > 1 - LOG_LOSS_EPS ? 1 - LOG_LOSS_EPS : p;
  const q = 1 - c;
  const s = q + c;
  return -Math.log((y ? c : q) / s);
}

/** Calibration bin of a probability, as np.searchsorted(linspace(0, 1, n+1)[1:-1], p) (side="left"). */
export function calibrationBin(p: number, nBins = CALIBRATION_BINS): number {
  const step = 1 / nBins;
  // a first guess, then corrected against the edges i·step exactly as numpy.linspace computes them
  let b = Math.min(nBins - 1, Math.max(0, Math.ceil(p * nBins) - 1));
  while (b > 0 && b * step >= p) b--;
  while (b < nBins - 1 && (b + 1) * step < p) b++;
  return b;
}

export class BinaryKernel implements MetricKernel {
  readonly rows: number;
  /** row indices by score, highest first, and the ends of runs of ties (ranking.ts) */
  private readonly order: Uint32Array;
  private readonly runEnd: Uint8Array;
  // per-row values, stored in score order so that a pass reads them sequentially
  private readonly sFlags: Uint8Array; // bit 0: y, bit 1: predicted positive, bits 2..: calibration bin
  private readonly sP: Float64Array;
  private readonly sLL: Float64Array;
  private readonly sSq: Float64Array;
  private readonly pred: Uint8Array;
  /** number of runs of tied scores (distinct scores) */
  private readonly runs: number;

  constructor(y: Uint8Array, p: Float64Array, readonly threshold: number) {
    if (y.length !== p.length) throw new Error(`labels (${y.length}) and scores (${p.length}) differ in length`);
    const n = y.length;
    this.rows = n;
    const { order, runEnd } = sortDescending(p);
    this.order = order;
    this.runEnd = runEnd;
    this.sFlags = new Uint8Array(n);
    this.sP = new Float64Array(n);
    this.sLL = new Float64Array(n);
    this.sSq = new Float64Array(n);
    this.pred = new Uint8Array(n);
    let runs = 0;
    for (let k = 0; k < n; k++) runs += runEnd[k];
    this.runs = runs;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const pi = p[i];
      const yi = y[i] ? 1 : 0;
      const pr = pi >= threshold ? 1 : 0;
      this.pred[i] = pr;
      this.sFlags[k] = yi | (pr << 1) | (calibrationBin(pi) << 2);
      this.sP[k] = pi;
      this.sLL[k] = binaryLogLossTerm(yi, pi);
      this.sSq[k] = (yi - pi) * (yi - pi);
    }
  }

  /** the thresholded predictions (1 = positive), in row order */
  predictions(): Uint8Array {
    return this.pred;
  }

  metrics(weights: Weights): MetricValues {
    return this.compute(weights).metrics;
  }

  /** the metrics plus confusion matrix, calibration bins and the ROC curve (for the report) */
  full(): { metrics: MetricValues; extras: BinaryExtras } {
    const r = this.compute(null, true);
    return { metrics: r.metrics, extras: r.extras! };
  }

  /** ROC AUC per group in one pass in score order (runs of ties are split by group as they close). */
  groupMetric(index: Int32Array, groups: number): (number | null)[] {
    const { order, runEnd, sFlags } = this;
    const tps = new Float64Array(groups);
    const fps = new Float64Array(groups);
    const area = new Float64Array(groups);
    const runPos = new Float64Array(groups);
    const runNeg = new Float64Array(groups);
    const touched = new Int32Array(groups);
    let nTouched = 0;
    for (let k = 0; k < this.rows; k++) {
      const g = index[order[k]];
      if (runPos[g] === 0 && runNeg[g] === 0) touched[nTouched++] = g;
      if (sFlags[k] & 1) runPos[g]++;
      else runNeg[g]++;
      if (runEnd[k]) {
        for (let t = 0; t < nTouched; t++) {
          const h = touched[t];
          area[h] += runNeg[h] * (tps[h] + runPos[h] / 2);
          tps[h] += runPos[h];
          fps[h] += runNeg[h];
          runPos[h] = 0;
          runNeg[h] = 0;
        }
        nTouched = 0;
      }
    }
    return Array.from(area, (a, g) => (tps[g] === 0 || fps[g] === 0 ? null : a / tps[g] / fps[g]));
  }

  /** One pass over the rows in score order: every metric at once. */
  private compute(weights: Weights, extras = false): { metrics: MetricValues; extras?: BinaryExtras } {
    const { order, runEnd, sFlags, sP, sLL, sSq } = this;
    const n = this.rows;
    const sums = new RankingSums(extras, extras ? this.runs : 0);
    let W = 0;
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    let llSum = 0;
    let sqSum = 0;
    let runPos = 0;
    let runNeg = 0;
    const bCount = new Float64Array(CALIBRATION_BINS);
    const bProb = new Float64Array(CALIBRATION_BINS);
    const bTrue = new Float64Array(CALIBRATION_BINS);
    for (let k = 0; k < n; k++) {
      const w = weights === null ? 1 : weights[order[k]];
      if (w !== 0) {
        const f = sFlags[k];
        const yi = f & 1;
        W += w;
        if (yi) runPos += w;
        else runNeg += w;
        if (f & 2) {
          if (yi) tp += w;
          else fp += w;
        } else if (yi) fn += w;
        else tn += w;
        llSum += w * sLL[k];
        sqSum += w * sSq[k];
        const b = f >>> 2;
        bCount[b] += w;
        bProb[b] += w * sP[k];
        if (yi) bTrue[b] += w;
      }
      if (runEnd[k]) {
        sums.run(runPos, runNeg);
        runPos = 0;
        runNeg = 0;
      }
    }
    let ece = 0;
    for (let b = 0; b < CALIBRATION_BINS; b++) if (bCount[b] > 0) ece += (bCount[b] / W) * Math.abs(bTrue[b] / bCount[b] - bProb[b] / bCount[b]);
    const div = (a: number, b: number) => (b === 0 ? null : a / b);
    const metrics: MetricValues = {
      roc_auc: sums.rocAuc(),
      average_precision: sums.averagePrecision(),
      log_loss: div(llSum, W),
      brier: div(sqSum, W),
      accuracy: div(tp + tn, W),
      precision: div(tp, tp + fp),
      recall: div(tp, tp + fn),
      f1: div(2 * tp, 2 * tp + fp + fn),
      ece: W === 0 ? null : ece,
    };
    if (!extras) return { metrics };
    const bins = [];
    for (let b = 0; b < CALIBRATION_BINS; b++) {
      bins.push({
        lower: b / CALIBRATION_BINS,
        upper: (b + 1) / CALIBRATION_BINS,
        count: bCount[b],
        mean_predicted: div(bProb[b], bCount[b]),
        fraction_positive: div(bTrue[b], bCount[b]),
      });
    }
    const curve = sums.rocCurve();
    return {
      metrics,
      extras: {
        confusion_matrix: [
          [tn, fp],
          [fn, tp],
        ],
        calibration: { ece: metrics.ece ?? 0, bins },
        ...(curve ? { roc_curve: curve } : {}),
      },
    };
  }
}
