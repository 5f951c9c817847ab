/**
 * Ranking metrics (ROC AUC, average precision, the ROC curve) computed from per-threshold counts.
 *
 * The scores are ranked once (`rankScores`): the distinct values in ascending order, and for each row
 * the index of its value among them. After that, the weighted positive and negative counts at every
 * distinct threshold take one pass over the rows (`thresholdCounts`), with no sort. This is what makes
 * a paired bootstrap over a million rows feasible: a resample is a vector of integer weights (how many
 * times each row was drawn), and a metric on the weighted rows equals the metric on the resample.
 *
 * Ties are handled as scikit-learn does: all rows sharing a score form one threshold, so the ROC
 * curve moves diagonally across them (a tied positive/negative pair counts one half).
 */
export interface RankIndex {
  /** distinct scores, ascending */
  distinct: Float64Array;
  /** per row, the index of its score in `distinct` */
  rank: Uint32Array;
}

export function rankScores(scores: Float64Array): RankIndex {
  const sorted = Float64Array.from(scores);
  sorted.sort();
  let d = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[d - 1]) sorted[d++] = sorted[i];
  }
  const distinct = sorted.slice(0, d);
  const rank = new Uint32Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    let lo = 0;
    let hi = d - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (distinct[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    rank[i] = lo;
  }
  return { distinct, rank };
}

/** Weighted positives and negatives per distinct score (buffers are reused when given). */
export interface ThresholdCounts {
  pos: Float64Array;
  neg: Float64Array;
  /** totals */
  P: number;
  N: number;
}

export function thresholdCounts(y: Uint8Array, idx: RankIndex, weights: Uint32Array | null, into?: ThresholdCounts): ThresholdCounts {
  const d = idx.distinct.length;
  const pos = into?.pos ?? new Float64Array(d);
  const neg = into?.neg ?? new Float64Array(d);
  pos.fill(0);
  neg.fill(0);
  const rank = idx.rank;
  if (weights) {
    for (let i = 0; i < y.length; i++) {
      const w = weights[i];
      if (w === 0) continue;
      if (y[i]) pos[rank[i]] += w;
      else neg[rank[i]] += w;
    }
  } else {
    for (let i = 0; i < y.length; i++) {
      if (y[i]) pos[rank[i]]++;
      else neg[rank[i]]++;
    }
  }
  let P = 0;
  let N = 0;
  for (let k = 0; k < d; k++) {
    P += pos[k];
    N += neg[k];
  }
  return { pos, neg, P, N };
}

/**
 * ROC AUC (sklearn.metrics.roc_auc_score for binary y): the area under the ROC curve drawn through the
 * distinct thresholds. Summed in counts: Σ_k neg_k·(positives ranked strictly above + pos_k/2) / (P·N),
 * which is exact for integer weights. null when y has a single class (sklearn raises there).
 */
export function rocAucFromCounts(c: ThresholdCounts): number | null {
  if (c.P === 0 || c.N === 0) return null;
  let above = 0;
  let area = 0;
  for (let k = c.pos.length - 1; k >= 0; k--) {
    const p = c.pos[k];
    const n = c.neg[k];
    if (n !== 0) area += n * (above + p / 2);
    above += p;
  }
  return area / c.P / c.N;
}

/**
 * Average precision as sklearn.metrics.average_precision_score computes it: the step-wise sum
 * Σ_k (R_k − R_{k−1})·P_k over distinct thresholds in decreasing order (no interpolation, no
 * trapezoid). null when y has no positive (recall is undefined).
 */
export function averagePrecisionFromCounts(c: ThresholdCounts): number | null {
  if (c.P === 0) return null;
  let tps = 0;
  let fps = 0;
  let ap = 0;
  for (let k = c.pos.length - 1; k >= 0; k--) {
    const p = c.pos[k];
    const n = c.neg[k];
    if (p === 0 && n === 0) continue;
    tps += p;
    fps += n;
    if (p !== 0) ap += (p / c.P) * (tps / (tps + fps));
  }
  return ap;
}

/** The ROC curve through every distinct threshold, starting at (0, 0), down-sampled to at most maxPoints. */
export function rocCurveFromCounts(c: ThresholdCounts, maxPoints = 101): { fpr: number[]; tpr: number[] } | undefined {
  if (c.P === 0 || c.N === 0) return undefined;
  const fpr = [0];
  const tpr = [0];
  let tps = 0;
  let fps = 0;
  for (let k = c.pos.length - 1; k >= 0; k--) {
    if (c.pos[k] === 0 && c.neg[k] === 0) continue;
    tps += c.pos[k];
    fps += c.neg[k];
    fpr.push(fps / c.N);
    tpr.push(tps / c.P);
  }
  if (fpr.length <= maxPoints) return { fpr, tpr };
  const outF: number[] = [];
  const outT: number[] = [];
  const step = (fpr.length - 1) / (maxPoints - 1);
  for (let j = 0; j < maxPoints; j++) {
    const i = Math.round(j * step);
    outF.push(round6(fpr[i]));
    outT.push(round6(tpr[i]));
  }
  return { fpr: outF, tpr: outT };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
