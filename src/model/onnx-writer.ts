import protobuf from 'protobufjs';

/**
 * The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto3, IR version 9) that the built-in
 * trainers need to write a model: field numbers are ONNX's, so any ONNX reader parses the bytes.
 */
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1; float f = 2; int64 i = 3; bytes s = 4; TensorProto t = 5;
  repeated float floats = 7; repeated int64 ints = 8; repeated bytes strings = 9; int32 type = 20;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4;
  repeated AttributeProto attribute = 5; string doc_string = 6; string domain = 7;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message ModelProto {
  int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; string producer_name = 2;
  string producer_version = 3; string domain = 4; int64 model_version = 5; string doc_string = 6;
  GraphProto graph = 7; repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; string doc_string = 10;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
}
message TensorProto {
  repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4; repeated int32 int32_data = 5;
  repeated bytes string_data = 6; repeated int64 int64_data = 7; string name = 8; bytes raw_data = 9;
  repeated double double_data = 10;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
`;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');
const GraphProto = root.lookupType('onnx.GraphProto');

/** TensorProto.DataType */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11 } as const;
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type ElemType = (typeof DataType)[keyof typeof DataType];

export interface Tensor {
  name: string;
  dims: number[];
  data_type: ElemType;
  double_data?: number[];
  float_data?: number[];
  int64_data?: number[];
  string_data?: Uint8Array[];
  /** the values as little-endian bytes (a large weight written in one piece) */
  raw_data?: Uint8Array;
}

export type AttrValue = number | string | number[] | string[] | Tensor | { ints: number[] } | { floats: number[] };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ValueInfo {
  name: string;
  type: ElemType;
  /** numbers for fixed dimensions, strings for symbolic ones */
  shape: (number | string)[];
}

export interface GraphSpec {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers: Tensor[];
  doc?: string;
  metadata?: Record<string, string>;
  opset?: number;
  producerVersion?: string;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export function doubleTensor(name: string, dims: number[], values: ArrayLike<number>): Tensor {
  return { name, dims, data_type: DataType.DOUBLE, double_data: Array.from(values) };
}
export function int64Tensor(name: string, dims: number[], values: number[]): Tensor {
  return { name, dims, data_type: DataType.INT64, int64_data: values };
}
export function stringTensor(name: string, dims: number[], values: string[]): Tensor {
  return { name, dims, data_type: DataType.STRING, string_data: values.map(utf8) };
}

function attribute(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, i: v, type: AttrType.INT } : { name, f: v, type: AttrType.FLOAT };
  if (typeof v === 'string') return { name, s: utf8(v), type: AttrType.STRING };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, strings: (v as string[]).map(utf8), type: AttrType.STRINGS };
    return { name, ints: v, type: AttrType.INTS };
  }
  if ('ints' in v) return { name, ints: v.ints, type: AttrType.INTS };
  if ('floats' in v) return { name, floats: v.floats, type: AttrType.FLOATS };
  return { name, t: v, type: AttrType.TENSOR };
}

function valueInfo(v: ValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: { tensor_type: { elem_type: v.type, shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

function nodeProto(n: Node, i: number): Record<string, unknown> {
  return {
    input: n.inputs,
    output: n.outputs,
    name: n.name ?? `${n.op}_${i}`,
    op_type: n.op,
    domain: n.domain ?? '',
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
  };
}

/**
 * GraphProto fields as bytes (nodes, then inputs): appended to or spliced into another graph's bytes, they
 * add those nodes and inputs, as protobuf merges repeated fields (onnx-pack.ts).
 */
export function graphFields(part: { nodes?: Node[]; inputs?: ValueInfo[] }): Uint8Array {
  return GraphProto.encode(GraphProto.fromObject({ node: (part.nodes ?? []).map(nodeProto), input: (part.inputs ?? []).map(valueInfo) })).finish();
}

/** Serialises a graph to ONNX bytes. Deterministic: the same spec gives the same bytes. */
export function writeOnnx(g: GraphSpec): Uint8Array {
  const model = {
    ir_version: 9,
    opset_import: [
      { domain: '', version: g.opset ?? 19 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    producer_name: 'slipway',
    producer_version: g.producerVersion ?? '0',
    doc_string: g.doc ?? '',
    graph: {
      name: g.name,
      node: g.nodes.map(nodeProto),
      initializer: g.initializers,
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
    metadata_props: Object.entries(g.metadata ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`internal error: invalid ONNX model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Parses ONNX bytes back (tests and inspection). */
export function readOnnx(bytes: Uint8Array): Record<string, unknown> {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: String, defaults: false }) as Record<string, unknown>;
}
