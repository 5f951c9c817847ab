/**
 * The built-in trainers' ONNX graph (src/train/builtin/export.ts) against its definition computed here
 * in plain arithmetic: mean imputation, standardisation, one-hot encoding (unknown and empty strings all
 * zeros), then the linear model, for logistic `[1 − p, p]` with p = σ(b + x·w). The graph folds the scale
 * into the coefficients and encodes every string column with one Equal against a padded table; these rows
 * hit each category, an unknown one, an empty string (which equals a padding entry), and NaN.
 * (builtin-golden.test.ts checks the same graph against scikit-learn on trained models.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { readOnnx } from '../../src/model/onnx-writer.js';
import { exportLinear, type LinearExport } from '../../src/train/builtin/export.js';
import { fitPreprocessing, type Preprocessing } from '../../src/train/builtin/design.js';
import type { FeatureBatch } from '../../src/model/features.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';

type Row = Record<string, number | string>;

/** the model's prediction for a row, from the definition: p (logistic) or ŷ (linear) */
function reference(p: Preprocessing, weights: number[], intercept: number, row: Row): number {
  let z = intercept;
  let j = 0;
  for (const s of p.numeric) {
    const x = row[s.name] as number;
    z += ((Number.isNaN(x) ? s.mean : x) - s.mean) / s.scale * weights[j++];
  }
  for (const c of p.categorical) for (const cat of c.categories) z += (row[c.name] === cat ? 1 : 0) * weights[j++];
  return z;
}

const { dir } = tempDir('slipway-export-');

async function run(e: LinearExport, rows: Row[]): Promise<{ values: Float64Array; dims: readonly number[]; ops: string[] }> {
  const path = join(dir, `${e.name}.onnx`);
  const bytes = exportLinear(e);
  writeFileSync(path, bytes);
  const session = await ort.InferenceSession.create(path);
  const strings = new Set(e.preprocessing.categorical.map((c) => c.name));
  const feeds = Object.fromEntries(
    e.features.map((f) => [f, strings.has(f) ? new ort.Tensor('string', rows.map((r) => r[f] as string), [rows.length, 1]) : new ort.Tensor('float64', Float64Array.from(rows.map((r) => r[f] as number)), [rows.length, 1])]),
  );
  const out = Object.values(await session.run(feeds))[0];
  await session.release();
  const ops = (readOnnx(bytes) as { graph: { node: { op_type: string }[] } }).graph.node.map((n) => n.op_type);
  return { values: out.data as Float64Array, dims: out.dims, ops };
}

const preprocessing: Preprocessing = {
  numeric: [
    { name: 'income', mean: 52_000, scale: 18_500 },
    { name: 'age', mean: 41.5, scale: 12.25 },
  ],
  categorical: [
    { name: 'term', categories: ['short', 'long'] },
    { name: 'purpose', categories: ['car', 'home', 'study', 'other'] },
  ],
};
const features = ['age', 'purpose', 'income', 'term']; // contract order, not the design's
const weights = [0.8, -1.1, 0.35, -0.6, 1.4, -0.2, 0.05, 0.9];
const intercept = -0.3;
const rows: Row[] = [
  { age: 30, purpose: 'car', income: 40_000, term: 'short' },
  { age: 65, purpose: 'home', income: 90_000, term: 'long' },
  { age: NaN, purpose: 'study', income: NaN, term: 'short' },
  { age: 22, purpose: 'other', income: 15_000, term: 'medium' }, // unknown term
  { age: 50, purpose: '', income: 61_000, term: '' }, // empty: equal to the table's padding, whose coefficient is 0
  { age: 41.5, purpose: 'boat', income: 52_000, term: 'long' },
];

describe('the built-in linear export', () => {
  it('logistic: probabilities [1 − p, p] as the definition gives them, in 12 nodes', async () => {
    const e: LinearExport = { name: 'logit', kind: 'logistic', features, preprocessing, fit: { weights: Float64Array.from(weights), intercept, iterations: 1, objective: 0, converged: true } };
    const { values, dims, ops } = await run(e, rows);
    expect(dims).toEqual([rows.length, 2]);
    rows.forEach((r, i) => {
      const p = 1 / (1 + Math.exp(-reference(preprocessing, weights, intercept, r)));
      expect(Math.abs(values[2 * i + 1] - p), `row ${i}`).toBeLessThan(1e-12);
      expect(Math.abs(values[2 * i] - (1 - p)), `row ${i}`).toBeLessThan(1e-12);
    });
    expect(ops).toEqual(['Concat', 'IsNaN', 'Where', 'Sub', 'Concat', 'Unsqueeze', 'Equal', 'Cast', 'Reshape', 'Concat', 'Gemm', 'Sigmoid']);
  });

  it('linear: predictions as the definition gives them, with one string column or none', async () => {
    const fit = (w: number[]) => ({ weights: Float64Array.from(w), intercept: 7.5, iterations: 1, objective: 0, converged: true });
    const full = await run({ name: 'ridge', kind: 'linear', features, preprocessing, fit: fit(weights) }, rows);
    expect(full.dims).toEqual([rows.length, 1]);
    rows.forEach((r, i) => expect(Math.abs(full.values[i] - reference(preprocessing, weights, 7.5, r)), `row ${i}`).toBeLessThan(1e-9));

    const oneString: Preprocessing = { numeric: [preprocessing.numeric[1]], categorical: [preprocessing.categorical[1]] };
    const w1 = [0.8, 1.4, -0.2, 0.05, 0.9];
    const one = await run({ name: 'one-string', kind: 'linear', features: ['age', 'purpose'], preprocessing: oneString, fit: fit(w1) }, rows);
    rows.forEach((r, i) => expect(Math.abs(one.values[i] - reference(oneString, w1, 7.5, r)), `row ${i}`).toBeLessThan(1e-9));

    const numericOnly: Preprocessing = { numeric: preprocessing.numeric, categorical: [] };
    const w2 = [-1.1, 0.8];
    const nums = await run({ name: 'numeric-only', kind: 'linear', features: ['age', 'income'], preprocessing: numericOnly, fit: fit(w2) }, rows);
    rows.forEach((r, i) => expect(Math.abs(nums.values[i] - reference(numericOnly, w2, 7.5, r)), `row ${i}`).toBeLessThan(1e-9));
    expect(nums.ops).toEqual(['Concat', 'IsNaN', 'Where', 'Sub', 'Gemm']);
  });

  it('strings only, and a string column without categories, score as the definition gives them', async () => {
    const p: Preprocessing = { numeric: [], categorical: [{ name: 'term', categories: [] }, { name: 'purpose', categories: ['car', 'home'] }] };
    const w = [0.5, -0.25];
    const e: LinearExport = { name: 'strings', kind: 'logistic', features: ['term', 'purpose'], preprocessing: p, fit: { weights: Float64Array.from(w), intercept: 0.1, iterations: 1, objective: 0, converged: true } };
    const { values } = await run(e, rows);
    rows.forEach((r, i) => expect(Math.abs(values[2 * i + 1] - 1 / (1 + Math.exp(-reference(p, w, 0.1, r)))), `row ${i}`).toBeLessThan(1e-12));
    const none: Preprocessing = { numeric: [], categorical: [{ name: 'term', categories: [] }] };
    const empty = await run({ name: 'no-categories', kind: 'linear', features: ['term'], preprocessing: none, fit: { weights: new Float64Array(0), intercept: 2.5, iterations: 1, objective: 0, converged: true } }, rows);
    expect(Array.from(empty.values)).toEqual(rows.map(() => 2.5));
  });

  it("features named like the graph's own tensors keep their names, and the graph renames its own", async () => {
    const names: Record<string, string> = { income: 'design', age: 'numeric_mean', term: 'categories', purpose: 'coefficients' };
    const clash: Preprocessing = {
      numeric: preprocessing.numeric.map((s) => ({ ...s, name: names[s.name] })),
      categorical: preprocessing.categorical.map((c) => ({ ...c, name: names[c.name] })),
    };
    const renamed = (r: Row): Row => Object.fromEntries(Object.entries(r).map(([k, v]) => [names[k], v]));
    const e: LinearExport = { name: 'clash', kind: 'logistic', features: ['numeric_mean', 'coefficients', 'design', 'categories'], preprocessing: clash, fit: { weights: Float64Array.from(weights), intercept, iterations: 1, objective: 0, converged: true } };
    const { values } = await run(e, rows.map(renamed));
    rows.forEach((r, i) => expect(Math.abs(values[2 * i + 1] - 1 / (1 + Math.exp(-reference(clash, weights, intercept, renamed(r))))), `row ${i}`).toBeLessThan(1e-12));
    expect(() => exportLinear({ ...e, features: [...e.features, 'probabilities'] })).toThrow(UsageError);
    expect(() => exportLinear({ ...e, features: [...e.features, 'probabilities'] })).toThrow(/model 'clash': feature 'probabilities' has the name of the built-in model's output/);
  });

  it('scores no rows as [0, width]', async () => {
    const e: LinearExport = { name: 'empty', kind: 'logistic', features, preprocessing, fit: { weights: Float64Array.from(weights), intercept, iterations: 1, objective: 0, converged: true } };
    const { values, dims } = await run(e, []);
    expect(dims).toEqual([0, 2]);
    expect(values.length).toBe(0);
  });

  it('category lists of very different lengths get an Equal per column instead of a table padded to the longest', async () => {
    const many = Array.from({ length: 40 }, (_, k) => `v${k}`);
    const p: Preprocessing = {
      numeric: [preprocessing.numeric[1]],
      categorical: [
        { name: 'term', categories: ['short', 'long'] },
        { name: 'code', categories: many },
        { name: 'purpose', categories: ['car', 'home'] },
      ],
    };
    const w = [0.8, 0.4, -0.4, ...many.map((_, k) => (k % 7) / 10 - 0.3), 1.5, -1.5];
    const e: LinearExport = { name: 'uneven', kind: 'logistic', features: ['age', 'term', 'code', 'purpose'], preprocessing: p, fit: { weights: Float64Array.from(w), intercept: 0.2, iterations: 1, objective: 0, converged: true } };
    const uneven = rows.map((r, i) => ({ ...r, code: i === 3 ? 'unknown' : `v${(i * 13) % 40}` }));
    const { values, ops } = await run(e, uneven);
    uneven.forEach((r, i) => expect(Math.abs(values[2 * i + 1] - 1 / (1 + Math.exp(-reference(p, w, 0.2, r)))), `row ${i}`).toBeLessThan(1e-12));
    // 3 × 40 padded would be 120 entries for 44 categories
    expect(ops.filter((o) => o === 'Equal')).toHaveLength(3);
    expect(ops).not.toContain('Reshape');
  });

  it('an enum that lists a value twice gives it one indicator column', () => {
    const contract: RowSchema = { properties: { term: { type: 'string', enum: ['short', 'long', 'short'] }, age: { type: 'number' } } };
    const batch: FeatureBatch = { rows: 2, columns: { term: ['short', 'long'], age: Float64Array.from([30, 40]) } };
    expect(fitPreprocessing(batch, ['term', 'age'], contract).categorical).toEqual([{ name: 'term', categories: ['short', 'long'] }]);
  });

  it('refuses coefficients that do not match the design', () => {
    const e: LinearExport = { name: 'bad', kind: 'linear', features, preprocessing, fit: { weights: Float64Array.from(weights.slice(1)), intercept, iterations: 1, objective: 0, converged: true } };
    expect(() => exportLinear(e)).toThrow(/7 coefficients for 8 design columns/);
  });
});
