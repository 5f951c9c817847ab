import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { readFeatureTable } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { loadModel } from '../../src/spec/model.js';
import { assertDesignFits } from '../../src/train/builtin/design.js';
import { trainBuiltin, type BuiltinName } from '../../src/train/builtin/index.js';
import { fitLogistic } from '../../src/train/builtin/solvers.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES } from './fixtures.js';

interface EdgeCase {
  task: 'binary-classification' | 'regression';
  features: string[];
  l2: number;
  design: string[];
  coef: number[];
  intercept: number;
  train_pred: number[];
}
const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden_edge.json'), 'utf8')) as { cases: Record<string, EdgeCase> };

/**
 * Tolerance against scikit-learn (test/fixtures/train/make_golden_edge.py): both sides minimise the same
 * strictly convex objective to convergence, so coefficients, intercept and predictions agree to 1e-6
 * relative (absolute below 1) — the separable case's coefficients are large (≈ 12), the rest are small.
 */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

const { dir: repo } = tempDir('slipway-builtin-edge-');
const num = { type: ['number', 'null'] };

/** models/<name> over `csv` (a fixture file name, or the text of a CSV) with every column but y a feature. */
function model(name: string, csv: string, features: string[], task: EdgeCase['task'], strings: string[] = []): string {
  const dir = join(repo, 'models', name);
  mkdirSync(dir, { recursive: true });
  if (csv.endsWith('.csv')) copyFileSync(join(FIXTURES, csv), join(dir, 'train.csv'));
  else writeFileSync(join(dir, 'train.csv'), csv);
  const properties: Record<string, unknown> = { y: task === 'regression' ? { type: 'number' } : { type: 'integer' } };
  for (const f of features) properties[f] = strings.includes(f) ? { type: 'string' } : num;
  writeFileSync(join(dir, 'schema.json'), JSON.stringify({ type: 'object', properties }));
  const builtin = task === 'regression' ? 'linear-regression' : 'logistic-regression';
  writeFileSync(join(dir, 'model.yaml'), `apiVersion: slipway/v1\nkind: Model\nname: ${name}\ntask: ${task}\ndata:\n  schema: schema.json\n  train: train.csv\n  test: train.csv\n  target: y\n  features: [${features.join(', ')}]\ntrain:\n  builtin: ${builtin}\n`);
  return dir;
}

async function train(name: string, l2 = 1) {
  const m = await loadModel(repo, name);
  const conn = await openDuckDB();
  const from = readerSql(join(m.dir, 'train.csv'));
  const builtin: BuiltinName = m.spec.task === 'regression' ? 'linear-regression' : 'logistic-regression';
  const r = await trainBuiltin(builtin, conn, from, m, { l2 });
  const onnx = join(m.dir, 'model.onnx');
  writeFileSync(onnx, r.onnx);
  const session = await openSession(onnx, { provider: 'cpu', features: m.features, contract: m.schema, task: m.spec.task });
  const p = await session.predict(await readFeatureTable(conn, from, m.features, m.schema));
  await session.close();
  conn.closeSync();
  return { r, predictions: p.values };
}

describe('builtin trainers on edge cases, against scikit-learn (make_golden_edge.py)', () => {
  for (const [name, g] of Object.entries(golden.cases)) {
    it(`${name}: design, coefficients, intercept and predictions through the ONNX graph`, async () => {
      const modelName = `edge-${name.replace('_', '-')}`;
      model(modelName, `edge_${name}.csv`, g.features, g.task, g.features.filter((f) => f === 's'));
      const { r, predictions } = await train(modelName, g.l2);
      expect(r.design).toEqual(g.design);
      expect(r.fit.converged).toBe(true);
      r.fit.weights.forEach((w, j) => expect(close(w, g.coef[j]), `${g.design[j]}: ${w} vs ${g.coef[j]}`).toBe(true));
      expect(close(r.fit.intercept, g.intercept), `intercept ${r.fit.intercept} vs ${g.intercept}`).toBe(true);
      expect(predictions.length).toBe(g.train_pred.length);
      predictions.forEach((p, i) => expect(close(p, g.train_pred[i]), `row ${i}: ${p} vs ${g.train_pred[i]}`).toBe(true));
    });
  }
});

describe('builtin trainers: data they cannot fit is an input error that names the file, the column and the fix', () => {
  const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';

  it('a column that is all null, an infinite value, no rows, one class', async () => {
    model('all-null', 'a,c,y\n' + rows(30, (i) => `${i % 7},,${i % 2}`), ['a', 'c'], 'binary-classification');
    await expect(train('all-null')).rejects.toThrow("the training data: feature 'c' has no values (every row is null); remove it from data.features or fill it in");
    // DuckDB reads 'inf' as Infinity: it had given NaN coefficients and "the features are collinear; use l2 > 0"
    model('infinite', 'a,y\n' + rows(30, (i) => `${i === 3 ? 'inf' : i},${i % 2}`), ['a'], 'binary-classification');
    await expect(train('infinite')).rejects.toThrow("the training data: feature 'a' holds Infinity in 1 row(s) (the first is data row 4); the built-in trainers need finite numbers (a missing value may be null)");
    model('no-rows', 'a,y\n', ['a'], 'binary-classification');
    await expect(train('no-rows')).rejects.toThrow('the training data: no rows to train on');
    model('one-class', 'a,y\n' + rows(30, (i) => `${i},1`), ['a'], 'binary-classification');
    await expect(train('one-class')).rejects.toThrow("the training data: target 'y': every row is in one class (30 positive of 30); a classifier needs both");
  });

  it('through the CLI the message names the data file, never the SQL that read it', async () => {
    const r = await runCli(['train', '--model', 'infinite'], repo, { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: models/infinite/train.csv: feature 'a' holds Infinity in 1 row(s)");
    const o = await runCli(['train', '--model', 'one-class'], repo, { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' });
    expect(o.code).toBe(2);
    expect(o.stderr).toContain("error: models/one-class/train.csv: target 'y': every row is in one class");
    expect(o.stderr).not.toMatch(/read_csv|\n\s+at /);
  });

  it('values whose squares overflow a double are standardised, not dropped as a zero column', async () => {
    // the same data in units of 1e200: the standardised design, hence the fit, is the same
    model('small-units', 'a,y\n' + rows(40, (i) => `${i},${2 * i + (i % 3)}`), ['a'], 'regression');
    model('huge-units', 'a,y\n' + rows(40, (i) => `${i}e200,${2 * i + (i % 3)}`), ['a'], 'regression');
    const small = await train('small-units');
    const huge = await train('huge-units');
    expect(small.r.fit.weights[0]).toBeGreaterThan(20);
    expect(close(huge.r.fit.weights[0], small.r.fit.weights[0])).toBe(true);
    huge.predictions.forEach((p, i) => expect(close(p, small.predictions[i]), `row ${i}`).toBe(true));
  });

  it('a design matrix too large for memory is refused up front, naming the widest string features', () => {
    const pre = { numeric: [{ name: 'a', mean: 0, scale: 1 }], categorical: [{ name: 'zip', categories: Array.from({ length: 3000 }, (_, i) => `z${i}`) }, { name: 'one', categories: ['x'] }] };
    expect(() => assertDesignFits(1000, pre, 'models/m/train.csv', 1000 * 3002)).not.toThrow();
    expect(() => assertDesignFits(1_000_000, pre, 'models/m/train.csv')).toThrow(
      "models/m/train.csv: the built-in trainer's design matrix would be 1000000 rows × 3002 columns (22.4 GiB; at most 4 GiB), 'zip' having 3000 categories; group rare categories, drop such a feature, sample the rows, or train with a command (train.command)",
    );
  });

  it("Newton's method reports each step (for progress lines on long fits)", () => {
    const X = Float64Array.from([-1, -0.5, 0, 0.5, 1, 1.5]);
    const y = Float64Array.from([0, 1, 0, 1, 1, 1]);
    const steps: [number, number][] = [];
    const fit = fitLogistic(X, y, 6, 1, 1, 100, 1e-10, (step, objective) => steps.push([step, objective]));
    expect(steps.map((s) => s[0])).toEqual(Array.from({ length: fit.iterations }, (_, i) => i + 1));
    expect(steps.at(-1)![1]).toBe(fit.objective);
    for (let i = 1; i < steps.length; i++) expect(steps[i][1]).toBeLessThanOrEqual(steps[i - 1][1]);
  });
});
