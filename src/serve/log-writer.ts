/**
 * The prediction-log writer: buffers PredictionLogRecords in memory and appends them to JSON-lines
 * files off the request path (a timer flushes), rotating by size. A full buffer drops records and
 * counts them rather than slowing responses down.
 */
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { pruneLogDays } from './log-retention.js';
import type { Row, Scalar } from './oip-decode.js';
import { predictionOf, rowsOf, type Prediction } from './oip-encode.js';
import type { ModelRuntime, Role } from './deployment.js';

export type SensitivePolicy = 'keep' | 'hash' | 'drop';

export const DEFAULT_LOG_SAMPLE_RATE = 1.0;
export const DEFAULT_LOG_SENSITIVE: SensitivePolicy = 'hash';
export const DEFAULT_LOG_MAX_FILE_BYTES = 64 << 20;
/**
 * Prediction logs hold what clients sent: readable by the server's user and group (a drift job, a shipper
 * in the pod's fsGroup), not by every user of the machine. The umask can only narrow these.
 */
export const LOG_FILE_MODE = 0o640;
export const LOG_DIR_MODE = 0o750;

export interface LogWriterOptions {
  /** rotate when a file reaches this size (bytes) */
  maxFileBytes?: number;
  /** records waiting to be written beyond this many bytes are dropped (and counted) */
  maxPendingBytes?: number;
  /** flush period (ms) */
  flushMs?: number;
  /** called when records are dropped (for the metric) */
  onDrop?: (model: string, n: number) => void;
  onError?: (err: Error) => void;
  now?: () => Date;
  /** keep the day directories of the last this many days (today included), removing older ones as each day starts; unset: keep all */
  retentionDays?: number;
  /** day directories removed (the server's log line) */
  onPrune?: (paths: string[]) => void;
}

interface FileState {
  path: string;
  day: string;
  bytes: number;
}

/** Hashes a sensitive value as `sha256:<hex>` of its JSON text (so 1 and "1" differ). */
export function hashValue(v: Scalar): string {
  // sensitive columns hold few distinct short values (sex, age band): a bounded memo saves a sha256 per row
  const key = typeof v === 'string' ? (v.length <= 64 ? 's' + v : undefined) : typeof v + String(v);
  if (key !== undefined) {
    const hit = hashMemo.get(key);
    if (hit !== undefined) return hit;
  }
  const h = 'sha256:' + createHash('sha256').update(JSON.stringify(v)).digest('hex');
  if (key !== undefined) {
    if (hashMemo.size >= HASH_MEMO_MAX) hashMemo.clear();
    hashMemo.set(key, h);
  }
  return h;
}

const HASH_MEMO_MAX = 4096;
const hashMemo = new Map<string, string>();

/** Applies the log_sensitive policy to one row's values. */
export function redactRow(row: Record<string, Scalar>, sensitive: readonly string[], policy: SensitivePolicy): Record<string, Scalar> {
  if (policy === 'keep' || sensitive.length === 0) return row;
  const out: Record<string, Scalar> = {};
  for (const k in row) {
    const v = row[k];
    if (!sensitive.includes(k)) out[k] = v;
    else if (policy === 'hash') out[k] = v === null ? null : hashValue(v);
  }
  return out;
}

type LoggedRuntime = Pick<ModelRuntime, 'model' | 'version' | 'digest' | 'task' | 'sensitive' | 'logSensitive'>;

/** `,"model":…,"version":…,"digest":…,"role":…,"inputs":` of a runtime and role, made once: the middle of every line. */
const middles = new WeakMap<LoggedRuntime, Partial<Record<Role, string>>>();

function middleOf(rt: LoggedRuntime, role: Role): string {
  let byRole = middles.get(rt);
  if (!byRole) middles.set(rt, (byRole = {}));
  // through JSON.stringify of the same keys: an undefined value is left out exactly as in a whole record
  return (byRole[role] ??= `,${JSON.stringify({ model: rt.model, version: rt.version, digest: rt.digest, role }).slice(1, -1)},"inputs":`);
}

let isoMs = NaN;
let iso = '';

/** new Date().toISOString(), made once per millisecond. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = new Date(ms).toISOString();
  }
  return iso;
}

/**
 * The log lines of one answered request, one per row (`<id>#<i>` when it holds several): the same bytes as
 * JSON.stringify of each row's PredictionLogRecord plus a newline, built from parts made once per runtime
 * (the hot path of a logged request).
 */
export function predictionLines(rt: LoggedRuntime, role: Role, id: string, rows: Row[], p: Prediction): string {
  const head = `{"ts":"${isoNow()}","request_id":`;
  const middle = middleOf(rt, role);
  const n = rowsOf(p);
  let text = '';
  for (let i = 0; i < n; i++) {
    text += `${head}${JSON.stringify(n > 1 ? `${id}#${i}` : id)}${middle}${JSON.stringify(redactRow(rows[i], rt.sensitive, rt.logSensitive))},"prediction":${JSON.stringify(predictionOf(p, i, rt.task))}}\n`;
  }
  return text;
}

export class PredictionLogWriter {
  readonly dir: string;
  private readonly maxFileBytes: number;
  private readonly maxPendingBytes: number;
  private readonly opts: LogWriterOptions;
  private pending = new Map<string, PendingLines>();
  private readonly chunkPool = new ChunkPool();
  private pendingBytes = 0;
  private files = new Map<string, FileState>();
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** the day retention last ran for */
  private prunedFor = '';
  written = 0;
  dropped = 0;

  constructor(dir: string, opts: LogWriterOptions = {}) {
    this.dir = dir;
    this.opts = opts;
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_LOG_MAX_FILE_BYTES;
    this.maxPendingBytes = opts.maxPendingBytes ?? 32 << 20;
  }

  /** Queues `count` JSON lines of one model (each ending in a newline, as predictionLines makes them); never blocks and never throws. */
  writeLines(model: string, text: string, count: number): void {
    if (count === 0) return;
    const size = Buffer.byteLength(text);
    if (this.pendingBytes + size > this.maxPendingBytes) {
      this.dropped += count;
      this.opts.onDrop?.(model, count);
      return;
    }
    let p = this.pending.get(model);
    if (!p) this.pending.set(model, (p = new PendingLines(this.chunkPool)));
    p.add(text, size, count);
    this.pendingBytes += size;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.opts.flushMs ?? 200);
      this.timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when it is on disk. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async flushNow(): Promise<void> {
    const batches = this.pending;
    this.pending = new Map();
    this.pendingBytes = 0;
    for (const [model, chunks] of batches) {
      const before = this.written;
      try {
        await this.append(model, chunks);
      } catch (e) {
        // what this flush did not write is lost, as when the buffer is full (a write cut short may leave part of a line)
        const lost = chunks.lines.reduce((a, b) => a + b, 0) - (this.written - before);
        this.dropped += lost;
        this.opts.onDrop?.(model, lost);
        this.opts.onError?.(e as Error);
        // a write cut short (a full disk) may have left part of a line: the next lines go to a new file, so that
        // it stays the last line of its file, which drift skips, rather than one in the middle, which it refuses
        this.files.delete(model);
      } finally {
        this.chunkPool.give(chunks.owned);
      }
    }
  }

  private async append(model: string, p: PendingLines): Promise<void> {
    let i = 0;
    let at = 0;
    while (i < p.sizes.length) {
      let file = await this.current(model, p.sizes[i]);
      // at least one write's lines per file, then as many as fit under the size limit
      let size = p.sizes[i];
      let lines = p.lines[i++];
      while (i < p.sizes.length && file.bytes + size + p.sizes[i] <= this.maxFileBytes) {
        size += p.sizes[i];
        lines += p.lines[i++];
      }
      const parts = p.parts(at, at + size);
      try {
        await appendAll(file.path, parts);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        // the directory was removed under the server (an operator, a clean-up job): a new file, in directories made again
        this.files.delete(model);
        file = await this.current(model, size);
        await appendAll(file.path, parts);
      }
      at += size;
      file.bytes += size;
      this.written += lines;
    }
  }

  /** The file to append to: a new one per day and whenever the next chunk would take it over the size limit. */
  private async current(model: string, next: number): Promise<FileState> {
    const now = this.opts.now?.() ?? new Date();
    const iso = now.toISOString();
    const day = iso.slice(0, 10);
    if (this.opts.retentionDays && day !== this.prunedFor) {
      // the first write of each day (and after start) removes the days past retention, off the write's path
      this.prunedFor = day;
      pruneLogDays(this.dir, this.opts.retentionDays, day).then((paths) => paths.length && this.opts.onPrune?.(paths), (e: Error) => this.opts.onError?.(e));
    }
    const f = this.files.get(model);
    // a file takes a chunk if it fits, or if it is empty (a single chunk larger than the limit)
    if (f && f.day === day && (f.bytes === 0 || f.bytes + next <= this.maxFileBytes)) return f;
    const dir = join(this.dir, model, day);
    await mkdir(dir, { recursive: true, mode: LOG_DIR_MODE });
    const hms = iso.slice(11, 19).replace(/:/g, '');
    for (;;) {
      const path = join(dir, `predictions-${hms}-${String(++this.seq).padStart(4, '0')}.jsonl`);
      // created exclusively: a file of that name is another writer's (a replica on the same volume, this server
      // before a restart within the same second, its last line perhaps cut short), never appended to
      const created = await open(path, 'wx', LOG_FILE_MODE).then(
        (fh) => fh.close().then(() => true),
        (e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? false : Promise.reject(e)),
      );
      if (!created) continue;
      const state: FileState = { path, day, bytes: 0 };
      this.files.set(model, state);
      return state;
    }
  }
}

const CHUNK_BYTES = 64 << 10;

/**
 * The 64 kB buffers of flushed lines, kept for the next flushes (up to 4 MB). A buffer that lives from one
 * flush to the next is promoted to the old generation, and new ones every flush would leave megabytes a
 * second of external memory to the old generation's collections: a mark-compact every second or so with
 * every request logged (the tail latency of serving). Reused, they are allocated once.
 */
class ChunkPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly max = 64) {}

  take(size: number): Buffer {
    return (size <= CHUNK_BYTES && this.free.pop()) || Buffer.allocUnsafe(Math.max(CHUNK_BYTES, size));
  }

  /** after their bytes are written */
  give(chunks: Buffer[]): void {
    for (const c of chunks) if (c.length === CHUNK_BYTES && this.free.length < this.max) this.free.push(c);
  }
}

/**
 * Lines waiting for the next flush, encoded at once into off-heap buffers: a busy server keeps a flush
 * period's worth of lines (hundreds of kB) without holding them as strings on the JS heap, where they
 * would survive into the old generation and lengthen its collections (the tail latency of serving).
 */
class PendingLines {
  /** full chunks trimmed to their bytes, then the chunk being filled (its first `used` bytes) */
  private chunks: Buffer[] = [];
  private used = 0;
  /** the buffers as taken from the pool, to give back after the flush */
  readonly owned: Buffer[] = [];
  /** bytes and lines of each write, in order (a rotation splits between writes) */
  readonly sizes: number[] = [];
  readonly lines: number[] = [];

  constructor(private readonly pool: ChunkPool) {}

  add(text: string, size: number, lines: number): void {
    let last = this.chunks[this.chunks.length - 1];
    if (!last || last.length - this.used < size) {
      if (last) this.chunks[this.chunks.length - 1] = last.subarray(0, this.used);
      last = this.pool.take(size);
      this.owned.push(last);
      this.chunks.push(last);
      this.used = 0;
    }
    this.used += last.write(text, this.used);
    this.sizes.push(size);
    this.lines.push(lines);
  }

  /** Bytes [from, to) of everything added, in order, as views of the chunks (no copy). */
  parts(from: number, to: number): Buffer[] {
    const parts: Buffer[] = [];
    let base = 0;
    for (let c = 0; c < this.chunks.length; c++) {
      const len = c === this.chunks.length - 1 ? this.used : this.chunks[c].length;
      const lo = Math.max(from, base);
      const hi = Math.min(to, base + len);
      if (lo < hi) parts.push(this.chunks[c].subarray(lo - base, hi - base));
      base += len;
    }
    return parts;
  }
}

/** Appends buffers to a file with one writev (not copied into one buffer first), finishing a short write. */
async function appendAll(path: string, parts: Buffer[]): Promise<void> {
  const fh = await open(path, 'a', LOG_FILE_MODE);
  try {
    let total = 0;
    for (const b of parts) total += b.length;
    const { bytesWritten } = await fh.writev(parts);
    // writeFile writes until done (the file is open for appending: at its end)
    if (bytesWritten < total) await fh.writeFile(Buffer.concat(parts).subarray(bytesWritten));
  } finally {
    await fh.close();
  }
}
