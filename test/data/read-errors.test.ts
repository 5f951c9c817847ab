import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import { readError, reading } from '../../src/data/read-error.js';
import { validateData } from '../../src/data/validate.js';
import { InputError } from '../../src/errors.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/**
 * DuckDB's errors reading a file, as users read them: every message here comes from a real DuckDB failing on a
 * real file, and must name the file (and line) and say what is wrong without echoing the query.
 */
const t = tempDir('slipway-read-errors-');
t.write(
  'models/m/model.yaml',
  ['apiVersion: slipway/v1', 'kind: Model', 'name: m', 'task: binary-classification', 'data:', '  schema: schema.json', '  train: data/train.csv', '  test: data/test.csv', '  target: y', 'train:', '  builtin: logistic-regression', ''].join('\n'),
);
t.write('models/m/schema.json', JSON.stringify({ type: 'object', required: ['a', 'y'], properties: { a: { type: 'integer' }, y: { type: 'integer', enum: [0, 1] } } }));
const env = { ...process.env, GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };

/** A real Parquet file of `rows` rows. */
async function parquet(name: string, rows = 2000): Promise<string> {
  const file = join(t.dir, name);
  const conn = await openDuckDB();
  await conn.run(`COPY (SELECT range AS a, range % 2 AS y FROM range(${rows})) TO ${sqlString(file)} (FORMAT parquet)`);
  conn.closeSync();
  return file;
}

async function validate(file: string) {
  return runCli(['validate', '--model', 'm', '--data', file], t.dir, env);
}

/** The error line of a failed run: exit 2, one message, no stack trace, no SQL. */
function failure(r: { code: number; stderr: string }): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |LINE 1|read_(parquet|csv|json)|\^/);
  const line = r.stderr.split('\n').find((l) => l.startsWith('error: '));
  expect(line).toBeDefined();
  return line!.slice('error: '.length);
}

describe('read errors: each format says what is wrong with the file, in user terms', () => {
  it('a truncated Parquet file, and text named .parquet: not a Parquet file', async () => {
    const whole = readFileSync(await parquet('whole.parquet'));
    writeFileSync(join(t.dir, 'trunc.parquet'), whole.subarray(0, Math.floor(whole.length / 2)));
    expect(failure(await validate('trunc.parquet'))).toBe('trunc.parquet: not a Parquet file (no magic bytes at its end: truncated, or another format?)');
    writeFileSync(join(t.dir, 'text.parquet'), 'a,y\n1,0\n2,1\n3,0\n4,1\n');
    expect(failure(await validate('text.parquet'))).toBe('text.parquet: not a Parquet file (no magic bytes at its end: truncated, or another format?)');
    writeFileSync(join(t.dir, 'tiny.parquet'), 'PAR1');
    expect(failure(await validate('tiny.parquet'))).toBe('tiny.parquet: not a Parquet file (too small: truncated, or another format?)');
  });

  it('JSON lines: the line of the malformed record, counted as an editor does (blank lines, CRLF, gzip)', async () => {
    writeFileSync(join(t.dir, 'bad.jsonl'), '{"a": NaN, "y": 0}\n{"a": 1, "y');
    expect(failure(await validate('bad.jsonl'))).toBe('bad.jsonl:2: malformed JSON: the line ends in the middle of a value (truncated?); expected one JSON object per line');
    // DuckDB skips blank lines when it counts; the message gives the line in the file
    writeFileSync(join(t.dir, 'blank.jsonl'), '{"a": 1, "y": 0}\n\n   \n{"a": 2, "y": 1}\n{"a": 3, y}\n{"a": 4, "y": 0}\n');
    expect(failure(await validate('blank.jsonl'))).toBe('blank.jsonl:5: malformed JSON: unexpected character at column 10; expected one JSON object per line');
    writeFileSync(join(t.dir, 'crlf.jsonl'), '{"a": 1, "y": 0}\r\n{oops}\r\n');
    expect(failure(await validate('crlf.jsonl'))).toMatch(/^crlf\.jsonl:2: malformed JSON: unexpected character at column 2;/);
    writeFileSync(join(t.dir, 'first.jsonl'), '{oops}\n{"a": 1, "y": 0}\n');
    expect(failure(await validate('first.jsonl'))).toMatch(/^first\.jsonl:1: malformed JSON/);
    writeFileSync(join(t.dir, 'packed.jsonl.gz'), gzipSync('{"a": 1, "y": 0}\n\n{"a": 2, "y": 1}\n{"a": 3, "y"\n'));
    expect(failure(await validate('packed.jsonl.gz'))).toMatch(/^packed\.jsonl\.gz:4: malformed JSON: the line ends in the middle of a value/);
  });

  it('a CSV named .json, plain text named .csv.gz or .csv.zst', async () => {
    writeFileSync(join(t.dir, 'table.json'), 'a,y\n1,0\n');
    expect(failure(await validate('table.json'))).toBe('table.json:1: malformed JSON: unexpected character at column 1; expected one JSON object per line');
    writeFileSync(join(t.dir, 'plain.csv.gz'), 'a,y\n1,0\n');
    expect(failure(await validate('plain.csv.gz'))).toBe('plain.csv.gz: not gzip-compressed, though its name ends in .gz');
    writeFileSync(join(t.dir, 'plain.csv.zst'), 'a,y\n1,0\n');
    expect(failure(await validate('plain.csv.zst'))).toBe('plain.csv.zst: not zstd-compressed, though its name ends in .zst');
  });

  it('a file whose first bytes say another format than its name: Parquet named .csv, gzip or zstd without .gz or .zst', async () => {
    // before: 'a quoted value is never closed' and 'the header is not valid UTF-8', symptoms of reading it by its name
    writeFileSync(join(t.dir, 'parquet.csv'), readFileSync(await parquet('p2.parquet', 10)));
    expect(failure(await validate('parquet.csv'))).toBe('parquet.csv: a Parquet file, though its name does not end in .parquet; expected a name that says its format (parquet.parquet)');
    writeFileSync(join(t.dir, 'p3.jsonl.gz'), readFileSync(join(t.dir, 'p2.parquet')));
    expect(failure(await validate('p3.jsonl.gz'))).toBe('p3.jsonl.gz: a Parquet file, though its name does not end in .parquet; expected a name that says its format (p3.parquet)');
    writeFileSync(join(t.dir, 'packed.csv'), gzipSync('a,y\n1,0\n'));
    expect(failure(await validate('packed.csv'))).toBe('packed.csv: gzip-compressed, though its name does not end in .gz; expected a name that says so (packed.csv.gz)');
    writeFileSync(join(t.dir, 'packed.jsonl'), Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(16)]));
    expect(failure(await validate('packed.jsonl'))).toBe('packed.jsonl: zstd-compressed, though its name does not end in .zst; expected a name that says so (packed.jsonl.zst)');
    // JSON lines named .csv: read as a CSV, its first object was the header and validate passed it with 0 rows
    writeFileSync(join(t.dir, 'records.csv'), '{"a": 1, "y": 0}\n{"a": 2, "y": 1}\n');
    expect(failure(await validate('records.csv'))).toBe("records.csv: JSON lines, though its name ends in .csv (it begins with '{'); expected a name that says its format (records.jsonl)");
    // drift reads its files the same way
    const d = await runCli(['drift', '--model', 'm', '--reference', 'p2.parquet', '--current', 'packed.csv'], t.dir, env);
    expect(failure(d)).toBe('packed.csv: gzip-compressed, though its name does not end in .gz; expected a name that says so (packed.csv.gz)');
  });

  it('a directory, an empty --data, an unknown extension', async () => {
    expect(failure(await validate('models'))).toBe('models: is a directory; expected a data file (CSV, Parquet or JSON lines)');
    expect(failure(await validate(''))).toMatch(/^--data is empty: expected a data file path or URL/);
    expect(failure(await validate('   '))).toMatch(/^--data is empty/);
    writeFileSync(join(t.dir, 'data.xlsx'), 'x');
    expect(failure(await validate('data.xlsx'))).toMatch(/^data\.xlsx: cannot tell the format from the extension/);
  });

  it('an http URL is read through DuckDB, not looked up as a local path', async () => {
    // offline: httpfs cannot be downloaded; online: the connection is refused. Either way the URL is named.
    const msg = failure(await validate('http://127.0.0.1:1/x.parquet'));
    expect(msg).toMatch(/^http:\/\/127\.0\.0\.1:1\/x\.parquet: /);
    expect(msg).not.toMatch(/file not found|http:\/127/);
  });
});

describe('readError on real DuckDB errors', () => {
  it('a type the JSON reader inferred from the first lines, broken far below: the exact line', async () => {
    const file = join(t.dir, 'typed.jsonl');
    writeFileSync(file, Array.from({ length: 30000 }, (_, i) => `{"v": ${i}}\n`).join('') + '\n{"v": "abc"}\n');
    const conn = await openDuckDB();
    try {
      const e = await reading({ path: file, display: 'typed.jsonl' }, () => conn.run(`SELECT sum(v) FROM read_json_auto(${sqlString(file)}, format = 'newline_delimited')`)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toBe('typed.jsonl:30002: Failed to cast value to numerical: "abc" (the column\'s type was inferred from the first lines)');
    } finally {
      conn.closeSync();
    }
  });

  it('a CSV value that does not fit the sniffed type, and a file the CSV sniffer cannot read', async () => {
    const file = join(t.dir, 'sniffed.csv');
    writeFileSync(file, 'a,b\n' + Array.from({ length: 30000 }, (_, i) => `${i},x\n`).join('') + 'many,x\n');
    const bin = join(t.dir, 'binary.csv');
    writeFileSync(bin, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)));
    const conn = await openDuckDB();
    try {
      const run = (f: string, display: string): Promise<Error> =>
        reading({ path: f, display }, () => conn.run(`SELECT sum(a) FROM read_csv(${sqlString(f)}, header = true, auto_detect = true)`)).then(
          () => new Error('read without an error'),
          (x: unknown) => x as Error,
        );
      expect((await run(file, 'sniffed.csv')).message).toBe('sniffed.csv:30002: column \'a\': "many" is not a BIGINT, the type DuckDB detected from the first rows');
      const b = await run(bin, 'binary.csv');
      expect(b).toBeInstanceOf(InputError);
      expect(b.message).toBe('binary.csv: not a CSV file DuckDB can read: no delimiter and quoting fit its first lines (another format, or not text?)');
    } finally {
      conn.closeSync();
    }
  });

  it('names the file a message is about among several, and a log file under a directory by its path there', async () => {
    const e = new Error('Invalid Input Error: Malformed JSON in file "/logs/x/2024/a.jsonl", at byte 3 in line 8: unexpected character. \n\nLINE 1: SELECT …\n ^');
    const r = await readError(e, [
      { path: '/data/ref.parquet', display: 'ref.parquet' },
      { path: '/logs/x', display: 'logs' },
    ]);
    expect(r.message).toBe('logs/2024/a.jsonl:7: malformed JSON: unexpected character at column 3; expected one JSON object per line');
  });

  it('leaves errors that are not about reading data as they are (a bug stays a bug)', async () => {
    const bug = new Error('Binder Error: Referenced column "nope" not found in FROM clause!');
    expect(await readError(bug, 'x.csv')).toBe(bug);
    const typed = new InputError('x.csv: something precise');
    expect(await readError(typed, 'y.csv')).toBe(typed);
  });

  it('a generic read error keeps its reason, not the caret under the echoed query', async () => {
    const r = await readError(new Error('IO Error: Something odd happened\n\nLINE 1: SELECT * FROM read_parquet(\'x\')\n                      ^'), 'x.parquet');
    expect(r.message).toBe('x.parquet: cannot read the data: Something odd happened');
  });
});

describe('DuckDB settings', () => {
  it('--memory-limit out of range is a usage error, before anything is read', async () => {
    for (const v of ['99999999999TB', '1MB', '0GB', 'lots']) {
      const r = await runCli(['validate', '--model', 'm', '--data', 'nope.csv', '--memory-limit', v], t.dir, env);
      expect(failure(r)).toBe(`--memory-limit expects a size like 512MB or 2GB, got '${v}'; it must be between 16MiB and 1024TiB`);
    }
  });

  it('a limit DuckDB refuses is an InputError, and the spill directory is removed all the same', async () => {
    const file = await parquet('ok.parquet', 10);
    const spill = tempDir('slipway-read-errors-tmp-').dir;
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = spill;
    try {
      const schema = JSON.parse(readFileSync(join(t.dir, 'models/m/schema.json'), 'utf8'));
      const e = await validateData({ model: 'm', schema, data: file, memoryLimit: '99999999999TB', compile: { schemaDisplay: 'schema.json', locate: () => ({ line: 1, column: 1 }) } }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toMatch(/^DuckDB refused the settings memory_limit = 99999999999TB/);
      expect(readdirSync(spill)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
