import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import { batchFromRows } from '../../src/model/features.js';
import { DataType, doubleTensor, writeOnnx } from '../../src/model/onnx-writer.js';
import { cudaLibraryDir, openSession, providerChoice } from '../../src/model/session.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES } from '../train/fixtures.js';

const { dir } = tempDir('slipway-session-');
const num = { type: 'number' };
const contract: RowSchema = { properties: { x0: num, x1: num, x2: num, city: { type: 'string' }, a: { type: 'integer' }, b: { type: 'boolean' }, c: { type: 'string' } } };
const quiet = { notice: () => {} };

/** A float64 matrix model [N, 2] -> 'out' [N, 1] = x0 + 10·x1, written with our ONNX writer. */
function matrixModel(): string {
  const path = join(dir, 'matrix.onnx');
  writeFileSync(path, writeOnnx({
    name: 'm',
    inputs: [{ name: 'features', type: DataType.DOUBLE, shape: ['N', 2] }],
    outputs: [{ name: 'out', type: DataType.DOUBLE, shape: ['N', 1] }],
    nodes: [{ op: 'MatMul', inputs: ['features', 'w'], outputs: ['out'] }],
    initializers: [doubleTensor('w', [2, 1], [1, 10])],
  }));
  return path;
}

describe('openSession', () => {
  it('matrix convention: features in contract order into one [N, F] input', async () => {
    const s = await openSession(matrixModel(), { provider: 'cpu', features: ['x0', 'x1'], contract, task: 'regression', ...quiet });
    expect(s.provider).toBe('cpu');
    expect(s.signature).toMatchObject({ convention: 'matrix', features: ['x0', 'x1'], output: 'out', inputs: [{ name: 'features', type: 'float64', shape: ['N', 2] }] });
    const p = await s.predict(batchFromRows([{ x0: 1, x1: 2 }, { x0: 3, x1: 4 }], ['x0', 'x1'], contract));
    expect(p).toEqual({ values: Float64Array.from([21, 43]), width: 1 });
    await s.close();
  });

  it('matrix convention: wrong feature count and string features are precise errors (also when serving)', async () => {
    for (const syncRun of [false, true]) {
      await expect(openSession(matrixModel(), { provider: 'cpu', features: ['x0', 'x1', 'x2'], contract, task: 'regression', syncRun, ...quiet })).rejects.toThrow(/input 'features' takes 2 features per row but the contract has 3 \(x0, x1, x2\)/);
      await expect(openSession(matrixModel(), { provider: 'cpu', features: ['x0', 'city'], contract, task: 'regression', syncRun, ...quiet })).rejects.toThrow(/string feature\(s\) 'city' cannot go into the float matrix/);
    }
  });

  it('binary with an [N] output is P(class 1); multiclass picks `probabilities` over an earlier label output', async () => {
    const bin = await openSession(join(FIXTURES, 'matrix_vector.onnx'), { provider: 'cpu', features: ['x0', 'x1'], contract, task: 'binary-classification', ...quiet });
    expect(bin.signature.output).toBe('score');
    const p = await bin.predict(batchFromRows([{ x0: 1, x1: 1 }, { x0: 2, x1: 0 }], ['x0', 'x1'], contract));
    expect(p.width).toBe(1);
    expect(p.values[0]).toBeCloseTo(0.5, 7);
    expect(p.values[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    const multi = await openSession(join(FIXTURES, 'matrix_multiclass.onnx'), { provider: 'cpu', features: ['x0', 'x1', 'x2'], contract, task: 'multiclass-classification', ...quiet });
    expect(multi.signature.output).toBe('probabilities');
    const q = await multi.predict(batchFromRows([{ x0: 0, x1: 0, x2: 0 }, { x0: 5, x1: 0, x2: 0 }], ['x0', 'x1', 'x2'], contract));
    expect(q.width).toBe(3);
    expect(q.values.length).toBe(6);
    expect(q.values[0]).toBeCloseTo(1 / 3, 6);
    expect(q.values[3]).toBeGreaterThan(0.98);
    await expect(openSession(join(FIXTURES, 'matrix_multiclass.onnx'), { provider: 'cpu', features: ['x0', 'x1', 'x2'], contract, task: 'binary-classification', ...quiet })).rejects.toThrow(/output 'probabilities' has 3 columns; a binary classifier outputs \[N\], \[N, 1\] or \[N, 2\]/);
    await Promise.all([bin.close(), multi.close()]);
  });

  it("rejects skl2onnx's ZipMap output with the fix", async () => {
    await expect(openSession(join(FIXTURES, 'zipmap.onnx'), { provider: 'cpu', features: ['x0', 'x1'], contract, task: 'binary-classification', ...quiet })).rejects.toThrow(
      /no float tensor output \(outputs: 'label', 'output_probability'\)\. Output\(s\) 'output_probability' are sequences of maps \(skl2onnx's ZipMap\): convert with options=\{id\(model\): \{'zipmap': False\}\}/,
    );
  });

  it('per-column convention: int64, bool and string inputs fed from a batch', async () => {
    const s = await openSession(join(FIXTURES, 'columns_mixed.onnx'), { provider: 'cpu', features: ['a', 'b', 'c'], contract, task: 'regression', ...quiet });
    expect(s.signature.convention).toBe('columns');
    const p = await s.predict(batchFromRows([{ a: 2, b: true, c: 'x' }, { a: 5, b: false, c: 'y' }, { a: -1, b: false, c: null }], ['a', 'b', 'c'], contract));
    expect(Array.from(p.values)).toEqual([4, 5, -1]);
    await expect(s.predict(batchFromRows([{ a: 1, b: null, c: 'x' }], ['a', 'b', 'c'], contract))).rejects.toThrow(/row 0, column 'b': a value is required/);
    await s.close();
  });

  it('per-column convention: a value past a float32, int32 or int64 input\'s range is a precise error, never Infinity or a wrapped integer (also when serving)', async () => {
    // y = f + i + l (float32, int32, int64 inputs, each cast to double)
    const path = join(dir, 'narrow.onnx');
    const kinds = { f: DataType.FLOAT, i: DataType.INT32, l: DataType.INT64 };
    writeFileSync(path, writeOnnx({
      name: 'narrow',
      inputs: Object.entries(kinds).map(([name, type]) => ({ name, type, shape: ['N', 1] })),
      outputs: [{ name: 'y', type: DataType.DOUBLE, shape: ['N', 1] }],
      nodes: [...Object.keys(kinds).map((k) => ({ op: 'Cast', inputs: [k], outputs: [`${k}_d`], attrs: { to: DataType.DOUBLE } })), { op: 'Sum', inputs: ['f_d', 'i_d', 'l_d'], outputs: ['y'] }],
      initializers: [],
    }));
    const c: RowSchema = { properties: { f: { type: 'number' }, i: { type: 'integer' }, l: { type: 'integer' } } };
    const features = ['f', 'i', 'l'];
    for (const syncRun of [false, true]) {
      const s = await openSession(path, { provider: 'cpu', features, contract: c, task: 'regression', syncRun, ...quiet });
      const at = (row: Record<string, number>) => s.predict(batchFromRows([{ f: 0, i: 0, l: 0 }, { f: 0.5, i: 0, l: 0, ...row }], features, c));
      // the largest finite float32 and the ends of int32 still go through
      expect(Array.from((await at({ f: 3.4028234663852886e38 })).values)).toEqual([0, 3.4028234663852886e38]);
      expect(Array.from((await at({ i: 2147483647, l: -9223372036854775808 })).values)).toEqual([0, 0.5 + 2147483647 - 9223372036854775808]);
      expect(Array.from((await at({ i: -2147483648 })).values)).toEqual([0, 0.5 - 2147483648]);
      await expect(at({ f: 3.5e38 })).rejects.toThrow("row 1, column 'f': 3.5e+38 is out of range for the model's float32 input (finite values within ±3.4028235e38)");
      await expect(at({ f: -1e300 })).rejects.toThrow(/row 1, column 'f': -1e\+300 is out of range for the model's float32 input/);
      await expect(at({ i: 2147483648 })).rejects.toThrow("row 1, column 'i': 2147483648 is out of range for the model's int32 input (-2147483648 to 2147483647)");
      await expect(at({ i: -3e9 })).rejects.toThrow(/row 1, column 'i': -3000000000 is out of range for the model's int32 input/);
      await expect(at({ l: 1e19 })).rejects.toThrow("row 1, column 'l': 10000000000000000000 is out of range for the model's int64 input (-2^63 to 2^63 − 1)");
      await s.close();
    }
  });

  it('per-column convention: missing, extra and mistyped inputs are listed at once (also when serving)', async () => {
    const c2: RowSchema = { properties: { a: { type: 'string' }, b: { type: 'boolean' }, d: { type: 'number' } } };
    for (const syncRun of [false, true]) {
      await expect(openSession(join(FIXTURES, 'columns_mixed.onnx'), { provider: 'cpu', features: ['a', 'b', 'd'], contract: c2, task: 'regression', syncRun, ...quiet })).rejects.toThrow(
        /the model has no input for feature\(s\) 'd'\n {2}- the model has input\(s\) 'c' that are not features of the contract \(features: a, b, d\)\n {2}- input 'a' is int64 but the contract says string \(expected string\)/,
      );
    }
  });

  it('syncRun (serving): a native synchronous run with the same predictions as the public API, bit for bit', async () => {
    const cases: [string, string[], Parameters<typeof openSession>[1]['task'], Record<string, unknown>[]][] = [
      ['columns_mixed.onnx', ['a', 'b', 'c'], 'regression', [{ a: 2, b: true, c: 'x' }, { a: 5, b: false, c: 'y' }, { a: -1, b: false, c: null }]],
      ['matrix_vector.onnx', ['x0', 'x1'], 'binary-classification', Array.from({ length: 7 }, (_, i) => ({ x0: i / 3, x1: -i }))],
      ['matrix_multiclass.onnx', ['x0', 'x1', 'x2'], 'multiclass-classification', Array.from({ length: 5 }, (_, i) => ({ x0: i, x1: 1 / (i + 1), x2: -i / 7 }))],
    ];
    for (const [file, features, task, rows] of cases) {
      const path = join(FIXTURES, file);
      const pub = await openSession(path, { provider: 'cpu', features, contract, task, ...quiet });
      const sync = await openSession(path, { provider: 'cpu', features, contract, task, syncRun: true, ...quiet });
      // the installed onnxruntime-node has the binding (a version without it falls back: sync false)
      expect([pub.sync, sync.sync]).toEqual([false, true]);
      expect(sync.signature).toEqual(pub.signature);
      for (const n of [1, rows.length]) {
        const batch = batchFromRows(rows.slice(0, n), features, contract);
        const [a, b] = [await pub.predict(batch), await sync.predict(batch)];
        expect(b.width).toBe(a.width);
        expect(Buffer.from(b.values.buffer).equals(Buffer.from(a.values.buffer))).toBe(true);
      }
      await Promise.all([pub.close(), sync.close()]);
    }
    // a bad batch is still a precise error before any run
    const s = await openSession(join(FIXTURES, 'columns_mixed.onnx'), { provider: 'cpu', features: ['a', 'b', 'c'], contract, task: 'regression', syncRun: true, ...quiet });
    await expect(s.predict(batchFromRows([{ a: 1, b: null, c: 'x' }], ['a', 'b', 'c'], contract))).rejects.toThrow(/row 0, column 'b': a value is required/);
    await expect(s.predict({ rows: 2, columns: { a: Float64Array.of(1, 2), b: Float64Array.of(1, 0), c: ['x'] } })).rejects.toThrow(/column 'c' has 1 values for 2 rows/);
    await s.close();
  });

  it('unloadable files are input errors; provider choice honours SLIPWAY_EXECUTION_PROVIDER', async () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'not a model');
    for (const syncRun of [false, true]) await expect(openSession(bad, { provider: 'cpu', features: ['x0'], contract, task: 'regression', syncRun })).rejects.toThrow(/bad\.onnx: onnxruntime could not load the model/);
    // a path that exists but cannot be read as a file: the same input error, not the file system's own
    for (const syncRun of [false, true]) await expect(openSession(dir, { provider: 'cpu', features: ['x0'], contract, task: 'regression', syncRun, ...quiet })).rejects.toThrow(/onnxruntime could not load the model/);
    // bytes that read as a model with a graph but that ONNX Runtime refuses (an Add of inputs that do not exist): its error, when serving too
    const broken = join(dir, 'broken.onnx');
    writeFileSync(broken, writeOnnx({ name: 'b', inputs: [{ name: 'x0', type: DataType.DOUBLE, shape: ['N', 1] }], outputs: [{ name: 'y', type: DataType.DOUBLE, shape: ['N', 1] }], nodes: [{ op: 'Add', inputs: ['x0', 'nowhere'], outputs: ['y'] }], initializers: [] }));
    for (const syncRun of [false, true]) await expect(openSession(broken, { provider: 'cpu', features: ['x0'], contract, task: 'regression', syncRun, ...quiet })).rejects.toThrow(/broken\.onnx: onnxruntime could not load the model: .*nowhere/);
    await expect(openSession(join(dir, 'none.onnx'), { features: ['x0'], contract, task: 'regression' })).rejects.toThrow(/model file not found/);
    expect(providerChoice('auto', { SLIPWAY_EXECUTION_PROVIDER: 'cpu' })).toBe('cpu');
    expect(providerChoice(undefined, {})).toBe('auto');
    expect(providerChoice('cuda', { SLIPWAY_EXECUTION_PROVIDER: 'cpu' })).toBe('cuda');
    expect(() => providerChoice(undefined, { SLIPWAY_EXECUTION_PROVIDER: 'tpu' })).toThrow(/auto, cpu or cuda, got 'tpu'/);
  });

  // on a CUDA machine (onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12) there is nothing to refuse
  it.skipIf(cudaLibraryDir() !== null)("'cuda' without CUDA is a clear error, not a silent CPU session (also when serving)", async () => {
    for (const syncRun of [false, true]) {
      const e = await openSession(matrixModel(), { provider: 'cuda', features: ['x0', 'x1'], contract, task: 'regression', syncRun, ...quiet }).then(() => null, (err: Error) => err);
      expect(e?.message).toMatch(/matrix\.onnx: CUDA was required \(SLIPWAY_EXECUTION_PROVIDER=cuda or provider 'cuda'\) but .+\. Install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with CUDA 12 \(docs\/train\.md\)\.$/);
      expect(e!.message.match(/ONNXRUNTIME_NODE_INSTALL=cuda12/g)).toHaveLength(1); // the advice once
    }
  });

  it("'auto' falls back to CPU with a notice when CUDA is unavailable", async () => {
    const notes: string[] = [];
    const s = await openSession(matrixModel(), { provider: 'auto', features: ['x0', 'x1'], contract, task: 'regression', notice: (m) => notes.push(m) });
    // on a CUDA machine (onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12) this is 'cuda'
    if (s.provider === 'cpu') expect(notes.join('')).toMatch(/notice: using the CPU execution provider \(/);
    else expect(s.provider).toBe('cuda');
    await s.close();
  });

  // after the notice test: 'auto' gives the CPU notice, once per process
  it('serving on the CPU loads the model once, natively: the public API is not called (provider cpu, and auto without CUDA)', async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    try {
      const providers = cudaLibraryDir() === null ? (['cpu', 'auto'] as const) : (['cpu'] as const);
      for (const provider of providers) {
        for (const [file, features, task] of [['columns_mixed.onnx', ['a', 'b', 'c'], 'regression'], ['matrix_multiclass.onnx', ['x0', 'x1', 'x2'], 'multiclass-classification']] as const) {
          const s = await openSession(join(FIXTURES, file), { provider, features: [...features], contract, task, syncRun: true, ...quiet });
          expect(s.sync).toBe(true);
          await s.close();
        }
      }
      expect(create).not.toHaveBeenCalled();
      // the spy does see the public API's loads
      const pub = await openSession(matrixModel(), { provider: 'cpu', features: ['x0', 'x1'], contract, task: 'regression', ...quiet });
      expect(create).toHaveBeenCalledTimes(1);
      await pub.close();
    } finally {
      create.mockRestore();
    }
  });
});
