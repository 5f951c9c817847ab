/**
 * A synchronous ONNX Runtime run, for serving on the CPU.
 *
 * onnxruntime-node's public `session.run()` defers the native run with a setImmediate. Called from the
 * dynamic batcher (itself a setImmediate callback, the check phase of the event loop), that lands in the
 * NEXT loop iteration: one more poll phase — every request that arrived meanwhile parsed first — before a
 * batch is scored, and the promise machinery on every run (≈ 10 µs of a ≈ 40 µs run of a small model).
 * The native session under the public API has a synchronous `run(feeds, fetches, options)`; this module
 * opens one through onnxruntime-node's own binding module (`dist/binding.js`, what its backend uses).
 *
 * That module is not onnxruntime-node's documented API, so everything here is feature-detected: if it is
 * missing or has another shape (a future version), `openNativeModel` returns null and the caller keeps
 * the public session. test/model/session.test.ts pins that the installed version takes this path and that
 * its predictions equal the public API's bit for bit.
 */
import { createRequire } from 'node:module';
import type * as ort from 'onnxruntime-node';
import { elemTypeName } from './onnx-inputs.js';

export interface SyncOutput {
  data: unknown;
  dims: readonly number[];
}

export interface SyncSession {
  /** feeds by input name (Tensor-like: type, data, dims) → the output chosen at open */
  run(feeds: Record<string, unknown>): SyncOutput;
  close(): void;
}

interface NativeSession {
  loadModel(path: string, options: object): void;
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: object): Record<string, SyncOutput>;
  readonly outputMetadata?: unknown;
  dispose(): void;
}

interface BindingModule {
  binding?: { InferenceSession?: new () => NativeSession };
  initOrt?: () => void;
}

let binding: BindingModule | null | undefined;

function loadBinding(): BindingModule | null {
  if (binding !== undefined) return binding;
  try {
    const m = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as BindingModule;
    binding = typeof m?.binding?.InferenceSession === 'function' && typeof m.initOrt === 'function' ? m : null;
  } catch {
    binding = null;
  }
  return binding;
}

/** The binding's raw metadata of an input or output (converted to the public API's form by nativeMetadata). */
interface RawMetadata {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
  symbolicDimensions: string[];
}

/** A model loaded in a native CPU session: its outputs, and synchronous runs that fetch one of them. */
export interface NativeModel {
  /** the model's outputs as the public API's `outputMetadata` gives them; null where the binding does not report them */
  outputs: ort.InferenceSession.ValueMetadata[] | null;
  /** a synchronous session on this model whose runs return `output` */
  session(output: string): SyncSession;
  close(): void;
}

/** The binding's metadata in the public API's form: a symbolic dimension (-1) by its name, '' when it has none; throws on a type that form has no name for. */
function nativeMetadata(raw: unknown): ort.InferenceSession.ValueMetadata[] | null {
  if (!Array.isArray(raw)) return null;
  return (raw as RawMetadata[]).map((m) =>
    m.isTensor ? { name: m.name, isTensor: true, type: elemTypeName(m.type), shape: m.shape.map((d, i) => (d === -1 ? (m.symbolicDimensions[i] ?? '') : d)) } : { name: m.name, isTensor: false },
  );
}

/**
 * Opens a model (a path, or the bytes of one) in a native CPU session, or returns null when this
 * onnxruntime-node has no such binding or the model does not load (then use the public API, whose error is
 * the one to show). `threads`: intra-op threads (ORT's default when undefined).
 */
export function openNativeModel(model: string | Uint8Array, threads: number | undefined): NativeModel | null {
  const b = loadBinding();
  if (!b) return null;
  let native: NativeSession | undefined;
  try {
    b.initOrt!();
    native = new b.binding!.InferenceSession!();
    if (typeof native.run !== 'function' || typeof native.loadModel !== 'function' || typeof native.dispose !== 'function') throw new Error('not the expected binding');
    const options = { graphOptimizationLevel: 'all', executionProviders: ['cpu'], ...(threads ? { intraOpNumThreads: threads } : {}) };
    if (typeof model === 'string') native.loadModel(model, options);
    else native.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
  } catch {
    try {
      native?.dispose?.();
    } catch {
      // never loaded: nothing to release
    }
    return null;
  }
  const opened = native;
  let outputs: ort.InferenceSession.ValueMetadata[] | null;
  try {
    outputs = nativeMetadata(opened.outputMetadata);
  } catch {
    // a type the public API does not support, or metadata of another shape
    outputs = null;
  }
  let disposed = false;
  // the model and the sessions on it share one native session: the first close releases it
  const close = () => {
    if (disposed) return;
    disposed = true;
    opened.dispose();
  };
  const noOptions = {};
  return {
    outputs,
    session(output) {
      const fetches = { [output]: null };
      return {
        run(feeds) {
          const out = opened.run(feeds, fetches, noOptions)[output];
          if (!out || !Array.isArray(out.dims)) throw new Error(`the run returned no tensor '${output}'`);
          return out;
        },
        close,
      };
    },
    close,
  };
}

/** Whether this onnxruntime-node has the native binding openNativeModel needs. */
export function nativeAvailable(): boolean {
  return loadBinding() !== null;
}
