import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { generateDataset } from '../../src/data/generate.js';
import { batchFromRows, readFeatureBatches, readFeatureTable, sliceBatch, type FeatureBatch } from '../../src/model/features.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';
import { readFileSync } from 'node:fs';

const { dir } = tempDir('slipway-features-');
const contract = JSON.parse(readFileSync(new URL('../../models/credit-risk/schema.json', import.meta.url), 'utf8')) as RowSchema;
const FEATURES = ['income', 'credit_lines', 'has_cosigner', 'region', 'term_months'];

describe('readFeatureBatches', () => {
  it('reads typed columns in batches that match row-by-row reads exactly', async () => {
    const file = join(dir, 'd.parquet');
    await generateDataset(file, { rows: 5000, seed: 11 });
    const conn = await openDuckDB();
    const from = readerSql(file);
    const batches: FeatureBatch[] = [];
    for await (const b of readFeatureBatches(conn, from, FEATURES, contract, 1500)) batches.push(b);
    expect(batches.map((b) => b.rows)).toEqual([1500, 1500, 1500, 500]);
    const rows = (await conn.runAndReadAll(`SELECT income, credit_lines, has_cosigner, region, term_months FROM ${from}`)).getRowObjectsJS();
    let i = 0;
    for (const b of batches) {
      expect(b.columns.income).toBeInstanceOf(Float64Array);
      expect(Array.isArray(b.columns.region)).toBe(true);
      for (let k = 0; k < b.rows; k++, i++) {
        expect((b.columns.income as Float64Array)[k]).toBe(rows[i].income);
        expect((b.columns.credit_lines as Float64Array)[k]).toBe(Number(rows[i].credit_lines));
        expect((b.columns.has_cosigner as Float64Array)[k]).toBe(rows[i].has_cosigner ? 1 : 0);
        expect((b.columns.region as string[])[k]).toBe(rows[i].region);
      }
    }
    expect(i).toBe(5000);
    const all = await readFeatureTable(conn, from, FEATURES, contract);
    expect(all.rows).toBe(5000);
    expect(sliceBatch(all, 10, 20).rows).toBe(10);
  });

  it('gives NaN for null numbers and booleans, null for null strings', async () => {
    const file = join(dir, 'nulls.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'income,credit_lines,has_cosigner,region,term_months\n1.5,,true,north,36\n,3,,,60\n');
    const b = await readFeatureTable(await openDuckDB(), readerSql(file), FEATURES, contract);
    expect(Array.from(b.columns.income as Float64Array)).toEqual([1.5, NaN]);
    expect(Array.from(b.columns.credit_lines as Float64Array)).toEqual([NaN, 3]);
    expect(Array.from(b.columns.has_cosigner as Float64Array)).toEqual([1, NaN]);
    expect(b.columns.region).toEqual(['north', null]);
  });

  it('names missing columns and unreadable values', async () => {
    const file = join(dir, 'bad.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'income,region\n1,north\n');
    const conn = await openDuckDB();
    await expect(readFeatureTable(conn, readerSql(file), FEATURES, contract)).rejects.toThrow(/missing feature column\(s\) 'credit_lines', 'has_cosigner', 'term_months'/);
    await expect(readFeatureTable(conn, readerSql(file), ['nope'], contract)).rejects.toThrow(/feature 'nope' is not a column of the data contract/);
    writeFileSync(file, 'income\nabc\n');
    await expect(readFeatureTable(conn, readerSql(file), ['income'], contract)).rejects.toThrow(/cannot read the features from .*Could not convert string 'abc'/);
  });
});

describe('batchFromRows', () => {
  it('builds typed columns from JSON rows', () => {
    const b = batchFromRows([{ income: 10, credit_lines: 2, has_cosigner: true, region: 'east', term_months: 36 }, { income: null, has_cosigner: 0, region: null }], FEATURES, contract);
    expect(b.rows).toBe(2);
    expect(Array.from(b.columns.income as Float64Array)).toEqual([10, NaN]);
    expect(Array.from(b.columns.credit_lines as Float64Array)).toEqual([2, NaN]);
    expect(Array.from(b.columns.has_cosigner as Float64Array)).toEqual([1, 0]);
    expect(b.columns.region).toEqual(['east', null]);
  });

  it('rejects wrong types naming row, column and expectation', () => {
    expect(() => batchFromRows([{ income: '12' }], ['income'], contract)).toThrow(`row 0, column 'income': expected a finite number, got "12"`);
    expect(() => batchFromRows([{}, { credit_lines: 2.5 }], ['credit_lines'], contract)).toThrow(`row 1, column 'credit_lines': expected an integer, got 2.5`);
    expect(() => batchFromRows([{ has_cosigner: 'yes' }], ['has_cosigner'], contract)).toThrow(`row 0, column 'has_cosigner': expected a boolean (true/false), got "yes"`);
    expect(() => batchFromRows([{ region: 3 }], ['region'], contract)).toThrow(`row 0, column 'region': expected a string, got 3`);
    expect(() => batchFromRows([[1, 2] as unknown as Record<string, unknown>], ['region'], contract)).toThrow(`row 0: expected an object of column values, got an array`);
    expect(() => batchFromRows([{ income: Infinity }], ['income'], contract)).toThrow(/expected a finite number, got Infinity/);
  });
});
