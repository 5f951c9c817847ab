import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { FEATURES, SENSITIVE, generateDataset } from '../../src/data/generate.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function stats(path: string, sql: string): Promise<Record<string, number>> {
  const c = await openDuckDB();
  const r = await c.runAndReadAll(sql.replace('$T', readerSql(path)));
  const row = r.getRowObjects()[0];
  c.closeSync();
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

describe('synthetic credit-risk generator', () => {
  const t = tempDir('slipway-gen-');
  const N = 40_000;

  it('same seed → same bytes (CSV and Parquet); another seed → other bytes', async () => {
    const p = (n: string) => join(t.dir, n);
    await generateDataset(p('a.csv'), { rows: 5000, seed: 3 });
    await generateDataset(p('b.csv'), { rows: 5000, seed: 3 });
    await generateDataset(p('c.csv'), { rows: 5000, seed: 4 });
    await generateDataset(p('a.parquet'), { rows: 5000, seed: 3 });
    await generateDataset(p('b.parquet'), { rows: 5000, seed: 3 });
    expect(sha(p('a.csv'))).toBe(sha(p('b.csv')));
    expect(sha(p('a.parquet'))).toBe(sha(p('b.parquet')));
    expect(sha(p('a.csv'))).not.toBe(sha(p('c.csv')));
  });

  it('has an id, 12 features mixing numeric and categorical, two sensitive attributes and a 0/1 label', async () => {
    await generateDataset(join(t.dir, 'cols.csv'), { rows: 100, seed: 1 });
    const header = readFileSync(join(t.dir, 'cols.csv'), 'utf8').split('\n')[0].split(',');
    expect(header).toEqual(['id', ...FEATURES, ...SENSITIVE, 'default']);
    expect(FEATURES.length).toBe(12);
  });

  it('the label has its known relationship to the features (debt, utilization, late payments raise risk)', async () => {
    const path = join(t.dir, 'base.parquet');
    await generateDataset(path, { rows: N, seed: 11 });
    const s = await stats(path, `SELECT corr(debt_ratio, "default") d, corr(utilization, "default") u, corr(late_payments, "default") l, corr(ln(income), "default") i, avg("default") rate FROM $T`);
    expect(s.d).toBeGreaterThan(0.1);
    expect(s.u).toBeGreaterThan(0.1);
    expect(s.l).toBeGreaterThan(0.1);
    expect(s.i).toBeLessThan(-0.05);
    expect(s.rate).toBeGreaterThan(0.15);
    expect(s.rate).toBeLessThan(0.45);
  });

  it('the bias knob creates a default-rate gap between sexes that is absent at bias 0', async () => {
    const gap = async (bias: number) => {
      const path = join(t.dir, `bias${bias}.parquet`);
      await generateDataset(path, { rows: N, seed: 5, bias });
      return (await stats(path, `SELECT avg(CASE WHEN sex='F' THEN "default" END) - avg(CASE WHEN sex='M' THEN "default" END) g FROM $T`)).g;
    };
    expect(Math.abs(await gap(0))).toBeLessThan(0.02);
    expect(await gap(1)).toBeGreaterThan(0.12);
  });

  it('covariate shift moves income and utilization by about the requested standard deviations; label shift moves the base rate', async () => {
    const a = join(t.dir, 'ref.parquet');
    const b = join(t.dir, 'cov.parquet');
    const c = join(t.dir, 'lab.parquet');
    await generateDataset(a, { rows: N, seed: 9 });
    await generateDataset(b, { rows: N, seed: 9, covariateShift: 0.5 });
    await generateDataset(c, { rows: N, seed: 9, labelShift: 1 });
    const q = `SELECT avg(ln(income)) li, stddev(ln(income)) sli, avg(utilization) u, avg("default") rate FROM $T`;
    const [r, s, l] = [await stats(a, q), await stats(b, q), await stats(c, q)];
    expect((s.li - r.li) / r.sli).toBeGreaterThan(0.4);
    expect((s.li - r.li) / r.sli).toBeLessThan(0.6);
    expect(s.u - r.u).toBeGreaterThan(0.08);
    expect(l.rate - r.rate).toBeGreaterThan(0.1);
    expect(Math.abs(s.rate - r.rate)).toBeLessThan(0.2);
  });

  it('the violations knob breaks the contract in about the requested fraction of rows, and not at all at 0', async () => {
    const q = `SELECT count_if(income < 0 OR region = 'unknown' OR utilization > 1 OR debt_ratio IS NULL) / count(*) v FROM $T`;
    const a = join(t.dir, 'v0.parquet');
    const b = join(t.dir, 'v10.parquet');
    await generateDataset(a, { rows: N, seed: 2 });
    await generateDataset(b, { rows: N, seed: 2, violations: 0.1 });
    expect((await stats(a, q)).v).toBe(0);
    expect((await stats(b, q)).v).toBeGreaterThan(0.09);
    expect((await stats(b, q)).v).toBeLessThan(0.11);
  });

  it('slipway generate writes a file, and rejects bad knobs with exit 2', async () => {
    const ok = await runCli(['generate', '--out', 'g.csv', '--rows', '50', '--seed', '1'], t.dir);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(t.dir, 'g.csv'), 'utf8').trim().split('\n')).toHaveLength(51);
    const bad = await runCli(['generate', '--out', 'g.csv', '--violations', '2'], t.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--violations expects a number in [0, 1]');
    const ext = await runCli(['generate', '--out', 'g.xlsx'], t.dir);
    expect(ext.code).toBe(2);
    expect(ext.stderr).toContain('expected a .csv or .parquet file name');
  });
});
