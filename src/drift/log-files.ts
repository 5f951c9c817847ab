/**
 * The prediction-log files under a directory, and the one defect of them that is expected rather than
 * an error: a last line that never got its newline. 'slipway serve' writes whole lines, each ending in
 * `\n`; a process killed in the middle of a write (a crash, an OOM kill, a full disk) leaves part of one
 * at the end of its file, and the next serve process starts a new file. Such a line is skipped and
 * counted, so one crash does not fail every later drift check over that day's logs; a malformed line
 * anywhere else is still an input error at its file and line.
 */
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { InputError } from '../errors.js';
import { CONTROL_CHARS } from '../report/escape.js';

export interface LogFiles {
  /** every log file under the directory, sorted; a file with a cut-short last line replaced by a copy without it */
  files: string[];
  /** files (under the directory) whose unterminated last line is skipped, with that line's number */
  truncated: { file: string; line: number }[];
  /** the directory holding the copies, at the same paths relative to it (messages name it as the logs directory) */
  copies?: string;
}

/** A log file's name: JSON lines, or JSON lines compressed by a log rotation (gzip, zstd), which DuckDB reads as they are. */
export const LOG_FILE = /\.jsonl(\.gz|\.zst)?$/i;

/**
 * A name 'slipway serve' never writes: a control character (a newline) in a file or directory name
 * would split the line that names it in the job's log, where a next line such as `::warning::…` is a
 * workflow command, and a name can come from anyone who can write to where the logs are synced.
 */
const hasControl = (name: string) => name.search(CONTROL_CHARS) >= 0;

/** Every log file (*.jsonl, *.jsonl.gz, *.jsonl.zst) under dir, sorted; a name with a control character is an input error. */
export function listLogFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (hasControl(e.name) && (e.isDirectory() || LOG_FILE.test(e.name))) {
        throw new InputError(`${d}: the name ${JSON.stringify(e.name.slice(0, 120))} holds a control character (a newline?); prediction logs are named as 'slipway serve' names them: rename or remove it`);
      }
      if (e.isDirectory()) stack.push(join(d, e.name));
      else if (LOG_FILE.test(e.name)) out.push(join(d, e.name));
    }
  }
  return out.sort();
}

const TAIL_CHUNK = 1 << 16;

/** The bytes of a file after its last newline (empty when it ends in one), and where they start. */
function unterminatedTail(file: string): { start: number; text: string } {
  const size = statSync(file).size;
  if (size === 0) return { start: 0, text: '' };
  const fd = openSync(file, 'r');
  try {
    const parts: Buffer[] = [];
    let end = size;
    while (end > 0) {
      const len = Math.min(TAIL_CHUNK, end);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, end - len);
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0) {
        parts.unshift(buf.subarray(nl + 1));
        return { start: end - len + nl + 1, text: Buffer.concat(parts).toString('utf8') };
      }
      parts.unshift(buf);
      end -= len;
    }
    return { start: 0, text: Buffer.concat(parts).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The number of lines (newlines) in the first `bytes` of a file, +1: the line that starts there. */
function lineAt(file: string, bytes: number): number {
  const fd = openSync(file, 'r');
  try {
    let lines = 1;
    const buf = Buffer.alloc(TAIL_CHUNK);
    for (let at = 0; at < bytes; at += TAIL_CHUNK) {
      const n = readSync(fd, buf, 0, Math.min(TAIL_CHUNK, bytes - at), at);
      for (let i = 0; i < n; i++) if (buf[i] === 0x0a) lines++;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

let copiesRoot: string | undefined;

/** The log files under dir, a cut-short last line of any of them left out (see the module comment). */
export function logFiles(dir: string): LogFiles {
  const files: string[] = [];
  const truncated: LogFiles['truncated'] = [];
  let root: string | undefined;
  for (const file of listLogFiles(dir)) {
    // a compressed file was closed before it was compressed: nothing was cut short in it
    if (!/\.jsonl$/i.test(file)) {
      files.push(file);
      continue;
    }
    const tail = unterminatedTail(file);
    // no tail, white space only, or a whole JSON value that merely lacks its newline: the file is read as it is
    if (!tail.text.trim() || isJson(tail.text)) {
      files.push(file);
      continue;
    }
    truncated.push({ file, line: lineAt(file, tail.start) });
    if (tail.start === 0) continue;
    if (!copiesRoot) {
      copiesRoot = mkdtempSync(join(tmpdir(), 'slipway-drift-logs-'));
      const made = copiesRoot;
      process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    }
    root ??= mkdtempSync(join(copiesRoot, 'w-'));
    const copy = join(root, relative(dir, file));
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(file, copy);
    truncateSync(copy, tail.start);
    files.push(copy);
  }
  return { files, truncated, ...(root ? { copies: root } : {}) };
}
