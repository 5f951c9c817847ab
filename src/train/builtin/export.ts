import { DataType, doubleTensor, int64Tensor, stringTensor, writeOnnx, type Node, type Tensor, type ValueInfo } from '../../model/onnx-writer.js';
import { UsageError } from '../../errors.js';
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
 * training mean and centred (the standardisation's scale is folded into the coefficients);
 * string inputs (string [N, 1]) are concatenated and one-hot encoded with one Equal against a
 * [columns, categories] table (padded with weight-0 entries; unknown or empty → all zeros), or with
 * an Equal per column where padding would more than double the table. Then one Gemm: for the logistic
 * model into the logits [−z, z] and Sigmoid, so `probabilities` = [σ(−z), σ(z)] = [1 − p, p] of shape
 * [N, 2]; the linear model outputs `predictions` [N, 1].
 *
 * Few nodes on purpose: ONNX Runtime pays per node on every run, and a served model runs a few rows at
 * a time. The credit-risk model: 12 nodes in the file against 17 for the straightforward graph, and as
 * serving runs it (its packed inputs replacing the two Concats) 10 against 17; ≈ 15–20 % less time per
 * run (scripts/bench/ort-cache.ts).
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
  refuseOutputName(e.name, e.kind, e.features);
  const t = internalNames(e.features);
  const parts: string[] = [];
  /** the design matrix's coefficients, in the order of its columns */
  const weights: number[] = [];
  let w = 0;
  if (numeric.length) {
    const raw = concat(nodes, numeric.map((s) => s.name), t('numeric_raw'));
    init.push(doubleTensor(t('numeric_mean'), [numeric.length], numeric.map((s) => s.mean)));
    nodes.push(
      { op: 'IsNaN', inputs: [raw], outputs: [t('numeric_missing')] },
      { op: 'Where', inputs: [t('numeric_missing'), t('numeric_mean'), raw], outputs: [t('numeric_imputed')] },
      { op: 'Sub', inputs: [t('numeric_imputed'), t('numeric_mean')], outputs: [t('numeric_centred')] },
    );
    // ((x − mean) / scale) · w = (x − mean) · (w / scale)
    for (const s of numeric) weights.push(e.fit.weights[w++] / s.scale);
    parts.push(t('numeric_centred'));
  }
  /** a string column's indicators against its own category list: the [N, categories] tensor's name */
  const oneHot = (column: string, categories: string[]): string => {
    const [cats, is, out] = [t(`${column}__categories`), t(`${column}__is`), t(`${column}__onehot`)];
    init.push(stringTensor(cats, [categories.length], categories));
    nodes.push({ op: 'Equal', inputs: [column, cats], outputs: [is] }, { op: 'Cast', inputs: [is], outputs: [out], attrs: { to: DataType.DOUBLE } });
    return out;
  };
  const K = Math.max(0, ...categorical.map((c) => c.categories.length));
  const indicators = categorical.reduce((n, c) => n + c.categories.length, 0);
  if (K > 0 && categorical.length * K <= 2 * indicators) {
    // one table for every string column, padded to the longest category list: at most twice the indicators
    const raw = concat(nodes, categorical.map((c) => c.name), t('strings_raw'));
    const table: string[] = [];
    for (const c of categorical) {
      for (let k = 0; k < K; k++) {
        // a padding entry may match (an empty string), but its coefficient is 0
        table.push(c.categories[k] ?? '');
        weights.push(k < c.categories.length ? e.fit.weights[w++] : 0);
      }
    }
    init.push(stringTensor(t('categories'), [categorical.length, K], table), int64Tensor(t('last_axis'), [1], [2]), int64Tensor(t('onehot_shape'), [2], [0, categorical.length * K]));
    nodes.push(
      { op: 'Unsqueeze', inputs: [raw, t('last_axis')], outputs: [t('strings_column')] },
      { op: 'Equal', inputs: [t('strings_column'), t('categories')], outputs: [t('strings_is')] },
      { op: 'Cast', inputs: [t('strings_is')], outputs: [t('strings_indicators')], attrs: { to: DataType.DOUBLE } },
      { op: 'Reshape', inputs: [t('strings_indicators'), t('onehot_shape')], outputs: [t('onehot')] },
    );
    parts.push(t('onehot'));
  } else if (K > 0) {
    // category lists of very different lengths (padding would more than double the table): an Equal per column
    for (const c of categorical) {
      if (!c.categories.length) continue;
      parts.push(oneHot(c.name, c.categories));
      for (let k = 0; k < c.categories.length; k++) weights.push(e.fit.weights[w++]);
    }
  } else if (!parts.length && categorical.length) {
    // no design columns at all (string columns without categories): an [N, 0] design from the first column
    parts.push(oneHot(categorical[0].name, []));
  }
  if (w !== e.fit.weights.length) throw new Error(`internal: ${e.fit.weights.length} coefficients for ${w} design columns`);
  const design = concat(nodes, parts, t('design'));
  const D = weights.length;
  const b = e.fit.intercept;
  const outputs: ValueInfo[] = [];
  if (e.kind === 'logistic') {
    init.push(doubleTensor(t('coefficients'), [D, 2], weights.flatMap((x) => [-x, x])), doubleTensor(t('intercept'), [2], [-b, b]));
    nodes.push(...affine(t, design, D, t('logits')), { op: 'Sigmoid', inputs: [t('logits')], outputs: [outputName('logistic')] });
    outputs.push({ name: outputName('logistic'), type: DataType.DOUBLE, shape: ['N', 2] });
  } else {
    init.push(doubleTensor(t('coefficients'), [D, 1], weights), doubleTensor(t('intercept'), [1], [b]));
    nodes.push(...affine(t, design, D, outputName('linear')));
    outputs.push({ name: outputName('linear'), type: DataType.DOUBLE, shape: ['N', 1] });
  }
  return writeOnnx({ name: e.name, inputs, outputs, nodes, initializers: init, metadata: e.metadata, producerVersion: e.producerVersion, doc: `slipway builtin ${e.kind === 'logistic' ? 'logistic-regression' : 'linear-regression'}` });
}

/** design · coefficients + intercept as one Gemm; without design columns (Gemm's shape inference refuses [N, 0]) as MatMul and Add */
function affine(t: (name: string) => string, design: string, columns: number, output: string): Node[] {
  if (columns > 0) return [{ op: 'Gemm', inputs: [design, t('coefficients'), t('intercept')], outputs: [output] }];
  return [
    { op: 'MatMul', inputs: [design, t('coefficients')], outputs: [t('linear')] },
    { op: 'Add', inputs: [t('linear'), t('intercept')], outputs: [output] },
  ];
}

const outputName = (kind: LinearExport['kind']) => (kind === 'logistic' ? 'probabilities' : 'predictions');

/** Throws a UsageError when a feature has the name of the model's output (the graph could not have both). */
export function refuseOutputName(model: string, kind: LinearExport['kind'], features: string[]): void {
  const output = outputName(kind);
  if (features.includes(output)) throw new UsageError(`model '${model}': feature '${output}' has the name of the built-in model's output; rename that column (model.yaml features)`);
}

/** The graph's own tensor names, each made unique against the features (the graph's inputs): `design` stays `design` unless a feature has that name. */
function internalNames(features: string[]): (name: string) => string {
  const taken = new Set(features);
  const names = new Map<string, string>();
  return (name) => {
    let unique = names.get(name);
    if (unique === undefined) {
      unique = name;
      for (let i = 2; taken.has(unique); i++) unique = `${name}_${i}`;
      taken.add(unique);
      names.set(name, unique);
    }
    return unique;
  };
}

/** `names` side by side on axis 1 (a Concat node, none for one name): the tensor's name */
function concat(nodes: Node[], names: string[], output: string): string {
  if (names.length === 1) return names[0];
  nodes.push({ op: 'Concat', inputs: names, outputs: [output], attrs: { axis: 1 } });
  return output;
}
