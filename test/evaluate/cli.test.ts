import { existsSync, readFileSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, readerSql, sqlString } from '../../src/data/duckdb.js';
import { BINARY_METRICS } from '../../src/evaluate/kernel.js';
import type { EvaluationReport } from '../../src/evaluate/report-types.js';
import { readFeatureTable } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { loadModel } from '../../src/spec/model.js';
import { packageDigest } from '../../src/store/digest.js';
import { FileStore } from '../../src/store/file-store.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { creditRiskRepo, pin, trainPackage } from './repo.js';

const { dir } = tempDir('slipway-evaluate-');
const repo = join(dir, 'repo');
const candDir = join(dir, 'candidate');
const champDir = join(dir, 'champion');
const modelYaml = join(repo, 'models', 'credit-risk', 'model.yaml');
let baseYaml = '';
let champDigest = '';
const env = { ...process.env, SLIPWAY_STORE: '', SLIPWAY_EXECUTION_PROVIDER: 'cpu' };

/** model.yaml with text replaced (the shipped latency gate of 5 ms is loosened: tests never gate on timing). */
function setYaml(...edits: [string | RegExp, string][]): void {
  let y = baseYaml;
  for (const [a, b] of edits) y = y.replace(a, b);
  writeFileSync(modelYaml, y);
}

async function evaluate(args: string[]) {
  const r = await runCli(['evaluate', '--model', 'credit-risk', ...args], repo, env);
  return r;
}

function readReport(file: string): EvaluationReport {
  return JSON.parse(readFileSync(file, 'utf8')) as EvaluationReport;
}

/** Mann–Whitney AUC by brute force over all pairs: an independent check of the report. */
function pairwiseAuc(y: Float64Array | Uint8Array, p: Float64Array): number {
  let s = 0;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i]) pos++;
    else neg++;
  }
  for (let i = 0; i < y.length; i++) {
    if (!y[i]) continue;
    for (let j = 0; j < y.length; j++) if (!y[j]) s += p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0;
  }
  return s / pos / neg;
}

beforeAll(async () => {
  await creditRiskRepo(repo);
  await trainPackage(repo, candDir, { version: '2.0.0' });
  await trainPackage(repo, champDir, { version: '1.0.0', features: ['debt_ratio', 'late_payments', 'term_months'] });
  champDigest = await new FileStore(join(repo, '.slipway', 'store')).put(champDir);
  pin(repo, 'production', '1.0.0', champDigest);
  baseYaml = readFileSync(modelYaml, 'utf8').replace('latency_p99_ms: 5', 'latency_p99_ms: 100000');
  setYaml();
});

describe('slipway evaluate against a champion pinned in production', () => {
  it('writes the report in the agreed shape, prints a summary, sets outputs and exits 0 when every gate passes', async () => {
    const out = join(dir, 'out', 'eval.json');
    const r = await evaluate(['--candidate', candDir, '--report', out]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = readReport(out);
    expect(rep.model).toBe('credit-risk');
    expect(rep.task).toBe('binary-classification');
    expect(rep.data.rows).toBe(1500);
    expect(rep.data.uri).toBe('models/credit-risk/data/test.parquet');
    expect(rep.data.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rep.candidate).toEqual({ name: 'credit-risk', version: '2.0.0', digest: await packageDigest(candDir) });
    expect(rep.champion).toEqual({ name: 'credit-risk', version: '1.0.0', digest: champDigest, env: 'production' });
    const names = BINARY_METRICS.map((m) => m.name).sort();
    expect(Object.keys(rep.metrics.candidate).sort()).toEqual(names);
    expect(Object.keys(rep.metrics.champion!).sort()).toEqual(names);
    expect(Object.keys(rep.deltas).sort()).toEqual(names);
    for (const [m, d] of Object.entries(rep.deltas)) {
      expect(d.value).toBeCloseTo(rep.metrics.candidate[m]! - rep.metrics.champion![m]!, 12);
      expect(d.ci_low).toBeLessThanOrEqual(d.ci_high);
      expect(d.replicates).toBe(200);
    }
    // 12 features beat 3: the AUC gain is beyond noise
    expect(rep.deltas.roc_auc.ci_low).toBeGreaterThan(0);
    expect(rep.bootstrap).toEqual({ samples: 200, seed: 1, confidence: 0.95 });
    expect(Object.keys(rep.fairness).sort()).toEqual(['age_band', 'sex']);
    expect(rep.fairness.sex.groups.map((g) => g.group)).toEqual(['F', 'M']);
    expect(rep.fairness.age_band.groups.reduce((s, g) => s + g.count, 0)).toBe(1500);
    expect(rep.confusion_matrix!.flat().reduce((a, b) => a + b, 0)).toBe(1500);
    expect(rep.calibration!.bins).toHaveLength(10);
    expect(rep.roc_curve!.fpr[0]).toBe(0);
    expect(rep.latency.single_p50_ms).toBeGreaterThan(0);
    expect(rep.latency.single_p99_ms).toBeGreaterThanOrEqual(rep.latency.single_p50_ms);
    expect(rep.latency.batch_size).toBe(1024);
    expect(rep.latency.execution_provider).toBe('cpu');
    expect(rep.gates.map((g) => g.name)).toEqual(['metrics.roc_auc', 'versus_champion.roc_auc', 'fairness.sex.demographic_parity_ratio', 'fairness.age_band.demographic_parity_ratio', 'latency_p99_ms']);
    const vs = rep.gates[1];
    expect(vs.observed).toBe(rep.deltas.roc_auc.value);
    expect(vs.ci).toEqual([rep.deltas.roc_auc.ci_low, rep.deltas.roc_auc.ci_high]);
    expect(rep.gates[2].observed).toBe(rep.fairness.sex.demographic_parity_ratio);
    expect(rep.ok).toBe(true);
    expect(Object.keys(rep.timings_ms)).toEqual(expect.arrayContaining(['read_and_score', 'metrics', 'fairness', 'bootstrap', 'latency', 'total']));

    expect(r.stdout).toContain('credit-risk 2.0.0');
    expect(r.stdout).toContain('vs champion 1.0.0 (production)');
    expect(r.stdout).toMatch(/roc_auc\s+0\.\d+\s+0\.\d+\s+\+0\.\d+ \[\+/);
    expect(r.stdout).toContain('✓ versus_champion.roc_auc');
    expect(r.stdout).toContain('verdict: PASS: all 5 gates pass');
    expect(r.outputs).toEqual({ ok: 'true', report: out });
    expect(r.summary).toContain('✅ evaluate credit-risk 2.0.0');
    expect(r.summary).toContain('| versus&#95;champion.roc&#95;auc');
  });

  it("the report's numbers are the models' real scores: AUC checked by brute force over all pairs", async () => {
    const out = join(dir, 'auc.json');
    await evaluate(['--candidate', candDir, '--report', out, '--bootstrap', '0']);
    const rep = readReport(out);
    const model = await loadModel(repo, 'credit-risk');
    const conn = await openDuckDB();
    const from = readerSql(join(model.dir, 'data', 'test.parquet'));
    const batch = await readFeatureTable(conn, from, [...model.features, 'default'], model.schema);
    conn.closeSync();
    const s = await openSession(join(candDir, 'model.onnx'), { provider: 'cpu', features: model.features, contract: model.schema, task: 'binary-classification', notice: () => {} });
    const p = (await s.predict(batch)).values;
    await s.close();
    const y = batch.columns.default as Float64Array;
    expect(rep.metrics.candidate.roc_auc).toBeCloseTo(pairwiseAuc(y, p), 12);
    let correct = 0;
    for (let i = 0; i < y.length; i++) correct += (p[i] >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
    expect(rep.metrics.candidate.accuracy).toBeCloseTo(correct / y.length, 14);
    // with 0 replicates the intervals collapse onto the point delta
    expect(rep.deltas.roc_auc.ci_low).toBe(rep.deltas.roc_auc.value);
  });

  it('a failing gate exits 1, says which and by how much, and sets ok=false', async () => {
    setYaml(['roc_auc: ">= 0.75"', 'roc_auc: ">= 0.999"'], ['demographic_parity_ratio: ">= 0.8"', 'demographic_parity_ratio: ">= 0.8"\n    equalized_odds_difference: "<= 1"'], ['latency_p99_ms: 100000', 'latency_p99_ms: 0.000001']);
    try {
      const out = join(dir, 'fail.json');
      const r = await evaluate(['--candidate', candDir, '--report', out, '--bootstrap', '100']);
      expect(r.code).toBe(1);
      const rep = readReport(out);
      expect(rep.ok).toBe(false);
      const byName = Object.fromEntries(rep.gates.map((g) => [g.name, g]));
      expect(byName['metrics.roc_auc']).toMatchObject({ ok: false, threshold: '>= 0.999' });
      expect(byName['metrics.roc_auc'].reason).toMatch(/^0\.\d+ is not >= 0\.999$/);
      expect(byName['latency_p99_ms']).toMatchObject({ ok: false, threshold: '<= 0.000001' });
      expect(byName['fairness.sex.equalized_odds_difference'].ok).toBe(true);
      expect(r.stdout).toMatch(/✗ metrics\.roc_auc: 0\.\d+ \(needs >= 0\.999\)/);
      expect(r.stdout).toContain('verdict: FAIL: 2 of 7 gates failed');
      expect(r.outputs.ok).toBe('false');
      expect(r.summary).toContain('❌');
    } finally {
      setYaml();
    }
  });

  it('a candidate given by digest is fetched from the store and verified', async () => {
    const digest = await new FileStore(join(repo, '.slipway', 'store')).put(candDir);
    const out = join(dir, 'digest.json');
    const r = await evaluate(['--candidate', digest, '--report', out, '--bootstrap', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(readReport(out).candidate.digest).toBe(digest);
  });

  it('a bare model.onnx works too (digest of the file, version 0.0.0-unpackaged)', async () => {
    const out = join(dir, 'bare.json');
    const r = await evaluate(['--candidate', join(candDir, 'model.onnx'), '--report', out, '--bootstrap', '0']);
    expect(r.code, r.stderr).toBe(0);
    const rep = readReport(out);
    expect(rep.candidate.version).toBe('0.0.0-unpackaged');
    expect(rep.candidate.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rep.metrics.candidate.roc_auc).toBeGreaterThan(0.7);
  });

  it('a model served at another threshold than the one evaluated is named: its thresholded figures are not those of production', async () => {
    const out = join(dir, 'threshold.json');
    await evaluate(['--candidate', candDir, '--report', out, '--bootstrap', '0']);
    expect(readReport(out).warnings).toBeUndefined(); // both cards say 0.5, as model.yaml does
    setYaml(['threshold: 0.5', 'threshold: 0.4']);
    try {
      const r = await evaluate(['--candidate', candDir, '--report', out, '--bootstrap', '0']);
      const rep = readReport(out);
      expect(rep.threshold).toBe(0.4);
      const tail = ' is served at threshold 0.5 (its slipway.json) but evaluated at 0.4 (evaluate.threshold of model.yaml): its accuracy, precision, recall, f1, confusion matrix and fairness rates here are not those it has in production';
      expect(rep.warnings).toEqual([`the candidate 2.0.0${tail}`, `the champion 1.0.0${tail}`]);
      expect(r.stdout).toContain(`warning: the champion 1.0.0${tail}`);
    } finally {
      setYaml();
    }
  });

  it('intersections configured in model.yaml get their own fairness entry and gates', async () => {
    setYaml(['min_group_size: 30', 'min_group_size: 30\n  intersections: [[sex, age_band]]']);
    try {
      const out = join(dir, 'inter.json');
      await evaluate(['--candidate', candDir, '--report', out, '--bootstrap', '0']);
      const rep = readReport(out);
      expect(rep.fairness['sex&age_band'].groups).toHaveLength(8);
      expect(rep.fairness['sex&age_band'].groups[0].group).toBe('F & 18-29');
      expect(rep.gates.map((g) => g.name)).toContain('fairness.sex&age_band.demographic_parity_ratio');
    } finally {
      setYaml();
    }
  });
});

describe('slipway evaluate on a first deployment', () => {
  it('has no champion and no deltas; versus_champion gates are skipped', async () => {
    const out = join(dir, 'first.json');
    const r = await evaluate(['--candidate', candDir, '--against', 'staging', '--report', out]);
    expect(r.code, r.stderr).toBe(0);
    const rep = readReport(out);
    expect(rep.champion).toBeNull();
    expect(rep.metrics.champion).toBeNull();
    expect(rep.deltas).toEqual({});
    expect(rep.gates.find((g) => g.name === 'versus_champion.roc_auc')).toMatchObject({ ok: true, skipped: true, observed: null });
    expect(r.stdout).toContain('no champion (first deployment)');
    // the skipped versus_champion gate is not counted as passed (as the PR report counts it)
    const skipped = rep.gates.filter((g) => g.skipped).length;
    expect(skipped).toBeGreaterThan(0);
    expect(r.stdout).toContain(`verdict: PASS: all ${rep.gates.length - skipped} gates pass (${skipped} skipped: no champion)`);
    expect(r.stderr).toContain('first deployment');
  });
});

describe('slipway evaluate: user mistakes exit 2 with a clear message and no stack trace', () => {
  const fails = async (args: string[], pattern: RegExp) => {
    const r = await evaluate(args);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('a candidate that does not exist', () => fails(['--candidate', 'nowhere/pkg'], /nowhere\/pkg: no such package directory, model file or digest/));

  it("another model's package, or one whose version is not semver, is refused as promote refuses it", async () => {
    const withCard = (name: string, edit: (card: Record<string, unknown>) => void) => {
      const d = join(dir, name);
      cpSync(candDir, d, { recursive: true });
      const card = JSON.parse(readFileSync(join(d, 'slipway.json'), 'utf8')) as Record<string, unknown>;
      edit(card);
      writeFileSync(join(d, 'slipway.json'), JSON.stringify(card, null, 2));
      return d;
    };
    const other = withCard('cand-other', (c) => (c.name = 'other-model'));
    await fails(['--candidate', other], new RegExp(`${other}: the package is model 'other-model', not 'credit-risk'`));
    const banana = withCard('cand-banana', (c) => (c.version = 'banana'));
    await fails(['--candidate', banana], /cand-banana: the package version "banana" is not a semantic version such as 1\.2\.0/);
    const huge = withCard('cand-huge', (c) => (c.version = '99999999999999999999.0.0'));
    await fails(['--candidate', huge], /cand-huge: the package version "99999999999999999999\.0\.0" has a part above 9007199254740991/);
    // nothing was scored: no candidate line was printed for any of them
    const r = await evaluate(['--candidate', other]);
    expect(r.stderr).not.toMatch(/^candidate /m);
  });

  it('a binary package trained for another positive class: its probabilities are of the other class, refused before scoring', async () => {
    const d = join(dir, 'cand-positive-0');
    cpSync(candDir, d, { recursive: true });
    const card = JSON.parse(readFileSync(join(d, 'slipway.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(d, 'slipway.json'), JSON.stringify({ ...card, classes: [0] }, null, 2));
    await fails(['--candidate', d], /the candidate package \S*cand-positive-0 predicts the probability of class 0 \(slipway\.json "classes"\), but data\.positive_label of \S*model\.yaml is 1: its metrics would be those of the other class/);
    expect((await evaluate(['--candidate', d])).stderr).not.toMatch(/^scoring /m);
    // the class it was trained for is fine
    writeFileSync(join(d, 'slipway.json'), JSON.stringify({ ...card, classes: [1] }, null, 2));
    expect((await evaluate(['--candidate', d, '--bootstrap', '0'])).code).toBe(0);
  });

  it('a --report that is a directory, or the --data file itself: refused before anything is scored', async () => {
    await fails(['--candidate', candDir, '--report', dir], new RegExp(`--report ${dir} is a directory; expected the JSON file to write`));
    const data = join(repo, 'models', 'credit-risk', 'data', 'test.parquet');
    await fails(['--candidate', candDir, '--data', data, '--report', 'models/credit-risk/data/test.parquet'], /--report models\/credit-risk\/data\/test\.parquet is the --data file; the report would overwrite the test data/);
    expect((await evaluate(['--candidate', candDir, '--report', dir])).stderr).not.toMatch(/^candidate /m);
  });

  it('a misspelled gate, located in model.yaml', async () => {
    setYaml(['roc_auc: ">= 0.75"', 'roc_acu: ">= 0.75"']);
    try {
      await fails(['--candidate', candDir], /model\.yaml:\d+:\d+: \/gates\/metrics\/roc_acu: unknown metric 'roc_acu' for binary-classification; expected one of roc_auc/);
    } finally {
      setYaml();
    }
  });

  it('a bootstrap count too small for a percentile interval (1 gives a CI that can exclude its own point estimate): the flag or the field, named', async () => {
    for (const n of ['1', '2', '9', '99']) {
      const r = await evaluate(['--candidate', candDir, '--bootstrap', n]);
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `error: --bootstrap must be 0 (no confidence intervals) or at least 100 replicates, got ${n}: with fewer, a percentile interval has almost no replicates in its tails and can exclude its own point estimate`]);
      expect(r.stderr).not.toMatch(/^candidate /m); // refused before anything was scored
    }
    setYaml(['bootstrap: { samples: 200,', 'bootstrap: { samples: 5,']);
    try {
      const line = readFileSync(modelYaml, 'utf8').split('\n').findIndex((l) => l.includes('samples: 5')) + 1;
      const col = readFileSync(modelYaml, 'utf8').split('\n')[line - 1].indexOf('5') + 1;
      await fails(['--candidate', candDir], new RegExp(`^error: models/credit-risk/model\\.yaml:${line}:${col}: /evaluate/bootstrap/samples: must be 0 \\(no confidence intervals\\) or at least 100 replicates, got 5: `, 'm'));
      // the field is checked wherever model.yaml is loaded, even when --bootstrap would override it
      await fails(['--candidate', candDir, '--bootstrap', '0'], /\/evaluate\/bootstrap\/samples: must be 0/);
    } finally {
      setYaml();
    }
    setYaml(['bootstrap: { samples: 200,', 'bootstrap: { samples: 0,']);
    try {
      const out = join(dir, 'no-bootstrap.json');
      const r = await evaluate(['--candidate', candDir, '--report', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(readReport(out).bootstrap.samples).toBe(0);
      // point deltas only: no interval in the gates or the summary, no "better"/"worse"
      expect(readReport(out).gates.find((g) => g.name === 'versus_champion.roc_auc')?.ci).toBeUndefined();
      expect(r.stdout).toContain('delta (bootstrap off: no CI)');
      expect(r.stdout).not.toMatch(/\[CI |better|worse|within noise/);
    } finally {
      setYaml();
    }
  });

  it('missing test data', () => fails(['--candidate', candDir, '--data', 'nope.parquet'], /nope\.parquet: file not found/));

  it('test data without the feature columns', async () => {
    const csv = join(dir, 'wrong.csv');
    writeFileSync(csv, 'a,b\n1,2\n');
    await fails(['--candidate', candDir, '--data', csv], /wrong\.csv: missing column\(s\): feature 'income', 'debt_ratio'.*; target 'default'; sensitive 'sex', 'age_band' \(the data has: a, b\)/);
  });

  it('a binary target with a third label, or with no label that is the positive class: named, not counted as negatives', async () => {
    const test = join(repo, 'models', 'credit-risk', 'data', 'test.parquet');
    const conn = await openDuckDB();
    const three = join(dir, 'three-labels.csv');
    await conn.run(`COPY (SELECT * REPLACE (CASE WHEN id = (SELECT min(id) FROM ${readerSql(test)} WHERE "default" = 0) THEN 2 ELSE "default" END AS "default") FROM ${readerSql(test)} ORDER BY id) TO ${sqlString(three)}`);
    conn.closeSync();
    await fails(['--candidate', candDir, '--data', three], /three-labels\.csv: target 'default': holds at least three distinct labels \("[012]", "[012]", "[012]", the third first at data row \d+\); a binary target has two: the positive class "1" \(data\.positive_label\) and the other/);
    setYaml(['target: default', 'target: default\n  positive_label: 2']);
    try {
      await fails(['--candidate', candDir], /test\.parquet: target 'default': neither label \("[01]", "[01]"\) is the positive class "2"; set data\.positive_label in model\.yaml/);
    } finally {
      setYaml();
    }
    setYaml(['target: default', 'target: default\n  positive_label: "yes"']);
    try {
      await fails(['--candidate', candDir], /model\.yaml: \/data\/positive_label: the target 'default' is an integer column: data\.positive_label "yes" is not one of its values/);
    } finally {
      setYaml();
    }
  });

  it('a value the contract type cannot hold: the column, the value, its first data row and the count, not DuckDB\'s SQL', async () => {
    const test = join(repo, 'models', 'credit-risk', 'data', 'test.parquet');
    const bad = join(dir, 'text-in-income.csv');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * REPLACE (CASE WHEN id IN (SELECT id FROM ${readerSql(test)} ORDER BY id LIMIT 3 OFFSET 4) THEN 'n/a' ELSE CAST(income AS VARCHAR) END AS income) FROM ${readerSql(test)} ORDER BY id) TO ${sqlString(bad)}`);
    conn.closeSync();
    await fails(['--candidate', candDir, '--data', bad], /^error: \S*text-in-income\.csv: column 'income' holds "n\/a" at data row 5 \(3 row\(s\) hold such values\), which is not a number: the data contract models\/credit-risk\/schema\.json gives it type "number"; `slipway validate` lists every violation\n/m);
    const r = await evaluate(['--candidate', candDir, '--data', bad]);
    expect(r.stderr).not.toMatch(/SELECT|LINE 1|__slipway_group/);
  });

  it('a tampered champion in the store is refused, never scored', async () => {
    const store = join(repo, '.slipway', 'store');
    const backup = join(dir, 'store-backup');
    cpSync(store, backup, { recursive: true });
    try {
      // FileStore layout: <root>/sha256/<hex>/
      const onnx = join(store, 'sha256', champDigest.slice('sha256:'.length), 'model.onnx');
      expect(existsSync(onnx)).toBe(true);
      writeFileSync(onnx, Buffer.concat([readFileSync(onnx), Buffer.from('x')]));
      await fails(['--candidate', candDir], /does not verify .*refusing to use it/);
    } finally {
      rmSync(store, { recursive: true, force: true });
      cpSync(backup, store, { recursive: true });
    }
  });
});
