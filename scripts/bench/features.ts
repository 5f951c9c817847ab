/**
 * Benchmark: reading model features out of DuckDB. `readFeatureTable` (typed column vectors copied
 * out as Float64Arrays) against the baseline of row objects (`getRowObjectsJS`) for the same columns,
 * and batch scoring with the builtin logistic regression. Run: npx tsx scripts/bench/features.ts [rows]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { FEATURES, generateDataset } from '../../src/data/generate.js';
import { readFeatureBatches, readFeatureTable } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { loadModel } from '../../src/spec/model.js';
import { trainBuiltin } from '../../src/train/builtin/index.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const time = async <T>(f: () => Promise<T>): Promise<[number, T]> => {
  const t = performance.now();
  const v = await f();
  return [(performance.now() - t) / 1000, v];
};
try {
  const file = join(dir, 'd.parquet');
  console.log(`generating ${rows} rows…`);
  await generateDataset(file, { rows, seed: 1 });
  const model = await loadModel(join(import.meta.dirname, '..', '..'), 'credit-risk');
  const conn = await openDuckDB();
  const from = readerSql(file);
  const cols = [...FEATURES];
  const [typed, batch] = await time(() => readFeatureTable(conn, from, cols, model.schema));
  const [objects] = await time(async () => (await conn.runAndReadAll(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM ${from}`)).getRowObjectsJS().length);
  console.log(`read ${batch.rows} rows × ${cols.length} features: typed columns ${typed.toFixed(2)} s, row objects ${objects.toFixed(2)} s → ${(objects / typed).toFixed(1)}× faster`);

  const [fit, r] = await time(() => trainBuiltin('logistic-regression', conn, from, model, { l2: 1 }));
  console.log(`builtin logistic regression on ${r.rows} rows: ${fit.toFixed(2)} s (${r.fit.iterations} Newton steps)`);
  const onnx = join(dir, 'm.onnx');
  writeFileSync(onnx, r.onnx);
  const session = await openSession(onnx, { provider: 'cpu', features: model.features, contract: model.schema, task: 'binary-classification' });
  const [score, n] = await time(async () => {
    let k = 0;
    for await (const b of readFeatureBatches(conn, from, model.features, model.schema, 65536)) k += (await session.predict(b)).values.length;
    return k;
  });
  console.log(`read + score ${n} rows in 64k batches: ${score.toFixed(2)} s (${Math.round(n / score).toLocaleString()} rows/s); read alone ${typed.toFixed(2)} s`);
  await session.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
