/**
 * A started inference worker waiting for its model, for `slipway serve --inference thread` (and `auto`
 * with many cores or a large model): a worker's start — a fresh V8 isolate loading its modules and
 * ONNX Runtime's binding — is most of what a thread adds to a swap (≈ 0.3 s on a small model on a 2-core
 * VM; docs/serve.md, Loading a large model). InferenceThread.open takes the spare when one waits and
 * sends it the model; the loader starts the next one once that open is done, so the swap after is warm.
 * A spare costs an idle thread with its heap (≈ 20–29 MB resident) and never keeps the process alive; a
 * small model's swap on a thread went from ≈ 350–520 ms to ≈ 120–230 ms (docs/serve.md).
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The worker's entry: the built .js beside this module, or (running from the TypeScript sources) a bootstrap that registers tsx. */
export function workerEntry(): URL {
  const built = new URL('./inference-worker.js', import.meta.url);
  if (existsSync(built)) return built;
  return new URL('./inference-worker-tsx.mjs', import.meta.url);
}

interface Waiting {
  worker: Worker;
  onError: (e: unknown) => void;
  onExit: () => void;
}

export class WorkerSpare {
  private waiting: Waiting | undefined;
  private closed = false;
  private told = false;

  /** `notice`: where the first spare that fails to start is reported (each open then starts a worker of its own) */
  constructor(private readonly notice: (line: string) => void = () => {}) {}

  /** The waiting worker, now the caller's (referenced again, its own listeners gone), or undefined when none waits. */
  take(): Worker | undefined {
    const w = this.waiting;
    this.waiting = undefined;
    if (!w) return undefined;
    w.worker.off('error', w.onError).off('exit', w.onExit);
    w.worker.ref();
    return w.worker;
  }

  /** Starts the next spare, unless one waits or this is closed. Never throws: without a spare, opens start their own workers. */
  fill(): void {
    if (this.closed || this.waiting) return;
    let worker: Worker;
    try {
      // no workerData: the worker waits for a { init } message
      worker = new Worker(workerEntry(), { workerData: null });
    } catch (e) {
      return this.tell(e);
    }
    worker.unref();
    const w: Waiting = {
      worker,
      // a spare that fails to start ends ('exit' follows); the next open starts a worker of its own
      onError: (e) => this.tell(e),
      // one that ends is no longer waiting
      onExit: () => {
        if (this.waiting === w) this.waiting = undefined;
      },
    };
    worker.on('error', w.onError).on('exit', w.onExit);
    this.waiting = w;
  }

  private tell(e: unknown): void {
    if (this.told) return;
    this.told = true;
    this.notice(`the inference worker started ahead failed (${e instanceof Error ? e.message : String(e)}); versions on a thread start workers of their own`);
  }

  /** the waiting spare's thread id (tests) */
  get threadId(): number | undefined {
    return this.waiting?.worker.threadId;
  }

  /** Ends the waiting spare, and starts no more. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.waiting;
    this.waiting = undefined;
    if (w) await w.worker.terminate();
  }
}
