/**
 * Benchmark of `slipway evaluate` (issue: "scoring plus every metric for 1 million rows within 2× of
 * the time to read the features and run raw ORT scoring alone; bootstrap stated separately").
 *
 *   npx tsx scripts/bench/evaluate.ts [--rows 1000000] [--bootstrap 200] [--repeat 2]
 *
 * In one run, on the same data file and the same ONNX model (the builtin logistic regression):
 * - baseline: readFeatureBatches (DuckDB → typed columns) + ModelSession.predict on every batch;
 * - evaluate: runEvaluation on a first deployment with bootstrap off and latency reduced to one call
 *   (loading the model and contract, hashing the data file, reading features + target + sensitive
 *   columns, scoring, every metric, calibration, ROC curve, fairness per attribute and gates);
 * - bootstrap: runEvaluation against a pinned champion with N replicates; the bootstrap time is the
 *   report's timings_ms.bootstrap (both models' metrics on every replicate), stated on its own.
 * Baseline and evaluate run interleaved `--repeat` times; best times and the median paired ratio are
 * printed. The machine's load average is printed too: on a shared machine, compare ratios, not times.
 * Data and models live in .bench/evaluate.
 */
import { existsSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDataset } from '../../src/data/generate.js';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { runEvaluation } from '../../src/evaluate/run.js';
import { readFeatureBatches } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { synthesizePackage } from '../../src/package/read.js';
import { loadModel } from '../../src/spec/model.js';
import type { LoadedModel } from '../../src/spec/types.js';
import { FileStore } from '../../src/store/file-store.js';
import { trainBuiltin } from '../../src/train/builtin/index.js';
import { median } from './median.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, bootstrap: { type: 'string', default: '200' }, repeat: { type: 'string', default: '3' } } });
const ROWS = Number(values.rows);
const BOOT = Number(values.bootstrap);
const REPEAT = Number(values.repeat);
const ROOT = join(import.meta.dirname, '..', '..');
const WORK = join(ROOT, '.bench', 'evaluate');
const repo = join(WORK, `repo-${ROWS}`);
const log = (m: string) => console.log(m);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function setup(): Promise<{ model: LoadedModel; cand: string; champ: string; store: FileStore; champDigest: string }> {
  const mdir = join(repo, 'models', 'credit-risk');
  mkdirSync(join(mdir, 'data'), { recursive: true });
  mkdirSync(join(repo, 'environments'), { recursive: true });
  for (const f of ['model.yaml', 'schema.json']) copyFileSync(join(ROOT, 'models', 'credit-risk', f), join(mdir, f));
  const test = join(mdir, 'data', 'test.parquet');
  const train = join(mdir, 'data', 'train.parquet');
  if (!existsSync(test)) {
    log(`generating ${ROWS.toLocaleString('en-US')} test rows and 20,000 training rows…`);
    await generateDataset(train, { rows: 20_000, seed: 1 });
    await generateDataset(test, { rows: ROWS, seed: 2, idOffset: 10_000_000 });
  }
  const model = await loadModel(repo, 'credit-risk');
  const pkg = async (name: string, version: string, features?: string[]) => {
    const dir = join(WORK, `pkg-${name}`);
    if (!existsSync(join(dir, 'slipway.json'))) {
      const m = features ? { ...model, features } : model;
      const conn = await openDuckDB();
      const r = await trainBuiltin('logistic-regression', conn, readerSql(train), m, { l2: 1 });
      conn.closeSync();
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.onnx'), r.onnx);
      const { card } = await synthesizePackage(join(dir, 'model.onnx'), m);
      delete card.synthesized;
      card.version = version;
      writeFileSync(join(dir, 'slipway.json'), JSON.stringify(card));
    }
    return dir;
  };
  const cand = await pkg('candidate', '2.0.0');
  const champ = await pkg('champion', '1.0.0', ['income', 'debt_ratio', 'late_payments', 'utilization']);
  const store = new FileStore(join(repo, '.slipway', 'store'));
  const champDigest = await store.put(champ);
  const env = (name: string, pinned: boolean) =>
    writeFileSync(join(repo, 'environments', `${name}.yaml`), ['apiVersion: slipway/v1', 'kind: Environment', `name: ${name}`, 'promotion: push', pinned ? `models:\n  credit-risk:\n    version: 1.0.0\n    digest: ${champDigest}` : 'models: {}', ''].join('\n'));
  env('staging', false);
  env('production', true);
  return { model, cand, champ, store, champDigest };
}

async function baseline(model: LoadedModel, onnx: string): Promise<number> {
  const t0 = performance.now();
  const conn = await openDuckDB();
  const s = await openSession(onnx, { provider: 'cpu', features: model.features, contract: model.schema, task: model.spec.task, notice: () => {} });
  let rows = 0;
  let checksum = 0;
  for await (const batch of readFeatureBatches(conn, readerSql(join(model.dir, 'data', 'test.parquet')), model.features, model.schema, 65536)) {
    const p = await s.predict(batch);
    rows += batch.rows;
    checksum += p.values[0];
  }
  await s.close();
  conn.closeSync();
  if (rows !== ROWS || !Number.isFinite(checksum)) throw new Error(`baseline scored ${rows} rows`);
  return performance.now() - t0;
}

process.env.SLIPWAY_EXECUTION_PROVIDER = 'cpu';
const { model, cand, store } = await setup();
const quickLatency = { singleRuns: 1, batchRuns: 1, warmup: 0 };
log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${availableParallelism()} cores`);
log(`\n1. ${ROWS.toLocaleString('en-US')} rows × ${model.features.length} features, builtin logistic regression, CPU`);
await baseline(model, join(cand, 'model.onnx')); // warm the page cache and ORT
let lastTimings: Record<string, number> = {};
const evaluateOnce = async () => {
  const t0 = performance.now();
  const r = await runEvaluation({ repoRoot: repo, cwd: repo, model: 'credit-risk', candidate: cand, against: 'staging', store, bootstrapSamples: 0, latency: quickLatency });
  lastTimings = r.timings_ms;
  return performance.now() - t0;
};
// interleaved, so that load from other processes hits both alike
const bases: number[] = [];
const fulls: number[] = [];
for (let i = 0; i < REPEAT; i++) {
  bases.push(await baseline(model, join(cand, 'model.onnx')));
  fulls.push(await evaluateOnce());
  log(`  run ${i + 1}: baseline (read features + raw ORT scoring) ${sec(bases[i])}, evaluate (scoring + every metric + fairness, no bootstrap) ${sec(fulls[i])}, ratio ${(fulls[i] / bases[i]).toFixed(2)}×`);
}
const base = Math.min(...bases);
const full = Math.min(...fulls);
const medianRatio = median(fulls.map((f, i) => f / bases[i]));
log(`  evaluate breakdown (last run): ${Object.entries(lastTimings).map(([k, v]) => `${k} ${sec(v)}`).join(', ')}`);

log(`\n2. against a pinned champion, paired bootstrap with ${BOOT} replicates`);
const t0 = performance.now();
const withChamp = await runEvaluation({ repoRoot: repo, cwd: repo, model: 'credit-risk', candidate: cand, against: 'production', store, bootstrapSamples: BOOT, latency: quickLatency });
const champWall = performance.now() - t0;
const tb = withChamp.timings_ms;
log(`  total ${sec(champWall)}: ${Object.entries(tb).map(([k, v]) => `${k} ${sec(v)}`).join(', ')}`);
log(`  roc_auc delta ${withChamp.deltas.roc_auc.value.toFixed(4)} [${withChamp.deltas.roc_auc.ci_low.toFixed(4)}, ${withChamp.deltas.roc_auc.ci_high.toFixed(4)}]`);

log('\nresults');
log(`  baseline (read + raw ORT scoring):        best ${sec(base)}, median ${sec(median(bases))}`);
log(`  evaluate (scoring + every metric):        best ${sec(full)}, median ${sec(median(fulls))}`);
log(`  ratio evaluate / baseline:                median of paired runs ${medianRatio.toFixed(2)}×, best/best ${(full / base).toFixed(2)}× (target ≤ 2×)`);
log(`  bootstrap, ${BOOT} replicates × 2 models:   ${sec(tb.bootstrap)}   (${(tb.bootstrap / Math.max(1, BOOT)).toFixed(1)} ms per replicate; ${(tb.bootstrap / base).toFixed(2)}× the baseline)`);
log(`  evaluate with champion + bootstrap total: ${sec(champWall)}   ratio ${(champWall / base).toFixed(2)}× the one-model baseline`);
log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (medianRatio > 2) process.exitCode = 1;
