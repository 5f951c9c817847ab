import { LOG_LOSS_EPS } from './binary.js';
import type { MetricKernel, MetricValues, Weights } from './kernel.js';

/**
 * Multiclass metrics with scikit-learn's definitions. `probs` is row-major n × K (class k's
 * probability in column k); the predicted class is the first argmax (numpy.argmax).
 * - accuracy: sklearn.metrics.accuracy_score of the argmax.
 * - macro_f1 / weighted_f1: sklearn.metrics.f1_score(average="macro" | "weighted") over the labels
 *   present in y_true or y_pred (sklearn's unique_labels); a label's F1 is 2tp / (2tp + fp + fn),
 *   which equals sklearn's 2PR / (P + R) including its zero_division=0 cases. Weighted uses the true
 *   counts as weights (null when there are none).
 * - log_loss: sklearn.metrics.log_loss(labels=range(K)): every probability clipped to
 *   [eps, 1 − eps] (eps = float64 machine epsilon), each row renormalised by its sum.
 */
export class MulticlassKernel implements MetricKernel {
  readonly rows: number;
  private readonly pred: Int32Array;
  private readonly ll: Float64Array;

  constructor(
    private readonly y: Int32Array,
    probs: Float64Array,
    readonly classes: number,
  ) {
    const n = y.length;
    if (probs.length !== n * classes) throw new Error(`probabilities hold ${probs.length} values, expected ${n} rows × ${classes} classes`);
    this.rows = n;
    this.pred = new Int32Array(n);
    this.ll = new Float64Array(n);
    const lo = LOG_LOSS_EPS;
    const hi = 1 - LOG_LOSS_EPS;
    for (let i = 0; i < n; i++) {
      const off = i * classes;
      let best = 0;
      let sum = 0;
      for (let k = 0; k < classes; k++) {
        const v = probs[off + k];
        if (v > probs[off + best]) best = k;
        sum += v < lo ? lo : v > hi ? hi : v;
      }
      this.pred[i] = best;
      const yi = y[i];
      if (yi < 0 || yi >= classes) throw new Error(`row ${i}: class index ${yi} outside 0..${classes - 1}`);
      const t = probs[off + yi];
      const c = t < lo ? lo : t > hi ? hi : t;
      this.ll[i] = -Math.log(c / sum);
    }
  }

  predictions(): Int32Array {
    return this.pred;
  }

  /** accuracy per group */
  groupMetric(index: Int32Array, groups: number): (number | null)[] {
    const n = new Float64Array(groups);
    const ok = new Float64Array(groups);
    for (let i = 0; i < this.rows; i++) {
      n[index[i]]++;
      if (this.y[i] === this.pred[i]) ok[index[i]]++;
    }
    return Array.from(n, (c, g) => (c === 0 ? null : ok[g] / c));
  }

  metrics(weights: Weights): MetricValues {
    const { y, pred, ll, classes } = this;
    const tp = new Float64Array(classes);
    const trueN = new Float64Array(classes);
    const predN = new Float64Array(classes);
    let W = 0;
    let correct = 0;
    let llSum = 0;
    for (let i = 0; i < this.rows; i++) {
      const w = weights ? weights[i] : 1;
      if (w === 0) continue;
      W += w;
      trueN[y[i]] += w;
      predN[pred[i]] += w;
      if (y[i] === pred[i]) {
        correct += w;
        tp[y[i]] += w;
      }
      llSum += w * ll[i];
    }
    let labels = 0;
    let macro = 0;
    let weighted = 0;
    let support = 0;
    for (let k = 0; k < classes; k++) {
      if (trueN[k] === 0 && predN[k] === 0) continue;
      const f = (2 * tp[k]) / (trueN[k] + predN[k]);
      labels++;
      macro += f;
      weighted += f * trueN[k];
      support += trueN[k];
    }
    return {
      accuracy: W === 0 ? null : correct / W,
      macro_f1: labels === 0 ? null : macro / labels,
      weighted_f1: support === 0 ? null : weighted / support,
      log_loss: W === 0 ? null : llSum / W,
    };
  }
}
