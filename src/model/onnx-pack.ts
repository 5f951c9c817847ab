/**
 * Packs a per-column model's inputs by element type, for serving.
 *
 * A model in the per-column convention (DESIGN.md) takes one [N, 1] input per feature. onnxruntime-node
 * spends ≈ 2–3 µs converting each input tensor on every run, a large share of a small model's run. Serving
 * runs many small batches, so this module rewrites the model in memory: the [N, 1] inputs of one element
 * type become one [N, k] input (`slipway_packed_<type>`) followed by a Split on axis 1 whose outputs carry
 * the original input names — the rest of the graph is untouched, and the values each node sees are the
 * same (Split copies, it does not compute), so predictions are identical bit for bit. Where the graph only
 * joins the pack's columns again (a Concat on axis 1 of exactly those columns, as the built-in trainers'
 * models start), the packed tensor is that Concat's result: the Concat becomes an Identity and there is no
 * Split (foldConcats). The 12-input credit-risk model runs one row in ≈ 15 µs instead of ≈ 26 (≈ 18 packed
 * without the fold).
 *
 * The rewrite works on the protobuf bytes: the fields of ModelProto and GraphProto other than the replaced
 * inputs and folded Concats are copied byte for byte (unknown and future fields included); only the new
 * Split or Identity nodes and the packed inputs are encoded, by onnx-writer.ts (field numbers from
 * onnx/onnx.proto). Anything unexpected (groups, no default opset, a shape other than [N, 1]) leaves the
 * model as it is.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import protobuf from 'protobufjs';
import type { TensorInfo, TensorType } from '../package/card.js';
import { fields, sub, text, type Field } from './onnx-fields.js';
import { DataType, graphFields, type ElemType } from './onnx-writer.js';

export interface InputPack {
  /** the packed input's name */
  name: string;
  type: TensorType;
  /** the original inputs (feature columns), in the packed tensor's column order */
  columns: string[];
}

const ELEM: Partial<Record<TensorType, ElemType>> = { float32: DataType.FLOAT, float64: DataType.DOUBLE, int32: DataType.INT32, int64: DataType.INT64, string: DataType.STRING, bool: DataType.BOOL };

/**
 * The Concat nodes that only rebuild a pack: on axis 1, of exactly the pack's columns, each used nowhere
 * else (no other node, not a graph output, no value_info). Such a node is replaced by an Identity of the packed input,
 * with the pack's columns put in the Concat's order (so the packed tensor is the Concat's result), and the
 * pack needs no Split: the split-then-concatenate round trip of a model whose first step joins its numeric
 * columns (as the built-in trainers' models do) goes away.
 */
function foldConcats(model: Uint8Array, gf: Field[], packs: InputPack[]): Map<Field, { pack: InputPack; output: string }> {
  const uses = new Map<string, number>();
  const use = (name: string) => uses.set(name, (uses.get(name) ?? 0) + 1);
  const nodes = gf.filter((f) => f.no === 1).map((f) => ({ f, n: sub(model, f) }));
  for (const { n } of nodes) for (const x of n) if (x.no === 1) use(text(model, x));
  // graph outputs and value_info (shapes of named values) count as uses: a column they name stays a value
  for (const o of gf.filter((f) => f.no === 12 || f.no === 13)) for (const x of sub(model, o)) if (x.no === 1) use(text(model, x));
  const out = new Map<Field, { pack: InputPack; output: string }>();
  for (const { f, n } of nodes) {
    const op = n.find((x) => x.no === 4);
    const domain = n.find((x) => x.no === 7);
    if (!op || text(model, op) !== 'Concat' || (domain && !['', 'ai.onnx'].includes(text(model, domain)))) continue;
    const ins = n.filter((x) => x.no === 1).map((x) => text(model, x));
    const outs = n.filter((x) => x.no === 2).map((x) => text(model, x));
    const attrs = n.filter((x) => x.no === 5).map((x) => sub(model, x));
    // axis is Concat's only attribute: 1, or -1 on these rank-2 tensors
    const i = attrs.length === 1 ? attrs[0].find((x) => x.no === 3) : undefined;
    const name = attrs.length === 1 ? attrs[0].find((x) => x.no === 1) : undefined;
    const axis = i?.varint;
    if (outs.length !== 1 || !name || text(model, name) !== 'axis' || (axis !== 1 && axis !== -1)) continue;
    const pack = packs.find((p) => p.columns.length === ins.length && ins.every((c) => p.columns.includes(c) && uses.get(c) === 1));
    if (!pack || [...out.values()].some((v) => v.pack === pack)) continue;
    pack.columns = ins;
    out.set(f, { pack, output: outs[0] });
  }
  return out;
}

/** A piece of the packed model: new bytes, or a range [from, to) of the original's. */
export type Part = Uint8Array | { from: number; to: number };

const partLength = (p: Part) => (p instanceof Uint8Array ? p.length : p.to - p.from);

/** Room a model read by readForPacking has after its bytes, so that packing can rewrite it in place. */
const ROOM = 64 * 1024;

/** The buffers readForPacking made: the only ones packColumnInputs writes over (any other may be shared, as Node's pooled Buffers are). */
const ownBuffers = new WeakSet<ArrayBufferLike>();

/** The bytes of the model file at `path`, in a buffer of their own with room after them for packColumnInputs' in-place rewrite. */
export function readForPacking(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = new Uint8Array(new ArrayBuffer(size + ROOM), 0, size);
    ownBuffers.add(buf.buffer);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, buf, at, size - at, at);
      if (n === 0) throw new Error(`${path}: the file ended at byte ${at} of ${size} while it was read`);
      at += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * The model from its parts (ranges of `model`, in order, and new bytes). With a `capacity` (the bytes from
 * `model`'s start that may be written) that holds the result, the parts are moved within `model`'s buffer,
 * so that the weights are never held twice (the original bytes are lost): ranges that move left are moved
 * first, left to right, then those that move right, right to left, so that no range is overwritten before
 * it has moved; the new bytes last. Else a new buffer. Exported for its tests.
 */
export function assemble(model: Uint8Array, parts: Part[], capacity: number | null): Uint8Array {
  const at: number[] = [];
  let size = 0;
  for (const p of parts) {
    at.push(size);
    size += partLength(p);
  }
  if (capacity === null || size > capacity) {
    const out = Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : model.subarray(p.from, p.to))));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  const room = new Uint8Array(model.buffer, model.byteOffset, Math.max(size, model.length));
  parts.forEach((p, i) => {
    if (!(p instanceof Uint8Array) && at[i] < p.from) room.copyWithin(at[i], p.from, p.to);
  });
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    if (!(p instanceof Uint8Array) && at[i] > p.from) room.copyWithin(at[i], p.from, p.to);
  }
  parts.forEach((p, i) => {
    if (p instanceof Uint8Array) room.set(p, at[i]);
  });
  return room.subarray(0, size);
}

/**
 * Rewrites `model` so that the [N, 1] inputs among `inputs` that share an element type (two or more) come
 * in as one [N, k] tensor each. Null when nothing is worth packing or the bytes are not as expected (then
 * `model` is untouched). `inPlace`: when `model` was read by readForPacking, the packed model is written
 * over it (the caller then no longer reads it); any other buffer is left as it is.
 */
export function packColumnInputs(model: Uint8Array, inputs: TensorInfo[], options: { inPlace?: boolean } = {}): { model: Uint8Array; packs: InputPack[] } | null {
  const plan = planPacking(model, inputs);
  const capacity = options.inPlace && ownBuffers.has(model.buffer) ? model.buffer.byteLength - model.byteOffset : null;
  return plan && { model: assemble(model, plan.parts, capacity), packs: plan.packs };
}

/** The packs and the packed model's parts; nothing is written here, so a throw leaves the model as it is. */
function planPacking(model: Uint8Array, inputs: TensorInfo[]): { parts: Part[]; packs: InputPack[] } | null {
  try {
    const top = fields(model);
    const graphs = top.filter((f) => f.no === 7);
    let opset = 0;
    for (const f of top.filter((x) => x.no === 8)) {
      const o = sub(model, f);
      const domain = o.find((x) => x.no === 1);
      const version = o.find((x) => x.no === 2)?.varint ?? 0;
      if (!domain || ['', 'ai.onnx'].includes(text(model, domain))) opset = Math.max(opset, version);
    }
    if (graphs.length !== 1 || opset < 2) return null;
    const g = graphs[0];
    const gf = sub(model, g);
    const used = new Set<string>();
    // every name the graph defines: inputs, outputs, value_info (field 1 of each), initializers (field 8), node outputs (field 2)
    const nameField: Record<number, number> = { 11: 1, 12: 1, 13: 1, 5: 8, 1: 2 };
    for (const f of gf) if (nameField[f.no]) for (const x of sub(model, f)) if (x.no === nameField[f.no]) used.add(text(model, x));
    const byType = new Map<TensorType, TensorInfo[]>();
    for (const i of inputs) {
      if (ELEM[i.type] === undefined || i.shape.length !== 2 || i.shape[1] !== 1) continue;
      byType.set(i.type, [...(byType.get(i.type) ?? []), i]);
    }
    const packs: InputPack[] = [];
    for (const [type, group] of byType) {
      if (group.length < 2) continue;
      let name = `slipway_packed_${type}`;
      for (let n = 2; used.has(name); n++) name = `slipway_packed_${type}_${n}`;
      used.add(name);
      packs.push({ name, type, columns: group.map((i) => i.name) });
    }
    if (!packs.length) return null;
    const folded = foldConcats(model, gf, packs);
    const replaced = new Set(packs.flatMap((p) => p.columns));
    const kept = gf.filter((f) => !folded.has(f) && !(f.no === 11 && sub(model, f).some((x) => x.no === 1 && replaced.has(text(model, x)))));
    if (gf.length - folded.size - kept.length !== replaced.size) return null; // an input listed twice, or not at all
    const first = new Map(inputs.map((i) => [i.name, i.shape[0]]));
    // Split(packed, axis=1) → the original inputs; from opset 18 Split needs num_outputs (or a split input), before it, no attribute means equal parts
    const splits = packs.map((p) => {
      const concat = [...folded.values()].find((f) => f.pack === p);
      if (concat) return { op: 'Identity', name: `${p.name}_as_${concat.output}`, inputs: [p.name], outputs: [concat.output] };
      return { op: 'Split', name: `${p.name}_split`, inputs: [p.name], outputs: p.columns, attrs: { axis: 1, ...(opset >= 18 ? { num_outputs: p.columns.length } : {}) } };
    });
    const packedInputs = packs.map((p) => {
      const d = first.get(p.columns[0])!;
      return { name: p.name, type: ELEM[p.type]!, shape: [typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d ? d : 'N', p.columns.length] };
    });
    // the new graph in place of the old, its kept fields as ranges of the original: the weights can be hundreds of MB
    const graph: Part[] = [graphFields({ nodes: splits }), ...kept.map((f) => ({ from: f.start, to: f.end })), graphFields({ inputs: packedInputs })];
    const header = protobuf.Writer.create().uint32((7 << 3) | 2).uint32(graph.reduce((n, part) => n + partLength(part), 0)).finish();
    return { parts: [{ from: 0, to: g.start }, header, ...graph, { from: g.end, to: model.length }], packs };
  } catch {
    return null;
  }
}
