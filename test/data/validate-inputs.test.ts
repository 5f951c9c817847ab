import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import type { ValidationReport } from '../../src/data/validation-types.js';
import { runCli, type CliResult } from '../support/cli.js';
import { modelYaml } from '../support/config-repo.js';
import { tempDir } from '../support/tmp.js';

/** A repository with one model whose contract is small; each test writes a data file and validates it. */
const t = tempDir('slipway-validate-inputs-');
t.write('models/m/model.yaml', modelYaml('y'));
t.write(
  'models/m/schema.json',
  JSON.stringify(
    {
      type: 'object',
      required: ['a', 'b', 'y'],
      properties: { a: { type: 'integer', minimum: 0 }, b: { type: 'string', enum: ['x', 'y', 'z'] }, c: { type: ['number', 'null'] }, y: { type: 'integer', enum: [0, 1] } },
      'x-slipway': { rows: { min: 1 } },
    },
    null,
    2,
  ),
);
const env = { ...process.env, GITHUB_ACTIONS: '' };

async function validate(name: string, bytes: string | Buffer): Promise<CliResult & { report?: ValidationReport }> {
  const file = join(t.dir, name);
  writeFileSync(file, bytes);
  const reportFile = join(t.dir, `${name}.report.json`);
  const r = await runCli(['validate', '--model', 'm', '--data', file, '--report', reportFile], t.dir, env);
  let report: ValidationReport | undefined;
  try {
    report = JSON.parse((await import('node:fs')).readFileSync(reportFile, 'utf8')) as ValidationReport;
  } catch {
    /* no report on input errors */
  }
  return { ...r, report };
}

const counts = (r?: ValidationReport) => Object.fromEntries((r?.violations ?? []).map((v) => [`${v.column ?? '(dataset)'}/${v.rule}`, v.count]));

describe('validate: awkward inputs give a clear error or a correct result, never a crash', () => {
  it('a missing file: exit 2, naming the file', async () => {
    const r = await runCli(['validate', '--model', 'm', '--data', 'nope.csv'], t.dir, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.csv: file not found');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an empty file: exit 2, saying it is empty', async () => {
    const r = await validate('empty.csv', '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty\.csv: the file is empty/);
  });

  it('a header and no rows: read as 0 rows; the rows expectation fails (exit 1)', async () => {
    const r = await validate('header.csv', 'a,b,c,y\n');
    expect(r.code).toBe(1);
    expect(r.report).toMatchObject({ rows: 0, columns: ['a', 'b', 'c', 'y'] });
    expect(counts(r.report)).toEqual({ '(dataset)/rows': 0 });
    expect(r.report!.violations[0].expected).toBe('>= 1 rows');
    // the count of the rows rule is the rows found, not a share of anything (it read "0 (0% of non-null, 0% of rows)")
    expect(r.stdout).toContain('error   (dataset) rows: expected >= 1 rows; found 0\n');
  });

  it('a header naming a column twice, or two that differ only in case: exit 2 at line 1 (the second crashed: DuckDB matches names regardless of case)', async () => {
    const twice = await validate('twice.csv', 'a,b,a,y\n1,x,2,0\n');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("error: " + join(t.dir, 'twice.csv') + ":1: the header names the column 'a' twice; column names must be unique");
    const cased = await validate('cased.csv', 'a,b,A,y\n1,x,2,0\n');
    expect(cased.code).toBe(2);
    expect(cased.stderr).toContain(`error: ${join(t.dir, 'cased.csv')}:1: the header names the columns 'a' and 'A', which differ only in case; column names must be unique regardless of case (DuckDB reads them as one name)`);
    expect(cased.stderr).not.toMatch(/internal error|\n\s+at /);
    // JSON lines: DuckDB read the second key as 'B_1', reported as an unknown column
    const json = await validate('cased.jsonl', '{"a": 1, "b": "x", "B": "y", "y": 0}\n');
    expect(json.code).toBe(2);
    expect(json.stderr).toContain(`error: ${join(t.dir, 'cased.jsonl')}: the records hold the keys 'b' and 'B', which differ only in case; column names must be unique regardless of case (DuckDB reads them as one name)`);
  });

  it('rules counted over all rows (nulls of a required column, an absent column) give the share of rows alone', async () => {
    const r = await validate('nulls.csv', 'a,c,y\n1,0.5,0\n,0.5,1\n3,0.5,0\n4,0.5,1\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error   a required: expected a value (the column is required and not nullable); 1 (25.0% of rows)\n');
    expect(r.stdout).toContain('error   b required: expected the column to be present; 4 (100.0% of rows)\n');
    const md = await runCli(['validate', '--model', 'm', '--data', join(t.dir, 'nulls.csv')], t.dir, { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(t.dir, 'nulls.summary.md'), GITHUB_OUTPUT: join(t.dir, 'nulls.out') });
    expect(md.summary).toContain('| ❌ | a | <code>required</code> | a value &#40;the column is required and not nullable&#41; | 1 | — | 25.0% | 2 |');
  });

  it('a header and no rows, without a required column: the absent column fails all the same (it passed: 0 rows violate nothing)', async () => {
    const r = await validate('header-missing.csv', 'a,c,y\n');
    expect(r.code).toBe(1);
    expect(counts(r.report)).toEqual({ '(dataset)/rows': 0, 'b/required': 0 });
    expect(r.report!.violations.find((v) => v.column === 'b')).toMatchObject({ rule: 'required', expected: 'the column to be present', severity: 'error' });
  });

  it('a header with text after a closing quote: exit 2 at line 1 (DuckDB read no row after it, without an error)', async () => {
    const r = await validate('bad-header.csv', 'a,"b"x,c,y\n1,x,0.5,0\n2,y,0.5,1\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${join(t.dir, 'bad-header.csv')}:1: column 2 of the header has text after its closing quote; expected a quoted name to end at the delimiter ("a ""quoted"" name")`);
    // a space after the closing quote is read as DuckDB reads it: the rows are all there
    const spaced = await validate('spaced-header.csv', 'a,"b" ,c,y\n1,x,0.5,0\n2,y,0.5,1\n');
    expect(spaced.report).toMatchObject({ rows: 2 });
  });

  it('another delimiter (semicolon, tab) is taken from the header; the counts are right', async () => {
    const semi = await validate('semi.csv', 'a;b;c;y\n1;x;0.5;0\n-2;q;;1\n');
    expect(semi.code).toBe(1);
    expect(semi.report!.columns).toEqual(['a', 'b', 'c', 'y']);
    expect(counts(semi.report)).toEqual({ 'a/minimum': 1, 'b/enum': 1 });
    const tab = await validate('tab.tsv', 'a\tb\tc\ty\n1\tx\t0.5\t0\n');
    expect(tab.code, tab.stderr).toBe(0);
  });

  it('an unrecognised delimiter: one column, so the required columns are reported missing (exit 1)', async () => {
    const r = await validate('colon.csv', 'a:b:c:y\n1:x:0.5:0\n');
    expect(r.code).toBe(1);
    expect(r.report!.columns).toEqual(['a:b:c:y']);
    expect(counts(r.report)).toEqual({ 'a/required': 1, 'b/required': 1, 'y/required': 1, 'a:b:c:y/unknown_column': 1 });
    expect(r.stderr).toContain("only one column, 'a:b:c:y'");
  });

  it('ragged rows: exit 2 with the file, line and the expected width', async () => {
    const r = await validate('ragged.csv', 'a,b,c,y\n1,x,0.5,0\n2,y\n3,z,1,1\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ragged.csv:3: expected 4 columns (as in the header), found 2');
    const long = await validate('ragged2.csv', 'a,b,c,y\n1,x,0.5,0\n2,y,1,1,9\n');
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('ragged2.csv:3: expected 4 columns (as in the header), found 5');
  });

  it('invalid UTF-8: exit 2 with the file and line', async () => {
    const r = await validate('latin1.csv', Buffer.concat([Buffer.from('a,b,c,y\n1,x,0.5,0\n2,'), Buffer.from([0xe9, 0xff]), Buffer.from(',1,0\n')]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/latin1\.csv:3: invalid UTF-8 byte sequence; expected a UTF-8 encoded file/);
    const header = await validate('latin1-header.csv', Buffer.concat([Buffer.from('a,b'), Buffer.from([0xe9]), Buffer.from(',c,y\n1,x,0.5,0\n')]));
    expect(header.code).toBe(2);
    expect(header.stderr).toContain('latin1-header.csv:1: the header is not valid UTF-8');
  });

  it('a UTF-8 byte-order mark is not part of the first column name', async () => {
    const r = await validate('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b,c,y\n1,x,0.5,0\n2,y,,1\n')]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ ok: true, rows: 2, columns: ['a', 'b', 'c', 'y'], violations: [] });
  });

  it('quoted newlines: values span lines, and example rows are data rows, not lines', async () => {
    const r = await validate('quoted.csv', 'a,b,c,y\n1,"x",0.5,0\n2,"line one\nline two",1,1\n-3,x,2,0\n4,"say ""hi""",3,1\n');
    expect(r.code).toBe(1);
    expect(r.report!.rows).toBe(4);
    const byRule = Object.fromEntries(r.report!.violations.map((v) => [`${v.column}/${v.rule}`, v]));
    expect(byRule['b/enum'].examples.map((e) => [e.row, e.value])).toEqual([
      [2, 'line one\nline two'],
      [4, 'say "hi"'],
    ]);
    expect(byRule['a/minimum'].examples.map((e) => e.row)).toEqual([3]);
  });

  it('mixed types in one column: every value that is not an integer is counted, with its row', async () => {
    const r = await validate('mixed.csv', 'a,b,c,y\n1,x,0.5,0\nseven,x,1,0\n2.5,y,1,1\n3.0,z,1,0\ntrue,x,1,0\n8,x,1,0\n');
    expect(r.code).toBe(1);
    const v = r.report!.violations.find((x) => x.rule === 'type')!;
    expect(v).toMatchObject({ column: 'a', count: 3, fraction: 0.5, fraction_of_rows: 0.5 });
    expect(v.examples.map((e) => [e.row, e.message])).toEqual([
      [2, 'a: "seven" must be integer'],
      [3, 'a: 2.5 must be integer'],
      [5, 'a: "true" must be integer'],
    ]);
  });

  it('NaN and Infinity strings are not numbers (JSON has neither): counted as type violations', async () => {
    const r = await validate('nan.csv', 'a,b,c,y\n1,x,NaN,0\n2,x,Inf,0\n3,x,-Infinity,1\n4,x,nan,1\n5,x,1e308,0\n6,x,,0\n');
    expect(r.code).toBe(1);
    expect(counts(r.report)).toEqual({ 'c/type': 4 });
    const v = r.report!.violations[0];
    expect(v.fraction).toBeCloseTo(4 / 5, 12); // of the 5 non-null values
    expect(v.examples.map((e) => e.value)).toEqual(['NaN', 'Inf', '-Infinity', 'nan']);
  });

  it('thousands separators: a quoted "1,234" is not a number (with a hint); unquoted it splits the row (exit 2)', async () => {
    const r = await validate('thousands.csv', 'a,b,c,y\n"1,234",x,1,0\n5,x,"12,000.50",1\n');
    expect(r.code).toBe(1);
    expect(counts(r.report)).toEqual({ 'a/type': 1, 'c/type': 1 });
    expect(r.report!.violations[0].examples[0].message).toBe('a: "1,234" must be integer (thousands separators are not part of a number)');
    const bare = await validate('thousands-bare.csv', 'a,b,c,y\n1,234,x,1,0\n');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('thousands-bare.csv:2: expected 4 columns (as in the header), found 5');
  });

  it('an unterminated quote: exit 2 with the file', async () => {
    const r = await validate('quote.csv', 'a,b,c,y\n1,"x,0.5,0\n2,y,1,1\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/quote\.csv(:\d+)?: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('JSON lines with a malformed line, a corrupt Parquet file, an unknown extension: exit 2 naming the file', async () => {
    const j = await validate('bad.jsonl', '{"a": 1, "b": "x", "y": 0}\n{"a": 2, "b": \n');
    expect(j.code).toBe(2);
    expect(j.stderr).toContain('bad.jsonl');
    const p = await validate('bad.parquet', 'PAR1 this is not parquet');
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('bad.parquet');
    const x = await validate('data.xlsx', 'whatever');
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('data.xlsx: cannot tell the format from the extension');
  });

  it('a gzip-compressed CSV is read through DuckDB', async () => {
    const src = join(t.dir, 'plain.csv');
    writeFileSync(src, 'a,b,c,y\n1,x,0.5,0\n-1,y,,1\n');
    const gz = join(t.dir, 'packed.csv.gz');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * FROM read_csv(${sqlString(src)}, all_varchar = true)) TO ${sqlString(gz)} (HEADER, COMPRESSION gzip)`);
    conn.closeSync();
    const r = await runCli(['validate', '--model', 'm', '--data', gz], t.dir, env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('a minimum: expected >= 0; 1 (50.0% of non-null, 50.0% of rows)');
  });
});
