/**
 * A model's inputs read from its ONNX bytes, in the form ONNX Runtime's `InferenceSession.inputMetadata`
 * gives them, without loading the model. Serving uses it to derive the signature and pack the inputs
 * (onnx-pack.ts) before its one load of the model (session.ts), instead of loading it once more with the
 * public API only to read them. The outputs are not read here: ONNX Runtime reports their shapes after its
 * own shape inference (a declared [N, ?] can come back as [N, 2]), so they come from the loaded session.
 *
 * ONNX Runtime's inputs are the graph's inputs that are not initializers (an initializer listed among the
 * inputs, as models of IR version < 4 do, is a weight with a default, not an input), each with its element
 * type and its declared shape: a number per known dimension, the name of a symbolic one, '' for one with
 * neither, and [] when no shape is declared. Field numbers are onnx/onnx.proto's.
 */
import type * as ort from 'onnxruntime-node';
import { fields, sub, text, type Field } from './onnx-fields.js';

/**
 * TensorProto.DataType → the name onnxruntime-node's public API gives it: exactly the types its backend
 * (dist/backend.js) names. It refuses a model with any other type in its inputs or outputs ("Unsupported
 * data type"), so these readers refuse them too and leave the model to the public API and its error.
 */
const ELEM_TYPES: Record<number, ort.Tensor.Type> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16',
  11: 'float64', 12: 'uint32', 13: 'uint64', 21: 'uint4', 22: 'int4',
};

/** The name of an ONNX element type as onnxruntime-node's public API spells it; throws for one it does not support. */
export function elemTypeName(elemType: number): ort.Tensor.Type {
  const name = ELEM_TYPES[elemType];
  if (!name) throw new Error(`unsupported element type ${elemType}`);
  return name;
}

/** A singular field: the last occurrence wins, as protobuf parsers merge repeated ones. */
const one = (fs: Field[], no: number) => fs.findLast((f) => f.no === no);

/** ValueInfoProto { name = 1; type = 2 } → metadata; TypeProto.tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 { dim_value = 1 | dim_param = 2 } } } */
function valueMetadata(model: Uint8Array, info: Field): ort.InferenceSession.ValueMetadata {
  const fs = sub(model, info);
  const nameField = one(fs, 1);
  if (!nameField) throw new Error('a graph input has no name');
  const name = text(model, nameField);
  const typeField = one(fs, 2);
  const tensor = typeField ? one(sub(model, typeField), 1) : undefined;
  if (!tensor) return { name, isTensor: false };
  const tf = sub(model, tensor);
  const elem = one(tf, 1)?.varint ?? 0;
  const shapeField = one(tf, 2);
  const shape = shapeField
    ? sub(model, shapeField).filter((d) => d.no === 1).map((d) => {
        // oneof { dim_value = 1; dim_param = 2 }: the one set last, '' for neither
        const v = sub(model, d).findLast((f) => f.no === 1 || f.no === 2);
        return !v ? '' : v.no === 1 ? v.varint! : text(model, v);
      })
    : [];
  return { name, isTensor: true, type: elemTypeName(elem), shape };
}

/**
 * The inputs of the model in `model` (ONNX bytes) as ONNX Runtime lists them. Throws a plain Error when the
 * bytes are not a model with one graph, or an input has an element type the public API does not support:
 * the caller then leaves the model to ONNX Runtime, whose error is the one to show.
 */
export function graphInputs(model: Uint8Array): ort.InferenceSession.ValueMetadata[] {
  const graphs = fields(model).filter((f) => f.no === 7);
  if (graphs.length !== 1) throw new Error(`expected one graph, found ${graphs.length}`);
  const gf = sub(model, graphs[0]);
  const weights = new Set<string>();
  for (const f of gf) {
    // initializer = 5 (TensorProto, name = 8); sparse_initializer = 15 (SparseTensorProto, values = 1 → its name)
    const tensor = f.no === 5 ? f : f.no === 15 ? one(sub(model, f), 1) : undefined;
    const name = tensor ? one(sub(model, tensor), 8) : undefined;
    if (name) weights.add(text(model, name));
  }
  return gf.filter((f) => f.no === 11).map((f) => valueMetadata(model, f)).filter((m) => !weights.has(m.name));
}
