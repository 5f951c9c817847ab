/**
 * One loaded model version on a worker thread (inference-worker.ts), for `slipway serve --inference thread`:
 * the ONNX Runtime session, its batcher, and the hot path from a request body's bytes to the answer's
 * `outputs` all run there, so the event loop keeps only HTTP (docs/serve.md, Performance).
 *
 * The requests of one turn of the event loop go over in one message (their bodies copied into one
 * transferred buffer), and the worker answers the turn in one message; while it works, the next turn's
 * requests gather, so a busy model scores bigger batches. `answer(body)` resolves to null when the body is
 * outside the byte scanner's subset: the caller then decodes it on the event loop (every precise 400 lives
 * there) and calls `predict(rows)`. Opening fails as openSession does: the same error classes and messages.
 */
import { Worker } from 'node:worker_threads';
import type { BatchOptions } from './batcher.js';
import { ExternalError, InputError, SlipwayError, UsageError } from '../errors.js';
import type { SessionOptions } from '../model/session.js';
import { relayCpuNotice } from '../model/provider.js';
import type { Signature } from '../package/card.js';
import type { Row } from './oip-decode.js';
import type { Prediction } from './oip-encode.js';
import { workerEntry, type WorkerSpare } from './worker-spare.js';

export interface ThreadInit {
  path: string;
  options: Omit<SessionOptions, 'notice'>;
  /** the decode context's columns besides the features (oip-columns.ts) */
  decode: { features: string[]; extra: string[]; contract: SessionOptions['contract'] };
  threshold: number;
  task: SessionOptions['task'];
  batch: BatchOptions;
}

export interface TurnIn {
  seq: number;
  buf: ArrayBuffer;
  offs: number[];
  rows: Row[][];
}

export interface TurnOut {
  seq: number;
  ids: (string | null)[];
  outputs: string[];
  values: Float64Array;
  widths: number[];
  errors: [number, string, string][];
}

/** What the worker made of one body: the request's own id (if it gave one) and the answer's `outputs` as JSON. */
export interface BodyAnswer {
  id: string | undefined;
  outputs: string;
}

const ERRORS: Record<string, new (message: string) => SlipwayError> = { InputError, ExternalError, UsageError };

function rebuild(message: string, kind: string): Error {
  const E = ERRORS[kind];
  return E ? new E(message) : new Error(message);
}

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export class InferenceThread {
  private bodies: (Waiter<BodyAnswer | null> & { buf: Buffer })[] = [];
  private rowSets: (Waiter<Prediction> & { rows: Row[] })[] = [];
  /** turns in the worker, by sequence number */
  private readonly sent = new Map<number, { bodies: InferenceThread['bodies']; rowSets: InferenceThread['rowSets'] }>();
  private scheduled = false;
  private seq = 0;
  private failed: Error | null = null;
  private exited = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly signature: Signature,
    readonly provider: string,
  ) {
    worker.on('message', (m: TurnOut) => this.settle(m));
    worker.on('error', (e) => this.fail(new Error(`the inference thread failed: ${e.message}`)));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new Error(`the inference thread exited (${code})`));
    });
  }

  /** workers this process has started for InferenceThread.open, not counting spares (tests) */
  static started = 0;

  private static start(init: ThreadInit): Worker {
    InferenceThread.started++;
    return new Worker(workerEntry(), { workerData: init });
  }

  /**
   * Starts a worker (or takes `spare`'s waiting one) and opens the model there. A spare that ends before
   * the model is open (not one that refuses the model) is not counted against the model: the open is
   * tried once more on a worker of its own. So is a spare that a model crashes or runs out of memory
   * while loading, which then loads twice before it fails.
   */
  static async open(init: ThreadInit, notice: (line: string) => void = (s) => process.stderr.write(s + '\n'), spare?: WorkerSpare): Promise<InferenceThread> {
    const taken = spare?.take();
    const worker = taken ?? InferenceThread.start(init);
    // only our own listeners come off afterwards: Worker keeps its port referenced through listeners of its own
    let onMessage!: (m: { ready?: true; signature?: Signature; provider?: string; cpuNotice?: string; openError?: string; kind?: string }) => void;
    let onError!: (e: Error) => void;
    let onExit!: (code: number) => void;
    let modelRefused = false;
    try {
      const opened = await new Promise<{ signature: Signature; provider: string }>((resolve, reject) => {
        onMessage = (m) => {
          if (m.cpuNotice !== undefined) return relayCpuNotice(m.cpuNotice, notice);
          if (m.ready) return resolve({ signature: m.signature!, provider: m.provider! });
          modelRefused = true;
          reject(rebuild(m.openError ?? 'the inference thread did not start', m.kind ?? 'Error'));
        };
        onError = reject;
        onExit = (code) => reject(new Error(`the inference thread exited (${code}) before the model was opened`));
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
        // inside the try: a model that cannot be sent ends the worker it was meant for
        if (taken) taken.postMessage({ init });
      });
      return new InferenceThread(worker, opened.signature, opened.provider);
    } catch (e) {
      await worker.terminate();
      if (taken && !modelRefused) return InferenceThread.open(init, notice);
      throw e;
    } finally {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    }
  }

  /** the worker's thread id (tests) */
  get threadId(): number {
    return this.worker.threadId;
  }

  /** The answer's outputs for a request body, or null when the body needs the event loop's general decoder. */
  answer(buf: Buffer): Promise<BodyAnswer | null> {
    return this.enqueue((w) => this.bodies.push({ ...w, buf }));
  }

  /** Predictions for rows decoded on the event loop (batched with the bodies of the same turn). */
  predict(rows: Row[]): Promise<Prediction> {
    return this.enqueue((w) => this.rowSets.push({ ...w, rows }));
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.once('exit', () => resolve());
      if (this.failed) void this.worker.terminate();
      else this.worker.postMessage({ close: true });
    });
    return this.closing;
  }

  private enqueue<T>(push: (w: Waiter<T>) => void): Promise<T> {
    if (this.closing) return Promise.reject(new Error('the session is closed'));
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      push({ resolve, reject });
      if (!this.scheduled) {
        // at the end of this turn: every request read in this I/O phase goes in the same message
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  private send(): void {
    if (this.failed || (!this.bodies.length && !this.rowSets.length)) return;
    const bodies = this.bodies;
    const rowSets = this.rowSets;
    this.bodies = [];
    this.rowSets = [];
    let total = 0;
    for (const b of bodies) total += b.buf.length;
    // a body is a view into node:http's read buffer: cloning it would copy all of that; one copy into a buffer to transfer
    const buf = new ArrayBuffer(total);
    const bytes = new Uint8Array(buf);
    const offs = new Array<number>(bodies.length + 1);
    let at = 0;
    for (let i = 0; i < bodies.length; i++) {
      offs[i] = at;
      bytes.set(bodies[i].buf, at);
      at += bodies[i].buf.length;
    }
    offs[bodies.length] = at;
    const msg: TurnIn = { seq: ++this.seq, buf, offs, rows: rowSets.map((r) => r.rows) };
    this.sent.set(msg.seq, { bodies, rowSets });
    this.worker.postMessage(msg, [buf]);
  }

  private settle(m: TurnOut): void {
    const sent = this.sent.get(m.seq);
    if (!sent) return;
    this.sent.delete(m.seq);
    const nBodies = sent.bodies.length;
    const failed = new Map(m.errors.map(([i, message, kind]) => [i, rebuild(message, kind)]));
    for (let i = 0; i < nBodies; i++) {
      const e = failed.get(i);
      if (e) sent.bodies[i].reject(e);
      else sent.bodies[i].resolve(m.outputs[i] ? { id: m.ids[i] ?? undefined, outputs: m.outputs[i] } : null);
    }
    let at = 0;
    for (let j = 0; j < sent.rowSets.length; j++) {
      const e = failed.get(nBodies + j);
      if (e) {
        sent.rowSets[j].reject(e);
        continue;
      }
      const n = sent.rowSets[j].rows.length * m.widths[j];
      sent.rowSets[j].resolve({ values: m.values.subarray(at, at + n), width: m.widths[j] });
      at += n;
    }
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const waiting = [...[...this.sent.values()].flatMap((t) => [...t.bodies, ...t.rowSets]), ...this.bodies, ...this.rowSets];
    this.sent.clear();
    this.bodies = [];
    this.rowSets = [];
    for (const w of waiting) w.reject(this.failed);
  }
}
