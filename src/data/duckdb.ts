import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { isRemote } from '../spec/paths.js';

export type DataFormat = 'csv' | 'parquet' | 'json';

/**
 * A fresh in-memory DuckDB. `memoryLimit` bounds what it holds; larger work spills to `tempDir`. Settings
 * DuckDB refuses (a memory limit beyond what it can represent, too small to start) are an InputError.
 */
export async function openDuckDB(options: { memoryLimit?: string; threads?: number; tempDir?: string } = {}): Promise<DuckDBConnection> {
  const config: Record<string, string> = { memory_limit: options.memoryLimit ?? '1GB', temp_directory: options.tempDir ?? spillDir() };
  if (options.threads) config.threads = String(options.threads);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', config);
  } catch (e) {
    const settings = Object.entries(config)
      .filter(([k]) => k !== 'temp_directory')
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ');
    const why = /Failed to set config/.test((e as Error).message) ? 'refused' : `could not start with (${(e as Error).message.split('\n')[0]})`;
    throw new InputError(`DuckDB ${why} the settings ${settings}; use a memory limit such as 512MB or 2GB`, { cause: e });
  }
  return instance.connect();
}

let spill: string | undefined;

/**
 * Where DuckDB spills when no `tempDir` is given: a directory of this process under the system's temporary
 * directory, which DuckDB creates only if it spills, removed when the process exits. DuckDB's own default
 * for an in-memory database is `.tmp` in the current directory: the user's checkout.
 */
export function spillDir(): string {
  if (!spill) {
    const dir = (spill = join(tmpdir(), `slipway-duckdb-spill-${process.pid}`));
    process.once('exit', () => {
      // a cleanup at exit never throws: a TMPDIR that is a file (ENOTDIR) was already reported by what failed
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* nothing to remove */
      }
    });
  }
  return spill;
}

/** A data location given on the command line or in model.yaml: URLs as they are, local paths resolved against `base`. */
export function dataLocation(p: string, base: string): string {
  return isRemote(p) ? p : resolve(base, p);
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

export function detectFormat(path: string): DataFormat {
  const ext = extname(path.replace(/[?#].*$/, '').replace(/\.(gz|zst)$/i, '')).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'json';
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  throw new InputError(`${path}: cannot tell the format from the extension; expected .csv, .tsv, .parquet or .jsonl`);
}

/** Checks a local data path exists and is a non-empty file; remote URLs are left to DuckDB. */
export function assertReadable(path: string): void {
  if (isRemote(path)) return;
  if (!existsSync(path)) throw new InputError(`${path}: file not found`);
  const st = statSync(path);
  if (st.isDirectory()) throw new InputError(`${path}: is a directory; expected a data file (CSV, Parquet or JSON lines)`);
  if (!st.isFile()) throw new InputError(`${path}: not a regular file; expected a data file (CSV, Parquet or JSON lines)`);
  if (st.size === 0) throw new InputError(`${path}: the file is empty`);
  const misnamed = contentNameMismatch(path);
  if (misnamed) throw new InputError(`${path}: ${misnamed}`);
}

/**
 * What a local file's first bytes say it is, where its name says otherwise: a Parquet file named .csv, a
 * gzip or zstd stream without .gz or .zst, JSON lines named .csv. DuckDB reads by the name and would report a symptom instead (a
 * quote never closed, a header that is not UTF-8).
 */
function contentNameMismatch(path: string): string | undefined {
  const buf = Buffer.alloc(64);
  const fd = openSync(path, 'r');
  let got: number;
  try {
    got = readSync(fd, buf, 0, 64, 0);
  } finally {
    closeSync(fd);
  }
  const name = basename(path);
  // a JSON object where a CSV header is expected: a CSV column name never starts with '{'
  if (/\.(csv|tsv|txt)$/i.test(name) && /^(\uFEFF)?\s*\{\s*("|\})/.test(buf.subarray(0, got).toString('utf8'))) {
    return `JSON lines, though its name ends in ${extname(name)} (it begins with '{'); expected a name that says its format (${name.replace(/\.[^.]*$/, '.jsonl')})`;
  }
  if (got < 4) return undefined;
  const head = buf.subarray(0, 4);
  if (head.toString('latin1') === 'PAR1' && !/\.(parquet|pq)$/i.test(name)) {
    return `a Parquet file, though its name does not end in .parquet; expected a name that says its format (${name.replace(/(\.(csv|tsv|txt|jsonl|ndjson|json))?(\.(gz|zst))?$/i, '') + '.parquet'})`;
  }
  if (head[0] === 0x1f && head[1] === 0x8b && !/\.gz$/i.test(name)) return `gzip-compressed, though its name does not end in .gz; expected a name that says so (${name}.gz)`;
  if (head.readUInt32LE(0) === 0xfd2fb528 && !/\.zst$/i.test(name)) return `zstd-compressed, though its name does not end in .zst; expected a name that says so (${name}.zst)`;
  return undefined;
}

/**
 * A DuckDB table function reading the file, e.g. `read_parquet('x.parquet')`. `csvTypes`: the types of some
 * CSV columns (name → DuckDB type), where DuckDB's sniffer would guess another (contract-reader.ts).
 */
export function readerSql(path: string, format: DataFormat = detectFormat(path), csvTypes: Record<string, string> = {}): string {
  const p = sqlString(path);
  switch (format) {
    case 'parquet':
      return `read_parquet(${p})`;
    case 'json':
      return `read_json_auto(${p}, format = 'newline_delimited')`;
    case 'csv':
      if (!Object.keys(csvTypes).length) return `read_csv(${p}, header = true, auto_detect = true)`;
      return `read_csv(${p}, header = true, auto_detect = true, types = {${Object.entries(csvTypes).map(([c, t]) => `${sqlString(c)}: ${sqlString(t)}`).join(', ')}})`;
  }
}
