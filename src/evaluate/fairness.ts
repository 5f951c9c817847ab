import type { FairnessAttribute, GroupRow } from './report-types.js';
import type { Groups } from './groups.js';

/**
 * Group fairness with Fairlearn's definitions (fairlearn.metrics), computed per sensitive attribute:
 * - per group: count, selection_rate = mean(ŷ = 1), TPR = tp / (tp + fn), FPR = fp / (fp + tn), and the
 *   model's main metric on the group's rows;
 * - demographic_parity_difference = max − min of the selection rates over groups, _ratio = min / max;
 * - equalized_odds_difference = max(TPR difference, FPR difference), _ratio = min(TPR ratio, FPR ratio)
 *   (Fairlearn's agg="worst_case"), each difference/ratio between groups as above;
 * - equal_opportunity_difference = the TPR difference.
 *
 * Where Fairlearn would let an undefined value become 0 (sklearn's confusion_matrix(normalize="true")
 * turns 0/0 into 0) or NaN, Slipway reports null ("n/a"): a group's TPR is null when it has no positive,
 * its FPR when it has no negative; a difference or ratio is computed over the groups where the rate is
 * defined and is null when fewer than two groups define it (or, for a ratio, when the maximum is 0);
 * the equalized-odds figures are null when either of their parts is. Groups smaller than
 * min_group_size are kept in the figures (as Fairlearn does) and flagged `small`.
 */
export interface FairnessInput {
  /** binary tasks: true labels and thresholded predictions; absent for multiclass and regression */
  binary?: { y: Uint8Array; pred: Uint8Array };
  /** the main metric of each group (null when undefined there) */
  groupMetric: (number | null)[];
  metricName: string;
  minGroupSize: number;
}

export interface Spread {
  difference: number | null;
  ratio: number | null;
}

/** max − min and min / max over the defined values (Fairlearn's between_groups). */
export function spread(values: (number | null)[]): Spread {
  const v = values.filter((x): x is number => x !== null);
  if (v.length < 2) return { difference: null, ratio: null };
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return { difference: hi - lo, ratio: hi === 0 ? null : lo / hi };
}

const nullMax = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(a, b));
const nullMin = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.min(a, b));

export function fairnessFor(groups: Groups, input: FairnessInput): FairnessAttribute {
  const G = groups.labels.length;
  const { index } = groups;
  const count = new Float64Array(G);
  const tp = new Float64Array(G);
  const fp = new Float64Array(G);
  const fn = new Float64Array(G);
  const tn = new Float64Array(G);
  if (input.binary) {
    const { y, pred } = input.binary;
    for (let i = 0; i < index.length; i++) {
      const g = index[i];
      count[g]++;
      if (pred[i]) {
        if (y[i]) tp[g]++;
        else fp[g]++;
      } else if (y[i]) fn[g]++;
      else tn[g]++;
    }
  } else for (let i = 0; i < index.length; i++) count[index[i]]++;
  const rows: GroupRow[] = groups.labels.map((label, g) => {
    const row: GroupRow = { group: label, count: count[g], selection_rate: null, tpr: null, fpr: null, metric: input.groupMetric[g] ?? null, small: count[g] < input.minGroupSize };
    if (input.binary) {
      row.selection_rate = count[g] ? (tp[g] + fp[g]) / count[g] : null;
      row.tpr = tp[g] + fn[g] ? tp[g] / (tp[g] + fn[g]) : null;
      row.fpr = fp[g] + tn[g] ? fp[g] / (fp[g] + tn[g]) : null;
      row.positives = tp[g] + fn[g];
    }
    return row;
  });
  const metric = spread(rows.map((r) => r.metric));
  const base = {
    groups: rows,
    metric_name: input.metricName,
    metric_difference: metric.difference,
    metric_ratio: metric.ratio,
    small_groups: rows.filter((r) => r.small).map((r) => r.group),
  };
  if (!input.binary) {
    return { ...base, demographic_parity_difference: null, demographic_parity_ratio: null, equalized_odds_difference: null, equalized_odds_ratio: null, equal_opportunity_difference: null };
  }
  const dp = spread(rows.map((r) => r.selection_rate));
  const tpr = spread(rows.map((r) => r.tpr));
  const fpr = spread(rows.map((r) => r.fpr));
  return {
    ...base,
    demographic_parity_difference: dp.difference,
    demographic_parity_ratio: dp.ratio,
    equalized_odds_difference: nullMax(tpr.difference, fpr.difference),
    equalized_odds_ratio: nullMin(tpr.ratio, fpr.ratio),
    equal_opportunity_difference: tpr.difference,
  };
}

/** The fairness figures that gates can name (fairness.<attribute>.<figure>). */
export const FAIRNESS_FIGURES = [
  'demographic_parity_difference',
  'demographic_parity_ratio',
  'equalized_odds_difference',
  'equalized_odds_ratio',
  'equal_opportunity_difference',
  'metric_difference',
  'metric_ratio',
] as const;
export type FairnessFigure = (typeof FAIRNESS_FIGURES)[number];
/** The values each figure can take: differences of rates are within 0..1, ratios (min / max) too; the main metric's spread is not bounded for regression (mae). */
export const FAIRNESS_RANGE: Record<FairnessFigure, [number, number]> = {
  demographic_parity_difference: [0, 1],
  demographic_parity_ratio: [0, 1],
  equalized_odds_difference: [0, 1],
  equalized_odds_ratio: [0, 1],
  equal_opportunity_difference: [0, 1],
  metric_difference: [0, Infinity],
  metric_ratio: [0, 1],
};
