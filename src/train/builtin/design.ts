import { InputError } from '../../errors.js';
import { columnKind, type FeatureBatch } from '../../model/features.js';
import type { RowSchema } from '../../spec/types.js';

/** How a raw feature becomes columns of the design matrix; exported into the ONNX graph as is. */
export interface NumericStep {
  name: string;
  /** training mean (also the value a missing entry is imputed with) */
  mean: number;
  /** population standard deviation (1 for a constant column), as scikit-learn's StandardScaler */
  scale: number;
}

export interface CategoricalStep {
  name: string;
  /** one indicator column per category; unknown and missing values are all zeros */
  categories: string[];
}

export interface Preprocessing {
  numeric: NumericStep[];
  categorical: CategoricalStep[];
}

/** Design-matrix column names, in order: numeric features, then `<column>=<category>` indicators. */
export function designColumns(p: Preprocessing): string[] {
  return [...p.numeric.map((s) => s.name), ...p.categorical.flatMap((s) => s.categories.map((c) => `${s.name}=${c}`))];
}

/**
 * Fits the preprocessing on the training batch: mean imputation and standardisation for numeric,
 * integer and boolean columns; one-hot encoding for strings over the contract's `enum` when it has
 * one, else the sorted distinct training values. A numeric column with no values, or with an infinite
 * one (a CSV's `inf`), is an InputError naming it: neither has a mean to impute or centre with.
 */
export function fitPreprocessing(batch: FeatureBatch, features: string[], contract: RowSchema, source = 'the training data'): Preprocessing {
  const numeric: NumericStep[] = [];
  const categorical: CategoricalStep[] = [];
  for (const f of features) {
    const schema = contract.properties[f];
    const col = batch.columns[f];
    if (columnKind(schema) === 'string') {
      // an enum may list a value twice: one indicator column per category
      const fromEnum = [...new Set((schema?.enum ?? []).filter((v): v is string => typeof v === 'string'))];
      const categories = fromEnum.length ? fromEnum : [...new Set((col as (string | null)[]).filter((v): v is string => v !== null))].sort();
      categorical.push({ name: f, categories });
      continue;
    }
    const v = col as Float64Array;
    let n = 0;
    let sum = 0;
    let infinite = 0;
    let firstInfinite = -1;
    for (let i = 0; i < v.length; i++) {
      if (Number.isNaN(v[i])) continue;
      if (!Number.isFinite(v[i])) {
        if (infinite++ === 0) firstInfinite = i;
        continue;
      }
      n++;
      sum += v[i];
    }
    if (infinite) throw new InputError(`${source}: feature '${f}' holds ${v[firstInfinite]} in ${infinite} row(s) (the first is data row ${firstInfinite + 1}); the built-in trainers need finite numbers (a missing value may be null)`);
    if (n === 0) throw new InputError(`${source}: feature '${f}' has no values (every row is null); remove it from data.features or fill it in`);
    // the mean of values up to ±1.8e308 without overflowing their sum
    const mean = Number.isFinite(sum) ? sum / n : meanScaled(v);
    let ss = 0;
    for (let i = 0; i < v.length; i++) {
      const d = Number.isNaN(v[i]) ? 0 : v[i] - mean;
      ss += d * d;
    }
    // population standard deviation; where the squares overflow, scaled by the largest deviation first
    const sd = Number.isFinite(ss) ? Math.sqrt(ss / v.length) : scaledSd(v, mean);
    numeric.push({ name: f, mean, scale: sd > 0 ? sd : 1 });
  }
  return { numeric, categorical };
}

/** The mean of the non-null values of `v` when their plain sum overflows: each divided by the count first. */
function meanScaled(v: Float64Array): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) n++;
  let m = 0;
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) m += v[i] / n;
  return m;
}

/** The population standard deviation of `v` about `mean` for deviations whose squares overflow. */
function scaledSd(v: Float64Array, mean: number): number {
  let big = 0;
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) big = Math.max(big, Math.abs(v[i] - mean));
  let ss = 0;
  for (let i = 0; i < v.length; i++) {
    const d = Number.isNaN(v[i]) ? 0 : (v[i] - mean) / big;
    ss += d * d;
  }
  return big * Math.sqrt(ss / v.length);
}

/** The most entries the dense design matrix may have: 2^29 doubles, 4 GiB. */
export const DESIGN_LIMIT = 2 ** 29;

/**
 * Throws an InputError when the design matrix of `rows` rows would have more than `limit` entries (it is
 * dense: one column per category of every string feature), naming the string features with the most
 * categories; a larger one would end the process out of memory, or take hours in the solver.
 */
export function assertDesignFits(rows: number, p: Preprocessing, source: string, limit = DESIGN_LIMIT): void {
  const D = designColumns(p).length;
  if (rows * D <= limit) return;
  const widest = [...p.categorical].sort((a, b) => b.categories.length - a.categories.length).slice(0, 3).filter((c) => c.categories.length > 1);
  const gib = (rows * D * 8) / 2 ** 30;
  throw new InputError(
    `${source}: the built-in trainer's design matrix would be ${rows} rows × ${D} columns (${gib.toFixed(1)} GiB; at most ${(limit * 8) / 2 ** 30} GiB)` +
      (widest.length ? `, ${widest.map((c) => `'${c.name}' having ${c.categories.length} categories`).join(', ')}` : '') +
      '; group rare categories, drop such a feature, sample the rows, or train with a command (train.command)',
  );
}

/** The design matrix (row-major N × D) the trainer fits on: exactly what the exported graph computes. */
export function designMatrix(batch: FeatureBatch, p: Preprocessing): { X: Float64Array; D: number } {
  const N = batch.rows;
  const D = p.numeric.length + p.categorical.reduce((s, c) => s + c.categories.length, 0);
  const X = new Float64Array(N * D);
  let j = 0;
  for (const s of p.numeric) {
    const v = batch.columns[s.name] as Float64Array;
    for (let i = 0; i < N; i++) X[i * D + j] = ((Number.isNaN(v[i]) ? s.mean : v[i]) - s.mean) / s.scale;
    j++;
  }
  for (const s of p.categorical) {
    const v = batch.columns[s.name] as (string | null)[];
    const index = new Map(s.categories.map((c, k) => [c, k]));
    for (let i = 0; i < N; i++) {
      const k = v[i] === null ? undefined : index.get(v[i] as string);
      if (k !== undefined) X[i * D + j + k] = 1;
    }
    j += s.categories.length;
  }
  return { X, D };
}
