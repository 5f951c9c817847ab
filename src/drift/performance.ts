/**
 * Performance drift: once labels arrive, the model's metric on the window against the metric recorded
 * in its card at training time. Binary classification: ROC AUC (accuracy at the card's threshold when a
 * window holds one class only); regression: RMSE. Pure.
 */
import type { Task } from '../spec/types.js';
import { PERFORMANCE_DROP_THRESHOLD } from './tests.js';

export interface PerformanceDrift {
  metric: 'roc_auc' | 'accuracy' | 'rmse';
  /** the metric in the model card (training-time validation), when recorded */
  reference: number | null;
  current: number;
  /** how much worse the window is than the reference (positive = worse) */
  drop: number | null;
  threshold: number;
  drifted: boolean;
  /** labelled predictions in the window */
  n: number;
}

/** ROC AUC with ties counted half (Mann–Whitney U with average ranks), as sklearn's roc_auc_score. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]] === 1) {
      pos++;
      rankSum += avg;
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function assessPerformance(task: Task, predictions: ArrayLike<number>, labels: ArrayLike<number>, opts: { metrics?: Record<string, number>; decisionThreshold?: number; maxDrop?: number }): PerformanceDrift | null {
  const n = predictions.length;
  if (n === 0) return null;
  const threshold = opts.maxDrop ?? PERFORMANCE_DROP_THRESHOLD;
  if (task === 'regression') {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (predictions[i] - labels[i]) ** 2;
    const current = Math.sqrt(ss / n);
    const reference = opts.metrics?.rmse ?? null;
    // RMSE has the target's unit: the allowed increase is relative to the reference
    const drop = reference === null ? null : reference ? (current - reference) / reference : current;
    return { metric: 'rmse', reference, current, drop, threshold, drifted: drop !== null && drop > threshold, n };
  }
  // binary: ROC AUC where the card records it; cards that record only accuracy (the built-in trainer's
  // log_loss + accuracy) are compared on accuracy at the card's decision threshold, so a drop is caught
  const useAuc = task === 'binary-classification' && (opts.metrics?.roc_auc !== undefined || opts.metrics?.accuracy === undefined);
  const auc = useAuc ? rocAuc(predictions, labels) : NaN;
  if (!Number.isNaN(auc)) {
    const reference = opts.metrics?.roc_auc ?? null;
    const drop = reference === null ? null : reference - auc;
    return { metric: 'roc_auc', reference, current: auc, drop, threshold, drifted: drop !== null && drop > threshold, n };
  }
  const t = opts.decisionThreshold ?? 0.5;
  let correct = 0;
  for (let i = 0; i < n; i++) if ((predictions[i] >= t ? 1 : 0) === labels[i]) correct++;
  const current = correct / n;
  const reference = opts.metrics?.accuracy ?? null;
  const drop = reference === null ? null : reference - current;
  return { metric: 'accuracy', reference, current, drop, threshold, drifted: drop !== null && drop > threshold, n };
}
