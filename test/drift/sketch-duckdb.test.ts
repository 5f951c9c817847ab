/**
 * The sketch path of `slipway drift` on real DuckDB relations above SKETCH_MIN_ROWS rows: sketches built
 * by DuckDB agree with the in-memory ones, every numeric statistic is exact (discrete columns) or
 * certified by bounds that contain the exact value computed on the raw samples, and a column whose
 * bounds straddle its threshold is settled by pairing its raw values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, readerSql, sqlIdent } from '../../src/data/duckdb.js';
import { FEATURES, generateDataset } from '../../src/data/generate.js';
import { sketchColumn } from '../../src/data/sketch.js';
import { assessCollected, collect, SKETCH_MIN_ROWS, type CurrentSide, type ReferenceSide } from '../../src/drift/load.js';
import { sketchMoments, sketchValues } from '../../src/drift/sketch.js';
import { pairSamples } from '../../src/drift/stats/samples.js';
import { normedWassersteinPaired } from '../../src/drift/stats/wasserstein.js';

const ROWS = SKETCH_MIN_ROWS + 20_000;
let dir: string;
let conn: DuckDBConnection;
let reference: Extract<ReferenceSide, { kind: 'data' }>;
let current: CurrentSide;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-sketch-'));
  await generateDataset(join(dir, 'ref.parquet'), { rows: ROWS, seed: 11 });
  // the window as CSV: read once into a temporary table, then sketched
  await generateDataset(join(dir, 'cur.csv'), { rows: ROWS, seed: 12, covariateShift: 0.25, idOffset: ROWS });
  conn = await openDuckDB();
  reference = { kind: 'data', source: 'ref.parquet', sql: readerSql(join(dir, 'ref.parquet')) };
  current = { kind: 'data', source: 'cur.csv', sql: readerSql(join(dir, 'cur.csv')), hasPredictions: false };
}, 60_000);
afterAll(() => {
  conn?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

async function raw(sql: string, col: string): Promise<Float64Array> {
  const r = await conn.runAndReadAll(`SELECT ${sqlIdent(col)}::DOUBLE FROM ${sql} WHERE isfinite(${sqlIdent(col)}::DOUBLE)`);
  return Float64Array.from(r.getColumns()[0] as number[]);
}

describe('drift on sketches (large raw data)', () => {
  it('DuckDB builds the same sketch as the in-memory code: counts, nulls, moments', async () => {
    await conn.run(`CREATE TABLE odd AS SELECT CASE WHEN i % 97 = 0 THEN NULL WHEN i % 89 = 0 THEN 'nan'::DOUBLE WHEN i % 83 = 0 THEN 0 ELSE (hash(i) % 2000001)::DOUBLE / 1000 - 1000 END AS x FROM range(50000) r(i)`);
    const d = await sketchColumn(conn, 'odd', 'x');
    const values = (await conn.runAndReadAll('SELECT x FROM odd')).getColumns()[0] as (number | null)[];
    const js = sketchValues(Float64Array.from(values.filter((v) => v !== null) as number[]), values.filter((v) => v === null).length);
    expect(d.nulls).toBe(js.nulls);
    expect(d.nans).toBe(js.nans);
    const [a, b] = [sketchMoments(d), sketchMoments(js)];
    expect(a.count).toBe(b.count);
    expect(a.min).toBe(b.min);
    expect(a.max).toBe(b.max);
    expect(a.mean).toBeCloseTo(b.mean, 9);
    expect(Math.abs(a.m2 - b.m2) / b.m2).toBeLessThan(1e-10);
    // negative values, zero and positive values: as many bins (a key may differ only for a value on a bin boundary)
    expect(Math.abs(d.keys.length - js.keys.length)).toBeLessThanOrEqual(2);
  });

  it('integer columns: a small span grouped by value gives the in-memory sketch exactly; a wide span goes by key', async () => {
    await conn.run(`CREATE TABLE ints AS SELECT CASE WHEN i % 101 = 0 THEN NULL ELSE (hash(i) % 5000)::INTEGER - 2500 END AS small, (hash(i) % 100000000)::BIGINT AS wide FROM range(40000) r(i)`);
    for (const col of ['small', 'wide']) {
      const d = await sketchColumn(conn, 'ints', col, undefined, col === 'small' ? 'INTEGER' : 'BIGINT');
      const values = (await conn.runAndReadAll(`SELECT ${col}::DOUBLE FROM ints`)).getColumns()[0] as (number | null)[];
      const js = sketchValues(Float64Array.from(values.filter((v) => v !== null) as number[]), values.filter((v) => v === null).length);
      if (col === 'small') expect(d).toEqual(js);
      else {
        expect(sketchMoments(d).count).toBe(sketchMoments(js).count);
        expect(Math.abs(sketchMoments(d).m2 / sketchMoments(js).m2 - 1)).toBeLessThan(1e-10);
      }
    }
  });

  it('every numeric statistic is exact or certified: its bounds contain the exact value on the raw samples', async () => {
    const c = await collect(conn, reference, current, [...FEATURES]);
    const a = await assessCollected(conn, reference, current, c, {});
    let sketched = 0;
    for (const [name, f] of Object.entries(a.features)) {
      if (f.kind !== 'numeric') {
        expect(f.basis).toBe('values');
        continue;
      }
      expect(['raw', 'sketch']).toContain(f.basis);
      expect(f.undecided).toBeUndefined();
      const exact = pairSamples(await raw(reference.sql, name), await raw(current.sql, name));
      if (f.test !== 'wasserstein') continue;
      const w = normedWassersteinPaired(exact);
      if (f.basis === 'raw') expect(f.statistic).toBeCloseTo(w, 12);
      else {
        sketched++;
        expect(f.bounds![0]).toBeLessThanOrEqual(w + 1e-12);
        expect(f.bounds![1]).toBeGreaterThanOrEqual(w - 1e-12);
        expect(Math.abs(f.statistic! - w)).toBeLessThan(1e-3 * Math.max(w, 0.01));
      }
      expect(f.drifted).toBe(w >= f.threshold);
    }
    // the generator's continuous columns (income, loan_amount) go through the bounds
    expect(sketched).toBeGreaterThanOrEqual(1);
    // bucket counts of the window cover every finite row (below/above the reference's range included)
    for (const f of FEATURES) {
      const p = c.current.columns[f];
      if (p.kind === 'numeric') expect(p.counts.reduce((s, x) => s + x, 0)).toBe(p.count);
    }
  }, 60_000);

  it('a threshold inside the bounds is settled on the raw values', async () => {
    const c = await collect(conn, reference, current, [...FEATURES]);
    const first = await assessCollected(conn, reference, current, c, {});
    const [name, f] = Object.entries(first.features).find(([, x]) => x.basis === 'sketch' && x.bounds && x.bounds[1] > x.bounds[0])!;
    const threshold = (f.bounds![0] + f.bounds![1]) / 2;
    const lines: string[] = [];
    const c2 = await collect(conn, reference, current, [...FEATURES]);
    const settled = await assessCollected(conn, reference, current, c2, { features: { [name]: { test: 'wasserstein', threshold } } }, (m) => lines.push(m));
    const g = settled.features[name];
    expect(g.basis).toBe('raw');
    expect(g.undecided).toBeUndefined();
    const w = normedWassersteinPaired(pairSamples(await raw(reference.sql, name), await raw(current.sql, name)));
    expect(g.statistic).toBeCloseTo(w, 12);
    expect(g.drifted).toBe(w >= threshold);
    expect(lines.join('\n')).toContain(`pairing raw values of ${name}`);
  }, 60_000);
});
