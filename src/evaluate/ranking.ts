/**
 * Ordering scores for the ranking metrics (ROC AUC, average precision, the ROC curve).
 *
 * The rows are sorted once, by score descending (an LSD radix sort on the float64 bit patterns: O(n),
 * no comparator), and the ends of runs of equal scores are marked. After that every ranking metric is
 * one pass in that order, summing the (weighted) positives and negatives of each run of ties. This is
 * what makes a paired bootstrap over a million rows feasible: a resample is a vector of integer weights
 * (how many times each row was drawn), and a metric on the weighted rows equals the metric on the
 * resample, so no replicate sorts anything.
 *
 * Ties are handled as scikit-learn does: all rows sharing a score form one threshold, so the ROC curve
 * moves diagonally across them (a tied positive/negative pair counts one half).
 */
export interface ScoreOrder {
  /** row indices by score, highest first */
  order: Uint32Array;
  /** 1 at sorted positions that end a run of equal scores */
  runEnd: Uint8Array;
}

const RADIX = 1 << 16;

/** Row indices sorted by score, highest first (−0 and +0 are equal; NaN is not expected). */
export function sortDescending(scores: Float64Array): ScoreOrder {
  const n = scores.length;
  const buf = new Float64Array(n);
  for (let i = 0; i < n; i++) buf[i] = scores[i] + 0; // −0 → +0
  const words = new Uint32Array(buf.buffer);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    // ascending key: flip the sign bit of positives, every bit of negatives; then complement for descending
    const h = words[2 * i + 1];
    const l = words[2 * i];
    const neg = h >>> 31 === 1;
    hi[i] = ~(neg ? ~h : h ^ 0x80000000) >>> 0;
    lo[i] = ~(neg ? ~l : l) >>> 0;
    idx[i] = i;
  }
  let hi2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  let idx2 = new Uint32Array(n);
  const count = new Uint32Array(RADIX);
  for (let pass = 0; pass < 4; pass++) {
    const src = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i] >>> shift) & 0xffff]++;
    if (n === 0 || count[(src[0] >>> shift) & 0xffff] === n) continue; // one digit value: nothing to move
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = count[(src[i] >>> shift) & 0xffff]++;
      hi2[at] = hi[i];
      lo2[at] = lo[i];
      idx2[at] = idx[i];
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
    [idx, idx2] = [idx2, idx];
  }
  const runEnd = new Uint8Array(n);
  for (let k = 0; k < n; k++) runEnd[k] = k === n - 1 || hi[k] !== hi[k + 1] || lo[k] !== lo[k + 1] ? 1 : 0;
  return { order: idx, runEnd };
}

/** Accumulates ROC AUC and average precision run by run, in descending score order. */
export class RankingSums {
  /** weighted positives and negatives seen in earlier runs */
  tps = 0;
  fps = 0;
  private area = 0;
  private ap = 0;
  /** the ROC curve's points (fps, tps), kept at about maxPoints evenly spaced runs, when asked for */
  readonly curve: { fps: number[]; tps: number[] } | null;
  private runIndex = 0;
  private nextPick: number;
  private pickNo: number;

  /** `runs`: how many runs of ties there are (so that the curve can be down-sampled as it is drawn) */
  constructor(
    withCurve = false,
    private readonly runs = 0,
    private readonly maxPoints = 101,
  ) {
    this.curve = withCurve ? { fps: [0], tps: [0] } : null;
    this.pickNo = 1;
    this.nextPick = Math.ceil(runs / (maxPoints - 1));
  }

  /** closes a run of equal scores holding `pos` positives and `neg` negatives */
  run(pos: number, neg: number): void {
    if (pos === 0 && neg === 0) return;
    if (neg !== 0) this.area += neg * (this.tps + pos / 2);
    this.tps += pos;
    this.fps += neg;
    if (pos !== 0) this.ap += pos * (this.tps / (this.tps + this.fps));
    if (this.curve) {
      // runs (1-based) ⌈j·runs/(maxPoints−1)⌉ for j = 1…maxPoints−1, the last run always included
      this.runIndex++;
      if (this.runs <= this.maxPoints - 1 || this.runIndex >= this.nextPick) {
        this.curve.fps.push(this.fps);
        this.curve.tps.push(this.tps);
        this.pickNo++;
        this.nextPick = Math.ceil((this.pickNo * this.runs) / (this.maxPoints - 1));
      }
    }
  }

  /**
   * ROC AUC (sklearn.metrics.roc_auc_score, binary): the area under the curve through the distinct
   * thresholds, Σ_runs neg·(positives ranked above + pos/2) / (P·N). null with a single class.
   */
  rocAuc(): number | null {
    return this.tps === 0 || this.fps === 0 ? null : this.area / this.tps / this.fps;
  }

  /**
   * Average precision (sklearn.metrics.average_precision_score): the step-wise Σ (R_k − R_{k−1})·P_k
   * over distinct thresholds, highest first (no interpolation, no trapezoid). null with no positive.
   */
  averagePrecision(): number | null {
    return this.tps === 0 ? null : this.ap / this.tps;
  }

  /** the ROC curve as rates (at most about maxPoints points, rounded to 6 decimals) */
  rocCurve(): { fpr: number[]; tpr: number[] } | undefined {
    if (!this.curve || this.tps === 0 || this.fps === 0) return undefined;
    const r = (x: number) => Math.round(x * 1e6) / 1e6;
    return { fpr: this.curve.fps.map((f) => r(f / this.fps)), tpr: this.curve.tps.map((t) => r(t / this.tps)) };
  }
}
