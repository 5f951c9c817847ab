import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import { generateDataset } from '../../src/data/generate.js';
import { validateData, type ValidationResult } from '../../src/data/validate.js';
import type { Violation } from '../../src/data/validation-types.js';
import { loadContract } from '../../src/spec/model.js';
import type { RowSchema } from '../../src/spec/types.js';
import { locate } from '../../src/spec/yaml-file.js';
import { tempDir } from '../support/tmp.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'validate');
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

async function check(schemaFile: string, data: string, extra: { memoryLimit?: string; schema?: RowSchema } = {}): Promise<ValidationResult> {
  const parsed = await loadContract(schemaFile);
  return validateData({
    model: 'fixture',
    schema: extra.schema ?? (parsed.value as RowSchema),
    data,
    compile: { schemaDisplay: parsed.display, locate: (p) => locate(parsed, p) },
    memoryLimit: extra.memoryLimit,
  });
}

const key = (v: Violation) => `${v.column ?? '(dataset)'}/${v.rule}`;
const counts = (vs: Violation[]) => Object.fromEntries(vs.map((v) => [key(v), v.count]));

describe('validate: the contract compiled to SQL, against pandas (golden)', () => {
  const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden.json'), 'utf8')) as { rows: number; counts: Record<string, number>; first_rows: Record<string, number[]> };
  let result: Promise<ValidationResult> | undefined;
  const fixture = () => (result ??= check(join(FIXTURES, 'contract.json'), join(FIXTURES, 'data.csv')));

  it('counts every violated rule exactly as pandas does, with the same first rows (quoted newlines included)', async () => {
    const { report } = await fixture();
    expect(report.rows).toBe(golden.rows);
    expect(counts(report.violations)).toEqual(golden.counts);
    for (const v of report.violations) {
      const rows = golden.first_rows[key(v)] ?? [];
      expect(v.examples.map((e) => e.row), key(v)).toEqual(rows);
    }
    expect(report.ok).toBe(false);
  });

  it('reports fractions with Great Expectations semantics: of non-null values and of all rows', async () => {
    const { report } = await fixture();
    const amountType = report.violations.find((v) => key(v) === 'amount/type')!;
    const amountNulls = golden.counts['amount/required'];
    expect(amountType.fraction).toBeCloseTo(amountType.count / (golden.rows - amountNulls), 12);
    expect(amountType.fraction_of_rows).toBeCloseTo(amountType.count / golden.rows, 12);
    const scoreNulls = report.violations.find((v) => key(v) === 'score/max_null_fraction')!;
    expect(scoreNulls.fraction).toBeCloseTo(scoreNulls.count / golden.rows, 12);
  });

  it('every example is re-checked by ajv and explained; SQL and ajv never disagree on the fixture', async () => {
    const { report } = await fixture();
    const messages = report.violations.flatMap((v) => v.examples.map((e) => e.message));
    expect(messages.length).toBeGreaterThan(100);
    expect(messages.filter((m) => m.includes('ajv accepts'))).toEqual([]);
    const byKey = Object.fromEntries(report.violations.map((v) => [key(v), v]));
    expect(byKey['amount/type'].examples.find((e) => e.value === '1,234')?.message).toBe('amount: "1,234" must be number (thousands separators are not part of a number)');
    expect(byKey['amount/type'].examples.some((e) => /"(NaN|Inf|-Infinity)" must be number/.test(e.message))).toBe(true);
    expect(byKey['count/type'].examples.map((e) => e.message)).toContain('count: 2.5 must be integer');
    expect(byKey['ts/format'].examples[0].message).toMatch(/must match format "date-time"/);
    expect(byKey['id/unique'].examples[0].message).toMatch(/appears more than once/);
    expect(byKey['note/maxLength'].examples.some((e) => e.value === 'line one\nline two')).toBe(true);
    // the unknown column is a warning (unknown_columns: warn), with no examples
    expect(byKey['extra/unknown_column']).toMatchObject({ severity: 'warning', count: golden.rows, examples: [] });
    expect(byKey['(dataset)/rows']).toBeUndefined();
  });
});

describe('validate: Parquet and JSON lines give the same answer as CSV', () => {
  const t = tempDir('slipway-validate-fmt-');
  const schemaFile = join(ROOT, 'models', 'credit-risk', 'schema.json');

  it('credit-risk data with injected violations: CSV, Parquet and JSON lines agree on every count and example row', async () => {
    const csv = join(t.dir, 'd.csv');
    const pq = join(t.dir, 'd.parquet');
    const jl = join(t.dir, 'd.jsonl');
    await generateDataset(csv, { rows: 20_000, seed: 5, violations: 0.02 });
    await generateDataset(pq, { rows: 20_000, seed: 5, violations: 0.02 });
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(pq)})) TO ${sqlString(jl)} (FORMAT json)`);
    conn.closeSync();
    const a = (await check(schemaFile, csv)).report;
    const b = (await check(schemaFile, pq)).report;
    const c = (await check(schemaFile, jl)).report;
    expect(a.violations.length).toBe(4); // negative income, null debt_ratio, utilization > 1, unknown region
    expect(counts(a.violations)).toEqual({ 'income/minimum': expect.any(Number), 'debt_ratio/required': expect.any(Number), 'utilization/maximum': expect.any(Number), 'region/enum': expect.any(Number) });
    for (const other of [b, c]) {
      expect(counts(other.violations)).toEqual(counts(a.violations));
      expect(other.violations.map((v) => v.examples.map((e) => e.row))).toEqual(a.violations.map((v) => v.examples.map((e) => e.row)));
      expect(other.violations.map((v) => v.examples.map((e) => e.message))).toEqual(a.violations.map((v) => v.examples.map((e) => e.message)));
    }
    expect([a.format, b.format, c.format]).toEqual(['csv', 'parquet', 'json']);
    const total = a.violations.reduce((s, v) => s + v.count, 0);
    expect(total / 20_000).toBeGreaterThan(0.015);
    expect(total / 20_000).toBeLessThan(0.025);
  });

  it('JSON lines judge each value by its own JSON type (a column mixing numbers and strings)', async () => {
    const f = t.write('mixed.jsonl', ['{"x": 1, "s": "a"}', '{"x": "2", "s": 3}', '{"x": 2.5, "s": null}', '{"x": null, "s": "b"}', '{"x": true, "s": "c"}', '{"x": [1], "s": "d"}'].join('\n') + '\n');
    const schema: RowSchema = { type: 'object', required: ['x'], properties: { x: { type: ['number', 'null'], maximum: 2 }, s: { type: 'string' } } };
    const schemaFile = t.write('mixed.schema.json', JSON.stringify(schema));
    const { report } = await check(schemaFile, f);
    expect(counts(report.violations)).toEqual({ 'x/type': 3, 'x/maximum': 1, 's/type': 1 });
    const xt = report.violations.find((v) => key(v) === 'x/type')!;
    expect(xt.examples.map((e) => [e.row, e.value])).toEqual([[2, '2'], [5, true], [6, [1]]]);
    expect(xt.examples[0].message).toBe('x: "2" must be number,null');
    expect(xt.fraction).toBeCloseTo(3 / 5, 12);
    expect(xt.fraction_of_rows).toBeCloseTo(3 / 6, 12);
  });

  it('Parquet column types decide: a string column where numbers are expected violates for every value', async () => {
    const pq = join(t.dir, 'typed.parquet');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT i::VARCHAR AS x, i AS n, (i % 2 = 0) AS b, DATE '2024-01-01' + i::INTEGER AS d FROM range(10) t(i)) TO ${sqlString(pq)} (FORMAT parquet)`);
    conn.closeSync();
    const schema: RowSchema = { type: 'object', properties: { x: { type: 'number' }, n: { type: 'integer', maximum: 7 }, b: { type: 'boolean' }, d: { type: 'string', format: 'date' } } };
    const { report } = await check(t.write('typed.schema.json', JSON.stringify(schema)), pq);
    expect(counts(report.violations)).toEqual({ 'x/type': 10, 'n/maximum': 2 });
    expect(report.violations.find((v) => key(v) === 'n/maximum')!.examples.map((e) => e.row)).toEqual([9, 10]);
  });
});

describe('validate: NaN and infinities in typed numeric columns (min/max screening)', () => {
  const t = tempDir('slipway-validate-nan-');

  it('NaN and ±Infinity are type violations, never range violations; a screen that fails on them still counts exactly', async () => {
    const pq = join(t.dir, 'nan.parquet');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * FROM (VALUES (1, 0.5, 0.5), (2, 'NaN'::DOUBLE, 0.5), (3, 'inf'::DOUBLE, 0.5), (4, '-inf'::DOUBLE, '-inf'::DOUBLE), (5, 2.0, 0.5), (6, -1.0, 0.5), (7, NULL, 0.5)) v(i, x, y)) TO ${sqlString(pq)} (FORMAT parquet)`);
    conn.closeSync();
    const schema: RowSchema = { type: 'object', properties: { i: { type: 'integer' }, x: { type: 'number', minimum: 0, maximum: 1 }, y: { type: 'number', minimum: 0 } } };
    const { report } = await check(t.write('nan.schema.json', JSON.stringify(schema)), pq);
    expect(counts(report.violations)).toEqual({ 'x/type': 3, 'x/minimum': 1, 'x/maximum': 1, 'y/type': 1 });
    expect(report.violations.find((v) => key(v) === 'x/type')!.examples.map((e) => [e.row, e.value])).toEqual([
      [2, 'NaN'],
      [3, 'Infinity'],
      [4, '-Infinity'],
    ]);
    expect(report.violations.find((v) => key(v) === 'x/minimum')!).toMatchObject({ count: 1, fraction: 1 / 6, fraction_of_rows: 1 / 7 });
  });
});

describe('validate: bounded memory', () => {
  const t = tempDir('slipway-validate-mem-');

  it('a CSV larger than the memory limit is checked exactly, with a unique column whose hash table does not fit', async () => {
    // DuckDB gets 32MB; the file is ~55MB (800k rows: above the 50k-row budget of other tests, kept because the
    // point is a file larger than memory). The unique id's hash table (800k values) cannot stay in memory either.
    const N = 800_000;
    const f = join(t.dir, 'big.csv');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT 'R' || lpad(i::VARCHAR, 9, '0') AS id, (i % 997)::DOUBLE / 10 AS x, i % 7 AS k,
      CASE WHEN i % 100003 = 5 THEN 'bad' ELSE repeat('p', 50) END AS pad FROM range(${N}) t(i)) TO ${sqlString(f)} (HEADER)`);
    conn.closeSync();
    expect(readFileSync(f).length).toBeGreaterThan(1.5 * 32_000_000);
    const schema: RowSchema = {
      type: 'object',
      required: ['id', 'x', 'k', 'pad'],
      properties: { id: { type: 'string', pattern: '^R[0-9]{9}$' }, x: { type: 'number', maximum: 99 }, k: { type: 'integer', enum: [0, 1, 2, 3, 4, 5] }, pad: { type: 'string', minLength: 50 } },
      'x-slipway': { unique: ['id'] },
    };
    const { report } = await check(t.write('big.schema.json', JSON.stringify(schema)), f, { memoryLimit: '32MB' });
    // expected counts and first rows, computed here without DuckDB
    const rows = (pred: (i: number) => boolean) => {
      const out: number[] = [];
      let count = 0;
      for (let i = 0; i < N; i++) {
        if (!pred(i)) continue;
        count++;
        if (out.length < 5) out.push(i + 1);
      }
      return { count, first: out };
    };
    const expected = { 'x/maximum': rows((i) => i % 997 > 990), 'k/enum': rows((i) => i % 7 === 6), 'pad/minLength': rows((i) => i % 100003 === 5) };
    expect(report.rows).toBe(N);
    expect(Object.fromEntries(report.violations.map((v) => [key(v), { count: v.count, first: v.examples.map((e) => e.row) }]))).toEqual(expected);
  });
});
