import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../../errors.js';
import { readFeatureTable } from '../../model/features.js';
import type { LoadedModel } from '../../spec/types.js';
import { assertDesignFits, designColumns, designMatrix, fitPreprocessing } from './design.js';
import { exportLinear, refuseOutputName } from './export.js';
import { fitLogistic, fitRidge, type LinearFit } from './solvers.js';
import { readTarget } from './target.js';

export type BuiltinName = 'logistic-regression' | 'linear-regression';

export interface BuiltinResult {
  /** the ONNX bytes */
  onnx: Uint8Array;
  /** the parameters used, defaults filled in */
  params: Record<string, unknown>;
  fit: LinearFit;
  design: string[];
  rows: number;
  /** training metrics (objective, iterations) */
  metrics: Record<string, number>;
}

function numberParam(params: Record<string, unknown>, name: string, def: number, check: (v: number) => boolean, expect: string): number {
  const v = params[name];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !check(v)) throw new UsageError(`train.params.${name}: expected ${expect}, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Fits a built-in model on the training relation and returns its ONNX bytes. Deterministic: the
 * same data and parameters give the same bytes (the seed is recorded but these solvers are exact).
 */
export async function trainBuiltin(
  name: BuiltinName,
  conn: DuckDBConnection,
  fromSql: string,
  model: LoadedModel,
  params: Record<string, unknown>,
  producerVersion = '0',
  /** the training data as messages name it */
  source = 'the training data',
  /** progress lines (the design's size, Newton steps at most every 5 s) */
  log?: (line: string) => void,
): Promise<BuiltinResult> {
  const known = new Set(['l2', 'max_iter']);
  const unknown = Object.keys(params).filter((k) => !known.has(k));
  if (unknown.length) throw new UsageError(`train.params: unknown parameter(s) ${unknown.join(', ')} for builtin ${name} (known: l2, max_iter)`);
  const task = model.spec.task;
  if (name === 'logistic-regression' && task !== 'binary-classification') throw new UsageError(`builtin logistic-regression trains binary classifiers; model '${model.spec.name}' is ${task}`);
  if (name === 'linear-regression' && task !== 'regression') throw new UsageError(`builtin linear-regression trains regression models; model '${model.spec.name}' is ${task}`);
  const kind = name === 'logistic-regression' ? 'logistic' : 'linear';
  // before the data is read and fitted
  refuseOutputName(model.spec.name, kind, model.features);
  const l2 = numberParam(params, 'l2', 1, (v) => v > 0 && Number.isFinite(v), 'a number > 0');
  const maxIter = numberParam(params, 'max_iter', 100, (v) => Number.isInteger(v) && v >= 1, 'a whole number >= 1');

  const batch = await readFeatureTable(conn, fromSql, model.features, model.schema);
  const y = await readTarget(conn, fromSql, model, { source });
  const pre = fitPreprocessing(batch, model.features, model.schema, source);
  assertDesignFits(batch.rows, pre, source);
  const { X, D } = designMatrix(batch, pre);
  log?.(`design: ${batch.rows} rows × ${D} columns (${pre.numeric.length} numeric, ${D - pre.numeric.length} category indicators)`);
  const started = Date.now();
  let said = started;
  const onStep = (step: number, objective: number) => {
    const now = Date.now();
    if (now - said < 5000) return;
    said = now;
    log?.(`Newton step ${step} of at most ${maxIter}: objective ${objective.toPrecision(8)} (${((now - started) / 1000).toFixed(1)} s)`);
  };
  const fit = name === 'logistic-regression' ? fitLogistic(X, y, batch.rows, D, l2, maxIter, undefined, onStep) : fitRidge(X, y, batch.rows, D, l2);
  const onnx = exportLinear({
    name: model.spec.name,
    kind,
    features: model.features,
    preprocessing: pre,
    fit,
    producerVersion,
    metadata: { 'slipway.builtin': name, 'slipway.l2': String(l2) },
  });
  return {
    onnx,
    params: name === 'logistic-regression' ? { l2, max_iter: maxIter } : { l2 },
    fit,
    design: designColumns(pre),
    rows: batch.rows,
    metrics: { train_objective: fit.objective, iterations: fit.iterations, converged: fit.converged ? 1 : 0 },
  };
}
