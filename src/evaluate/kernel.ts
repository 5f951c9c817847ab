/**
 * A metric kernel holds one model's predictions on one dataset, pre-processed once, and computes all
 * of the task's metrics in a pass over the rows. `weights` are bootstrap counts (how many times each
 * row was drawn; a Uint8Array when no row was drawn more than 255 times, which keeps the array small
 * enough for the cache); null means every row once. A metric on weighted rows equals the metric on the
 * resample the weights describe, so the same code gives the reported metrics and every replicate.
 */
export type Weights = Uint8Array | Uint32Array | null;

export type MetricValues = Record<string, number | null>;

export interface MetricKernel {
  readonly rows: number;
  metrics(weights: Weights): MetricValues;
  /** the main metric (see mainMetric) of each group, in one pass; `index` gives each row's group */
  groupMetric(index: Int32Array, groups: number): (number | null)[];
}

export interface MetricInfo {
  name: string;
  higherIsBetter: boolean;
  /** the values the metric can take (gates that no value in it passes are config errors) */
  range: [number, number];
}

const UNIT: [number, number] = [0, 1];
const NON_NEGATIVE: [number, number] = [0, Infinity];

export const BINARY_METRICS: MetricInfo[] = [
  { name: 'roc_auc', higherIsBetter: true, range: UNIT },
  { name: 'average_precision', higherIsBetter: true, range: UNIT },
  { name: 'log_loss', higherIsBetter: false, range: NON_NEGATIVE },
  { name: 'brier', higherIsBetter: false, range: UNIT },
  { name: 'accuracy', higherIsBetter: true, range: UNIT },
  { name: 'precision', higherIsBetter: true, range: UNIT },
  { name: 'recall', higherIsBetter: true, range: UNIT },
  { name: 'f1', higherIsBetter: true, range: UNIT },
  { name: 'ece', higherIsBetter: false, range: UNIT },
];

export const MULTICLASS_METRICS: MetricInfo[] = [
  { name: 'accuracy', higherIsBetter: true, range: UNIT },
  { name: 'macro_f1', higherIsBetter: true, range: UNIT },
  { name: 'weighted_f1', higherIsBetter: true, range: UNIT },
  { name: 'log_loss', higherIsBetter: false, range: NON_NEGATIVE },
];

export const REGRESSION_METRICS: MetricInfo[] = [
  { name: 'mae', higherIsBetter: false, range: NON_NEGATIVE },
  { name: 'rmse', higherIsBetter: false, range: NON_NEGATIVE },
  { name: 'r2', higherIsBetter: true, range: [-Infinity, 1] },
  { name: 'mape', higherIsBetter: false, range: NON_NEGATIVE },
];

export type TaskName = 'binary-classification' | 'multiclass-classification' | 'regression';

export function metricsFor(task: TaskName): MetricInfo[] {
  return task === 'binary-classification' ? BINARY_METRICS : task === 'multiclass-classification' ? MULTICLASS_METRICS : REGRESSION_METRICS;
}

/** The metric shown per fairness group and used as "the model's main metric". */
export function mainMetric(task: TaskName): string {
  return task === 'binary-classification' ? 'roc_auc' : task === 'multiclass-classification' ? 'accuracy' : 'mae';
}

/** Sum of weights (the resample size). */
export function totalWeight(n: number, weights: Weights): number {
  if (!weights) return n;
  let s = 0;
  for (let i = 0; i < n; i++) s += weights[i];
  return s;
}
