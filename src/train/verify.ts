import type { DuckDBConnection } from '@duckdb/node-api';
import { CheckFailedError } from '../errors.js';
import { profileRelation } from '../data/profile.js';
import type { ColumnProfile } from '../drift/profile.js';
import { readFeatureBatches, sliceBatch, type FeatureBatch } from '../model/features.js';
import type { ModelSession, Prediction } from '../model/session.js';
import type { LoadedModel } from '../spec/types.js';

export const SMOKE_ROWS = 16;

/**
 * The smoke test: a few training rows through the model give outputs of the right shape, finite,
 * and probabilities within [0, 1] (summing to 1 for multiclass).
 */
export async function smokeTest(session: ModelSession, batch: FeatureBatch, model: LoadedModel, classes?: number): Promise<Prediction> {
  const rows = Math.min(SMOKE_ROWS, batch.rows);
  const where = `smoke inference on ${rows} training rows`;
  const p = await session.predict(sliceBatch(batch, 0, rows));
  const task = model.spec.task;
  if (p.values.length !== rows * p.width) throw new CheckFailedError(`${where}: expected ${rows} × ${p.width} values, got ${p.values.length}`);
  if (task !== 'multiclass-classification' && p.width !== 1) throw new CheckFailedError(`${where}: expected one value per row, got ${p.width}`);
  if (task === 'multiclass-classification' && classes !== undefined && p.width !== classes) {
    throw new CheckFailedError(`${where}: the model outputs ${p.width} class probabilities but the contract's target '${model.target}' has ${classes} classes`);
  }
  const bad = p.values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new CheckFailedError(`${where}: row ${Math.floor(bad / p.width)} gives ${p.values[bad]}; expected finite outputs`);
  if (task !== 'regression') {
    const out = p.values.findIndex((v) => v < -1e-6 || v > 1 + 1e-6);
    if (out >= 0) throw new CheckFailedError(`${where}: row ${Math.floor(out / p.width)} gives probability ${p.values[out]}; expected values in [0, 1]`);
    if (task === 'multiclass-classification') {
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let k = 0; k < p.width; k++) s += p.values[i * p.width + k];
        if (Math.abs(s - 1) > 1e-3) throw new CheckFailedError(`${where}: row ${i}'s class probabilities sum to ${s}; expected 1`);
      }
    }
  }
  return p;
}

/** Whether one output value is acceptable: finite, and a probability for a classifier. */
function outputOk(v: number, task: LoadedModel['spec']['task']): boolean {
  return Number.isFinite(v) && (task === 'regression' || (v >= -1e-6 && v <= 1 + 1e-6));
}

/**
 * Scores every training row (in batches) and profiles the outputs: P(class 1) for binary, the
 * value for regression (numeric); the most probable class index for multiclass (categorical).
 */
export async function predictionProfile(
  conn: DuckDBConnection,
  fromSql: string,
  session: ModelSession,
  model: LoadedModel,
  batchSize = 65536,
  /** the data as messages name it */
  source = 'the training data',
): Promise<{ profile: ColumnProfile; predictions: Float64Array; width: number }> {
  const table = '__slipway_predictions';
  const multiclass = model.spec.task === 'multiclass-classification';
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} (prediction ${multiclass ? 'VARCHAR' : 'DOUBLE'})`);
  const appender = await conn.createAppender(table);
  const parts: Float64Array[] = [];
  let width = 1;
  // every row, not only the smoke test's: a null the graph does not handle gives NaN wherever it first occurs
  const bad = { rows: 0, first: '', value: 0 };
  let offset = 0;
  for await (const batch of readFeatureBatches(conn, fromSql, model.features, model.schema, batchSize)) {
    const p = await session.predict(batch);
    width = p.width;
    parts.push(p.values);
    for (let i = 0; i < batch.rows; i++) {
      let k = 0;
      while (k < p.width && outputOk(p.values[i * p.width + k], model.spec.task)) k++;
      if (k === p.width) continue;
      if (bad.rows++ === 0) {
        bad.value = p.values[i * p.width + k];
        const nulls = model.features.filter((f) => {
          const v = batch.columns[f][i];
          return v === null || (typeof v === 'number' && Number.isNaN(v));
        });
        bad.first = `data row ${offset + i + 1}${nulls.length ? ` (${nulls.map((f) => `${f}: null`).join(', ')})` : ''}`;
      }
    }
    offset += batch.rows;
    for (let i = 0; i < batch.rows; i++) {
      if (multiclass) {
        let best = 0;
        for (let k = 1; k < p.width; k++) if (p.values[i * p.width + k] > p.values[i * p.width + best]) best = k;
        appender.appendVarchar(String(best));
      } else appender.appendDouble(p.values[i]);
      appender.endRow();
    }
  }
  appender.closeSync();
  if (bad.rows) {
    const expected = model.spec.task === 'regression' ? 'finite outputs' : 'finite probabilities within [0, 1]';
    throw new CheckFailedError(`scoring ${source} (${offset} rows): ${bad.rows} row(s) give ${Number.isFinite(bad.value) ? 'values such as ' : ''}${bad.value}, the first ${bad.first}; expected ${expected}`);
  }
  const profile = (await profileRelation(conn, table, ['prediction'])).columns.prediction;
  await conn.run(`DROP TABLE ${table}`);
  const n = parts.reduce((s, x) => s + x.length, 0);
  const predictions = new Float64Array(n);
  let at = 0;
  for (const x of parts) {
    predictions.set(x, at);
    at += x.length;
  }
  return { profile, predictions, width };
}
