/**
 * Dynamic batching (as Triton's dynamic batcher): requests that arrive in the same turn of the event loop
 * (one I/O phase: every socket that had data), or while the model is busy, are scored together in the next
 * run, so one ONNX Runtime call serves many concurrent single-row requests. An idle model starts its run
 * at the end of the current turn (setImmediate: no timer, no added delay beyond the requests being read).
 * If a combined run fails, each request is retried alone so that one bad request cannot fail its neighbours.
 *
 * Pacing: a run has a fixed cost whatever its rows (≈ 15–25 µs for the 12-input credit-risk model, synchronous
 * and packed). Under evenly spaced arrivals (many independent clients) "run as soon as the loop is free"
 * means a run per request or two, the fixed cost on every request, and an event loop that never idles:
 * queues, and a p99 of tens of ms well below peak throughput. So while the event loop is busy (LoopLoad),
 * a model's runs start at least `interval` apart (250 µs by default: 500 µs takes ≈ 9 % less CPU per
 * request at half of peak, but every p99 measurement at half of peak favoured 250 µs; docs/serve-benchmarks.md);
 * requests that arrive in between join the next run. The next arrival after the interval starts it (no
 * timer on the hot path); a timer starts it if none comes (1–2 ms later: Node's timers have 1 ms
 * resolution). A quiet loop is not paced, and neither is a loop whose every client connection already
 * waits for an answer while no new ones come (ClientGauge): then no request can join, and a client
 * scoring one row after another would otherwise get one answer per interval.
 */
import { performance } from 'node:perf_hooks';
import { batchFromRows } from '../model/features.js';
import { ClientGauge } from './client-gauge.js';
import { RunCounts } from './run-counts.js';
import type { ModelSession } from '../model/session.js';
import type { RowSchema } from '../spec/types.js';
import type { Prediction } from './oip-encode.js';
import type { Row } from './oip-decode.js';

interface Pending {
  rows: Row[];
  resolve: (p: Prediction) => void;
  reject: (e: unknown) => void;
}

export const DEFAULT_MAX_BATCH_ROWS = 256;
/** least time between two runs' starts of one model while the event loop is busy (ms) */
export const DEFAULT_BATCH_INTERVAL_MS = 0.25;

export interface BatchOptions {
  /** most rows per combined run (1: no batching) */
  maxRows: number;
  /** least time between two runs' starts while the event loop is busy, ms (0: no pacing) */
  intervalMs: number;
  /** the server's ClientGauge counts (client-gauge.ts): no pacing while every client connection has a request in flight */
  clients?: SharedArrayBuffer;
  /** where the runs and the rows they scored are counted (RunCounts' shared memory) */
  counts?: SharedArrayBuffer;
}

/**
 * Whether this thread's event loop is busy: its utilization over the last window (100 ms), with hysteresis
 * (busy above 0.6, quiet again below 0.35) so that pacing, which lowers the load, does not switch itself off.
 * One per thread, shared by every model; the timer is unref'd.
 */
class LoopLoad {
  busy = false;
  private last = performance.eventLoopUtilization();
  constructor(windowMs = 100) {
    setInterval(() => {
      const now = performance.eventLoopUtilization();
      const u = performance.eventLoopUtilization(now, this.last).utilization;
      this.last = now;
      this.busy = this.busy ? u > 0.35 : u > 0.6;
    }, windowMs).unref();
  }
}

let loopLoad: LoopLoad | undefined;

/**
 * The pace of a model's runs: `intervalMs` apart while this thread's event loop is busy and another request
 * can still arrive (with `clients`, some client connection has none in flight); unpaced while the loop is
 * quiet or every client is already waiting for an answer (0 turns pacing off).
 */
export function loadPacer(intervalMs = DEFAULT_BATCH_INTERVAL_MS, clients?: ClientGauge): () => number {
  if (intervalMs <= 0) return () => 0;
  const load = (loopLoad ??= new LoopLoad());
  if (!clients) return () => (load.busy ? intervalMs : 0);
  return () => (load.busy && clients.canGather() ? intervalMs : 0);
}

export class Batcher {
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private lastStart = -Infinity;
  runs = 0;

  constructor(
    private readonly score: (rows: Row[]) => Promise<Prediction>,
    private readonly maxRows = DEFAULT_MAX_BATCH_ROWS,
    /** the least time between two runs' starts now (ms); see loadPacer */
    private readonly pace: () => number = loadPacer(),
  ) {}

  predict(rows: Row[]): Promise<Prediction> {
    if (rows.length >= this.maxRows) return this.scored(rows);
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.kick();
    });
  }

  /** starts a run at the end of this turn, or, when the last one started less than the pace ago, lets requests gather until then */
  private kick(): void {
    if (this.running || this.scheduled || !this.queue.length) return;
    const wait = this.lastStart + this.pace() - performance.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, wait);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private take(): Pending[] {
    const batch: Pending[] = [];
    let n = 0;
    while (this.queue.length && (batch.length === 0 || n + this.queue[0].rows.length <= this.maxRows)) {
      const p = this.queue.shift()!;
      n += p.rows.length;
      batch.push(p);
    }
    return batch;
  }

  private async drain(): Promise<void> {
    this.running = true;
    this.lastStart = performance.now();
    try {
      await this.run(this.take());
    } finally {
      this.running = false;
      this.kick();
    }
  }

  /** the scorer, with a synchronous throw (building the batch rejected a row) turned into a rejection: every request settles */
  private scored(rows: Row[]): Promise<Prediction> {
    try {
      return this.score(rows);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    this.runs++;
    if (batch.length === 1) return this.scored(batch[0].rows).then(batch[0].resolve, batch[0].reject);
    let out: Prediction;
    try {
      out = await this.scored(batch.flatMap((p) => p.rows));
    } catch {
      // find the culprit: score each alone
      await Promise.all(batch.map((p) => this.scored(p.rows).then(p.resolve, p.reject)));
      return;
    }
    let at = 0;
    for (const p of batch) {
      const n = p.rows.length * out.width;
      p.resolve({ values: out.values.slice(at, at + n), width: out.width });
      at += n;
    }
  }
}

/**
 * A session's predictions for decoded rows, behind a Batcher (scored directly when maxRows is 1): what serving calls
 * per request. Every run is counted in `batch.counts` when given (a combined run, a retry alone, an oversized request).
 */
export function rowScorer(session: ModelSession, features: string[], contract: RowSchema, batch: BatchOptions): (rows: Row[]) => Promise<Prediction> {
  const counts = batch.counts && new RunCounts(batch.counts);
  // async: a row that building the batch rejects is a rejection, never a throw, also where this is called unbatched (--max-batch 1)
  const score = async (rows: Row[]): Promise<Prediction> => {
    const input = batchFromRows(rows, features, contract);
    counts?.add(rows.length);
    return session.predict(input);
  };
  if (batch.maxRows <= 1) return score;
  const batcher = new Batcher(score, batch.maxRows, loadPacer(batch.intervalMs, batch.clients && new ClientGauge(batch.clients)));
  return (rows) => batcher.predict(rows);
}
