import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import type { EvaluationReport } from '../../src/evaluate/report-types.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { creditRiskRepo, trainPackage } from './repo.js';

const { dir } = tempDir('slipway-evaluate-nulls-');
const repo = join(dir, 'repo');
const candDir = join(dir, 'candidate');
const test = join(repo, 'models', 'credit-risk', 'data', 'test.parquet');
const env = { ...process.env, SLIPWAY_STORE: '', SLIPWAY_EXECUTION_PROVIDER: 'cpu' };

/** The test data with `income` replaced by `expr`; how many rows have it null. */
async function withIncome(name: string, expr: string): Promise<{ path: string; nulls: number }> {
  const path = join(dir, `${name}.parquet`);
  const conn = await openDuckDB();
  try {
    await conn.run(`COPY (SELECT * REPLACE (${expr} AS income) FROM read_parquet(${sqlString(test)})) TO ${sqlString(path)} (FORMAT parquet)`);
    const r = await conn.runAndReadAll(`SELECT count(*) FILTER (WHERE income IS NULL)::INTEGER AS n FROM read_parquet(${sqlString(path)})`);
    return { path, nulls: Number(r.getRowObjects()[0].n) };
  } finally {
    conn.closeSync();
  }
}

beforeAll(async () => {
  await creditRiskRepo(repo, { trainRows: 1500, testRows: 1000 });
  await trainPackage(repo, candDir, { version: '2.0.0' });
  const yaml = join(repo, 'models', 'credit-risk', 'model.yaml');
  writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('latency_p99_ms: 5', 'latency_p99_ms: 100000'));
});

describe('evaluate and null model features', () => {
  it('a feature null on every row is an input error (exit 2) naming it: no metrics, no report', async () => {
    const { path, nulls } = await withIncome('all-null', 'CAST(NULL AS DOUBLE)');
    expect(nulls).toBe(1000);
    const out = join(dir, 'all-null.json');
    const r = await runCli(['evaluate', '--model', 'credit-risk', '--candidate', candDir, '--data', path, '--report', out], repo, env);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${path}: model feature 'income' is null on all 1,000 rows; metrics would measure the model on a missing input`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('a feature null on most rows is warned about in the output and recorded in the report', async () => {
    const { path, nulls } = await withIncome('mostly-null', "CASE WHEN hash(id) % 10 < 7 THEN NULL ELSE income END");
    expect(nulls / 1000).toBeGreaterThan(0.5);
    expect(nulls).toBeLessThan(1000);
    const out = join(dir, 'mostly-null.json');
    const r = await runCli(['evaluate', '--model', 'credit-risk', '--candidate', candDir, '--data', path, '--report', out], repo, env);
    expect([0, 1], r.stdout + r.stderr).toContain(r.code);
    const warning = `feature 'income' is null on ${nulls} of 1,000 rows (${((nulls / 1000) * 100).toFixed(1)}%) of the test data`;
    expect(r.stdout).toContain(`warning: ${warning}`);
    const rep = JSON.parse(readFileSync(out, 'utf8')) as EvaluationReport;
    expect(rep.data.null_features).toEqual([{ column: 'income', nulls, fraction: nulls / 1000 }]);
    expect(rep.warnings).toHaveLength(1);
    expect(rep.warnings![0]).toContain(warning);
  });

  it('a few nulls (at most half the rows) are no warning', async () => {
    const { path, nulls } = await withIncome('some-null', "CASE WHEN hash(id) % 10 < 2 THEN NULL ELSE income END");
    expect(nulls).toBeGreaterThan(0);
    const out = join(dir, 'some-null.json');
    const r = await runCli(['evaluate', '--model', 'credit-risk', '--candidate', candDir, '--data', path, '--report', out], repo, env);
    expect([0, 1], r.stdout + r.stderr).toContain(r.code);
    expect(r.stdout).not.toContain('warning:');
    const rep = JSON.parse(readFileSync(out, 'utf8')) as EvaluationReport;
    expect(rep.data.null_features).toBeUndefined();
    expect(rep.warnings).toBeUndefined();
  });
});
