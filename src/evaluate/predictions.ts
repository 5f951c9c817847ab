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

/** Fairness figures for every attribute (sensitive columns and intersections), per fairness.ts. `kernel` is the model's (reused when given). */
export function fairnessReport(pred: Predictions, attributes: Record<string, Groups>, minGroupSize: number, kernel: MetricKernel = makeKernel(pred)): Record<string, FairnessAttribute> {
  const metricName = mainMetric(pred.task);
  const binary = pred.task === 'binary-classification' ? { y: pred.y, pred: kernel instanceof BinaryKernel ? kernel.predictions() : thresholded(pred.p, pred.threshold) } : undefined;
  const out: Record<string, FairnessAttribute> = {};
  for (const [name, groups] of Object.entries(attributes)) {
    out[name] = fairnessFor(groups, { binary, groupMetric: kernel.groupMetric(groups.index, groups.labels.length), metricName, minGroupSize });
  }
  return out;
}

export function thresholded(p: Float64Array, threshold: number): Uint8Array {
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] >= threshold ? 1 : 0;
  return out;
}
