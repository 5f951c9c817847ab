/**
 * A ModelSession whose ONNX Runtime session lives on a worker thread (session-worker.ts). `slipway serve`
 * uses it so that inference runs beside the event loop rather than on it: the loop keeps reading, decoding
 * and answering requests while a batch is scored. Same contract as openSession: the same errors (by
 * class) when the model cannot be opened, the same predictions.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ExternalError, InputError, SlipwayError, UsageError } from '../errors.js';
import type { Signature } from '../package/card.js';
import type { FeatureBatch } from './features.js';
import type { ModelSession, Prediction, SessionOptions } from './session.js';

const ERRORS: Record<string, new (message: string) => SlipwayError> = { InputError, ExternalError, UsageError };

function rebuild(message: string, kind: string): Error {
  const E = ERRORS[kind];
  return E ? new E(message) : new Error(message);
}

/** The worker's entry: the built .js beside this module, or (running from the TypeScript sources) a bootstrap that registers tsx. */
function entry(): URL {
  const built = new URL('./session-worker.js', import.meta.url);
  if (existsSync(built)) return built;
  return new URL('./session-worker-tsx.mjs', import.meta.url);
}

export async function openWorkerSession(onnxPath: string, options: SessionOptions): Promise<ModelSession> {
  const { notice, ...rest } = options;
  const worker = new Worker(entry(), { workerData: { path: onnxPath, options: rest } });
  const pending = new Map<number, { resolve: (p: Prediction) => void; reject: (e: unknown) => void }>();
  let failed: Error | null = null;
  const failAll = (e: Error) => {
    failed ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const ready = new Promise<{ signature: Signature; provider: string }>((resolve, reject) => {
    worker.on('message', (m: { ready?: true; signature?: Signature; provider?: string; notice?: string; openError?: string; kind?: string; id?: number; values?: Float64Array; width?: number; error?: string }) => {
      if (m.notice !== undefined) return (notice ?? ((s: string) => process.stderr.write(s + '\n')))(m.notice);
      if (m.ready) return resolve({ signature: m.signature!, provider: m.provider! });
      if (m.openError !== undefined) return reject(rebuild(m.openError, m.kind ?? 'Error'));
      const p = pending.get(m.id!);
      if (!p) return;
      pending.delete(m.id!);
      if (m.error !== undefined) p.reject(rebuild(m.error, m.kind ?? 'Error'));
      else p.resolve({ values: m.values!, width: m.width! });
    });
    worker.on('error', (e) => {
      reject(e);
      failAll(new Error(`the inference thread failed: ${e.message}`));
    });
    worker.on('exit', (code) => {
      reject(new Error(`the inference thread exited (${code}) before the model was opened`));
      failAll(new Error(`the inference thread exited (${code})`));
    });
  });
  let opened: { signature: Signature; provider: string };
  try {
    opened = await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  let seq = 0;
  let closing: Promise<void> | null = null;
  return {
    signature: opened.signature,
    provider: opened.provider,
    predict(batch: FeatureBatch): Promise<Prediction> {
      if (closing) return Promise.reject(new Error('the session is closed'));
      if (failed) return Promise.reject(failed);
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, batch });
      });
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        if (failed) return void worker.terminate().then(() => resolve());
        worker.once('exit', () => resolve());
        worker.postMessage({ close: true });
      });
      return closing;
    },
  };
}
