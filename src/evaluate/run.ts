import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { readerSql, assertReadable, openDuckDB } from '../data/duckdb.js';
import { contractReaderSql } from '../data/contract-reader.js';
import { columnTypes } from '../data/profile.js';
import { readError } from '../data/read-error.js';
import { concatBatches, readFeatureBatches, sliceBatch, type FeatureBatch } from '../model/features.js';
import { openSession, type ModelSession } from '../model/session.js';
import { assertPackageOf } from '../package/card.js';
import { resolvePackage, type ModelPackage } from '../package/read.js';
import { loadEnvironment } from '../spec/environment.js';
import { loadModel } from '../spec/model.js';
import { isRemote, resolveInside } from '../spec/paths.js';
import type { LoadedModel } from '../spec/types.js';
import { fileSha256, packageDigest } from '../store/digest.js';
import type { ModelStore } from '../store/types.js';
import { BinaryKernel } from './binary.js';
import { pairedBootstrap } from './bootstrap.js';
import { mapeWarning } from './regression.js';
import { checkPositiveClass, encodeTarget, type Target } from './columns.js';
import { evaluateGates, fmt } from './gates.js';
import { groupsFromCodes, intersect, intersectionName, type Groups } from './groups.js';
import { metricsFor, type MetricValues } from './kernel.js';
import { measureLatency, type LatencyOptions } from './latency.js';
import { NullCounter } from './nulls.js';
import { fairnessReport, makeKernel, type Predictions } from './predictions.js';
import { scanError } from './scan-error.js';
import { checkIntersection, sensitiveCodes } from './sensitive.js';
import type { EvaluationReport, PackageRef } from './report-types.js';

export interface EvaluateOptions {
  repoRoot: string;
  cwd: string;
  model: string;
  /** package directory, sha256:… digest, or a model.onnx */
  candidate: string;
  /** test data (default: data.test of model.yaml) */
  data?: string;
  /** environment whose pinned version is the champion */
  against: string;
  store: ModelStore;
  /** overrides evaluate.bootstrap.samples */
  bootstrapSamples?: number;
  latency?: LatencyOptions;
  /** rows per scoring batch */
  batchSize?: number;
  /** bootstrap worker threads (default: see pairedBootstrap) */
  threads?: number;
  progress?: (message: string) => void;
}

export const DEFAULT_BOOTSTRAP = { samples: 200, seed: 0, confidence: 0.95 };
export const DEFAULT_MIN_GROUP_SIZE = 30;
export const DEFAULT_THRESHOLD = 0.5;

/** Runs the whole evaluation and returns the report (nothing is written). */
export async function runEvaluation(o: EvaluateOptions): Promise<EvaluationReport> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => (timings[name] = Math.round((performance.now() - since) * 10) / 10);
  const say = o.progress ?? (() => {});
  const model = await loadModel(o.repoRoot, o.model);
  const spec = model.spec;
  const task = spec.task;
  // gate names, fairness figures and intersections were checked, located, by loadModel (spec/model-checks.ts)

  const candidate = await resolvePackage(o.candidate, { store: o.store, repoRoot: o.repoRoot, cwd: o.cwd, model });
  checkPackage(candidate, model, 'candidate', o.candidate);
  const candidateRef: PackageRef = { name: candidate.card.name, version: candidate.card.version, digest: await digestOf(candidate) };
  say(`candidate ${candidateRef.name} ${candidateRef.version} (${candidateRef.digest.slice(0, 19)}…)`);

  const env = await loadEnvironment(o.repoRoot, o.against);
  const pinned = env.spec.models?.[spec.name];
  let champion: ModelPackage | null = null;
  if (pinned) {
    say(`champion: ${spec.name} ${pinned.version} pinned in ${o.against} (${pinned.digest.slice(0, 19)}…), fetching and verifying it`);
    champion = await resolvePackage(pinned.digest, { store: o.store, repoRoot: o.repoRoot, cwd: o.cwd, model });
    checkPackage(champion, model, 'champion', `${pinned.digest} (pinned in ${o.against})`);
  } else say(`no ${spec.name} pinned in ${o.against}: first deployment, no champion to compare with`);

  const dataPath = resolveData(o, model);
  assertReadable(dataPath);
  const dataDigest = isRemote(dataPath) ? null : `sha256:${await fileSha256(dataPath)}`;
  const threshold = spec.evaluate?.threshold ?? candidate.card.threshold ?? DEFAULT_THRESHOLD;
  const boot = { ...DEFAULT_BOOTSTRAP, ...(spec.evaluate?.bootstrap ?? {}), ...(o.bootstrapSamples !== undefined ? { samples: o.bootstrapSamples } : {}) };
  const minGroupSize = spec.evaluate?.min_group_size ?? DEFAULT_MIN_GROUP_SIZE;

  const notice = (m: string) => say(m);
  const candFeatures = featuresOf(candidate, model);
  const champFeatures = champion ? featuresOf(champion, model) : [];
  const sessions: ModelSession[] = [];
  const conn = await openDuckDB();
  try {
    const candSession = await openSession(candidate.modelPath, { features: candFeatures, contract: model.schema, task, notice });
    sessions.push(candSession);
    const champSession = champion ? await openSession(champion.modelPath, { features: champFeatures, contract: model.schema, task, notice }) : null;
    if (champSession) sessions.push(champSession);

    // one scan: the features of both models, the target and the sensitive columns
    let t = performance.now();
    say(`scoring ${dataPath}`);
    await checkDataColumns(conn, readerSql(dataPath), dataPath, [...new Set([...candFeatures, ...champFeatures])], model);
    // read as the contract types it: a text column of yes/no (a feature or a sensitive attribute) must not become true/false
    const codes = await sensitiveCodes(conn, await contractReaderSql(conn, dataPath, model.schema), model.sensitive, model.schema, dataPath);
    const labelColumns = [model.target, ...model.sensitive.map((c) => codes.codeColumn[c])];
    const columns = [...new Set([...candFeatures, ...champFeatures, ...labelColumns])];
    const candOut: Float64Array[] = [];
    const champOut: Float64Array[] = [];
    const labelBatches: FeatureBatch[] = [];
    let sample: FeatureBatch | null = null;
    let width = 1;
    let champWidth = 1;
    let rows = 0;
    const nullCounts = new NullCounter([...new Set([...candFeatures, ...champFeatures])]);
    try {
      for await (const batch of readFeatureBatches(conn, codes.fromSql, columns, codes.contract, o.batchSize ?? 65536)) {
        nullCounts.add(batch);
        const a = await candSession.predict(batch);
        candOut.push(a.values);
        width = a.width;
        if (champSession) {
          const b = await champSession.predict(batch);
          champOut.push(b.values);
          champWidth = b.width;
        }
        labelBatches.push({ rows: batch.rows, columns: Object.fromEntries(labelColumns.map((c) => [c, batch.columns[c]])) });
        if (!sample) sample = sliceBatch(batch, 0, Math.min(batch.rows, 1024));
        rows += batch.rows;
        if (rows % 262144 < batch.rows) say(`  ${rows.toLocaleString('en-US')} rows scored`);
      }
    } catch (e) {
      throw await scanError(e, conn, codes.fromSql, readerSql(dataPath), dataPath, model);
    }
    if (rows === 0 || !sample) throw new InputError(`${dataPath}: the test data has no rows`);
    const nulls = nullCounts.check(rows, dataPath);
    for (const w of nulls.warnings) say(`warning: ${w}`);
    lap('read_and_score', t);
    say(`scored ${rows.toLocaleString('en-US')} rows${champSession ? ' with the candidate and the champion' : ''}`);

    t = performance.now();
    const labels = concatBatches(labelBatches, labelColumns, codes.contract);
    labelBatches.length = 0;
    const target = encodeTarget(model, candidate.card, labels.columns[model.target], width, `${dataPath}: target '${model.target}'`);
    if (champion && champWidth !== width) throw new InputError(`the champion outputs ${champWidth} value(s) per row and the candidate ${width}: they do not predict the same classes`);
    const candPred = predictionsOf(target, concat(candOut), width, threshold, 'candidate');
    const champPred = champion ? predictionsOf(target, concat(champOut), width, threshold, `champion ${champion.card.version}`) : null;
    const infos = metricsFor(task);
    const candKernel = makeKernel(candPred);
    const champKernel = champPred ? makeKernel(champPred) : null;
    let candMetrics: MetricValues;
    let extras: Partial<Pick<EvaluationReport, 'confusion_matrix' | 'calibration' | 'roc_curve'>> = {};
    if (candKernel instanceof BinaryKernel) {
      const full = candKernel.full();
      candMetrics = full.metrics;
      extras = full.extras;
    } else candMetrics = candKernel.metrics(null);
    const mape = target.task === 'regression' ? mapeWarning(target.y, candMetrics.mape) : undefined;
    const served = task === 'binary-classification' ? servedThresholds(threshold, spec.evaluate?.threshold !== undefined, [['candidate', candidate], ['champion', champion]]) : [];
    for (const w of [...(mape ? [mape] : []), ...served]) {
      nulls.warnings.push(w);
      say(`warning: ${w}`);
    }
    const champMetrics = champKernel ? champKernel.metrics(null) : null;
    lap('metrics', t);

    t = performance.now();
    const groups: Record<string, Groups> = {};
    for (const c of model.sensitive) groups[c] = groupsFromCodes(labels.columns[codes.codeColumn[c]] as Float64Array, codes.labels[c]);
    for (const combo of spec.evaluate?.intersections ?? []) {
      const name = intersectionName(combo);
      groups[name] = combo.map((c) => groups[c]).reduce(intersect);
      checkIntersection(name, groups[name].labels, dataPath);
    }
    const fairness = fairnessReport(candPred, groups, minGroupSize, candKernel);
    const championFairness = champPred ? fairnessReport(champPred, groups, minGroupSize, champKernel!) : undefined;
    lap('fairness', t);

    t = performance.now();
    let deltas = {};
    if (candKernel && champKernel) {
      say(`paired bootstrap: ${boot.samples} replicates over ${rows.toLocaleString('en-US')} rows (seed ${boot.seed})`);
      const step = Math.max(1, Math.round(boot.samples / 4));
      deltas = await pairedBootstrap(candKernel, champKernel, infos, { ...boot, threads: o.threads, onReplicate: (d, total) => d % step === 0 && d < total && say(`  ${d} of ${total} replicates`) });
    }
    lap('bootstrap', t);

    t = performance.now();
    say('measuring latency');
    const latency = await measureLatency(candSession, sample, o.latency);
    lap('latency', t);

    const gates = evaluateGates(spec.gates, {
      metrics: candMetrics,
      champion: pinned ? { env: o.against, version: pinned.version } : null,
      deltas,
      fairness,
      latencyP99Ms: latency.single_p99_ms,
      whyNull: (m) => whyNull(m, candPred, candMetrics),
      championMetrics: champMetrics,
      whyChampionNull: (m) => (champPred && champMetrics ? whyNull(m, champPred, champMetrics) : undefined),
    });
    lap('total', t0);
    return {
      model: spec.name,
      task,
      data: { uri: displayUri(dataPath, o.repoRoot), rows, digest: dataDigest, ...(nulls.nullFeatures.length ? { null_features: nulls.nullFeatures } : {}) },
      ...(nulls.warnings.length ? { warnings: nulls.warnings } : {}),
      candidate: candidateRef,
      champion: champion && pinned ? { name: champion.card.name, version: pinned.version, digest: pinned.digest, env: o.against } : null,
      metrics: { candidate: candMetrics, champion: champMetrics },
      deltas,
      ...extras,
      fairness,
      ...(championFairness ? { champion_fairness: championFairness } : {}),
      latency,
      bootstrap: boot,
      ...(task === 'binary-classification' ? { threshold } : {}),
      min_group_size: minGroupSize,
      gates,
      ok: gates.every((g) => g.ok),
      timings_ms: timings,
    };
  } finally {
    for (const s of sessions) await s.close();
    conn.closeSync();
  }
}

/** Local data inside the repository is shown relative to it (no runner paths in PR comments). */
function displayUri(path: string, repoRoot: string): string {
  if (isRemote(path)) return path;
  const rel = relative(repoRoot, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : path;
}

/** Every column evaluation reads must be in the data: one error naming all that are missing. */
async function checkDataColumns(conn: DuckDBConnection, fromSql: string, where: string, features: string[], model: LoadedModel): Promise<void> {
  let types: Record<string, string>;
  try {
    types = await columnTypes(conn, fromSql);
  } catch (e) {
    throw await readError(e, where);
  }
  const missing = (cols: string[]) => cols.filter((c) => !(c in types));
  const parts = [
    ['feature', missing(features)],
    ['target', missing([model.target])],
    ['sensitive', missing(model.sensitive)],
  ].filter(([, m]) => m.length) as [string, string[]][];
  if (parts.length) {
    throw new InputError(`${where}: missing column(s): ${parts.map(([role, m]) => `${role} ${m.map((c) => `'${c}'`).join(', ')}`).join('; ')} (the data has: ${Object.keys(types).join(', ')})`);
  }
}

function concat(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0];
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function predictionsOf(target: Target, values: Float64Array, width: number, threshold: number, who: string): Predictions {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new InputError(`the ${who} model produced a non-finite output (${v}) for data row ${Math.floor(i / width) + 1}; check that row's features for nulls the model cannot take`);
    if (target.task !== 'regression' && (v < 0 || v > 1)) {
      throw new InputError(`the ${who} model produced ${v} for data row ${Math.floor(i / width) + 1}; a classifier's output must be probabilities in [0, 1] (DESIGN.md: outputs)`);
    }
  }
  if (target.task === 'binary-classification') return { task: target.task, y: target.y, p: values, threshold };
  if (target.task === 'multiclass-classification') {
    const row = rowNotADistribution(values, width);
    if (row >= 0) {
      const p = Array.from(values.subarray(row * width, (row + 1) * width));
      const sum = p.reduce((a, b) => a + b, 0);
      throw new InputError(
        `the ${who} model's probabilities for data row ${row + 1} sum to ${fmt(sum)} (${p.map(fmt).join(', ')}); a multiclass output must sum to 1 (within ${SUM_TOLERANCE}); renormalising it, as scikit-learn's log_loss did before 1.5 (it now refuses such rows), would give a model with one sigmoid per class a log loss it does not have`,
      );
    }
    return { task: target.task, y: target.y, probs: values, classes: width };
  }
  return { task: target.task, y: target.y, yhat: values };
}

/**
 * A model is served at its card's threshold (serve: slipway.json `threshold`, else 0.5), and evaluated
 * at one threshold for both: where they differ, its thresholded figures are not those it has in production.
 */
function servedThresholds(threshold: number, fromYaml: boolean, models: [string, ModelPackage | null][]): string[] {
  const source = fromYaml ? 'evaluate.threshold of model.yaml' : "the candidate's threshold";
  return models.flatMap(([who, pkg]) => {
    const at = pkg?.card.threshold ?? DEFAULT_THRESHOLD;
    if (!pkg || at === threshold) return [];
    return [`the ${who} ${pkg.card.version} is served at threshold ${at} (its slipway.json) but evaluated at ${threshold} (${source}): its accuracy, precision, recall, f1, confusion matrix and fairness rates here are not those it has in production`];
  });
}

/**
 * How far a row of multiclass probabilities may sum from 1: float32 softmax outputs are off by ~1e-7
 * per class; a model that is not normalised (one sigmoid per class) is off by tenths.
 */
const SUM_TOLERANCE = 1e-4;

/** The first row whose probabilities do not sum to 1, or −1. */
function rowNotADistribution(values: Float64Array, width: number): number {
  for (let i = 0, off = 0; off < values.length; i++, off += width) {
    let sum = 0;
    for (let k = 0; k < width; k++) sum += values[off + k];
    if (Math.abs(sum - 1) > SUM_TOLERANCE) return i;
  }
  return -1;
}

function whyNull(metric: string, pred: Predictions, m: MetricValues): string | undefined {
  if (pred.task === 'binary-classification') {
    let pos = 0;
    for (let i = 0; i < pred.y.length; i++) pos += pred.y[i];
    const neg = pred.y.length - pos;
    if (metric === 'roc_auc' && (pos === 0 || neg === 0)) return `the test data has a single class (${pos} positive, ${neg} negative rows)`;
    if ((metric === 'average_precision' || metric === 'recall') && pos === 0) return 'the test data has no positive row';
    if (metric === 'precision' && m.precision === null) return `no row was predicted positive at the threshold ${pred.threshold}`;
    if (metric === 'f1') return 'there is no positive row and none was predicted positive';
  }
  if (pred.task === 'regression' && metric === 'r2') return 'the target is constant on the test data (or there are fewer than 2 rows)';
  return undefined;
}

function resolveData(o: EvaluateOptions, model: LoadedModel): string {
  if (o.data) return isRemote(o.data) ? o.data : resolve(o.cwd, o.data);
  const p = model.spec.data.test;
  if (isRemote(p)) return p;
  const abs = resolveInside(model.repoRoot, model.dir, p);
  if (!abs) throw new InputError(`${model.file}: data.test '${p}' escapes the repository`);
  if (!existsSync(abs)) throw new InputError(`${abs}: test data not found (data.test of ${model.file}); generate it or pass --data`);
  return abs;
}

function featuresOf(pkg: ModelPackage, model: LoadedModel): string[] {
  const f = pkg.card.signature.features;
  const features = f && f.length ? f : model.features;
  const unknown = features.filter((c) => !model.schema.properties[c]);
  if (unknown.length) throw new InputError(`${pkg.dir}: the model uses feature(s) ${unknown.join(', ')} that the data contract ${model.schemaFile} no longer has`);
  return features;
}

/** The package is a version of this model (name, semantic version: the check promote makes) and of its task. */
function checkPackage(pkg: ModelPackage, model: LoadedModel, role: string, ref: string): void {
  assertPackageOf(pkg, model.spec.name, ref);
  if (pkg.card.task !== model.spec.task) throw new InputError(`the ${role} package ${pkg.dir} is a ${pkg.card.task} model; ${model.spec.name} is ${model.spec.task}`);
  checkPositiveClass(model, pkg.card, role, pkg.dir);
}

async function digestOf(pkg: ModelPackage): Promise<string> {
  if (pkg.digest) return pkg.digest;
  // a bare model.onnx: the digest of the file itself (it is not a package)
  if (pkg.synthesized) return `sha256:${await fileSha256(pkg.modelPath)}`;
  return packageDigest(pkg.dir);
}

