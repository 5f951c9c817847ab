import { ConfigError, InputError } from '../errors.js';
import { columnKind, type FeatureColumn } from '../model/features.js';
import type { LoadedModel } from '../spec/types.js';
import type { ModelCard } from '../package/card.js';

/**
 * Turning the target and sensitive columns (as readFeatureBatches reads them: numbers as Float64Array
 * with NaN for null, booleans 0/1, strings as string arrays) into what the metrics take.
 */
export type Target = { task: 'binary-classification'; y: Uint8Array } | { task: 'multiclass-classification'; y: Int32Array; classes: string[] } | { task: 'regression'; y: Float64Array };

function missingError(where: string, col: FeatureColumn, isMissing: (i: number) => boolean): InputError | null {
  let count = 0;
  let first = -1;
  for (let i = 0; i < col.length; i++) {
    if (isMissing(i)) {
      count++;
      if (first < 0) first = i;
    }
  }
  return count ? new InputError(`${where}: ${count} row(s) have no target value (first at data row ${first + 1}); evaluation needs a label on every row`) : null;
}

/**
 * Encodes the target. Binary: 1 for data.positive_label (default 1 / true; a string target must name
 * it). Multiclass: the index of the label among the package's `classes` (output order), or, without
 * classes, the integer value itself (0..K−1). Regression: the value.
 */
export function encodeTarget(model: LoadedModel, card: ModelCard, col: FeatureColumn, width: number, where: string): Target {
  const task = model.spec.task;
  const kind = columnKind(model.schema.properties[model.target]);
  const n = col.length;
  const num = col instanceof Float64Array ? col : null;
  const str = col instanceof Float64Array ? null : col;
  const miss = missingError(where, col, (i) => (num ? Number.isNaN(num[i]) : str![i] === null));
  if (miss) throw miss;
  if (num && kind !== 'boolean') {
    // ±Infinity (a CSV's "inf") is no label: every loss would be infinite, and JSON writes it as null
    const bad = num.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InputError(`${where}: data row ${bad + 1} has the target ${num[bad]}; a target must be a finite number`);
  }
  if (task === 'regression') {
    if (!num) throw new InputError(`${where}: a regression target must be numeric, the contract says ${kind}`);
    return { task, y: num };
  }
  if (task === 'binary-classification') return { task, y: binaryTarget(model, kind, num, str, where) };
  const classes = (card.classes ?? []).map(String);
  const y = new Int32Array(n);
  if (classes.length) {
    if (classes.length !== width) throw new InputError(`${where}: the package lists ${classes.length} classes but the model outputs ${width} probabilities`);
    const twice = classes.find((c, k) => classes.indexOf(c) !== k);
    if (twice !== undefined) throw new InputError(`${where}: the package lists class ${JSON.stringify(twice)} twice in "classes" (${classes.map((c) => JSON.stringify(c)).join(', ')}); each output column must be a different class`);
    const index = new Map(classes.map((c, k) => [c, k]));
    const unknown = new Set<string>();
    for (let i = 0; i < n; i++) {
      const label = str ? str[i]! : kind === 'boolean' ? String(num![i] === 1) : String(num![i]);
      const k = index.get(label);
      if (k === undefined) unknown.add(label);
      else y[i] = k;
    }
    if (unknown.size) throw new InputError(`${where}: label(s) ${[...unknown].slice(0, 5).map((l) => JSON.stringify(l)).join(', ')} are not among the model's classes (${classes.join(', ')})`);
    return { task, y, classes };
  }
  if (!num) throw new InputError(`${where}: the target is a string column but the package lists no classes; expected slipway.json "classes" in output order`);
  for (let i = 0; i < n; i++) {
    const v = num[i];
    if (!Number.isInteger(v) || v < 0 || v >= width) throw new InputError(`${where}: data row ${i + 1} has label ${v}; without "classes" in slipway.json the labels must be 0..${width - 1} (the model outputs ${width} probabilities)`);
    y[i] = v;
  }
  return { task, y, classes: Array.from({ length: width }, (_, k) => String(k)) };
}

/**
 * A binary target as 1 (the positive class, data.positive_label: default 1, or true for a boolean
 * column) and 0. Labels that cannot be a binary target are an input error naming them, as drift's
 * --labels are: a third label, or two of which neither is the positive class, would count as negatives
 * and every metric would be silently wrong (sklearn raises on both).
 */
function binaryTarget(model: LoadedModel, kind: string, num: Float64Array | null, str: (string | null)[] | null, where: string): Uint8Array {
  const positive = model.spec.data.positive_label;
  const n = (num ?? str!).length;
  const y = new Uint8Array(n);
  const seen = new Map<string, boolean>();
  const label = (i: number) => (str ? str[i]! : kind === 'boolean' ? String(num![i] === 1) : String(num![i]));
  if (str) {
    if (positive === undefined) throw new ConfigError([{ file: model.file, path: '/data/positive_label', message: `the target '${model.target}' is a string column: set data.positive_label to the positive class` }]);
    const p = String(positive);
    for (let i = 0; i < n; i++) y[i] = str[i] === p ? 1 : 0;
  } else {
    const p = positive === undefined || positive === true || positive === 'true' ? 1 : positive === false || positive === 'false' ? 0 : Number(positive);
    if (Number.isNaN(p)) throw new ConfigError([{ file: model.file, path: '/data/positive_label', message: `the target '${model.target}' is ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} column: data.positive_label ${JSON.stringify(positive)} is not one of its values` }]);
    for (let i = 0; i < n; i++) y[i] = num![i] === p ? 1 : 0;
  }
  // the first three distinct labels (values compared as they are, turned to text only for the message)
  const distinct: number[] = [];
  for (let i = 0; i < n && distinct.length < 3; i++) {
    const v = str ? str[i] : num![i];
    if (!distinct.some((j) => (str ? str[j] : num![j]) === v)) distinct.push(i);
  }
  for (const i of distinct) seen.set(label(i), y[i] === 1);
  const shown = [...seen.keys()].map((v) => JSON.stringify(v)).join(', ');
  const positiveText = JSON.stringify(String(positive ?? (kind === 'boolean' ? true : 1)));
  if (seen.size > 2) throw new InputError(`${where}: holds at least three distinct labels (${shown}, the third first at data row ${distinct[2] + 1}); a binary target has two: the positive class ${positiveText} (data.positive_label) and the other`);
  if (seen.size === 2 && ![...seen.values()].some(Boolean)) throw new InputError(`${where}: neither label (${shown}) is the positive class ${positiveText}; set data.positive_label in model.yaml`);
  return y;
}

/**
 * A binary package says which class its probability is of: slipway.json `classes` holds the positive
 * class it was trained with (train writes [data.positive_label]). Evaluated against another positive
 * class, every probability would be of the wrong class (ROC AUC 1 − the truth, and so on), so a
 * mismatch is an input error naming both. Packages without `classes` are taken to predict the positive
 * class of model.yaml.
 */
export function checkPositiveClass(model: LoadedModel, card: ModelCard, role: string, dir: string): void {
  if (model.spec.task !== 'binary-classification' || card.classes?.length !== 1) return;
  const kind = columnKind(model.schema.properties[model.target]);
  const positive = model.spec.data.positive_label ?? (kind === 'boolean' ? true : 1);
  const trained = card.classes[0];
  if (String(trained) === String(positive)) return;
  throw new InputError(
    `the ${role} package ${dir} predicts the probability of class ${JSON.stringify(trained)} (slipway.json "classes"), but data.positive_label of ${model.file} is ${JSON.stringify(positive)}: ` +
      'its metrics would be those of the other class. Retrain it with this positive_label (or evaluate with the one it was trained with)',
  );
}
