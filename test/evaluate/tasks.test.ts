import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, readerSql, sqlString } from '../../src/data/duckdb.js';
import type { EvaluationReport } from '../../src/evaluate/report-types.js';
import { DataType, writeOnnx } from '../../src/model/onnx-writer.js';
import { synthesizePackage } from '../../src/package/read.js';
import { loadModel } from '../../src/spec/model.js';
import { FileStore } from '../../src/store/file-store.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES } from '../train/fixtures.js';
import { creditRiskRepo, pin, trainPackage } from './repo.js';

const { dir } = tempDir('slipway-evaluate-tasks-');
const env = { ...process.env, SLIPWAY_STORE: '', SLIPWAY_EXECUTION_PROVIDER: 'cpu' };
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as EvaluationReport;

describe('multiclass: a bare ONNX softmax model (probabilities = softmax(x0, x1, x2))', () => {
  const repo = join(dir, 'mc');
  const rows: { x: number[]; label: number; grp: string }[] = [];
  beforeAll(() => {
    const m = join(repo, 'models', 'three');
    mkdirSync(join(m, 'data'), { recursive: true });
    mkdirSync(join(repo, 'environments'), { recursive: true });
    writeFileSync(join(repo, 'environments', 'staging.yaml'), 'apiVersion: slipway/v1\nkind: Environment\nname: staging\npromotion: push\nmodels: {}\n');
    writeFileSync(join(m, 'schema.json'), JSON.stringify({ type: 'object', properties: { x0: { type: 'number' }, x1: { type: 'number' }, x2: { type: 'number' }, grp: { type: 'string' }, label: { type: 'integer' } } }));
    writeFileSync(
      join(m, 'model.yaml'),
      ['apiVersion: slipway/v1', 'kind: Model', 'name: three', 'task: multiclass-classification', 'data:', '  schema: schema.json', '  train: data/test.csv', '  test: data/test.csv', '  target: label', '  sensitive: [grp]', 'train:', '  command: "true"', 'evaluate:', '  min_group_size: 5', 'gates:', '  metrics: { accuracy: ">= 0.5", log_loss: "<= 5" }', ''].join('\n'),
    );
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 4 - 2;
    for (let i = 0; i < 300; i++) {
      const x = [rnd(), rnd(), rnd()].map((v) => Math.round(v * 1000) / 1000);
      const noisy = x.map((v) => v + rnd() * 0.6);
      rows.push({ x, label: noisy.indexOf(Math.max(...noisy)), grp: i % 7 === 0 ? 'rare' : 'common' });
    }
    writeFileSync(join(m, 'data', 'test.csv'), 'x0,x1,x2,grp,label\n' + rows.map((r) => `${r.x.join(',')},${r.grp},${r.label}`).join('\n') + '\n');
  });

  it('reports accuracy, macro/weighted F1 and log loss, checked against the softmax computed here', async () => {
    const out = join(dir, 'mc.json');
    const r = await runCli(['evaluate', '--model', 'three', '--candidate', join(FIXTURES, 'matrix_multiclass.onnx'), '--against', 'staging', '--report', out], repo, env);
    expect(r.code, r.stderr).toBe(0);
    const rep = read(out);
    expect(rep.task).toBe('multiclass-classification');
    expect(Object.keys(rep.metrics.candidate).sort()).toEqual(['accuracy', 'log_loss', 'macro_f1', 'weighted_f1']);
    let correct = 0;
    let ll = 0;
    for (const row of rows) {
      const e = row.x.map(Math.exp);
      const z = e.reduce((a, b) => a + b, 0);
      if (row.x.indexOf(Math.max(...row.x)) === row.label) correct++;
      ll -= Math.log(e[row.label] / z);
    }
    expect(rep.metrics.candidate.accuracy).toBeCloseTo(correct / rows.length, 12);
    expect(rep.metrics.candidate.log_loss).toBeCloseTo(ll / rows.length, 5); // the model computes in float32
    expect(rep.fairness.grp.metric_name).toBe('accuracy');
    expect(rep.fairness.grp.groups.map((g) => [g.group, g.count])).toEqual([['common', 257], ['rare', 43]]);
    expect(rep.fairness.grp.groups[0].selection_rate).toBeNull();
    expect(rep.fairness.grp.demographic_parity_ratio).toBeNull();
    expect(rep.gates.map((g) => [g.name, g.ok])).toEqual([['metrics.accuracy', true], ['metrics.log_loss', true]]);
  });

  it('a model whose probabilities do not sum to 1 (one sigmoid per class) is refused: renormalised, its log loss would be one it does not have', async () => {
    const onnx = join(dir, 'sigmoids.onnx');
    const graph = {
      name: 'sigmoids',
      inputs: [{ name: 'X', type: DataType.FLOAT, shape: ['N', 3] }],
      outputs: [{ name: 'probabilities', type: DataType.FLOAT, shape: ['N', 3] }],
      nodes: [{ op: 'Sigmoid', inputs: ['X'], outputs: ['probabilities'] }],
      initializers: [],
    };
    writeFileSync(onnx, writeOnnx(graph as unknown as Parameters<typeof writeOnnx>[0]));
    const r = await runCli(['evaluate', '--model', 'three', '--candidate', onnx, '--against', 'staging', '--bootstrap', '0'], repo, env);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const m = /^error: the candidate model's probabilities for data row 1 sum to ([0-9.]+) \(([0-9.]+), ([0-9.]+), ([0-9.]+)\); a multiclass output must sum to 1 \(within 0\.0001\); renormalising it, as scikit-learn's log_loss did before 1\.5 \(it now refuses such rows\), would give a model with one sigmoid per class a log loss it does not have\n/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const sigmoid = rows[0].x.map((v) => 1 / (1 + Math.exp(-v)));
    [2, 3, 4].forEach((g, k) => expect(Number(m![g])).toBeCloseTo(sigmoid[k], 3));
    expect(Number(m![1])).toBeCloseTo(sigmoid.reduce((a, b) => a + b, 0), 3);
  });

  it('a package whose "classes" name a class twice is an input error (the labels would map to the last column of that name)', async () => {
    const pkg = join(dir, 'mc-dup');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(FIXTURES, 'matrix_multiclass.onnx'), join(pkg, 'model.onnx'));
    const { card } = await synthesizePackage(join(pkg, 'model.onnx'), await loadModel(repo, 'three'));
    delete card.synthesized;
    writeFileSync(join(pkg, 'slipway.json'), JSON.stringify({ ...card, version: '1.0.0', classes: [0, 1, '0'] }, null, 2));
    const r = await runCli(['evaluate', '--model', 'three', '--candidate', pkg, '--against', 'staging', '--bootstrap', '0'], repo, env);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(/target 'label': the package lists class "0" twice in "classes" \("0", "1", "0"\); each output column must be a different class\n/);
  });
});

describe('regression: builtin linear regression on the credit-risk data (target: default as a number)', () => {
  const repo = join(dir, 'reg');
  beforeAll(async () => {
    await creditRiskRepo(repo, { trainRows: 2000, testRows: 800 });
    const y = join(repo, 'models', 'credit-risk', 'model.yaml');
    const yaml = readFileSync(y, 'utf8')
      .replace('task: binary-classification', 'task: regression')
      .replace('builtin: logistic-regression', 'builtin: linear-regression')
      .replace(/gates:[\s\S]*?drift:/, 'gates:\n  metrics: { rmse: "<= 1", r2: ">= 0.05" }\n  versus_champion: { rmse: "<= 0.01" }\ndrift:');
    writeFileSync(y, yaml);
    await trainPackage(repo, join(dir, 'reg-cand'), { version: '2.0.0', builtin: 'linear-regression' });
    await trainPackage(repo, join(dir, 'reg-champ'), { version: '1.0.0', builtin: 'linear-regression', features: ['term_months'] });
    pin(repo, 'production', '1.0.0', await new FileStore(join(repo, '.slipway', 'store')).put(join(dir, 'reg-champ')));
  });

  it('reports mae, rmse, r2 and mape with paired-bootstrap deltas against the champion', async () => {
    const out = join(dir, 'reg.json');
    const r = await runCli(['evaluate', '--model', 'credit-risk', '--candidate', join(dir, 'reg-cand'), '--report', out, '--bootstrap', '100'], repo, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = read(out);
    expect(Object.keys(rep.metrics.candidate).sort()).toEqual(['mae', 'mape', 'r2', 'rmse']);
    expect(rep.metrics.candidate.r2).toBeGreaterThan(0.05);
    expect(rep.deltas.rmse.higher_is_better).toBe(false);
    expect(rep.deltas.rmse.ci_high).toBeLessThan(0); // 12 features beat one
    expect(rep.deltas.r2.ci_low).toBeGreaterThan(0);
    expect(rep.fairness.sex.metric_name).toBe('mae');
    expect(rep.fairness.sex.metric_difference).toBeGreaterThanOrEqual(0);
    expect(rep.confusion_matrix).toBeUndefined();
    expect(rep.gates.map((g) => [g.name, g.ok])).toEqual([['metrics.rmse', true], ['metrics.r2', true], ['versus_champion.rmse', true]]);
  });

  it('says that mape is not a percentage error when the target is 0 on some rows (each adds |y − ŷ| / eps, as in sklearn)', async () => {
    const out = join(dir, 'reg-mape.json');
    const r = await runCli(['evaluate', '--model', 'credit-risk', '--candidate', join(dir, 'reg-cand'), '--report', out, '--bootstrap', '0'], repo, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = read(out);
    // the target is default (0/1): most rows are 0, and mape is in the order of 1e15, not a fraction
    expect(rep.metrics.candidate.mape).toBeGreaterThan(1e13);
    const conn = await openDuckDB();
    const zeros = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${readerSql(join(repo, 'models', 'credit-risk', 'data', 'test.parquet'))} WHERE "default" = 0`)).getRowsJS()[0][0]);
    conn.closeSync();
    expect(zeros).toBeGreaterThan(0);
    const warning = `mape (${rep.metrics.candidate.mape!.toExponential(3)}) divides each error by |y|, and the target is 0 on ${zeros} of 800 rows`;
    expect(rep.warnings?.[0]).toContain(warning);
    expect(rep.warnings?.[0]).toMatch(/\(first at data row \d+\): each of those adds \|y − ŷ\| \/ 2\.2e-16 \(sklearn's eps\), so mape measures them alone; gate on mae or rmse instead$/);
    expect(r.stdout).toContain(`warning: ${warning}`);
  });

  it('a target of Infinity (a CSV "inf") is an input error naming its row: mae and rmse would be infinite, written as null', async () => {
    const test = join(repo, 'models', 'credit-risk', 'data', 'test.parquet');
    const bad = join(dir, 'inf-target.parquet');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * REPLACE (CASE WHEN id = (SELECT min(id) FROM ${readerSql(test)}) THEN 'inf'::DOUBLE ELSE "default" END AS "default") FROM ${readerSql(test)} ORDER BY id) TO ${sqlString(bad)}`);
    conn.closeSync();
    const r = await runCli(['evaluate', '--model', 'credit-risk', '--candidate', join(dir, 'reg-cand'), '--data', bad, '--bootstrap', '0'], repo, env);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(/inf-target\.parquet: target 'default': data row 1 has the target Infinity; a target must be a finite number\n/);
  });
});
