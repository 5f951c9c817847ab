import type { DuckDBConnection } from '@duckdb/node-api';
import { open } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { isRemote } from '../spec/paths.js';
import { assertReadable, detectFormat, sqlIdent, sqlString, type DataFormat } from './duckdb.js';
import { reading, type DataSource } from './read-error.js';

/** A column of the input as the reader sees it. */
export interface InputColumn {
  name: string;
  /** DuckDB type the reader produces by default (CSV: VARCHAR; JSON lines: JSON; Parquet: the file's type) */
  type: string;
}

/**
 * An input file opened for validation: its format, columns, and how to build the DuckDB reader.
 * CSV dialect is fixed here rather than left to DuckDB's sniffer, which guesses skipped rows and
 * delimiters from a sample and can silently drop ragged lines: the header is always the first line,
 * the delimiter is taken from it, quoting is RFC 4180, and every row must have the header's width.
 */
export interface Input {
  path: string;
  /** the name shown in messages */
  display: string;
  format: DataFormat;
  columns: InputColumn[];
  csv?: { delim: string };
  /**
   * The table function reading the file. `types` overrides column types (CSV only: the reader
   * converts while parsing, which is as fast as the bare scan; a failure falls back to VARCHAR).
   * `rowNumbers` adds `__row`, the 1-based data row number, in file order.
   */
  reader(opts?: { types?: Record<string, string>; rowNumbers?: boolean }): string;
}

const CANDIDATE_DELIMS = [',', '\t', ';', '|'];

/** The first record of a CSV (quote-aware), as raw text; null when the file has no complete first line and no more data. */
function firstRecord(text: string): string {
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuote = !inQuote;
    else if (!inQuote && (c === '\n' || c === '\r')) return text.slice(0, i);
  }
  return text;
}

/** The fields of one record; `malformed` is the 1-based field with text after its closing quote (RFC 4180 has none). */
function splitRecord(rec: string, delim: string): string[] & { malformed?: number } {
  const out: string[] & { malformed?: number } = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < rec.length; i++) {
    const c = rec[i];
    if (inQuote) {
      if (c === '"' && rec[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') {
        inQuote = false;
        const next = rec[i + 1];
        if (next !== undefined && next !== delim && !'\r\n \t'.includes(next) && out.malformed === undefined) out.malformed = out.length + 1;
      } else cur += c;
    } else if (c === '"') inQuote = true;
    else if (c === delim) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function countOutsideQuotes(rec: string, ch: string): number {
  let n = 0;
  let inQuote = false;
  for (const c of rec) {
    if (c === '"') inQuote = !inQuote;
    else if (!inQuote && c === ch) n++;
  }
  return n;
}

/** Reads the header of a local CSV: delimiter and column names. */
async function csvHeader(path: string, display: string): Promise<{ delim: string; names: string[] }> {
  const fh = await open(path, 'r');
  let buf: Buffer;
  try {
    buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    buf = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (/\.(gz|zst)$/i.test(path)) return { delim: /\.tsv/i.test(path) ? '\t' : ',', names: [] };
  // the header's bytes: up to the first line break outside double quotes (both ASCII, so bytes suffice)
  let end = buf.length;
  let inQuote = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x22) inQuote = !inQuote;
    else if (!inQuote && (b === 0x0a || b === 0x0d)) {
      end = i;
      break;
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(0, end === buf.length ? lastBoundary(buf) : end));
  } catch {
    throw new InputError(`${display}:1: the header is not valid UTF-8; expected a UTF-8 encoded CSV file`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const header = firstRecord(text);
  if (header.trim() === '') throw new InputError(`${display}:1: the first line is empty; expected a header line with the column names`);
  let delim = /\.tsv$/i.test(path) ? '\t' : ',';
  let best = countOutsideQuotes(header, delim);
  for (const d of CANDIDATE_DELIMS) {
    const n = countOutsideQuotes(header, d);
    if (n > best) {
      best = n;
      delim = d;
    }
  }
  const fields = splitRecord(header, delim);
  // DuckDB reads no row at all after such a header, without an error
  if (fields.malformed !== undefined) throw new InputError(`${display}:1: column ${fields.malformed} of the header has text after its closing quote; expected a quoted name to end at the delimiter ("a ""quoted"" name")`);
  const names = fields.map((n) => n.trim());
  const seen = new Map<string, string>();
  names.forEach((n, i) => {
    if (n === '') throw new InputError(`${display}:1: column ${i + 1} of the header has no name; expected a header line naming every column`);
    const other = seen.get(n.toLowerCase());
    if (other === n) throw new InputError(`${display}:1: the header names the column '${n}' twice; column names must be unique`);
    // DuckDB, which reads the file, matches column names regardless of case
    if (other !== undefined) throw new InputError(`${display}:1: the header names the columns '${other}' and '${n}', which differ only in case; column names must be unique regardless of case (DuckDB reads them as one name)`);
    seen.set(n.toLowerCase(), n);
  });
  return { delim, names };
}

/** Length of the buffer cut at the last complete UTF-8 character (so a chunk boundary is not an encoding error). */
function lastBoundary(buf: Buffer): number {
  let i = buf.length;
  let back = 0;
  while (i > 0 && back < 4 && (buf[i - 1] & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i > 0 && buf[i - 1] >= 0xc0) return i - 1;
  return buf.length;
}

function structLiteral(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`).join(', ')}}`;
}

/** Parses a DuckDB size like 512MB or 2GiB into bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)$/i.exec(s.trim());
  if (!m) throw new InputError(`invalid size '${s}': expected e.g. 512MB or 2GB`);
  const unit = m[2].toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1 << 20, gb: 1e9, gib: 1 << 30, tb: 1e12, tib: 2 ** 40 };
  return Math.round(Number(m[1]) * mult[unit]);
}

export interface OpenOptions {
  format?: DataFormat;
  /**
   * DuckDB's memory limit in bytes: the CSV reader's buffers (32 MiB each by default, one per thread)
   * are sized to fit in it, so a small limit still reads files of any size.
   */
  memoryLimit?: number;
}

/** Opens a data file for validation; a file that cannot be read gives an InputError naming it. */
export async function openInput(conn: DuckDBConnection, path: string, display = path, options: OpenOptions = {}): Promise<Input> {
  if (!isRemote(path)) {
    try {
      assertReadable(path);
    } catch (e) {
      throw new InputError((e as Error).message.replace(path, display));
    }
  }
  const fmt = options.format ?? detectFormat(display);
  const source = { path, display };
  const p = sqlString(path);
  if (fmt === 'csv') {
    let delim: string;
    let names: string[];
    if (isRemote(path) || /\.(gz|zst)$/i.test(path)) {
      delim = /\.tsv/i.test(path) ? '\t' : ',';
      const described = await describe(conn, `read_csv(${p}, header = true, skip = 0, delim = ${sqlString(delim)}, quote = '"', escape = '"', all_varchar = true)`, source);
      names = described.map((c) => c.name);
    } else {
      ({ delim, names } = await csvHeader(path, display));
    }
    const MiB = 1 << 20;
    const buffer = options.memoryLimit ? Math.max(2 * MiB, Math.min(32 * MiB, Math.floor(options.memoryLimit / 16 / MiB) * MiB)) : 32 * MiB;
    const sizing = buffer < 32 * MiB ? `, buffer_size = ${buffer}, max_line_size = ${Math.min(2 * MiB, buffer)}` : '';
    const reader = (opts: { types?: Record<string, string>; rowNumbers?: boolean } = {}) => {
      const cols = structLiteral(names.map((n) => [n, opts.types?.[n] ?? 'VARCHAR']));
      const fn = `read_csv(${p}, auto_detect = false, header = true, skip = 0, delim = ${sqlString(delim)}, quote = '"', escape = '"', strict_mode = true, null_padding = false${sizing}, columns = ${cols})`;
      return opts.rowNumbers ? `(SELECT row_number() OVER () AS __row, * FROM ${fn})` : fn;
    };
    return { path, display, format: 'csv', columns: names.map((name) => ({ name, type: 'VARCHAR' })), csv: { delim }, reader };
  }
  if (fmt === 'parquet') {
    const base = `read_parquet(${p})`;
    const columns = await describe(conn, base, source);
    assertNoCaseTwins(columns, display, 'the file has the columns');
    const reader = (opts: { rowNumbers?: boolean } = {}) =>
      opts.rowNumbers ? `(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) FROM read_parquet(${p}, file_row_number = true))` : base;
    return { path, display, format: 'parquet', columns, reader };
  }
  // JSON lines: every column read as JSON so each value keeps its own JSON type (a column mixing numbers
  // and strings is judged value by value, as a JSON Schema validator would).
  const detected = await describe(conn, `read_json_auto(${p}, format = 'newline_delimited')`, source);
  assertNoCaseTwins(detected, display, 'the records hold the keys');
  const columns = detected.map((c) => ({ name: c.name, type: 'JSON' }));
  const cols = structLiteral(columns.map((c) => [c.name, 'JSON']));
  const fn = `read_json(${p}, format = 'newline_delimited', columns = ${cols})`;
  const reader = (opts: { rowNumbers?: boolean } = {}) => (opts.rowNumbers ? `(SELECT row_number() OVER () AS __row, * FROM ${fn})` : fn);
  return { path, display, format: 'json', columns, reader };
}

/**
 * DuckDB matches column names regardless of case: of two names that differ only in case (a, A), it reads
 * the second as `A_1`, which validate would report as an unknown column beside a missing `A`.
 */
function assertNoCaseTwins(columns: InputColumn[], display: string, what: string): void {
  const names = new Set(columns.map((c) => c.name));
  for (const c of columns) {
    const m = /^(.+)_\d+$/.exec(c.name);
    if (!m || names.has(m[1])) continue;
    const twin = columns.find((o) => o.name !== c.name && o.name.toLowerCase() === m[1].toLowerCase());
    if (twin) throw new InputError(`${display}: ${what} '${twin.name}' and '${m[1]}', which differ only in case; column names must be unique regardless of case (DuckDB reads them as one name)`);
  }
}

async function describe(conn: DuckDBConnection, fromSql: string, source: DataSource): Promise<InputColumn[]> {
  return reading(source, async () => {
    const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${fromSql}`);
    return r.getRowObjects().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  });
}

/** Quotes a column for SQL (re-exported for callers composing on the reader). */
export const col = sqlIdent;
