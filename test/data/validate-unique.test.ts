import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import type { ValidationReport } from '../../src/data/validation-types.js';
import { runCli } from '../support/cli.js';
import { modelYaml } from '../support/config-repo.js';
import { tempDir } from '../support/tmp.js';

/**
 * `x-slipway.unique` on columns the reader types as numbers (an integer key, a number): the duplicates'
 * examples are read from a CSV as text and must still find the typed duplicates (before: an internal
 * error, DuckDB refusing to compare VARCHAR with BIGINT).
 */
const t = tempDir('slipway-validate-unique-');
t.write('models/m/model.yaml', modelYaml('y'));
t.write(
  'models/m/schema.json',
  JSON.stringify({
    type: 'object',
    required: ['k', 'y'],
    properties: { k: { type: 'integer' }, z: { type: ['number', 'null'] }, s: { type: 'string' }, y: { type: 'integer', enum: [0, 1] } },
    'x-slipway': { unique: ['k', 'z', 's'] },
  }),
);
const env = { ...process.env, GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };

async function validate(file: string): Promise<{ code: number; stderr: string; report: ValidationReport }> {
  const reportFile = `${file}.report.json`;
  const r = await runCli(['validate', '--model', 'm', '--data', file, '--report', reportFile], t.dir, env);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { code: r.code, stderr: r.stderr, report: JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport };
}

const unique = (r: ValidationReport, column: string) => r.violations.find((v) => v.column === column && v.rule === 'unique');

const CSV = 'k,z,s,y\n1,0.5,a,0\n2,1.5,b,1\n1,2.5,c,0\n3,1.50,d,1\n4,,e,0\n5,,f,1\n';

describe('validate: unique on number columns', () => {
  it('a CSV: an integer key and a number column repeated, counted and shown with their rows (1.5 and 1.50 are one number)', async () => {
    const r = await validate(t.write('dup.csv', CSV));
    expect(r.code).toBe(1);
    expect(unique(r.report, 'k')).toMatchObject({ count: 2, examples: [{ row: 1 }, { row: 3 }] });
    expect(unique(r.report, 'k')!.examples[0].message).toBe('k: 1 appears more than once (1 value is repeated)');
    expect(unique(r.report, 'z')).toMatchObject({ count: 2, examples: [{ row: 2, value: '1.5' }, { row: 4, value: '1.50' }] });
    const two = await validate(t.write('dup2.csv', 'k,z,s,y\n1,,a,0\n1,,b,1\n2,,c,0\n2,,d,1\n'));
    expect(unique(two.report, 'k')!.examples[0].message).toBe('k: 1 appears more than once (2 values are repeated)');
    expect(unique(r.report, 's')).toBeUndefined();
  });

  it('a key column that is not all integers is read as text: its duplicates are still found', async () => {
    const r = await validate(t.write('text-key.csv', 'k,z,s,y\n1,,a,0\nx7,,b,1\n1,,c,0\n'));
    expect(unique(r.report, 'k')).toMatchObject({ count: 2, examples: [{ row: 1 }, { row: 3 }] });
  });

  it('JSON lines and Parquet with the same rows agree with the CSV', async () => {
    const jsonl = t.write('dup.jsonl', CSV.trim().split('\n').slice(1).map((l) => {
      const [k, z, s, y] = l.split(',');
      return JSON.stringify({ k: Number(k), z: z === '' ? null : Number(z), s, y: Number(y) });
    }).join('\n') + '\n');
    const parquet = join(t.dir, 'dup.parquet');
    const conn = await openDuckDB();
    try {
      await conn.run(`COPY (SELECT * FROM read_json(${sqlString(jsonl)}, columns = {k: 'BIGINT', z: 'DOUBLE', s: 'VARCHAR', y: 'BIGINT'})) TO ${sqlString(parquet)} (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
    for (const file of [jsonl, parquet]) {
      const r = await validate(file);
      expect(unique(r.report, 'k'), file).toMatchObject({ count: 2, examples: [{ row: 1 }, { row: 3 }] });
      expect(unique(r.report, 'z'), file).toMatchObject({ count: 2, examples: [{ row: 2 }, { row: 4 }] });
    }
  });
});

