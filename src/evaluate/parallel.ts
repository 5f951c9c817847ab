import { BinaryKernel } from './binary.js';
import type { MetricKernel } from './kernel.js';
import { MulticlassKernel } from './multiclass.js';
import { RegressionKernel } from './regression.js';

/**
 * A kernel's state in shared memory, so that bootstrap workers use the same arrays without copying
 * them (a SharedArrayBuffer-backed typed array crosses postMessage/workerData by reference).
 */
export interface KernelState {
  kind: 'binary' | 'multiclass' | 'regression';
  fields: Record<string, unknown>;
}

const KINDS = { binary: BinaryKernel, multiclass: MulticlassKernel, regression: RegressionKernel } as const;

type Typed = Uint8Array | Int32Array | Uint32Array | Float64Array;

function toShared(a: Typed): Typed {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (b: SharedArrayBuffer) => Typed;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

export function kernelState(k: MetricKernel): KernelState {
  const kind = k instanceof BinaryKernel ? 'binary' : k instanceof MulticlassKernel ? 'multiclass' : k instanceof RegressionKernel ? 'regression' : null;
  if (!kind) throw new Error('unknown metric kernel');
  const fields: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(k)) fields[name] = ArrayBuffer.isView(v) ? toShared(v as Typed) : v;
  return { kind, fields };
}

export function restoreKernel(s: KernelState): MetricKernel {
  const k = Object.create(KINDS[s.kind].prototype) as MetricKernel;
  Object.assign(k, s.fields);
  return k;
}
