import type { MetricKernel, MetricValues, Weights } from './kernel.js';

/**
 * Regression metrics with scikit-learn's definitions:
 * - mae: mean_absolute_error; rmse: sqrt(mean_squared_error);
 * - r2: r2_score = 1 − Σ(y − ŷ)² / Σ(y − ȳ)². Where sklearn's default force_finite=True would invent
 *   a value (constant y: 1.0 or 0.0) or warn (fewer than 2 rows: nan), r2 is null here (= sklearn
 *   with force_finite=False giving nan or −inf). A constant target is recognised by its values, not
 *   by Σ(y − ȳ)² = 0: ȳ of a constant 0.1 rounds to 0.10000000000000002, which left a denominator of
 *   ~1e−33 and an r2 of −5e29 (sklearn gives that too where numpy's sum rounds so).
 * - mape: mean_absolute_percentage_error = mean |y − ŷ| / max(|y|, eps), eps = float64 machine epsilon
 *   (a fraction, not a percentage, as in sklearn).
 */
const EPS = 2.220446049250313e-16;

export class RegressionKernel implements MetricKernel {
  readonly rows: number;

  constructor(
    private readonly y: Float64Array,
    private readonly yhat: Float64Array,
  ) {
    if (y.length !== yhat.length) throw new Error(`targets (${y.length}) and predictions (${yhat.length}) differ in length`);
    this.rows = y.length;
  }

  /** mean absolute error per group */
  groupMetric(index: Int32Array, groups: number): (number | null)[] {
    const n = new Float64Array(groups);
    const abs = new Float64Array(groups);
    for (let i = 0; i < this.rows; i++) {
      n[index[i]]++;
      abs[index[i]] += Math.abs(this.yhat[i] - this.y[i]);
    }
    return Array.from(n, (c, g) => (c === 0 ? null : abs[g] / c));
  }

  metrics(weights: Weights): MetricValues {
    const { y, yhat } = this;
    let W = 0;
    let abs = 0;
    let sq = 0;
    let pct = 0;
    let ySum = 0;
    let yMin = Infinity;
    let yMax = -Infinity;
    for (let i = 0; i < this.rows; i++) {
      const w = weights ? weights[i] : 1;
      if (w === 0) continue;
      const e = yhat[i] - y[i];
      W += w;
      abs += w * Math.abs(e);
      sq += w * e * e;
      const ay = Math.abs(y[i]);
      pct += (w * Math.abs(e)) / (ay > EPS ? ay : EPS);
      ySum += w * y[i];
      if (y[i] < yMin) yMin = y[i];
      if (y[i] > yMax) yMax = y[i];
    }
    if (W === 0) return { mae: null, rmse: null, r2: null, mape: null };
    const mean = ySum / W;
    let ss = 0;
    for (let i = 0; i < this.rows; i++) {
      const w = weights ? weights[i] : 1;
      if (w === 0) continue;
      const d = y[i] - mean;
      ss += w * d * d;
    }
    return {
      mae: abs / W,
      rmse: Math.sqrt(sq / W),
      r2: W < 2 || yMin === yMax || ss === 0 ? null : 1 - sq / ss,
      mape: pct / W,
    };
  }
}

/**
 * Why mape cannot be read as a percentage error, when the target has values below sklearn's eps (0,
 * usually): each such row adds |y − ŷ| / eps ≈ 4.5·10^15·|y − ŷ| to the mean, so mape measures those
 * rows alone (sklearn computes the same number and says nothing). Undefined when no target is below eps.
 */
export function mapeWarning(y: Float64Array, mape: number | null): string | undefined {
  let count = 0;
  let first = -1;
  for (let i = 0; i < y.length; i++) {
    if (Math.abs(y[i]) < EPS) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count === 0 || mape === null) return undefined;
  const share = `${count.toLocaleString('en-US')} of ${y.length.toLocaleString('en-US')} rows`;
  return `mape (${mape.toExponential(3)}) divides each error by |y|, and the target is 0 on ${share} (first at data row ${first + 1}): each of those adds |y − ŷ| / 2.2e-16 (sklearn's eps), so mape measures them alone; gate on mae or rmse instead`;
}
