import protobuf from 'protobufjs';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { graphInputs } from '../../src/model/onnx-inputs.js';
import { DataType, doubleTensor, writeOnnx } from '../../src/model/onnx-writer.js';
import { openSession } from '../../src/model/session.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES } from '../train/fixtures.js';

/** onnx.proto's fields these cases need (numbers from onnx/onnx.proto), beyond what our writer writes: sequences, sparse initializers, empty dimensions */
const root = protobuf.parse(`
syntax = "proto3";
package t;
message Dim { oneof value { int64 dim_value = 1; string dim_param = 2; } }
message Shape { repeated Dim dim = 1; }
message TensorType { int32 elem_type = 1; Shape shape = 2; }
message SequenceType { Type elem_type = 1; }
message Type { oneof value { TensorType tensor_type = 1; SequenceType sequence_type = 4; } }
message ValueInfo { string name = 1; Type type = 2; }
message Tensor { repeated int64 dims = 1; int32 data_type = 2; string name = 8; repeated double double_data = 10; repeated int64 int64_data = 7; }
message SparseTensor { Tensor values = 1; Tensor indices = 2; repeated int64 dims = 3; }
message Attribute { string name = 1; int64 i = 3; int32 type = 20; }
message Node { repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4; repeated Attribute attribute = 5; }
message Opset { string domain = 1; int64 version = 2; }
message Graph { repeated Node node = 1; string name = 2; repeated Tensor initializer = 5; repeated ValueInfo input = 11; repeated ValueInfo output = 12; repeated SparseTensor sparse_initializer = 15; }
message Model { int64 ir_version = 1; repeated Opset opset_import = 8; Graph graph = 7; }
`, { keepCase: true }).root;
const Model = root.lookupType('t.Model');
const { dir } = tempDir('slipway-onnx-inputs-');

const tensor = (name: string, dims: object[], elem: number = DataType.DOUBLE) => ({ name, type: { tensor_type: { elem_type: elem, shape: { dim: dims } } } });
const N = { dim_param: 'N' };
const one = { dim_value: 1 };
const model = (graph: object, ir = 8, opset = 13) => Model.encode(Model.fromObject({ ir_version: ir, opset_import: [{ domain: '', version: opset }], graph: { name: 'g', ...graph } })).finish();
const add = { node: [{ input: ['a', 'w'], output: ['y'], op_type: 'Add', name: 'add' }], output: [tensor('y', [N, one])] };
const w = { name: 'w', dims: [1], data_type: DataType.DOUBLE, double_data: [1] };

/** ONNX Runtime's own inputMetadata for the model in `bytes` */
async function ortInputs(bytes: Uint8Array) {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const meta = s.inputMetadata;
  await s.release();
  return meta;
}

describe('graphInputs (a model\'s inputs from its bytes)', () => {
  it("reads what ONNX Runtime reports: every model the tests ship (skl2onnx's and our writer's)", async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx')).map((f) => join(FIXTURES, f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const written = writeOnnx({
      name: 'm',
      inputs: [{ name: 'x0', type: DataType.DOUBLE, shape: ['N', 1] }, { name: 'x1', type: DataType.FLOAT, shape: ['batch', 1] }, { name: 'c', type: DataType.STRING, shape: [4, 1] }],
      outputs: [{ name: 'y', type: DataType.DOUBLE, shape: ['N', 1] }],
      nodes: [{ op: 'Add', inputs: ['x0', 'w'], outputs: ['y'] }],
      initializers: [doubleTensor('w', [1], [2])],
    });
    for (const bytes of [...files.map((f) => readFileSync(f)), written]) expect(graphInputs(bytes)).toEqual(await ortInputs(bytes));
  });

  it('dimensions with neither a value nor a name, and no declared shape', async () => {
    const cases = [
      model({ ...add, initializer: [w], input: [tensor('a', [{}, one])] }),
      model({ ...add, initializer: [w], input: [{ name: 'a', type: { tensor_type: { elem_type: DataType.DOUBLE } } }] }),
    ];
    expect(graphInputs(cases[0])).toEqual([{ name: 'a', isTensor: true, type: 'float64', shape: ['', 1] }]);
    expect(graphInputs(cases[1])).toEqual([{ name: 'a', isTensor: true, type: 'float64', shape: [] }]);
    for (const bytes of cases) expect(graphInputs(bytes)).toEqual(await ortInputs(bytes));
  });

  it('an initializer listed among the inputs (IR version 3 and 8) or sparse is a weight, not an input', async () => {
    const listed = { ...add, initializer: [w], input: [tensor('a', [N, one]), tensor('w', [one])] };
    const sparse = { ...add, sparse_initializer: [{ values: { name: 'w', dims: [1], data_type: DataType.DOUBLE, double_data: [1] }, indices: { name: 'wi', dims: [1], data_type: DataType.INT64, int64_data: [0] }, dims: [1] }], input: [tensor('a', [N, one]), tensor('w', [one])] };
    for (const bytes of [model(listed, 3, 8), model(listed, 8), model(sparse, 8)]) {
      expect(graphInputs(bytes)).toEqual([{ name: 'a', isTensor: true, type: 'float64', shape: ['N', 1] }]);
      expect(graphInputs(bytes)).toEqual(await ortInputs(bytes));
    }
  });

  it('a sequence input is not a tensor', async () => {
    const bytes = model({
      node: [{ input: ['s'], output: ['n'], op_type: 'SequenceLength', name: 'len' }],
      input: [{ name: 's', type: { sequence_type: { elem_type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [N] } } } } } }],
      output: [tensor('n', [], DataType.INT64)],
    }, 8, 13);
    expect(graphInputs(bytes)).toEqual([{ name: 's', isTensor: false }]);
    expect(graphInputs(bytes)).toEqual(await ortInputs(bytes));
  });

  it('an element type the public API does not name (bfloat16) throws, and serving shows the public API\'s own error', async () => {
    const bytes = model({ node: [{ input: ['x'], output: ['y'], op_type: 'Cast', name: 'cast', attribute: [{ name: 'to', i: DataType.DOUBLE, type: 2 }] }], input: [tensor('x', [N, one], 16)], output: [tensor('y', [N, one])] });
    expect(() => graphInputs(bytes)).toThrow(/unsupported element type 16/);
    await expect(ortInputs(bytes)).rejects.toThrow(/Unsupported data type: 16/);
    const path = join(dir, 'bfloat16.onnx');
    writeFileSync(path, bytes);
    const options = { provider: 'cpu' as const, features: ['x'], contract: { properties: { x: { type: 'number' } } }, task: 'regression' as const, notice: () => {} };
    for (const syncRun of [false, true]) await expect(openSession(path, { ...options, syncRun })).rejects.toThrow(/bfloat16\.onnx: onnxruntime could not load the model: Unsupported data type: 16/);
  });

  it('bytes that are not a model with one graph throw (the caller then leaves the error to ONNX Runtime)', () => {
    expect(() => graphInputs(Buffer.from('not a model'))).toThrow();
    expect(() => graphInputs(Model.encode(Model.fromObject({ ir_version: 8 })).finish())).toThrow(/expected one graph, found 0/);
  });
});
