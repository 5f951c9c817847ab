import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFromRows } from '../../src/model/features.js';
import { assemble, packColumnInputs, readForPacking } from '../../src/model/onnx-pack.js';
import { exportLinear } from '../../src/train/builtin/export.js';
import { DataType, doubleTensor, readOnnx, writeOnnx, type Node, type Tensor } from '../../src/model/onnx-writer.js';
import { openSession } from '../../src/model/session.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';

const { dir } = tempDir('slipway-pack-');
const quiet = { notice: () => {} };
const num = { type: 'number' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const str = { type: 'string' };
const contract: RowSchema = { properties: { x0: num, x1: num, x2: num, a0: int, a1: int, b0: bool, b1: bool, c0: str, c1: str, f0: num } };
const features = Object.keys(contract.properties);

/**
 * y = Σ w·column over ten per-column inputs: three float64, two int64, two bool, two strings (through
 * ai.onnx.ml LabelEncoder), one float32 (alone of its type: not packed). Weights are irrational-ish so that
 * any change in the values a node sees changes y's bits.
 */
function mixedModel(opset: number, weightName = (f: string) => `w_${f}`): string {
  const nodes: Node[] = [];
  const terms: string[] = [];
  const weights: Tensor[] = [];
  features.forEach((f, i) => {
    let v = f;
    if (f.startsWith('c')) {
      nodes.push({ op: 'LabelEncoder', domain: 'ai.onnx.ml', inputs: [f], outputs: [`${f}_f`], attrs: { keys_strings: ['x', 'y', 'z'], values_floats: { floats: [1.5, -2.25, 7] }, default_float: 0.125 } });
      v = `${f}_f`;
    }
    if (f !== 'x0' && f !== 'x1' && f !== 'x2') {
      nodes.push({ op: 'Cast', inputs: [v], outputs: [`${f}_d`], attrs: { to: DataType.DOUBLE } });
      v = `${f}_d`;
    }
    weights.push(doubleTensor(weightName(f), [1], [Math.SQRT2 ** (i + 1) / 3]));
    nodes.push({ op: 'Mul', inputs: [v, weightName(f)], outputs: [`t_${f}`] });
    terms.push(`t_${f}`);
  });
  nodes.push({ op: 'Sum', inputs: terms, outputs: ['y'] });
  const type = (f: string) => (f.startsWith('x') ? DataType.DOUBLE : f.startsWith('a') ? DataType.INT64 : f.startsWith('b') ? DataType.BOOL : f.startsWith('c') ? DataType.STRING : DataType.FLOAT);
  const path = join(dir, `mixed-${opset}-${weightName('x0')}.onnx`);
  writeFileSync(path, writeOnnx({ name: 'mixed', opset, inputs: features.map((f) => ({ name: f, type: type(f), shape: ['N', 1] })), outputs: [{ name: 'y', type: DataType.DOUBLE, shape: ['N', 1] }], nodes, initializers: weights, metadata: { owner: 'tests' } }));
  return path;
}

/**
 * y = [x2, x0, x1]·wx + [a0, a1]·wa + f0·wf, the numeric columns joined by Concat nodes first (as the
 * built-in trainers' models and sklearn-onnx's ColumnTransformer do). `x0Elsewhere` also adds x0·w to y.
 */
function concatModel(o: { floatOrder: string[]; floatAxis: number; intAxis: number; x0Elsewhere?: boolean }): string {
  const cols = ['x0', 'x1', 'x2', 'a0', 'a1', 'f0'];
  const nodes: Node[] = [
    { op: 'Concat', inputs: o.floatOrder, outputs: ['xs'], attrs: { axis: o.floatAxis } },
    { op: 'MatMul', inputs: ['xs', 'wx'], outputs: ['tx'] },
    { op: 'Concat', inputs: ['a0', 'a1'], outputs: ['as'], attrs: { axis: o.intAxis } },
    { op: 'Cast', inputs: ['as'], outputs: ['asd'], attrs: { to: DataType.DOUBLE } },
    { op: 'MatMul', inputs: ['asd', 'wa'], outputs: ['ta'] },
    { op: 'Cast', inputs: ['f0'], outputs: ['fd'], attrs: { to: DataType.DOUBLE } },
    { op: 'Mul', inputs: ['fd', 'wf'], outputs: ['tf'] },
    ...(o.x0Elsewhere ? [{ op: 'Mul', inputs: ['x0', 'wf'], outputs: ['t0'] }] : []),
    { op: 'Sum', inputs: ['tx', 'ta', 'tf', ...(o.x0Elsewhere ? ['t0'] : [])], outputs: ['y'] },
  ];
  const initializers = [doubleTensor('wx', [o.floatOrder.length, 1], o.floatOrder.map((_, i) => Math.SQRT2 ** (i + 1) / 3)), doubleTensor('wa', [2, 1], [Math.E / 7, -Math.PI / 11]), doubleTensor('wf', [1], [Math.SQRT1_2])];
  const type = (f: string) => (f.startsWith('x') ? DataType.DOUBLE : f.startsWith('a') ? DataType.INT64 : DataType.FLOAT);
  const path = join(dir, `concat-${o.floatOrder.join('')}-${o.floatAxis}-${o.intAxis}-${o.x0Elsewhere ? 1 : 0}.onnx`);
  writeFileSync(path, writeOnnx({ name: 'concat', opset: 19, inputs: cols.map((f) => ({ name: f, type: type(f), shape: ['N', 1] })), outputs: [{ name: 'y', type: DataType.DOUBLE, shape: ['N', 1] }], nodes, initializers }));
  return path;
}

const rows = Array.from({ length: 7 }, (_, i) => ({ x0: i / 7, x1: i === 3 ? null : -Math.PI * i, x2: 1e-300 * i, a0: i - 3, a1: 2 ** 40 + i, b0: i % 2 === 0, b1: i % 3 === 0, c0: ['x', 'y', 'z', 'q'][i % 4], c1: i === 5 ? null : 'z', f0: 0.1 * i }));

describe('packColumnInputs (serving: [N, 1] inputs of one type fed as one [N, k] tensor)', () => {
  it('packs by element type, keeps the rest byte for byte, and Split needs num_outputs only from opset 18', async () => {
    for (const opset of [11, 13, 19]) {
      const path = mixedModel(opset);
      const pub = await openSession(path, { provider: 'cpu', features, contract, task: 'regression', ...quiet });
      const out = packColumnInputs(new Uint8Array(readFileSync(path)), pub.signature.inputs)!;
      expect(out.packs).toEqual([
        { name: 'slipway_packed_float64', type: 'float64', columns: ['x0', 'x1', 'x2'] },
        { name: 'slipway_packed_int64', type: 'int64', columns: ['a0', 'a1'] },
        { name: 'slipway_packed_bool', type: 'bool', columns: ['b0', 'b1'] },
        { name: 'slipway_packed_string', type: 'string', columns: ['c0', 'c1'] },
      ]);
      const before = readOnnx(readFileSync(path)) as { graph: Record<string, unknown[]>; metadata_props: unknown };
      const after = readOnnx(out.model) as typeof before;
      const graph = after.graph as { input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: object[] } } } }[]; node: { op_type: string; input: string[]; output: string[]; attribute: { name: string; i: number }[] }[] };
      expect(graph.input.map((i) => i.name)).toEqual(['f0', 'slipway_packed_float64', 'slipway_packed_int64', 'slipway_packed_bool', 'slipway_packed_string']);
      expect(graph.input[1].type.tensor_type).toEqual({ elem_type: DataType.DOUBLE, shape: { dim: [{ dim_param: 'N' }, { dim_value: 3 }] } });
      expect(graph.node.slice(0, 4).map((n) => [n.op_type, n.input, n.output, n.attribute.map((a) => `${a.name}=${a.i}`)])).toEqual(
        out.packs.map((p) => ['Split', [p.name], p.columns, opset >= 18 ? ['axis=1', `num_outputs=${p.columns.length}`] : ['axis=1']]),
      );
      expect(graph.node.slice(4)).toEqual(before.graph.node);
      expect(after.graph.initializer).toEqual(before.graph.initializer);
      expect(after.metadata_props).toEqual(before.metadata_props);
      await pub.close();
    }
  });

  it('a serving session on the packed model predicts what the public API does on the original, bit for bit', async () => {
    for (const opset of [11, 13, 19]) {
      const path = mixedModel(opset);
      const pub = await openSession(path, { provider: 'cpu', features, contract, task: 'regression', ...quiet });
      const srv = await openSession(path, { provider: 'cpu', features, contract, task: 'regression', syncRun: true, ...quiet });
      expect([pub.packs.length, srv.packs.map((p) => p.name)]).toEqual([0, ['slipway_packed_float64', 'slipway_packed_int64', 'slipway_packed_bool', 'slipway_packed_string']]);
      for (const n of [1, 2, rows.length]) {
        const batch = batchFromRows(rows.slice(0, n), features, contract);
        const [a, b] = [await pub.predict(batch), await srv.predict(batch)];
        expect(Buffer.from(b.values.buffer).equals(Buffer.from(a.values.buffer))).toBe(true);
        expect(new Set(a.values).size).toBe(n); // every row differs: a swapped column would show
      }
      // a packed column's bad value is the same precise error
      await expect(srv.predict(batchFromRows([{ ...rows[0], b1: null }], features, contract))).rejects.toThrow(/row 0, column 'b1': a value is required/);
      await expect(srv.predict({ rows: 1, columns: { ...batchFromRows([rows[0]], features, contract).columns, a1: Float64Array.of(1.5) } })).rejects.toThrow(/row 0, column 'a1': the model's int64 input needs a whole number, got 1.5/);
      await Promise.all([pub.close(), srv.close()]);
    }
  });

  it('a Concat that only rejoins a pack becomes an Identity of the packed input (columns in its order), with the same predictions', async () => {
    const cols = ['x0', 'x1', 'x2', 'a0', 'a1', 'f0'];
    const c: RowSchema = { properties: Object.fromEntries(cols.map((f) => [f, contract.properties[f]])) };
    const path = concatModel({ floatOrder: ['x2', 'x0', 'x1'], floatAxis: 1, intAxis: -1 });
    const pub = await openSession(path, { provider: 'cpu', features: cols, contract: c, task: 'regression', ...quiet });
    const out = packColumnInputs(new Uint8Array(readFileSync(path)), pub.signature.inputs)!;
    expect(out.packs).toEqual([
      { name: 'slipway_packed_float64', type: 'float64', columns: ['x2', 'x0', 'x1'] },
      { name: 'slipway_packed_int64', type: 'int64', columns: ['a0', 'a1'] },
    ]);
    const before = readOnnx(readFileSync(path)) as { graph: { node: { op_type: string }[] } };
    const after = readOnnx(out.model) as { graph: { node: { op_type: string; input: string[]; output: string[]; attribute: unknown[] }[] } };
    expect(after.graph.node.slice(0, 2).map((n) => [n.op_type, n.input, n.output, n.attribute])).toEqual([
      ['Identity', ['slipway_packed_float64'], ['xs'], undefined],
      ['Identity', ['slipway_packed_int64'], ['as'], undefined],
    ]);
    expect(after.graph.node.slice(2)).toEqual(before.graph.node.filter((n) => n.op_type !== 'Concat'));
    const srv = await openSession(path, { provider: 'cpu', features: cols, contract: c, task: 'regression', syncRun: true, ...quiet });
    expect(srv.packs.map((p) => p.columns)).toEqual([['x2', 'x0', 'x1'], ['a0', 'a1']]);
    for (const n of [1, 2, rows.length]) {
      const batch = batchFromRows(rows.slice(0, n), cols, c);
      const [a, b] = [await pub.predict(batch), await srv.predict(batch)];
      expect(Buffer.from(b.values.buffer).equals(Buffer.from(a.values.buffer))).toBe(true);
      expect(new Set(a.values).size).toBe(n);
    }
    await Promise.all([pub.close(), srv.close()]);
    // not folded (the pack keeps its Split): a column also used elsewhere, another axis, a Concat of only some of the pack
    const splitOf = (o: Parameters<typeof concatModel>[0]) => {
      const m = readOnnx(packColumnInputs(new Uint8Array(readFileSync(concatModel(o))), pub.signature.inputs)!.model) as typeof after;
      return m.graph.node.filter((n) => n.input[0] === 'slipway_packed_float64').map((n) => n.op_type);
    };
    expect(splitOf({ floatOrder: ['x2', 'x0', 'x1'], floatAxis: 1, intAxis: 1, x0Elsewhere: true })).toEqual(['Split']);
    expect(splitOf({ floatOrder: ['x2', 'x0', 'x1'], floatAxis: 0, intAxis: 1 })).toEqual(['Split']);
    expect(splitOf({ floatOrder: ['x2', 'x0', 'x1'], floatAxis: -2, intAxis: 1 })).toEqual(['Split']);
    expect(splitOf({ floatOrder: ['x0', 'x1'], floatAxis: 1, intAxis: 1 })).toEqual(['Split']);
    expect(splitOf({ floatOrder: ['x0', 'x1', 'x1'], floatAxis: 1, intAxis: 1 })).toEqual(['Split']);
  });

  it("the built-in trainers' logistic model: its numeric and string Concats are folded and predictions stay bit for bit", async () => {
    const cols = ['x0', 'c1', 'c0', 'a0', 'x1'];
    const c: RowSchema = { properties: Object.fromEntries(cols.map((f) => [f, contract.properties[f]])) };
    const path = join(dir, 'builtin-logistic.onnx');
    const numeric = [
      { name: 'x1', mean: -2.5, scale: 3.25 },
      { name: 'x0', mean: 0.4, scale: 0.3 },
      { name: 'a0', mean: 1, scale: 2 },
    ];
    const weights = Float64Array.from([0.7, -1.3, 0.45, 2.1, -0.6, 0.05, 0.9, -0.35]);
    const categorical = [
      { name: 'c0', categories: ['x', 'y', 'z'] },
      { name: 'c1', categories: ['z', 'x'] },
    ];
    writeFileSync(path, exportLinear({ name: 'credit', kind: 'logistic', features: cols, preprocessing: { numeric, categorical }, fit: { weights, intercept: -0.25, iterations: 1, objective: 0, converged: true } }));
    const pub = await openSession(path, { provider: 'cpu', features: cols, contract: c, task: 'binary-classification', ...quiet });
    const srv = await openSession(path, { provider: 'cpu', features: cols, contract: c, task: 'binary-classification', syncRun: true, ...quiet });
    // the export takes every numeric column (a0, an integer, too) as a double input, and joins them in its own order
    expect(srv.packs).toEqual([
      { name: 'slipway_packed_float64', type: 'float64', columns: ['x1', 'x0', 'a0'] },
      { name: 'slipway_packed_string', type: 'string', columns: ['c0', 'c1'] },
    ]);
    const folded = readOnnx(packColumnInputs(new Uint8Array(readFileSync(path)), pub.signature.inputs)!.model) as { graph: { node: { op_type: string; input: string[]; output: string[] }[] } };
    expect(folded.graph.node.filter((n) => n.op_type === 'Identity')).toEqual([
      expect.objectContaining({ input: ['slipway_packed_float64'], output: ['numeric_raw'] }),
      expect.objectContaining({ input: ['slipway_packed_string'], output: ['strings_raw'] }),
    ]);
    expect(folded.graph.node.map((n) => n.op_type)).not.toContain('Split');
    for (const n of [1, 3, rows.length]) {
      const batch = batchFromRows(rows.slice(0, n), cols, c);
      const [a, b] = [await pub.predict(batch), await srv.predict(batch)];
      expect(Buffer.from(b.values.buffer).equals(Buffer.from(a.values.buffer))).toBe(true);
    }
    await Promise.all([pub.close(), srv.close()]);
  });

  it('picks a free name, and leaves models it cannot pack alone', async () => {
    const path = mixedModel(19, (f) => (f === 'x0' ? 'slipway_packed_float64' : `w_${f}`)); // a name the graph already uses
    const s = await openSession(path, { provider: 'cpu', features, contract, task: 'regression', syncRun: true, ...quiet });
    expect(s.packs[0].name).toBe('slipway_packed_float64_2');
    const pub = await openSession(path, { provider: 'cpu', features, contract, task: 'regression', ...quiet });
    const batch = batchFromRows(rows, features, contract);
    expect(Array.from((await s.predict(batch)).values)).toEqual(Array.from((await pub.predict(batch)).values));
    await Promise.all([s.close(), pub.close()]);
    const info = (name: string, shape: (number | string)[]) => ({ name, type: 'float64' as const, shape });
    expect(packColumnInputs(Uint8Array.of(0x0f, 0xff), [info('x0', ['N', 1]), info('x1', ['N', 1])])).toBeNull(); // not protobuf
    const bytes = new Uint8Array(readFileSync(mixedModel(19)));
    expect(packColumnInputs(bytes, [info('x0', ['N']), info('x1', ['N'])])).toBeNull(); // [N] inputs: Split would give [N, 1]
    expect(packColumnInputs(bytes, [info('x0', ['N', 1])])).toBeNull(); // one of a type: nothing to gain
    expect(packColumnInputs(bytes, [info('x0', ['N', 1]), info('nope', ['N', 1])])).toBeNull(); // not an input of the graph
  });

  it('in place: the same bytes as a copy, written over the buffer readForPacking made, whether the model shrinks or grows; any other buffer is left as it is', async () => {
    const cols = ['x0', 'x1', 'x2', 'a0', 'a1', 'f0'];
    const c: RowSchema = { properties: Object.fromEntries(cols.map((f) => [f, contract.properties[f]])) };
    // long input names joined by one Concat: the inputs and the Concat that go are longer than the Identity and the packed input that come
    const long = Array.from({ length: 4 }, (_, i) => `applicant_reported_annual_figure_${i}`);
    const longPath = join(dir, 'long-names.onnx');
    writeFileSync(longPath, writeOnnx({
      name: 'long',
      inputs: long.map((name) => ({ name, type: DataType.DOUBLE, shape: ['N', 1] })),
      outputs: [{ name: 'y', type: DataType.DOUBLE, shape: ['N', 1] }],
      nodes: [{ op: 'Concat', inputs: long, outputs: ['joined'], attrs: { axis: 1 } }, { op: 'MatMul', inputs: ['joined', 'w'], outputs: ['y'] }],
      initializers: [doubleTensor('w', [4, 1], [0.5, -1.5, 2.5, 0.25])],
    }));
    const models: [string, string[], RowSchema][] = [
      [mixedModel(13), features, contract], // Splits: the model grows
      [mixedModel(19), features, contract],
      [concatModel({ floatOrder: ['x2', 'x0', 'x1'], floatAxis: 1, intAxis: -1 }), cols, c], // folded Concats of short names: it grows by 2 bytes
      [concatModel({ floatOrder: ['x2', 'x0', 'x1'], floatAxis: 1, intAxis: 1, x0Elsewhere: true }), cols, c],
      [longPath, long, { properties: Object.fromEntries(long.map((f) => [f, num])) }], // it shrinks
    ];
    const sizes: number[] = [];
    for (const [path, fs, ct] of models) {
      const pub = await openSession(path, { provider: 'cpu', features: fs, contract: ct, task: 'regression', ...quiet });
      const original = readFileSync(path);
      const copy = packColumnInputs(new Uint8Array(original), pub.signature.inputs)!;
      const read = readForPacking(path);
      expect(Buffer.from(read).equals(original)).toBe(true);
      const inPlace = packColumnInputs(read, pub.signature.inputs, { inPlace: true })!;
      expect(inPlace.model.buffer).toBe(read.buffer);
      expect(Buffer.from(inPlace.model).equals(Buffer.from(copy.model))).toBe(true);
      expect(inPlace.packs).toEqual(copy.packs);
      sizes.push(copy.model.length - original.length);
      // a buffer readForPacking did not make (it may be shared, as Node's pooled Buffers are) is never written, even with room to spare
      const other = new Uint8Array(new ArrayBuffer(original.length + 4096), 0, original.length);
      other.set(original);
      const copied = packColumnInputs(other, pub.signature.inputs, { inPlace: true })!;
      expect(copied.model.buffer).not.toBe(other.buffer);
      expect(Buffer.from(copied.model).equals(Buffer.from(copy.model))).toBe(true);
      expect(Buffer.from(other).equals(original)).toBe(true);
      await pub.close();
    }
    // models that grow and one that shrinks
    expect(sizes.some((d) => d > 0) && sizes.some((d) => d < 0)).toBe(true);
  });

  it('assemble: ranges moving right and left in one model, new bytes between them, the result filling the room exactly', () => {
    const original = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    // [0, 10) stays; 3 new bytes; [10, 20) moves right by 3; [25, 40) moves left by 2 (5 bytes dropped); 4 new bytes at the end: 42 bytes
    const parts = [{ from: 0, to: 10 }, Uint8Array.of(101, 102, 103), { from: 10, to: 20 }, { from: 25, to: 40 }, Uint8Array.of(104, 105, 106, 107)];
    const expected = [...original.subarray(0, 10), 101, 102, 103, ...original.subarray(10, 20), ...original.subarray(25, 40), 104, 105, 106, 107];
    expect(expected).toHaveLength(42);
    // a copy without a capacity, the original untouched
    const copy = assemble(original, parts, null);
    expect([Array.from(copy), Array.from(original)]).toEqual([expected, Array.from({ length: 40 }, (_, i) => i + 1)]);
    // in place, in a buffer of exactly 42 bytes
    const roomy = new Uint8Array(new ArrayBuffer(42), 0, 40);
    roomy.set(original);
    const inPlace = assemble(roomy, parts, 42);
    expect(inPlace.buffer).toBe(roomy.buffer);
    expect(Array.from(inPlace)).toEqual(expected);
    // one byte short of room: a copy, the original untouched
    const tight = new Uint8Array(new ArrayBuffer(41), 0, 40);
    tight.set(original);
    const copied = assemble(tight, parts, 41);
    expect(copied.buffer).not.toBe(tight.buffer);
    expect([Array.from(copied), Array.from(tight)]).toEqual([expected, Array.from(original)]);
  });
});
