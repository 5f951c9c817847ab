/**
 * DuckDB's errors reading data, in user terms. Every command that reads a data file (validate, drift,
 * train, evaluate) turns DuckDB's read failures into an InputError naming the file, the line where there
 * is one, and what is wrong with it — never the SQL DuckDB echoes after "LINE 1:". Errors that are not
 * about reading data stay as they are (a bug is still reported as one).
 */
import { createReadStream, existsSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { SlipwayError, InputError } from '../errors.js';
import { isRemote } from '../spec/paths.js';

/** A file (or directory of logs, or URL) being read, and how messages name it. */
export interface DataSource {
  path: string;
  display: string;
}

/** The kinds of DuckDB error that come from reading a file or URL rather than from our SQL. */
const READ_ERROR = /^(Invalid Input Error|IO Error|HTTP Error|Conversion Error|Invalid Error|Out of Memory Error|Extension Autoloading Error|Parser Error|Binder Error: .*read_)/;

/** What went wrong, as the user should read it; `record` is DuckDB's line number where it gives one. */
interface Explained {
  reason: string;
  /** the file the message names (one of several a query reads, or a log file under a directory) */
  file?: string;
  /** a line number DuckDB reported, exact (CSV) */
  line?: number;
  /** JSON lines: the 1-based index of the offending non-blank line (DuckDB counts only those) */
  record?: number;
}

/** The message without DuckDB's echo of the query ("LINE 1: …" and the caret line under it). */
function withoutQuery(msg: string): string {
  return msg.replace(/\n+LINE \d+:[\s\S]*$/, '');
}

/** The first line of DuckDB's message, without its "<Kind> Error: " prefix. */
function headline(msg: string): string {
  return withoutQuery(msg).split('\n')[0].replace(/^[A-Za-z ]+Error: /, '').trim();
}

/** Reads DuckDB's message; `path` names the file when the message does not. */
function explain(msg: string): Explained {
  const head = headline(msg);
  const file = /(?:file|File|pattern) ["']([^"']+)["']/.exec(head)?.[1] ?? /^\s*file = (.+)$/m.exec(msg)?.[1]?.trim();
  const json = /^Malformed JSON in file "([^"]+)", at byte (\d+) in line (\d+): ([^.]*)\.?/.exec(head);
  if (json) {
    // DuckDB 1.5 numbers a malformed line one past its position among the non-blank lines
    const record = Number(json[3]) - 1;
    const what = /end of data/.test(json[4]) ? 'the line ends in the middle of a value (truncated?)' : `${json[4].trim()} at column ${json[2]}`;
    return { file: json[1], record, reason: `malformed JSON: ${what}; expected one JSON object per line` };
  }
  const transform = /^JSON transform error in file "([^"]+)", in line (\d+): (.*)$/.exec(head);
  if (transform) {
    return { file: transform[1], record: Number(transform[2]), reason: `${transform[3].trim()} (the column's type was inferred from the first lines)` };
  }
  if (/No magic bytes found at end of file/.test(head)) return { file, reason: 'not a Parquet file (no magic bytes at its end: truncated, or another format?)' };
  if (/too small to be a Parquet file/.test(head)) return { file, reason: 'not a Parquet file (too small: truncated, or another format?)' };
  if (/Footer length error|No magic bytes found at (the )?beginning/.test(head)) return { file, reason: 'not a valid Parquet file (its footer is damaged: truncated or corrupt?)' };
  const pq = /^Failed to read file "([^"]+)": (.*)$/.exec(head);
  if (pq) return { file: pq[1], reason: `the file is corrupt (${pq[2].trim()})` };
  if (/not a GZIP stream/i.test(head)) return { file: /stream: (.+)$/.exec(head)?.[1] ?? file, reason: 'not gzip-compressed, though its name ends in .gz' };
  if (/Unknown frame descriptor/i.test(head)) return { file, reason: 'not zstd-compressed, though its name ends in .zst' };
  if (/Error when sniffing file/.test(head)) return { file, reason: 'not a CSV file DuckDB can read: no delimiter and quoting fit its first lines (another format, or not text?)' };
  const line = /CSV Error on Line: (\d+)/.exec(msg)?.[1];
  const at = line ? { file, line: Number(line) } : { file };
  const cols = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(msg);
  if (cols) return { ...at, reason: `expected ${cols[1]} columns (as in the header), found ${cols[2]}; every row must have the header's columns` };
  const conv = /Error when converting column "((?:[^"]|"")*)"\. Could not convert string "(.*)" to '([^']+)'/.exec(msg);
  if (conv) {
    const detected = /auto-detected/i.test(msg) ? `, the type DuckDB detected from the first rows` : '';
    return { ...at, reason: `column '${conv[1].replace(/""/g, '"')}': ${JSON.stringify(conv[2])} is not a ${conv[3]}${detected}` };
  }
  if (/Invalid unicode|not utf-8 encoded/i.test(msg)) return { ...at, reason: 'invalid UTF-8 byte sequence; expected a UTF-8 encoded file' };
  if (/unterminated quote/i.test(msg)) return { ...at, reason: 'a quoted value is never closed; expected a closing double quote' };
  if (/Maximum line size/i.test(msg)) return { ...at, reason: "a line is longer than the reader's limit; check the quoting and the delimiter" };
  if (/^Out of Memory Error/.test(msg)) return { reason: `DuckDB ran out of its memory limit reading this file (${head}); 'slipway validate --memory-limit' raises it (train, evaluate and drift use a fixed 1–2 GB)` };
  const ext = /install the required extension '([^']+)'/.exec(msg)?.[1] ?? /Failed to download extension "([^"]+)"/.exec(msg)?.[1];
  if (/^Extension Autoloading Error/.test(msg) || ext) return { reason: extensionReason(ext ?? 'httpfs', msg) };
  if (/No files found that match the pattern/.test(head)) return { file, reason: 'file not found' };
  if (/No such file|Cannot open file|could not open/i.test(head)) return { file, reason: `cannot open the file (${head})` };
  return { ...at, reason: `cannot read the data: ${reasonOf(msg)}` };
}

/** Where DuckDB's extension could not be fetched: what it is for and how to install it ahead of time. */
function extensionReason(ext: string, msg: string): string {
  const url = /at URL "([^"]+)"/.exec(msg)?.[1];
  const where = url ? /\/(v[^/]+)\/([^/]+)\/[^/]+$/.exec(url) : null;
  const version = where?.[1] ?? 'v<version>';
  const platform = where?.[2] ?? '<platform>';
  const purpose = ext === 'httpfs' ? "reading http(s):// and s3:// data needs DuckDB's httpfs extension" : `reading this data needs DuckDB's ${ext} extension`;
  return (
    `${purpose}, which could not be downloaded${url ? ` from ${url}` : ''} (offline?). ` +
    `Install it once where the network is reachable: \`INSTALL ${ext}\` with DuckDB ${version}, which puts it in ~/.duckdb/extensions/${version}/${platform}/; ` +
    `or download that file, gunzip it and run \`INSTALL '/path/to/${ext}.duckdb_extension'\` (see docs/validate.md)`
  );
}

/** The line of DuckDB's message that says what went wrong (not the query, the caret, the hints). */
function reasonOf(msg: string): string {
  const lines = withoutQuery(msg)
    .split('\n')
    .map((l) => l.trim().replace(/^[A-Za-z ]+Error: /, ''))
    .filter((l) => l && !/^(Original Line|Possible|\*|file =|Try increasing|\^)/.test(l));
  if (!lines.length) return msg;
  if (/^CSV Error on Line: \d+$/.test(lines[0]) && lines[1]) return lines[1];
  if (lines[0].endsWith(':') && lines[1]) return `${lines[0]} ${lines[1]}`;
  return lines[0];
}

/**
 * The physical line of a JSON lines file holding its `record`-th non-blank line (DuckDB skips blank and
 * white-space lines when it counts); undefined when the file cannot be scanned (remote, .zst) or is shorter.
 */
async function physicalLine(file: string, record: number): Promise<number | undefined> {
  if (isRemote(file) || !existsSync(file) || /\.zst$/i.test(file)) return undefined;
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = /\.gz$/i.test(file) ? raw.pipe(createGunzip()) : raw;
  let line = 1;
  let seen = 0;
  let content = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i];
        if (b === 0x0a) {
          if (content && ++seen === record) return line;
          line++;
          content = false;
        } else if (b !== 0x20 && b !== 0x09 && b !== 0x0d) content = true;
      }
    }
  } catch {
    return undefined;
  } finally {
    raw.destroy();
  }
  return content && ++seen === record ? line : undefined;
}

/** The source a message is about, and its display name (a file under a logs directory is named under it). */
function attribute(file: string | undefined, sources: DataSource[]): string {
  if (file !== undefined) {
    for (const s of sources) {
      if (file === s.path) return s.display;
      if (file.startsWith(s.path.replace(/\/+$/, '') + '/')) return s.display.replace(/\/+$/, '') + file.slice(s.path.replace(/\/+$/, '').length);
    }
  }
  return sources.length === 1 ? sources[0].display : sources.map((s) => s.display).join(' or ');
}

function asSources(sources: string | DataSource | DataSource[]): DataSource[] {
  if (typeof sources === 'string') return [{ path: sources, display: sources }];
  return Array.isArray(sources) ? sources : [sources];
}

/**
 * Turns DuckDB's error reading data into an InputError naming the file (among `sources`, the one the message
 * names), the line, and the reason in user terms. Other errors are returned unchanged.
 */
export async function readError(e: unknown, sources: string | DataSource | DataSource[]): Promise<Error> {
  if (e instanceof SlipwayError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (!READ_ERROR.test(msg)) return e instanceof Error ? e : new Error(msg);
  const list = asSources(sources);
  const x = explain(msg);
  const display = attribute(x.file, list);
  let line = x.line;
  if (x.record !== undefined) line = (x.file ? await physicalLine(x.file, x.record) : undefined) ?? x.record;
  return new InputError(`${display}${line ? `:${line}` : ''}: ${x.reason}`, { cause: e });
}

/** Runs `fn` (queries over the sources), turning DuckDB's read errors into InputErrors (see readError). */
export async function reading<T>(sources: string | DataSource | DataSource[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw await readError(e, sources);
  }
}
