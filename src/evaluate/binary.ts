import type { MetricKernel, MetricValues, Weights } from './kernel.js';
import { averagePrecisionFromCounts, rankScores, rocAucFromCounts, rocCurveFromCounts, thresholdCounts, type RankIndex, type ThresholdCounts } from './ranking.js';

/**
 * Binary classification metrics with scikit-learn's definitions (checked against sklearn 1.2.1 by
 * test/evaluate/golden.test.ts):
 * - roc_auc, average_precision: see ranking.ts (ties as sklearn; AP step-wise, not trapezoid).
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
  let b = 0;
  // edges are i·step, as numpy.linspace computes them
  while (b < nBins - 1 && (b + 1) * step < p) b++;
  return b;
}

export class BinaryKernel implements MetricKernel {
  readonly rows: number;
  private readonly idx: RankIndex;
  private readonly pred: Uint8Array;
  private readonly ll: Float64Array;
  private readonly sq: Float64Array;
  private readonly bin: Uint8Array;
  private counts?: ThresholdCounts;

  constructor(
    private readonly y: Uint8Array,
    private readonly p: Float64Array,
    readonly threshold: number,
  ) {
    if (y.length !== p.length) throw new Error(`labels (${y.length}) and scores (${p.length}) differ in length`);
    this.rows = y.length;
    this.idx = rankScores(p);
    const n = y.length;
    this.pred = new Uint8Array(n);
    this.ll = new Float64Array(n);
    this.sq = new Float64Array(n);
    this.bin = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const pi = p[i];
      const yi = y[i];
      this.pred[i] = pi >= threshold ? 1 : 0;
      this.ll[i] = binaryLogLossTerm(yi, pi);
      this.sq[i] = (yi - pi) * (yi - pi);
      this.bin[i] = calibrationBin(pi);
    }
  }

  /** the thresholded predictions (1 = positive) */
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

  private compute(weights: Weights, extras = false): { metrics: MetricValues; extras?: BinaryExtras } {
    const { y, p, pred, ll, sq, bin } = this;
    const n = this.rows;
    let W = 0;
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    let llSum = 0;
    let sqSum = 0;
    const bCount = new Float64Array(CALIBRATION_BINS);
    const bProb = new Float64Array(CALIBRATION_BINS);
    const bTrue = new Float64Array(CALIBRATION_BINS);
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      if (w === 0) continue;
      W += w;
      const yi = y[i];
      if (pred[i]) {
        if (yi) tp += w;
        else fp += w;
      } else if (yi) fn += w;
      else tn += w;
      llSum += w * ll[i];
      sqSum += w * sq[i];
      const b = bin[i];
      bCount[b] += w;
      bProb[b] += w * p[i];
      if (yi) bTrue[b] += w;
    }
    this.counts = thresholdCounts(y, this.idx, weights, this.counts);
    let ece = 0;
    for (let b = 0; b < CALIBRATION_BINS; b++) if (bCount[b] > 0) ece += (bCount[b] / W) * Math.abs(bTrue[b] / bCount[b] - bProb[b] / bCount[b]);
    const div = (a: number, b: number) => (b === 0 ? null : a / b);
    const metrics: MetricValues = {
      roc_auc: rocAucFromCounts(this.counts),
      average_precision: averagePrecisionFromCounts(this.counts),
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
    const curve = rocCurveFromCounts(this.counts);
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
