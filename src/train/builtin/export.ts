import { DataType, doubleTensor, stringTensor, writeOnnx, type Node, type Tensor, type ValueInfo } from '../../model/onnx-writer.js';
import type { Preprocessing } from './design.js';
import type { LinearFit } from './solvers.js';

export interface LinearExport {
  name: string;
  kind: 'logistic' | 'linear';
  /** feature columns in contract order: the graph's inputs, one [N, 1] tensor each (per-column convention) */
  features: string[];
  preprocessing: Preprocessing;
  fit: LinearFit;
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/**
 * The ONNX graph of a fitted linear model with its preprocessing inside, so serving feeds raw
 * columns: numeric inputs (double [N, 1]) are concatenated, missing values imputed with the
 * training mean, standardised; string inputs (string [N, 1]) are one-hot encoded with Equal
 * against the category list (unknown or empty → all zeros). Then MatMul + Add, and for the
 * logistic model Sigmoid and `probabilities` = [1 − p, p] of shape [N, 2]; the linear model
 * outputs `predictions` [N, 1].
 */
export function exportLinear(e: LinearExport): Uint8Array {
  const { numeric, categorical } = e.preprocessing;
  const nodes: Node[] = [];
  const init: Tensor[] = [];
  const inputs: ValueInfo[] = e.features.map((f) => ({
    name: f,
    type: categorical.some((c) => c.name === f) ? DataType.STRING : DataType.DOUBLE,
    shape: ['N', 1],
  }));
  const parts: string[] = [];
  if (numeric.length) {
    const P = numeric.length;
    const raw = P === 1 ? numeric[0].name : 'numeric_raw';
    if (P > 1) nodes.push({ op: 'Concat', inputs: numeric.map((s) => s.name), outputs: [raw], attrs: { axis: 1 } });
    init.push(doubleTensor('numeric_mean', [P], numeric.map((s) => s.mean)), doubleTensor('numeric_scale', [P], numeric.map((s) => s.scale)));
    nodes.push(
      { op: 'IsNaN', inputs: [raw], outputs: ['numeric_missing'] },
      { op: 'Where', inputs: ['numeric_missing', 'numeric_mean', raw], outputs: ['numeric_imputed'] },
      { op: 'Sub', inputs: ['numeric_imputed', 'numeric_mean'], outputs: ['numeric_centred'] },
      { op: 'Div', inputs: ['numeric_centred', 'numeric_scale'], outputs: ['numeric_scaled'] },
    );
    parts.push('numeric_scaled');
  }
  for (const c of categorical) {
    const cats = `${c.name}__categories`;
    init.push(stringTensor(cats, [c.categories.length], c.categories));
    nodes.push(
      { op: 'Equal', inputs: [c.name, cats], outputs: [`${c.name}__is`] },
      { op: 'Cast', inputs: [`${c.name}__is`], outputs: [`${c.name}__onehot`], attrs: { to: DataType.DOUBLE } },
    );
    parts.push(`${c.name}__onehot`);
  }
  const D = e.fit.weights.length;
  init.push(doubleTensor('coefficients', [D, 1], e.fit.weights), doubleTensor('intercept', [1], [e.fit.intercept]));
  if (parts.length > 1) nodes.push({ op: 'Concat', inputs: parts, outputs: ['design'], attrs: { axis: 1 } });
  const design = parts.length > 1 ? 'design' : parts[0];
  nodes.push({ op: 'MatMul', inputs: [design, 'coefficients'], outputs: ['linear'] });
  const outputs: ValueInfo[] = [];
  if (e.kind === 'logistic') {
    init.push(doubleTensor('one', [1], [1]));
    nodes.push(
      { op: 'Add', inputs: ['linear', 'intercept'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['p1'] },
      { op: 'Sub', inputs: ['one', 'p1'], outputs: ['p0'] },
      { op: 'Concat', inputs: ['p0', 'p1'], outputs: ['probabilities'], attrs: { axis: 1 } },
    );
    outputs.push({ name: 'probabilities', type: DataType.DOUBLE, shape: ['N', 2] });
  } else {
    nodes.push({ op: 'Add', inputs: ['linear', 'intercept'], outputs: ['predictions'] });
    outputs.push({ name: 'predictions', type: DataType.DOUBLE, shape: ['N', 1] });
  }
  return writeOnnx({ name: e.name, inputs, outputs, nodes, initializers: init, metadata: e.metadata, producerVersion: e.producerVersion, doc: `slipway builtin ${e.kind === 'logistic' ? 'logistic-regression' : 'linear-regression'}` });
}
