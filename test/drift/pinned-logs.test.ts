/**
 * The production path of `slipway drift`, end to end with real parts: packages made by the real train
 * pipeline (trainModel) in a FileStore, pinned in environments/staging.yaml of a git repository;
 * `slipway serve` (startServe) answering real HTTP traffic and writing prediction logs; drift reading
 * the default reference (the pinned package's profile, fetched and verified by digest), the logs
 * directory as --current, and --labels joined by request id for performance drift.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import { FEATURES, generateDataset } from '../../src/data/generate.js';
import { pairSamples } from '../../src/drift/stats/samples.js';
import { normedWassersteinPaired } from '../../src/drift/stats/wasserstein.js';
import { startServe } from '../../src/serve/serve.js';
import { runCli } from '../support/cli.js';
import { call, jsonRowsRequest } from '../serve/client.js';
import { buildWorld, ENV, type World } from '../serve/fixtures.js';

let w: World;
const ROWS = 1500;
const BATCH = 250;

/** Rows of a generated window (features, id, default) as plain objects. */
async function windowRows(path: string): Promise<Record<string, unknown>[]> {
  const conn = await openDuckDB();
  try {
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(path)}) ORDER BY id`);
    return r.getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    conn.closeSync();
  }
}

/** Serves the pinned package with prediction logs in `logs`, sends `rows` in batches; returns each row's request id. */
async function serveTraffic(logs: string, rows: Record<string, unknown>[], tag: string): Promise<string[]> {
  const s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, logs });
  const ids: string[] = [];
  try {
    for (let b = 0; b * BATCH < rows.length; b++) {
      const batch = rows.slice(b * BATCH, (b + 1) * BATCH);
      const body = jsonRowsRequest(batch.map((r) => Object.fromEntries(FEATURES.map((f) => [f, r[f]]))), `${tag}-${b}`);
      const reply = await call(s.url, 'POST', '/v2/models/credit-risk/infer', body);
      expect(reply.status).toBe(200);
      batch.forEach((_, i) => ids.push(`${tag}-${b}#${i}`));
    }
  } finally {
    await s.stop(5000);
  }
  return ids;
}

const logs = (name: string) => join(w.root, 'logs', name);
const drift = (args: string[]) => runCli(['drift', '--model', 'credit-risk', '--env', ENV, '--store', w.storePath, ...args], w.work);
const labelsCsv = (file: string, ids: string[], rows: Record<string, unknown>[], flip: boolean) =>
  writeFileSync(file, 'id,default\n' + ids.map((id, i) => `${id},${flip ? 1 - Number(rows[i].default) : Number(rows[i].default)}`).join('\n') + '\n');

/** request id → logged prediction, read back from the JSON lines serve wrote */
async function loggedPredictions(): Promise<Map<string, number>> {
  const conn = await openDuckDB();
  try {
    const r = await conn.runAndReadAll(`SELECT request_id, prediction::DOUBLE FROM read_json_auto(${sqlString(join(logs('same'), 'credit-risk', '**', '*.jsonl'))}, format = 'newline_delimited')`);
    return new Map(r.getRows().map(([id, p]) => [String(id), Number(p)]));
  } finally {
    conn.closeSync();
  }
}

/** The exact normed Wasserstein distance (as SciPy's, /std of the reference) of one column of two files. */
async function exactNormedWasserstein(refPath: string, curPath: string, col: string): Promise<number> {
  const conn = await openDuckDB();
  try {
    const read = async (p: string) => Float64Array.from((await conn.runAndReadAll(`SELECT ${col}::DOUBLE FROM read_parquet(${sqlString(p)}) WHERE ${col} IS NOT NULL`)).getColumns()[0] as number[]);
    return normedWassersteinPaired(pairSamples(await read(refPath), await read(curPath)));
  } finally {
    conn.closeSync();
  }
}

let sameIds: string[];
let sameRows: Record<string, unknown>[];

beforeAll(async () => {
  w = await buildWorld({ l2s: [1], rows: 2000 });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'pin credit-risk 1.0.0 in staging');
  await generateDataset(join(w.root, 'same.parquet'), { rows: ROWS, seed: 21, idOffset: 2_000_000 });
  await generateDataset(join(w.root, 'shifted.parquet'), { rows: ROWS, seed: 22, covariateShift: 0.5, idOffset: 3_000_000 });
  sameRows = await windowRows(join(w.root, 'same.parquet'));
  sameIds = await serveTraffic(logs('same'), sameRows, 'same');
  await serveTraffic(logs('shifted'), await windowRows(join(w.root, 'shifted.parquet')), 'shifted');
  // another model's lines in the same directory are not part of the window
  mkdirSync(join(logs('same'), 'other-model', '2026-01-01'), { recursive: true });
  const other = { ts: '2026-01-01T00:00:00Z', request_id: 'x', model: 'other-model', version: '1.0.0', digest: 'sha256:' + '0'.repeat(64), role: 'primary', inputs: Object.fromEntries(FEATURES.map((f) => [f, f === 'income' ? 1e9 : 0])), prediction: 0.99 };
  writeFileSync(join(logs('same'), 'other-model', '2026-01-01', 'predictions-000000-0.jsonl'), Array.from({ length: 500 }, () => JSON.stringify(other)).join('\n') + '\n');
}, 120_000);

afterAll(() => {
  if (w) rmSync(w.root, { recursive: true, force: true });
});

describe('slipway drift: pinned package reference, prediction-log windows, labels', () => {
  it('defaults to the profile in the package pinned in environments/<env>.yaml and reads a logs directory (no drift: exit 0)', async () => {
    const report = join(w.root, 'same.json');
    const r = await drift(['--current', logs('same'), '--report', report]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const j = JSON.parse(readFileSync(report, 'utf8'));
    expect(j.reference).toMatchObject({ kind: 'package', version: '1.0.0', digest: w.packages[0].digest, rows: 2000 });
    expect(j.reference.source).toContain(`${ENV}: credit-risk 1.0.0`);
    // only this model's logged rows, from every batch
    expect(j.current).toMatchObject({ kind: 'logs', rows: ROWS });
    // income is continuous: the package's value sketch against the window's, with certified bounds that
    // hold the exact normed Wasserstein distance of the raw training data and the raw window
    expect(j.features.income).toMatchObject({ test: 'wasserstein', basis: 'sketch', n_ref: 2000, n_cur: ROWS, drifted: false });
    const exact = await exactNormedWasserstein(join(w.work, 'models', 'credit-risk', 'data', 'train.parquet'), join(w.root, 'same.parquet'), 'income');
    expect(j.features.income.bounds[0]).toBeLessThanOrEqual(exact + 1e-12);
    expect(j.features.income.bounds[1]).toBeGreaterThanOrEqual(exact - 1e-12);
    expect(j.features.income.bounds[1] - j.features.income.bounds[0]).toBeLessThan(0.02);
    const card = JSON.parse(readFileSync(join(w.packages[0].dir, 'slipway.json'), 'utf8'));
    expect(card.reference.columns.income.sketch.scale).toBe(64);
    expect(card.reference.columns.income.sketch.n.reduce((x: number, y: number) => x + y, 0)).toBe(card.reference.columns.income.count);
    // discrete columns keep their exact value frequencies and no sketch
    // an integer column with more than 20 values: the package's sketch holds one value per bin, so the
    // test runs on exact value counts
    expect(card.reference.columns.credit_lines.values).toBeUndefined();
    expect(j.features.credit_lines.basis).toBe('values');
    expect(card.reference.columns.term_months.values).toBeDefined();
    expect(card.reference.columns.term_months.sketch).toBeUndefined();
    expect(j.features.region.test).toBe('jensenshannon');
    // categories read from the logs' JSON inputs as their text (not '"north"'): none unseen
    expect(j.unseen_categories.region).toMatchObject({ count: 0, drifted: false });
    // prediction drift on the logged model outputs against the package's prediction reference
    expect(j.prediction).toMatchObject({ drifted: false, n_cur: ROWS });
    expect(j.prediction.n_ref).toBeGreaterThan(0);
    expect(j.performance).toBeNull();
  });

  it('a shifted window in the logs is drift (exit 1) in the shifted features', async () => {
    const report = join(w.root, 'shifted.json');
    const r = await drift(['--current', logs('shifted'), '--report', report]);
    expect(r.code).toBe(1);
    const j = JSON.parse(readFileSync(report, 'utf8'));
    expect(j.drifted).toBe(true);
    expect(j.drifted_features).toEqual(expect.arrayContaining(['income', 'utilization']));
    expect(j.features.debt_ratio.drifted).toBe(false);
    expect(j.current.rows).toBe(ROWS);
  });

  it('--labels joins labels by request id: the true labels hold performance, flipped labels are performance drift', async () => {
    const good = join(w.root, 'labels-good.csv');
    labelsCsv(good, sameIds, sameRows, false);
    const r = await drift(['--current', logs('same'), '--labels', good, '--report', join(w.root, 'perf-good.json')]);
    expect(r.code).toBe(0);
    const g = JSON.parse(readFileSync(join(w.root, 'perf-good.json'), 'utf8'));
    // the built-in trainer's card records accuracy (and log loss): the window is compared on accuracy
    const card = JSON.parse(readFileSync(join(w.packages[0].dir, 'slipway.json'), 'utf8'));
    expect(g.performance).toMatchObject({ metric: 'accuracy', reference: card.metrics.accuracy, drifted: false, n: ROWS });
    expect(g.performance.current).toBeGreaterThan(0.6);
    // accuracy recomputed here from the logged predictions at the card's threshold
    const logged = await loggedPredictions();
    let correct = 0;
    sameIds.forEach((id, i) => { if ((logged.get(id)! >= card.threshold ? 1 : 0) === Number(sameRows[i].default)) correct++; });
    expect(g.performance.current).toBeCloseTo(correct / ROWS, 12);

    const bad = join(w.root, 'labels-flipped.csv');
    labelsCsv(bad, sameIds, sameRows, true);
    const f = await drift(['--current', logs('same'), '--labels', bad, '--report', join(w.root, 'perf-bad.json')]);
    expect(f.code).toBe(1);
    const b = JSON.parse(readFileSync(join(w.root, 'perf-bad.json'), 'utf8'));
    expect(b.performance.drifted).toBe(true);
    // flipping every binary label turns every right decision wrong
    expect(b.performance.current).toBeCloseTo(1 - g.performance.current, 10);
    expect(b.performance.drop).toBeGreaterThan(b.performance.threshold);
    expect(b.drifted).toBe(true);
  });

  it('--labels with a data file as --current, or labels without the id column, exit 2 with a clear message', async () => {
    const r = await drift(['--current', join(w.root, 'same.parquet'), '--labels', join(w.root, 'labels-good.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--labels needs prediction logs/);
    const noId = join(w.root, 'labels-noid.csv');
    writeFileSync(noId, 'rid,default\nsame-0#0,1\n');
    const n = await drift(['--current', logs('same'), '--labels', noId]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/labels-noid\.csv: no column 'id'/);
  });

  it('--labels that cannot be the binary target exit 2 naming them (before: a third label, or two words neither of which is the positive class, counted as negatives); true/false read as 1/0', async () => {
    const rows = (f: (i: number) => string) => 'id,default\n' + sameIds.map((id, i) => `${id},${f(i)}`).join('\n') + '\n';
    const three = join(w.root, 'labels-three.csv');
    writeFileSync(three, rows((i) => (i === 7 ? 'x' : String(sameRows[i].default))));
    const t = await drift(['--current', logs('same'), '--labels', three]);
    expect([t.code, t.stderr.split('\n').filter((l) => l.startsWith('error:')).join('\n')]).toEqual([2, `error: ${three}: column 'default' holds more than two distinct labels ("0", "1", "x"); a binary target has two, the positive class "1" and the other`]);
    const words = join(w.root, 'labels-words.csv');
    writeFileSync(words, rows((i) => (Number(sameRows[i].default) ? 'default' : 'repaid')));
    const y = await drift(['--current', logs('same'), '--labels', words]);
    expect([y.code, y.stderr.split('\n').filter((l) => l.startsWith('error:')).join('\n')]).toEqual([2, `error: ${words}: neither label in column 'default' ("default", "repaid") is the positive class "1" (data.positive_label in model.yaml)`]);
    const bools = join(w.root, 'labels-bool.csv');
    writeFileSync(bools, rows((i) => String(Number(sameRows[i].default) === 1)));
    const b = await drift(['--current', logs('same'), '--labels', bools, '--report', join(w.root, 'perf-bool.json')]);
    expect(b.code).toBe(0);
    const good = JSON.parse(readFileSync(join(w.root, 'perf-good.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(w.root, 'perf-bool.json'), 'utf8')).performance).toEqual(good.performance);
  });
});
