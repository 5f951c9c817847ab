import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { ExternalError, InputError } from '../errors.js';
import type { Signature, TensorInfo, TensorType } from '../package/card.js';
import type { RowSchema, Task } from '../spec/types.js';
import { columnKind, type ColumnKind, type FeatureBatch } from './features.js';
import { FP_LIMIT, FP_MAX } from './float-limits.js';
import { graphInputs } from './onnx-inputs.js';
import { packColumnInputs, readForPacking, type InputPack } from './onnx-pack.js';
import { nativeAvailable, openNativeModel } from './ort-sync.js';
import { cpuWithoutTrying, createSession, providerChoice, type ProviderChoice } from './provider.js';

export { cudaLibraryDir, providerChoice, type ProviderChoice } from './provider.js';

export interface SessionOptions {
  provider?: ProviderChoice;
  /** feature columns in model input order */
  features: string[];
  /** the data contract (row JSON Schema) */
  contract: RowSchema;
  task: Task;
  /** where a notice goes (CPU fallback); default: stderr */
  notice?: (message: string) => void;
  /** intra-op threads (default: ORT's) */
  threads?: number;
  /** serving: on the CPU, run ONNX Runtime synchronously inside predict() (ort-sync.ts) when this onnxruntime-node allows it, with per-column inputs packed by type (onnx-pack.ts) */
  syncRun?: boolean;
}

export interface Prediction {
  /** row-major N × width */
  values: Float64Array;
  /** 1 for binary (P(class 1)) and regression; K for multiclass */
  width: number;
}

export interface ModelSession {
  signature: Signature;
  /** the execution provider the session runs on: 'cpu' or 'cuda' */
  provider: string;
  /** whether runs are synchronous native calls (SessionOptions.syncRun granted) */
  sync: boolean;
  /** inputs fed packed by type (onnx-pack.ts; serving sessions only) */
  packs: InputPack[];
  predict(batch: FeatureBatch): Promise<Prediction>;
  close(): Promise<void>;
}

const TENSOR_TYPES: Record<string, TensorType> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', string: 'string', bool: 'bool' };
const FLOAT_TYPES = new Set<TensorType>(['float32', 'float64']);

/** Which tensor types can carry a contract column of each kind in the per-column convention. */
const ACCEPTS: Record<ColumnKind, TensorType[]> = {
  number: ['float32', 'float64'],
  integer: ['float32', 'float64', 'int64', 'int32'],
  boolean: ['bool', 'float32', 'float64', 'int64', 'int32'],
  string: ['string'],
};

function tensorInfo(m: ort.InferenceSession.ValueMetadata, where: string, role: 'input' | 'output'): TensorInfo | null {
  if (!m.isTensor) {
    if (role === 'input') throw new InputError(`${where}: input '${m.name}' is not a tensor; Slipway feeds tensors only`);
    return null;
  }
  const type = TENSOR_TYPES[m.type];
  if (!type) {
    if (role === 'input') throw new InputError(`${where}: input '${m.name}' has element type ${m.type}; supported: ${Object.keys(TENSOR_TYPES).join(', ')}`);
    return null;
  }
  return { name: m.name, type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d ? d : -1)) };
}

/**
 * Derives the signature (DESIGN.md "How a model's tensors map to the table") from the model's
 * inputs and outputs and checks it against the data contract: every problem is listed at once.
 */
export function deriveSignature(
  where: string,
  inputMeta: readonly ort.InferenceSession.ValueMetadata[],
  outputMeta: readonly ort.InferenceSession.ValueMetadata[],
  features: string[],
  contract: RowSchema,
  task: Task,
): Signature {
  const inputs = inputMeta.map((m) => tensorInfo(m, where, 'input')!);
  const problems: string[] = [];
  let convention: Signature['convention'];
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const kinds = features.map((f) => {
    if (!contract.properties[f]) problems.push(`feature '${f}' is not a column of the data contract`);
    return columnKind(contract.properties[f]);
  });
  const perColumn = features.length > 0 && features.some((f) => byName.has(f)) && !(inputs.length === 1 && features.length > 1);
  if (perColumn) {
    convention = 'columns';
    const missing = features.filter((f) => !byName.has(f));
    const extra = inputs.filter((i) => !features.includes(i.name)).map((i) => i.name);
    if (missing.length) problems.push(`the model has no input for feature(s) ${missing.map((f) => `'${f}'`).join(', ')}`);
    if (extra.length) problems.push(`the model has input(s) ${extra.map((f) => `'${f}'`).join(', ')} that are not features of the contract (features: ${features.join(', ')})`);
    features.forEach((f, j) => {
      const inp = byName.get(f);
      if (!inp) return;
      if (!ACCEPTS[kinds[j]].includes(inp.type)) problems.push(`input '${f}' is ${inp.type} but the contract says ${kinds[j]} (expected ${ACCEPTS[kinds[j]].join(' or ')})`);
      const s = inp.shape;
      if (s.length > 2 || (s.length === 2 && typeof s[1] === 'number' && s[1] !== 1 && s[1] !== -1)) problems.push(`input '${f}' has shape [${s.join(', ')}]; expected [N, 1] or [N]`);
    });
  } else {
    convention = 'matrix';
    if (inputs.length !== 1) {
      problems.push(`the model has ${inputs.length} inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}); expected one float input [N, ${features.length}] (matrix convention) or one input per feature named after its column (${features.join(', ')})`);
    } else {
      const inp = inputs[0];
      if (!FLOAT_TYPES.has(inp.type)) problems.push(`input '${inp.name}' is ${inp.type}; the matrix convention needs a float32 or float64 input`);
      const s = inp.shape;
      if (s.length !== 2) problems.push(`input '${inp.name}' has shape [${s.join(', ')}]; expected [N, ${features.length}]`);
      else if (typeof s[1] === 'number' && s[1] !== -1 && s[1] !== features.length) problems.push(`input '${inp.name}' takes ${s[1]} features per row but the contract has ${features.length} (${features.join(', ')})`);
      const strings = features.filter((_, j) => kinds[j] === 'string');
      if (strings.length) problems.push(`string feature(s) ${strings.map((f) => `'${f}'`).join(', ')} cannot go into the float matrix of input '${inp.name}'; export the model with one input per column (string tensors)`);
    }
  }

  const outputs = outputMeta.map((m) => tensorInfo(m, where, 'output')).filter((o): o is TensorInfo => o !== null);
  const nonTensor = outputMeta.filter((m) => !m.isTensor).map((m) => m.name);
  const named = outputs.find((o) => o.name === 'probabilities' && FLOAT_TYPES.has(o.type));
  const chosen = named ?? outputs.find((o) => FLOAT_TYPES.has(o.type));
  let output = '';
  if (!chosen) {
    const zipmap = nonTensor.length ? ` Output(s) ${nonTensor.map((n) => `'${n}'`).join(', ')} are sequences of maps (skl2onnx's ZipMap): convert with options={id(model): {'zipmap': False}} so probabilities are a float tensor.` : '';
    problems.push(`the model has no float tensor output (outputs: ${outputMeta.map((m) => `'${m.name}'`).join(', ') || 'none'}).${zipmap}`);
  } else {
    output = chosen.name;
    const s = chosen.shape;
    const k = s.length === 2 && typeof s[1] === 'number' && s[1] > 0 ? s[1] : null;
    if (s.length > 2) problems.push(`output '${output}' has shape [${s.join(', ')}]; expected [N], [N, 1] or [N, K]`);
    else if (task === 'regression' && k !== null && k !== 1) problems.push(`output '${output}' has ${k} columns; a regression model outputs [N] or [N, 1]`);
    else if (task === 'binary-classification' && k !== null && k > 2) problems.push(`output '${output}' has ${k} columns; a binary classifier outputs [N], [N, 1] or [N, 2]`);
    else if (task === 'multiclass-classification' && (s.length !== 2 || (k !== null && k < 2))) problems.push(`output '${output}' has shape [${s.join(', ')}]; a multiclass classifier outputs probabilities [N, K]`);
  }
  if (problems.length) throw new InputError(`${where}: the model's signature does not match the data contract:\n  - ${problems.join('\n  - ')}`);
  return { convention, features: [...features], inputs, outputs, output };
}

/**
 * Opens model.onnx in onnxruntime-node, derives its signature and checks it against the contract.
 * `predict` turns a FeatureBatch into the model's tensors (either convention) and its output into
 * row-major predictions: P(class 1) for binary, K probabilities for multiclass, values for regression.
 */
export async function openSession(onnxPath: string, options: SessionOptions): Promise<ModelSession> {
  if (!existsSync(onnxPath)) throw new InputError(`${onnxPath}: model file not found`);
  const choice = providerChoice(options.provider);
  // serving on the CPU: one native load (openServing), before any public session where the CPU is certain
  const cpuOnly = options.syncRun === true && cpuWithoutTrying(onnxPath, choice, options);
  if (cpuOnly) {
    const served = openServing(onnxPath, options);
    if (served) return served;
  }
  let created;
  try {
    created = await createSession(onnxPath, choice, options);
  } catch (e) {
    if (e instanceof ExternalError) throw e;
    throw new InputError(`${onnxPath}: onnxruntime could not load the model: ${(e as Error).message}`);
  }
  const provider = created.provider;
  let session = created.session;
  let signature: Signature;
  try {
    signature = deriveSignature(onnxPath, session.inputMetadata, session.outputMetadata, options.features, options.contract, options.task);
  } catch (e) {
    await session.release();
    throw e;
  }
  // serving where CUDA was tried and the CPU took over: the same native load, the public session released
  // first (so that a large model is not held twice); where openServing already failed, or fails now (no
  // native binding, say), the public session serves
  if (options.syncRun && provider === 'cpu' && !cpuOnly) {
    await session.release();
    const served = openServing(onnxPath, options);
    if (served) return served;
    session = (await createSession(onnxPath, 'cpu', options)).session;
  }
  const run = (feeds: Record<string, ort.Tensor>) => session.run(feeds, [signature.output]).then((r) => r[signature.output] as ort.Tensor);
  return modelSession(onnxPath, signature, provider, [], run, () => session.release(), options.task, false);
}

/**
 * Serving on the CPU: one native load of the model. The inputs are read from the ONNX bytes
 * (onnx-inputs.ts: what ONNX Runtime would report) and the per-column ones packed by type (onnx-pack.ts:
 * identical predictions); the packed model is loaded in a synchronous native session (ort-sync.ts), whose
 * outputs complete the signature. Null when any of that is not possible (bytes it cannot read, no native
 * binding, a model that does not load): the caller then opens it with the public API, whose error, if
 * any, is the one to show.
 */
function openServing(onnxPath: string, options: SessionOptions): ModelSession | null {
  if (!nativeAvailable()) return null;
  let bytes: Uint8Array;
  let inputs: ort.InferenceSession.ValueMetadata[];
  try {
    bytes = readForPacking(onnxPath);
    inputs = graphInputs(bytes);
  } catch {
    return null;
  }
  const tensors = inputs.flatMap((m) => (m.isTensor && TENSOR_TYPES[m.type] ? [tensorInfo(m, onnxPath, 'input')!] : []));
  // packed before the convention is known, which is the same: packing needs two [N, 1] inputs of one type,
  // and a model with more than one input is not in the matrix convention (deriveSignature refuses it). In
  // place: the file's bytes become the packed model's, so the weights are held once (then by ONNX Runtime)
  const packed = packColumnInputs(bytes, tensors, { inPlace: true });
  const native = openNativeModel(packed?.model ?? bytes, options.threads);
  if (!native?.outputs) {
    native?.close();
    return null;
  }
  let signature: Signature;
  try {
    signature = deriveSignature(onnxPath, inputs, native.outputs, options.features, options.contract, options.task);
  } catch (e) {
    native.close();
    throw e;
  }
  const sync = native.session(signature.output);
  return modelSession(onnxPath, signature, 'cpu', packed?.packs ?? [], sync.run, sync.close, options.task, true);
}

/** The ModelSession over a run function: feeds built from a batch, the output read as predictions. */
function modelSession(
  onnxPath: string,
  signature: Signature,
  provider: string,
  packs: InputPack[],
  run: (feeds: Record<string, ort.Tensor>) => OutputTensor | Promise<OutputTensor>,
  close: () => void | Promise<void>,
  task: Task,
  sync: boolean,
): ModelSession {
  return {
    signature,
    provider,
    sync,
    packs,
    async predict(batch: FeatureBatch): Promise<Prediction> {
      const feeds = buildFeeds(signature, batch, packs);
      let out: OutputTensor;
      try {
        // a synchronous run is not awaited: no extra turn of the microtask queue on the serving path
        out = sync ? (run(feeds) as OutputTensor) : await run(feeds);
      } catch (e) {
        throw new InputError(`${onnxPath}: inference failed: ${(e as Error).message}`);
      }
      return readOutput(onnxPath, out, batch.rows, task);
    },
    async close() {
      await close();
    },
  };
}

export function buildFeeds(signature: Signature, batch: FeatureBatch, packs: InputPack[] = []): Record<string, ort.Tensor> {
  const n = batch.rows;
  const col = (f: string) => {
    const c = batch.columns[f];
    if (!c) throw new InputError(`the batch has no column '${f}'`);
    if (c.length !== n) throw new InputError(`column '${f}' has ${c.length} values for ${n} rows`);
    return c;
  };
  if (signature.convention === 'matrix') {
    const inp = signature.inputs[0];
    const F = signature.features.length;
    const data = inp.type === 'float64' ? new Float64Array(n * F) : new Float32Array(n * F);
    signature.features.forEach((f, j) => {
      const c = col(f) as Float64Array;
      for (let i = 0; i < n; i++) data[i * F + j] = c[i];
    });
    return { [inp.name]: new ort.Tensor(inp.type as 'float32', data, [n, F]) };
  }
  const feeds: Record<string, ort.Tensor> = {};
  const packed = new Set<string>();
  for (const p of packs) {
    // one [n, k] tensor for the pack's columns (onnx-pack.ts): column j of row i at i·k + j
    const k = p.columns.length;
    const data = newData(p.type, n * k);
    p.columns.forEach((f, j) => {
      fill(p.type, f, col(f), n, data, j, k);
      packed.add(f);
    });
    feeds[p.name] = new ort.Tensor(p.type as 'float64', data as Float64Array, [n, k]);
  }
  signature.features.forEach((f) => {
    if (packed.has(f)) return;
    const inp = signature.inputs.find((i) => i.name === f)!;
    const dims = inp.shape.length === 1 ? [n] : [n, 1];
    const c = col(f);
    // ORT reads the feeds during the run only: a float64 column itself, not a copy
    const data = inp.type === 'float64' && c instanceof Float64Array ? c : fill(inp.type, f, c, n, newData(inp.type, n), 0, 1);
    feeds[f] = new ort.Tensor(inp.type as 'float64', data as Float64Array, dims);
  });
  return feeds;
}

const F32_LIMIT = FP_LIMIT.FP32;

type FeedData = Float64Array | Float32Array | Uint8Array | Int32Array | BigInt64Array | string[];

function newData(type: TensorType, size: number): FeedData {
  switch (type) {
    case 'float64':
      return new Float64Array(size);
    case 'float32':
      return new Float32Array(size);
    case 'bool':
      return new Uint8Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'string':
      return new Array<string>(size);
    default:
      throw new InputError(`unsupported input type ${type}`);
  }
}

/** Writes column `f` (n values) into `out` at `offset`, `offset + stride`, …, as the input's type wants it; bad values are InputErrors. */
function fill(type: TensorType, f: string, c: FeatureBatch['columns'][string], n: number, out: FeedData, offset: number, stride: number): FeedData {
  if (type === 'string') {
    const s = c as (string | null)[];
    const o = out as string[];
    for (let i = 0; i < n; i++) o[offset + i * stride] = s[i] ?? '';
    return out;
  }
  const v = c as Float64Array;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    const at = offset + i * stride;
    if (type === 'float64') (out as Float64Array)[at] = x;
    else if (type === 'float32') {
      // a finite value past float32's range would reach the model as Infinity
      if ((x >= F32_LIMIT || x <= -F32_LIMIT) && Number.isFinite(x)) throw new InputError(`row ${i}, column '${f}': ${x} is out of range for the model's float32 input (finite values within ±${FP_MAX.FP32})`);
      (out as Float32Array)[at] = x;
    } else if (type === 'bool') {
      if (Number.isNaN(x)) throw new InputError(`row ${i}, column '${f}': a value is required (the model's boolean input cannot hold null)`);
      (out as Uint8Array)[at] = x ? 1 : 0;
    } else {
      if (!Number.isInteger(x)) throw new InputError(`row ${i}, column '${f}': the model's ${type} input needs a whole number, got ${x}`);
      if (type === 'int64') {
        // 2^63 and beyond would wrap in a BigInt64Array
        if (x >= 9223372036854775808 || x < -9223372036854775808) throw new InputError(`row ${i}, column '${f}': ${x} is out of range for the model's int64 input (-2^63 to 2^63 − 1)`);
        (out as BigInt64Array)[at] = BigInt(x);
      } else {
        // an Int32Array would wrap a value past its range modulo 2^32
        if (x < -2147483648 || x > 2147483647) throw new InputError(`row ${i}, column '${f}': ${x} is out of range for the model's int32 input (-2147483648 to 2147483647)`);
        (out as Int32Array)[at] = x;
      }
    }
  }
  return out;
}

/** an output tensor: ort.Tensor, or the native run's plain { data, dims } */
type OutputTensor = { data: unknown; dims: readonly (number | bigint)[] };

export function readOutput(where: string, t: OutputTensor, rows: number, task: Task): Prediction {
  const dims = t.dims.map(Number);
  const data = t.data as Float32Array | Float64Array;
  if (dims[0] !== rows) throw new InputError(`${where}: output has ${dims[0]} rows for ${rows} input rows`);
  const k = dims.length === 1 ? 1 : dims.length === 2 ? dims[1] : NaN;
  if (!Number.isFinite(k)) throw new InputError(`${where}: output has shape [${dims.join(', ')}]; expected [N], [N, 1] or [N, K]`);
  if (task === 'binary-classification') {
    if (k === 1) return { values: Float64Array.from(data), width: 1 };
    if (k === 2) {
      const values = new Float64Array(rows);
      for (let i = 0; i < rows; i++) values[i] = data[i * 2 + 1];
      return { values, width: 1 };
    }
    throw new InputError(`${where}: a binary classifier's output has ${k} columns; expected 1 or 2`);
  }
  if (task === 'regression') {
    if (k !== 1) throw new InputError(`${where}: a regression model's output has ${k} columns; expected 1`);
    return { values: Float64Array.from(data), width: 1 };
  }
  if (k < 2) throw new InputError(`${where}: a multiclass classifier's output has ${k} column(s); expected K >= 2 probabilities`);
  return { values: Float64Array.from(data), width: k };
}
