/**
 * Dynamic batching (as Triton's dynamic batcher with no queue delay): requests that arrive in the same
 * turn of the event loop (one I/O phase: every socket that had data), or while the model is busy, are
 * scored together in the next run, so one ONNX Runtime call serves many concurrent single-row requests.
 * An idle model starts its run at the end of the current turn (setImmediate: no timer, no added delay
 * beyond the requests already being read). If a combined run fails, each request is retried alone so
 * that one bad request cannot fail its neighbours.
 */
import { batchFromRows } from '../model/features.js';
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

export class Batcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private running = 0;
  private scheduled = false;
  runs = 0;

  constructor(
    private readonly score: (rows: Row[]) => Promise<Prediction>,
    private readonly maxRows = DEFAULT_MAX_BATCH_ROWS,
    /** concurrent runs (ORT sessions are safe to run concurrently) */
    private readonly parallel = 1,
  ) {}

  predict(rows: Row[]): Promise<Prediction> {
    if (rows.length >= this.maxRows) return this.score(rows);
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.queuedRows += rows.length;
      if (this.running < this.parallel && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
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
    this.queuedRows -= n;
    return batch;
  }

  private async drain(): Promise<void> {
    this.running++;
    try {
      while (this.queue.length) {
        const batch = this.take();
        this.runs++;
        if (batch.length === 1) {
          await this.score(batch[0].rows).then(batch[0].resolve, batch[0].reject);
          continue;
        }
        const rows = batch.flatMap((p) => p.rows);
        let out: Prediction;
        try {
          out = await this.score(rows);
        } catch {
          // find the culprit: score each alone
          await Promise.all(batch.map((p) => this.score(p.rows).then(p.resolve, p.reject)));
          continue;
        }
        let at = 0;
        for (const p of batch) {
          const n = p.rows.length * out.width;
          p.resolve({ values: out.values.slice(at, at + n), width: out.width });
          at += n;
        }
      }
    } finally {
      this.running--;
    }
  }
}

/** A session's predictions for decoded rows, behind a Batcher (scored directly when maxRows is 1): what serving calls per request. */
export function rowScorer(session: ModelSession, features: string[], contract: RowSchema, maxRows: number): (rows: Row[]) => Promise<Prediction> {
  const score = (rows: Row[]) => session.predict(batchFromRows(rows, features, contract));
  if (maxRows <= 1) return score;
  const batcher = new Batcher(score, maxRows);
  return (rows) => batcher.predict(rows);
}
