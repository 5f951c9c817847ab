import type { DuckDBConnection } from '@duckdb/node-api';
import { ConfigError, InputError } from '../../errors.js';
import { columnKind, readFeatureTable } from '../../model/features.js';
import type { LoadedModel } from '../../spec/types.js';

export interface TargetOptions {
  /** the data as messages name it (a path relative to the repository); default 'the training data' */
  source?: string;
  /** for fitting: no rows, or a binary target in one class only, is an error (default true) */
  forFitting?: boolean;
}

/**
 * The target column as numbers: 0/1 for binary classification (1 = `data.positive_label`, default
 * 1 / true), the value for regression. A missing target is an input error naming how many rows.
 */
export async function readTarget(conn: DuckDBConnection, fromSql: string, model: LoadedModel, o: TargetOptions = {}): Promise<Float64Array> {
  const { target, schema } = model;
  const kind = columnKind(schema.properties[target]);
  const batch = await readFeatureTable(conn, fromSql, [target], schema);
  const col = batch.columns[target];
  const source = o.source ?? 'the training data';
  const fitting = o.forFitting ?? true;
  if (fitting && batch.rows === 0) throw new InputError(`${source}: no rows to train on`);
  const where = `${source}: target '${target}'`;
  if (model.spec.task === 'regression') {
    if (kind === 'string') throw new InputError(`${where}: a regression target must be numeric, the contract says string`);
    const v = col as Float64Array;
    const missing = v.reduce((n, x) => n + (Number.isFinite(x) ? 0 : 1), 0);
    if (missing) throw new InputError(`${where}: ${missing} row(s) have no finite target value`);
    return v;
  }
  if (model.spec.task !== 'binary-classification') throw new InputError(`${where}: the built-in trainers handle binary classification and regression, not ${model.spec.task}`);
  const positive = model.spec.data.positive_label;
  const y = new Float64Array(batch.rows);
  let missing = 0;
  if (kind === 'string') {
    if (positive === undefined) {
      throw new ConfigError([{ file: model.file, path: '/data/positive_label', message: `the target '${target}' is a string column: set data.positive_label to the positive class` }]);
    }
    const s = col as (string | null)[];
    for (let i = 0; i < y.length; i++) {
      if (s[i] === null) missing++;
      y[i] = s[i] === String(positive) ? 1 : 0;
    }
  } else {
    const p = positive === undefined ? 1 : typeof positive === 'boolean' ? Number(positive) : Number(positive);
    const v = col as Float64Array;
    for (let i = 0; i < y.length; i++) {
      if (Number.isNaN(v[i])) missing++;
      y[i] = v[i] === p ? 1 : 0;
    }
  }
  if (missing) throw new InputError(`${where}: ${missing} row(s) have no target value`);
  const pos = y.reduce((a, b) => a + b, 0);
  if (fitting && (pos === 0 || pos === y.length)) throw new InputError(`${where}: every row is in one class (${pos} positive of ${y.length}); a classifier needs both`);
  return y;
}
