/**
 * Drift against a package's reference (the default production path) on a heavy-tailed column: the
 * package's value sketch gives a Wasserstein distance within certified bounds of the exact one on the raw
 * training data, where the 20-bin profile alone is far off (its top bin and overflow bucket span the
 * tail). Profiles with sketches still merge: the merged sketch of shards equals the sketch of the whole.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, readerSql, sqlString } from '../../src/data/duckdb.js';
import { generateDataset } from '../../src/data/generate.js';
import { attachSketches, profileRelation } from '../../src/data/profile.js';
import { compareNumeric } from '../../src/drift/compare.js';
import { mergeColumn, type NumericProfile } from '../../src/drift/profile.js';
import { pairSamples } from '../../src/drift/stats/samples.js';
import { normedWassersteinPaired } from '../../src/drift/stats/wasserstein.js';
import type { ModelCard } from '../../src/package/card.js';
import { writePackage } from '../../src/package/write.js';
import { runCli } from '../support/cli.js';
import { buildWorld, ENV, type World } from '../serve/fixtures.js';

let w: World;
const ROWS = 30_000;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1], rows: ROWS });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'pin 1.0.0');
  await generateDataset(join(w.root, 'window.parquet'), { rows: ROWS, seed: 31, covariateShift: 0.1, idOffset: 5_000_000 });
}, 120_000);
afterAll(() => {
  if (w) rmSync(w.root, { recursive: true, force: true });
});

async function column(path: string, col: string): Promise<Float64Array> {
  const conn = await openDuckDB();
  try {
    return Float64Array.from((await conn.runAndReadAll(`SELECT ${col}::DOUBLE FROM read_parquet(${sqlString(path)}) WHERE ${col} IS NOT NULL`)).getColumns()[0] as number[]);
  } finally {
    conn.closeSync();
  }
}

describe('drift against a package reference with value sketches', () => {
  it('income (log-normal): certified bounds around the exact distance, where 20 bins are far off', async () => {
    const window = join(w.root, 'window.parquet');
    const report = join(w.root, 'report.json');
    const r = await runCli(['drift', '--model', 'credit-risk', '--env', ENV, '--store', w.storePath, '--current', window, '--report', report], w.work);
    expect(r.stderr).not.toMatch(/Error/);
    const income = JSON.parse(readFileSync(report, 'utf8')).features.income;
    const exact = normedWassersteinPaired(pairSamples(await column(join(w.work, 'models', 'credit-risk', 'data', 'train.parquet'), 'income'), await column(window, 'income')));
    expect(income.basis).toBe('sketch');
    expect(income.bounds[0]).toBeLessThanOrEqual(exact + 1e-12);
    expect(income.bounds[1]).toBeGreaterThanOrEqual(exact - 1e-12);
    expect(Math.abs(income.statistic - exact)).toBeLessThan(0.005);
    expect(income.drifted).toBe(exact >= 0.1);
    // the report shows the certified interval next to the estimate
    expect(r.stdout).toMatch(/\| income \| .* \| wasserstein \| [0-9.]+ \([0-9.]+–[0-9.]+\) \| .*\| sketch \|/);

    // the same comparison on the profile's 20 bins alone
    const card = JSON.parse(readFileSync(join(w.packages[0].dir, 'slipway.json'), 'utf8'));
    const ref = { ...card.reference.columns.income, sketch: undefined } as NumericProfile;
    const conn = await openDuckDB();
    const cur = (await profileRelation(conn, readerSql(window), ['income'], { edges: { income: ref.edges }, kinds: { income: 'numeric' } })).columns.income as NumericProfile;
    conn.closeSync();
    const bins = compareNumeric({ ref, cur }, undefined);
    expect(bins.basis).toBe('bins');
    expect(Math.abs(bins.statistic! - exact)).toBeGreaterThan(5 * Math.abs(income.statistic - exact));
    // on these seeded data: exact 0.0779, sketch 0.0779 (bounds within 3e-5), 20 bins 0.151, a false alarm
    expect(exact).toBeLessThan(0.1);
    expect(income.drifted).toBe(false);
    expect(bins.drifted).toBe(true);
  }, 60_000);

  it('sketched profiles of shards merge into the sketched profile of the whole', async () => {
    const conn = await openDuckDB();
    const all = readerSql(join(w.root, 'window.parquet'));
    const whole = await profileRelation(conn, all, ['income']);
    await attachSketches(conn, all, whole);
    const edges = { income: (whole.columns.income as NumericProfile).edges };
    const shard = async (where: string) => {
      const p = await profileRelation(conn, `(SELECT * FROM ${all} WHERE ${where})`, ['income'], { edges });
      await attachSketches(conn, `(SELECT * FROM ${all} WHERE ${where})`, p);
      return p.columns.income;
    };
    const merged = mergeColumn(mergeColumn(await shard('id < \'A005010000\''), await shard('id >= \'A005010000\' AND id < \'A005020000\'')), await shard('id >= \'A005020000\'')) as NumericProfile;
    const w0 = whole.columns.income as NumericProfile;
    conn.closeSync();
    expect(merged.sketch!.keys).toEqual(w0.sketch!.keys);
    expect(merged.sketch!.n).toEqual(w0.sketch!.n);
    expect(merged.sketch!.min).toEqual(w0.sketch!.min);
    expect(merged.sketch!.max).toEqual(w0.sketch!.max);
    merged.sketch!.sum.forEach((v, i) => expect(v).toBeCloseTo(w0.sketch!.sum[i], 6));
    merged.sketch!.m2.forEach((v, i) => expect(Math.abs(v - w0.sketch!.m2[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, w0.sketch!.m2[i])));
  }, 60_000);

  it('refuses a pinned package of another model, naming the manifest and the pin (as promote and evaluate do)', async () => {
    const card = JSON.parse(readFileSync(join(w.packages[0].dir, 'slipway.json'), 'utf8')) as ModelCard;
    const dir = await writePackage(join(w.root, 'pkg-fraud'), { path: join(w.packages[0].dir, 'model.onnx') }, { ...card, name: 'fraud' });
    const digest = await w.store.put(dir);
    w.pin({ 'credit-risk': { pkg: { version: '1.0.0', digest, dir } } }, 'pin another model\'s package');
    try {
      const r = await runCli(['drift', '--model', 'credit-risk', '--env', ENV, '--store', w.storePath, '--current', join(w.root, 'window.parquet')], w.work);
      expect([r.code, r.stderr]).toEqual([2, `error: ${join(w.work, "environments", `${ENV}.yaml`)}: credit-risk 1.0.0 (${digest}): the package is model 'fraud', not 'credit-risk'\n`]);
    } finally {
      w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'pin 1.0.0 again');
    }
  }, 60_000);
});
