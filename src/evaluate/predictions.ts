import { BinaryKernel } from './binary.js';
import { fairnessFor } from './fairness.js';
import type { Groups } from './groups.js';
import { mainMetric, type MetricKernel } from './kernel.js';
import { MulticlassKernel } from './multiclass.js';
import { RegressionKernel } from './regression.js';
import type { FairnessAttribute } from './report-types.js';

/** One model's predictions on the test rows, with the true targets, by task. */
export type Predictions =
  | { task: 'binary-classification'; y: Uint8Array; p: Float64Array; threshold: number }
  | { task: 'multiclass-classification'; y: Int32Array; probs: Float64Array; classes: number }
  | { task: 'regression'; y: Float64Array; yhat: Float64Array };

export function makeKernel(pred: Predictions): MetricKernel {
  switch (pred.task) {
    case 'binary-classification':
      return new BinaryKernel(pred.y, pred.p, pred.threshold);
    case 'multiclass-classification':
      return new MulticlassKernel(pred.y, pred.probs, pred.classes);
    case 'regression':
      return new RegressionKernel(pred.y, pred.yhat);
  }
}

/** The predictions restricted to some rows (in the given order). */
export function subset(pred: Predictions, rows: Uint32Array): Predictions {
  const pick = <T extends Uint8Array | Int32Array | Float64Array>(a: T, out: T): T => {
    for (let j = 0; j < rows.length; j++) out[j] = a[rows[j]];
    return out;
  };
  switch (pred.task) {
    case 'binary-classification':
      return { ...pred, y: pick(pred.y, new Uint8Array(rows.length)), p: pick(pred.p, new Float64Array(rows.length)) };
    case 'multiclass-classification': {
      const k = pred.classes;
      const probs = new Float64Array(rows.length * k);
      for (let j = 0; j < rows.length; j++) probs.set(pred.probs.subarray(rows[j] * k, rows[j] * k + k), j * k);
      return { ...pred, y: pick(pred.y, new Int32Array(rows.length)), probs };
    }
    case 'regression':
      return { ...pred, y: pick(pred.y, new Float64Array(rows.length)), yhat: pick(pred.yhat, new Float64Array(rows.length)) };
  }
}

/** Fairness figures for every attribute (sensitive columns and intersections), per fairness.ts. */
export function fairnessReport(pred: Predictions, attributes: Record<string, Groups>, minGroupSize: number): Record<string, FairnessAttribute> {
  const metricName = mainMetric(pred.task);
  const binary = pred.task === 'binary-classification' ? { y: pred.y, pred: thresholded(pred.p, pred.threshold) } : undefined;
  const metricOf = (rows: Uint32Array) => (rows.length === 0 ? null : makeKernel(subset(pred, rows)).metrics(null)[metricName] ?? null);
  const out: Record<string, FairnessAttribute> = {};
  for (const [name, groups] of Object.entries(attributes)) {
    out[name] = fairnessFor(groups, { binary, metricOf, metricName, minGroupSize });
  }
  return out;
}

export function thresholded(p: Float64Array, threshold: number): Uint8Array {
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] >= threshold ? 1 : 0;
  return out;
}
