import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { readFeatureTable } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { loadModel } from '../../src/spec/model.js';
import { trainBuiltin } from '../../src/train/builtin/index.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES, writeGoldenModel } from './fixtures.js';

interface Golden {
  design: string[];
  numeric: { mean: number[]; scale: number[] };
  logistic: { coef: number[]; intercept: number; train_proba: number[]; test_proba: number[] };
  ridge: { coef: number[]; intercept: number; test_pred: number[] };
}
const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden.json'), 'utf8')) as Golden;

/**
 * Tolerances. Both sides minimise the same strictly convex objective to convergence (our Newton
 * steps below 1e-10; scikit-learn's newton-cholesky at tol 1e-14), so coefficients agree to
 * optimisation accuracy: 1e-6 absolute leaves room for the different summation orders and
 * stopping rules. Probabilities go through the exported ONNX graph in float64: 1e-7 absolute.
 * Ridge is solved exactly on both sides (normal equations vs. scikit-learn's cholesky): 1e-8.
 */
const COEF_TOL = 1e-6;
const PROBA_TOL = 1e-7;

describe('builtin trainers against scikit-learn (test/fixtures/train/make_golden.py)', () => {
  const { dir: repo } = tempDir('slipway-golden-');
  writeGoldenModel(repo, { name: 'golden', train: 'builtin: logistic-regression\nparams: { l2: 2 }' });
  writeGoldenModel(repo, { name: 'golden-reg', task: 'regression', target: 'amount', train: 'builtin: linear-regression\nparams: { l2: 2 }' });

  it('logistic-regression: same preprocessing, coefficients and probabilities as sklearn', async () => {
    const model = await loadModel(repo, 'golden');
    const conn = await openDuckDB();
    const from = readerSql(join(model.dir, 'data/train.csv'));
    const r = await trainBuiltin('logistic-regression', conn, from, model, { l2: 2 });
    expect(r.design).toEqual(golden.design);
    expect(r.fit.converged).toBe(true);
    r.fit.weights.forEach((w, j) => expect(Math.abs(w - golden.logistic.coef[j]), golden.design[j]).toBeLessThan(COEF_TOL));
    expect(Math.abs(r.fit.intercept - golden.logistic.intercept)).toBeLessThan(COEF_TOL);

    const onnx = join(repo, 'lr.onnx');
    writeFileSync(onnx, r.onnx);
    const session = await openSession(onnx, { provider: 'cpu', features: model.features, contract: model.schema, task: model.spec.task });
    expect(session.signature.convention).toBe('columns');
    expect(session.signature.output).toBe('probabilities');
    const train = await readFeatureTable(conn, from, model.features, model.schema);
    const p = await session.predict(train);
    expect(p.width).toBe(1);
    expect(p.values.length).toBe(400);
    let worst = 0;
    p.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - golden.logistic.train_proba[i]))));
    expect(worst).toBeLessThan(PROBA_TOL);

    // unseen rows: an unknown category (all zeros) and a missing numeric value (training mean)
    const test = await readFeatureTable(conn, readerSql(join(model.dir, 'data/test.csv')), model.features, model.schema);
    expect((test.columns.color as string[])[0]).toBe('purple');
    expect(Number.isNaN((test.columns.x1 as Float64Array)[1])).toBe(true);
    const pt = await session.predict(test);
    pt.values.forEach((v, i) => expect(Math.abs(v - golden.logistic.test_proba[i])).toBeLessThan(PROBA_TOL));
    await session.close();
  });

  it('linear-regression: ridge coefficients and predictions as sklearn Ridge(alpha = l2)', async () => {
    const model = await loadModel(repo, 'golden-reg');
    const conn = await openDuckDB();
    const r = await trainBuiltin('linear-regression', conn, readerSql(join(model.dir, 'data/train.csv')), model, { l2: 2 });
    r.fit.weights.forEach((w, j) => expect(Math.abs(w - golden.ridge.coef[j])).toBeLessThan(1e-8));
    expect(Math.abs(r.fit.intercept - golden.ridge.intercept)).toBeLessThan(1e-8);
    const onnx = join(repo, 'ridge.onnx');
    writeFileSync(onnx, r.onnx);
    const session = await openSession(onnx, { provider: 'cpu', features: model.features, contract: model.schema, task: 'regression' });
    expect(session.signature.output).toBe('predictions');
    const test = await readFeatureTable(conn, readerSql(join(model.dir, 'data/test.csv')), model.features, model.schema);
    const p = await session.predict(test);
    p.values.forEach((v, i) => expect(Math.abs(v - golden.ridge.test_pred[i])).toBeLessThan(1e-8));
    await session.close();
  });

  it('is deterministic: the same data gives byte-identical ONNX', async () => {
    const model = await loadModel(repo, 'golden');
    const from = readerSql(join(model.dir, 'data/train.csv'));
    const a = await trainBuiltin('logistic-regression', await openDuckDB(), from, model, { l2: 2 });
    const b = await trainBuiltin('logistic-regression', await openDuckDB({ threads: 1 }), from, model, { l2: 2 });
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    const c = await trainBuiltin('logistic-regression', await openDuckDB(), from, model, { l2: 3 });
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false);
  });

  it('refuses bad parameters and the wrong task clearly', async () => {
    const model = await loadModel(repo, 'golden');
    const conn = await openDuckDB();
    const from = readerSql(join(model.dir, 'data/train.csv'));
    await expect(trainBuiltin('logistic-regression', conn, from, model, { l2: -1 })).rejects.toThrow(/train\.params\.l2: expected a number > 0, got -1/);
    await expect(trainBuiltin('logistic-regression', conn, from, model, { lr: 0.1 })).rejects.toThrow(/unknown parameter\(s\) lr/);
    await expect(trainBuiltin('linear-regression', conn, from, model, {})).rejects.toThrow(/linear-regression trains regression models; model 'golden' is binary-classification/);
  });
});
