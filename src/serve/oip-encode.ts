/**
 * Open Inference Protocol v2 response encoding: model outputs → the spec's `inference_response`.
 * Pure. Output names by task (docs/serve.md):
 * - binary-classification: `probability` FP64 [N] = P(class 1), `label` INT64 [N] (1 when probability ≥ threshold)
 * - multiclass-classification: `probabilities` FP64 [N, K], `label` INT64 [N] (argmax index)
 * - regression: `value` FP64 [N]
 */
import type { Task } from '../spec/types.js';
import { BadRequest } from './oip-decode.js';

export interface Prediction {
  values: Float64Array;
  width: number;
}

export interface OipOutput {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

export const OUTPUT_NAMES: Record<Task, string[]> = {
  'binary-classification': ['probability', 'label'],
  'multiclass-classification': ['probabilities', 'label'],
  regression: ['value'],
};

/** Rows in a prediction. */
export function rowsOf(p: Prediction): number {
  return p.width > 0 ? p.values.length / p.width : 0;
}

/** P(class 1) for binary, the probability vector for multiclass, the value for regression. */
export function predictionOf(p: Prediction, i: number, task: Task): number | number[] {
  if (task === 'multiclass-classification') return Array.from(p.values.subarray(i * p.width, (i + 1) * p.width));
  if (task === 'binary-classification' && p.width === 2) return p.values[i * 2 + 1];
  return p.values[i * p.width];
}

export function checkRequestedOutputs(requested: string[] | undefined, task: Task): void {
  if (!requested) return;
  const known = OUTPUT_NAMES[task];
  for (const r of requested) if (!known.includes(r)) throw new BadRequest(`outputs: unknown output '${r}'; this ${task} model has ${known.join(', ')}`);
}

export function encodeOutputs(p: Prediction, task: Task, threshold: number, requested?: string[]): OipOutput[] {
  const n = rowsOf(p);
  const out: OipOutput[] = [];
  const want = (name: string) => !requested || requested.includes(name);
  if (task === 'binary-classification') {
    const prob = new Array<number>(n);
    for (let i = 0; i < n; i++) prob[i] = predictionOf(p, i, task) as number;
    if (want('probability')) out.push({ name: 'probability', datatype: 'FP64', shape: [n], data: prob });
    if (want('label')) out.push({ name: 'label', datatype: 'INT64', shape: [n], data: prob.map((v) => (v >= threshold ? 1 : 0)) });
  } else if (task === 'multiclass-classification') {
    const k = p.width;
    if (want('probabilities')) out.push({ name: 'probabilities', datatype: 'FP64', shape: [n, k], data: Array.from(p.values) });
    if (want('label')) {
      const labels = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (p.values[i * k + j] > p.values[i * k + best]) best = j;
        labels[i] = best;
      }
      out.push({ name: 'label', datatype: 'INT64', shape: [n], data: labels });
    }
  } else {
    const v = new Array<number>(n);
    for (let i = 0; i < n; i++) v[i] = p.values[i * p.width];
    if (want('value')) out.push({ name: 'value', datatype: 'FP64', shape: [n], data: v });
  }
  return out;
}

/** A number as JSON.stringify writes it (non-finite → null). */
function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/**
 * `JSON.stringify(encodeOutputs(...))` without building the objects: the common binary-classification
 * answer is written as text directly (the single-row hot path); other tasks go through encodeOutputs.
 */
export function encodeOutputsJson(p: Prediction, task: Task, threshold: number, requested?: string[]): string {
  if (task !== 'binary-classification') return JSON.stringify(encodeOutputs(p, task, threshold, requested));
  const n = rowsOf(p);
  if (n === 1 && !requested) {
    // one row, every output: one string, no intermediate parts
    const v = predictionOf(p, 0, task) as number;
    return `[{"name":"probability","datatype":"FP64","shape":[1],"data":[${num(v)}]},{"name":"label","datatype":"INT64","shape":[1],"data":[${v >= threshold ? '1' : '0'}]}]`;
  }
  let probs = '';
  let labels = '';
  for (let i = 0; i < n; i++) {
    const v = predictionOf(p, i, task) as number;
    const sep = i ? ',' : '';
    probs += sep + num(v);
    labels += sep + (v >= threshold ? '1' : '0');
  }
  const parts: string[] = [];
  if (!requested || requested.includes('probability')) parts.push(`{"name":"probability","datatype":"FP64","shape":[${n}],"data":[${probs}]}`);
  if (!requested || requested.includes('label')) parts.push(`{"name":"label","datatype":"INT64","shape":[${n}],"data":[${labels}]}`);
  return `[${parts.join(',')}]`;
}

/** Output metadata for `GET /v2/models/{m}` (-1 = dynamic dimension). */
export function outputMetadata(task: Task, classes: number): { name: string; datatype: string; shape: number[] }[] {
  if (task === 'binary-classification') return [{ name: 'probability', datatype: 'FP64', shape: [-1] }, { name: 'label', datatype: 'INT64', shape: [-1] }];
  if (task === 'multiclass-classification') return [{ name: 'probabilities', datatype: 'FP64', shape: [-1, classes > 0 ? classes : -1] }, { name: 'label', datatype: 'INT64', shape: [-1] }];
  return [{ name: 'value', datatype: 'FP64', shape: [-1] }];
}
