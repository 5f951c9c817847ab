import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, readerSql, sqlString } from '../../src/data/duckdb.js';
import { encodeGroups, groupsFromCodes, intersect } from '../../src/evaluate/groups.js';
import { checkIntersection, sensitiveCodes } from '../../src/evaluate/sensitive.js';
import { readFeatureTable } from '../../src/model/features.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';

const { dir } = tempDir('slipway-sensitive-');
const contract: RowSchema = { properties: { x: { type: 'number' }, sex: { type: ['string', 'null'] }, owner: { type: 'boolean' }, band: { type: 'integer' } } };

describe('sensitive columns read as codes from DuckDB', () => {
  it('keeps row order, maps nulls to (missing), booleans to true/false, numbers to their text', async () => {
    const csv = join(dir, 'd.csv');
    writeFileSync(csv, 'x,sex,owner,band\n1,M,true,3\n2,,false,1\n3,F,true,3\n4,M,false,2\n5,F\'s,true,1\n');
    const conn = await openDuckDB();
    const codes = await sensitiveCodes(conn, readerSql(csv), ['sex', 'owner', 'band'], contract, csv);
    expect(codes.labels).toEqual({ sex: ['F', "F's", 'M'], owner: ['false', 'true'], band: ['1', '2', '3'] });
    const t = await readFeatureTable(conn, codes.fromSql, ['x', ...Object.values(codes.codeColumn)], codes.contract);
    conn.closeSync();
    expect(Array.from(t.columns.x as Float64Array)).toEqual([1, 2, 3, 4, 5]);
    const group = (c: string) => groupsFromCodes(t.columns[codes.codeColumn[c]] as Float64Array, codes.labels[c]);
    const sex = group('sex');
    expect(sex.labels).toEqual(['(missing)', 'F', "F's", 'M']);
    expect(Array.from(sex.index, (k) => sex.labels[k])).toEqual(['M', '(missing)', 'F', 'M', "F's"]);
    const owner = group('owner');
    expect(Array.from(owner.index, (k) => owner.labels[k])).toEqual(['true', 'false', 'true', 'false', 'true']);
    const g = intersect(sex, group('band'));
    expect(g.labels).toEqual(['(missing) & 1', 'F & 3', "F's & 1", 'M & 2', 'M & 3']);
    expect(Array.from(g.index)).toEqual([4, 0, 1, 3, 2]);
    // the same as grouping the values themselves
    expect(g).toEqual(encodeGroups([['M', null, 'F', 'M', "F's"], ['3', '1', '3', '2', '1']]));
  });
});

describe('a NaN in a floating-point sensitive column', () => {
  it('is missing, like null: the (missing) group, not a group called nan', async () => {
    const file = join(dir, 'nan.parquet');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * FROM (VALUES (1, 'nan'::DOUBLE), (2, NULL), (3, 1.5), (4, 'nan'::DOUBLE), (5, 2.0)) t(x, band)) TO ${sqlString(file)}`);
    const schema: RowSchema = { properties: { x: { type: 'number' }, band: { type: ['number', 'null'] } } };
    const codes = await sensitiveCodes(conn, readerSql(file), ['band'], schema, file);
    expect(codes.labels).toEqual({ band: ['1.5', '2.0'] });
    const t = await readFeatureTable(conn, codes.fromSql, ['x', codes.codeColumn.band], codes.contract);
    conn.closeSync();
    const g = groupsFromCodes(t.columns[codes.codeColumn.band] as Float64Array, codes.labels.band);
    expect(g.labels).toEqual(['(missing)', '1.5', '2.0']);
    expect(Array.from(g.index, (k) => g.labels[k])).toEqual(['(missing)', '(missing)', '1.5', '(missing)', '2.0']);
  });
});

describe('sensitive attributes stay categorical, so that the report can hold their groups', () => {
  it('a value longer than 200 characters is an input error naming the attribute', async () => {
    const csv = join(dir, 'long.csv');
    writeFileSync(csv, `x,sex\n1,M\n2,${'a'.repeat(201)}\n`);
    const conn = await openDuckDB();
    try {
      await expect(sensitiveCodes(conn, readerSql(csv), ['sex'], contract, csv)).rejects.toThrow(`${csv}: sensitive attribute 'sex' has a value of 201 characters; fairness needs a categorical column (values of at most 200 characters)`);
      writeFileSync(csv, `x,sex\n1,M\n2,${'a'.repeat(200)}\n`);
      expect((await sensitiveCodes(conn, readerSql(csv), ['sex'], contract, csv)).labels.sex).toHaveLength(2);
    } finally {
      conn.closeSync();
    }
  });

  it('an intersection with more than 10,000 groups, or a label over 1,000 characters, is an input error', () => {
    const a = Array.from({ length: 20_000 }, (_, i) => String(i % 101));
    const b = Array.from({ length: 20_000 }, (_, i) => String(i % 103));
    const g = encodeGroups([a, b]);
    expect(g.labels.length).toBe(10_403);
    expect(() => checkIntersection('a&b', g.labels, 'test.csv')).toThrow("test.csv: the intersection a&b has 10,403 groups in the data; fairness compares at most 10,000");
    expect(() => checkIntersection('a&b', ['x'.repeat(1001)], 'test.csv')).toThrow('group label of 1,001 characters (at most 1,000)');
    expect(() => checkIntersection('a&b', ['x'.repeat(1000)], 'test.csv')).not.toThrow();
  });
});
