import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { InputError, SlipwayError, UsageError } from '../errors.js';
import { readEnv, runUrl } from '../env.js';
import { assertReadable, openDuckDB, readerSql } from '../data/duckdb.js';
import { attachSketches, profileRelation, requireColumns } from '../data/profile.js';
import { reading } from '../data/read-error.js';
import { columnKind, readFeatureBatches, type FeatureBatch } from '../model/features.js';
import { openSession, type ProviderChoice } from '../model/session.js';
import { MODEL_FILE, type DataRef, type Lineage, type ModelCard } from '../package/card.js';
import { assertOutDir, writePackage } from '../package/write.js';
import { checkDuration } from '../spec/duration.js';
import { isRemote } from '../spec/paths.js';
import type { LoadedModel } from '../spec/types.js';
import type { ModelStore } from '../store/types.js';
import { trainBuiltin } from './builtin/index.js';
import { readTarget } from './builtin/target.js';
import { trainingEnv } from './env-contract.js';
import { describeHardware, detectHardware } from './hardware.js';
import { dataDigest, gitState, toolVersions } from './lineage.js';
import { assertSucceeded, runTrainingCommand } from './run-command.js';
import { checkProvider, checkWritable, makeStage, silenceWatch } from './preflight.js';
import { predictionProfile, smokeTest } from './verify.js';
import { parseJsonFile } from '../spec/json-syntax.js';
import { writeFileNamed } from '../fs/durable.js';
import { contractReaderSql } from '../data/contract-reader.js';
import { fileSystemError } from '../fs/fs-error.js';

export const DEFAULT_TIMEOUT = '6h';

export interface TrainOptions {
  repoRoot: string;
  model: LoadedModel;
  store: ModelStore;
  /** the package version; default: the caller computes nextVersion() */
  version: string;
  /** also write the package here (see assertOutDir: never over model sources, a file or another directory) */
  out?: string;
  /** paths in messages are shown relative to this directory (default: process.cwd()) */
  cwd?: string;
  /** overrides train.timeout */
  timeout?: string;
  provider?: ProviderChoice;
  env: NodeJS.ProcessEnv;
  /** progress lines */
  log: (line: string) => void;
  /** the training command's output lines */
  output?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
  /** SIGTERM → SIGKILL grace period for the command */
  graceMs?: number;
  nvidiaSmi?: string;
  /** while the training command prints nothing, say that it is still running this often (default 5 min) */
  heartbeatMs?: number;
}

export interface TrainResult {
  digest: string;
  version: string;
  /** a local directory holding the package (--out, or the verified store object) */
  path: string;
  card: ModelCard;
}

function dataPath(model: LoadedModel, p: string): string {
  return isRemote(p) ? p : resolve(model.dir, p);
}

/** The data's reference for the lineage; a file that cannot be read, or lacks a column training reads, is an InputError naming it. */
async function dataRef(conn: DuckDBConnection, repoRoot: string, path: string, columns: Record<string, string[]>): Promise<DataRef> {
  const uri = isRemote(path) ? path : relative(repoRoot, path);
  const source = { path, display: uri };
  await requireColumns(conn, readerSql(path), source, columns);
  const rows = Number((await reading(source, () => conn.runAndReadAll(`SELECT count(*) AS n FROM ${readerSql(path)}`))).getRowObjects()[0].n);
  return { uri, digest: await dataDigest(path), rows };
}

async function firstBatch(conn: DuckDBConnection, fromSql: string, model: LoadedModel, n: number): Promise<FeatureBatch> {
  for await (const b of readFeatureBatches(conn, fromSql, model.features, model.schema, n)) return b;
  throw new InputError(`${fromSql}: the training data has no rows`);
}

async function commandMetrics(outputDir: string): Promise<Record<string, number>> {
  const file = join(outputDir, 'metrics.json');
  if (!existsSync(file)) return {};
  const parsed = parseJsonFile('$SLIPWAY_OUTPUT_DIR/metrics.json', await readFile(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InputError('$SLIPWAY_OUTPUT_DIR/metrics.json: expected an object of metric name → number');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`$SLIPWAY_OUTPUT_DIR/metrics.json: metric '${k}' must be a finite number, got ${typeof v === 'number' ? `${v} (a number out of the range of a double)` : JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

/** log_loss and accuracy (binary) or rmse and mae (regression) of the predictions on the relation. */
async function fitMetrics(conn: DuckDBConnection, fromSql: string, source: string, model: LoadedModel, p: Float64Array, threshold: number): Promise<Record<string, number>> {
  const task = model.spec.task;
  if (task === 'multiclass-classification') return {};
  // measured, not fitted: a validation set in one class still has a log-loss and an accuracy
  const y = await readTarget(conn, fromSql, model, { source, forFitting: false });
  const n = y.length;
  if (n === 0) return {};
  if (task === 'binary-classification') {
    let ll = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const q = Math.min(1 - 1e-15, Math.max(1e-15, p[i]));
      ll -= y[i] ? Math.log(q) : Math.log(1 - q);
      if ((p[i] >= threshold ? 1 : 0) === y[i]) correct++;
    }
    return { log_loss: ll / n, accuracy: correct / n };
  }
  let se = 0;
  let ae = 0;
  for (let i = 0; i < n; i++) {
    se += (y[i] - p[i]) ** 2;
    ae += Math.abs(y[i] - p[i]);
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n };
}

/**
 * Trains a model (its command, or a built-in trainer), verifies model.onnx against the contract,
 * builds the package (model.onnx + slipway.json with lineage and reference profiles) and puts it in
 * the store.
 */
export async function trainModel(o: TrainOptions): Promise<TrainResult> {
  const { model, repoRoot } = o;
  const spec = model.spec;
  const env = readEnv(o.env);
  const clock = () => (env.sourceDateEpoch !== undefined ? new Date(env.sourceDateEpoch * 1000) : new Date());
  const timeoutText = o.timeout ?? spec.train.timeout ?? DEFAULT_TIMEOUT;
  const timeout = checkDuration(timeoutText);
  if (timeout.problem !== undefined) throw new UsageError(`the training timeout '${timeoutText}' ${timeout.problem}`);
  const timeoutMs = timeout.ms;
  // before anything runs: --out must not replace what is not an earlier package (model sources, data, a file)
  if (o.out) await assertOutDir(o.out, { repoRoot, storeUri: o.store.uri, cwd: o.cwd });
  const trainPath = dataPath(model, spec.data.train);
  const validationPath = spec.data.validation ? dataPath(model, spec.data.validation) : undefined;
  assertReadable(trainPath);
  if (validationPath) assertReadable(validationPath);
  // before anything runs: what would otherwise fail only after training (hours of GPU time later)
  const provider = await checkProvider(o.provider, o.env);
  await checkWritable(o.store.uri, o.out);
  const params = spec.train.params ?? {};
  const seed = spec.train.seed ?? 0;
  const startedReal = Date.now();
  const started = clock();

  const conn = await openDuckDB();
  const [hardware, git, trainRef, validationRef] = await Promise.all([
    detectHardware({ nvidiaSmi: o.nvidiaSmi, notice: o.log }),
    gitState(repoRoot),
    dataRef(conn, repoRoot, trainPath, { feature: model.features, target: [model.target], sensitive: model.sensitive }),
    validationPath ? dataRef(conn, repoRoot, validationPath, { feature: model.features, target: [model.target] }) : Promise.resolve(undefined),
  ]);
  // read as the contract types them (a text column of yes/no must not become true/false), once the files checked out
  const trainSql = await contractReaderSql(conn, trainPath, model.schema);
  const validationSql = validationPath ? await contractReaderSql(conn, validationPath, model.schema) : undefined;
  o.log(`hardware: ${describeHardware(hardware)}`);
  o.log(`training data: ${trainRef.uri} (${trainRef.rows} rows${trainRef.digest ? `, ${trainRef.digest.slice(0, 19)}…` : ''})`);
  if (trainRef.rows === 0) {
    conn.closeSync();
    throw new InputError(`${trainRef.uri}: the training data has no rows; nothing was trained`);
  }
  if (git.problem) o.log(`notice: the package records no git commit: ${git.problem}`);
  if (git.dirty) o.log('notice: the working tree has uncommitted changes; the package records dirty: true');

  let stage: string;
  try {
    stage = await makeStage(o.env.TMPDIR || undefined);
  } catch (e) {
    conn.closeSync();
    throw e;
  }
  /** the model.onnx a training command wrote: kept (not removed with the stage) when anything after the command fails */
  let written: string | undefined;
  let keep = false;
  try {
    const outputDir = join(stage, 'output');
    await mkdir(outputDir);
    let command: string;
    let usedParams: Record<string, unknown> = params;
    let metrics: Record<string, number> = {};
    if (spec.train.builtin) {
      command = `builtin:${spec.train.builtin}`;
      o.log(`training with the built-in ${spec.train.builtin} (params ${JSON.stringify(params)})`);
      const r = await trainBuiltin(spec.train.builtin, conn, trainSql, model, params, toolVersions().slipway, trainRef.uri, o.log);
      // a full disk's write(2) error names no file: the CLI names what the error does
      await writeFileNamed(join(outputDir, MODEL_FILE), r.onnx);
      usedParams = r.params;
      metrics = { iterations: r.fit.iterations };
      o.log(`fitted ${r.design.length} coefficients on ${r.rows} rows in ${r.fit.iterations} Newton steps${r.fit.converged ? '' : ' (did not converge: raise max_iter)'}`);
    } else {
      command = spec.train.command!;
      o.log(`running \`${command}\` in ${relative(repoRoot, model.dir) || '.'} (timeout ${timeoutText})`);
      const childEnv = trainingEnv(o.env, { model, trainData: trainPath, validationData: validationPath, outputDir, params, seed, version: o.version, provider: env.executionProvider });
      const watch = silenceWatch(o.log, timeoutText, o.heartbeatMs);
      const run = await runTrainingCommand({
        command,
        cwd: model.dir,
        env: childEnv,
        timeoutMs,
        graceMs: o.graceMs,
        onLine: (line, stream) => (watch.heard(), o.output?.(line, stream)),
        signal: o.signal,
      }).finally(watch.stop);
      assertSucceeded(run, command, timeoutText);
      o.log(`the training command finished in ${(run.durationMs / 1000).toFixed(1)} s`);
      const modelPath = join(outputDir, MODEL_FILE);
      if (!existsSync(modelPath) || statSync(modelPath).size === 0) {
        const wrote = await readdir(outputDir);
        throw new InputError(
          `the training command exited successfully but wrote no model: expected $SLIPWAY_OUTPUT_DIR/model.onnx (${modelPath})${wrote.length ? `; it wrote ${wrote.join(', ')}` : '; the output directory is empty'}`,
        );
      }
      written = modelPath;
      metrics = await commandMetrics(outputDir);
    }
    const finished = clock();
    const durationS = env.sourceDateEpoch !== undefined ? 0 : (Date.now() - startedReal) / 1000;

    // Verification: loads in ORT, signature matches the contract, smoke inference is sane.
    const modelPath = join(outputDir, MODEL_FILE);
    const session = await openSession(modelPath, { provider, features: model.features, contract: model.schema, task: spec.task, notice: o.log });
    let card: ModelCard;
    try {
      o.log(`verifying model.onnx on ${session.provider.toUpperCase()}: ${session.signature.convention === 'matrix' ? 'one [N, F] input' : 'one input per column'}, output '${session.signature.output}'`);
      const targetSchema = model.schema.properties[model.target];
      const classes = spec.task === 'multiclass-classification' ? targetSchema?.enum?.filter((v) => v !== null) : undefined;
      await smokeTest(session, await firstBatch(conn, trainSql, model, 16), model, classes?.length);
      const kinds: Record<string, 'numeric' | 'categorical'> = {};
      for (const c of [...model.features, ...model.sensitive]) kinds[c] = columnKind(model.schema.properties[c]) === 'string' || columnKind(model.schema.properties[c]) === 'boolean' ? 'categorical' : 'numeric';
      o.log('profiling the training data and the model\'s predictions (reference for drift checks)');
      const reference = await profileRelation(conn, trainSql, [...model.features, ...model.sensitive], { kinds });
      await attachSketches(conn, trainSql, reference);
      const predicted = await predictionProfile(conn, trainSql, session, model, undefined, trainRef.uri);
      const threshold = spec.evaluate?.threshold ?? 0.5;
      const measured = validationPath
        ? await fitMetrics(conn, validationSql!, validationRef!.uri, model, (await predictionProfile(conn, validationSql!, session, model, undefined, validationRef!.uri)).predictions, threshold)
        : await fitMetrics(conn, trainSql, trainRef.uri, model, predicted.predictions, threshold);
      const runner: Lineage['runner'] = { os: process.platform, arch: process.arch, ...(env.runnerName ? { name: env.runnerName } : {}), ...(runUrl(env) ? { run_url: runUrl(env) } : {}) };
      card = {
        schema_version: 1,
        name: spec.name,
        version: o.version,
        task: spec.task,
        created_at: finished.toISOString(),
        target: model.target,
        sensitive: model.sensitive,
        ...(spec.task === 'binary-classification' ? { classes: [spec.data.positive_label ?? (columnKind(targetSchema) === 'boolean' ? true : 1)], threshold } : {}),
        ...(classes ? { classes: classes as (string | number | boolean)[] } : {}),
        signature: session.signature,
        lineage: {
          git: { commit: git.commit, dirty: git.dirty, branch: git.branch, repository: env.githubRepository ?? null },
          data: { train: trainRef, ...(validationRef ? { validation: validationRef } : {}) },
          params: usedParams,
          seed,
          command,
          hardware: { ...hardware, execution_provider: session.provider },
          runner,
          started_at: started.toISOString(),
          finished_at: finished.toISOString(),
          duration_s: Math.round(durationS * 1000) / 1000,
          tools: toolVersions(),
        },
        metrics: { ...measured, ...metrics },
        reference,
        prediction_reference: predicted.profile,
      };
    } finally {
      await session.close();
    }

    const pkgDir = await writePackage(join(stage, 'package'), { path: modelPath }, card);
    const digest = await o.store.put(pkgDir);
    let path: string;
    if (o.out) path = await writePackage(o.out, { path: modelPath }, card, '--out');
    else path = await o.store.get(digest);
    return { digest, version: o.version, path, card };
  } catch (e) {
    if (!written) throw e;
    // hours of training are not thrown away with the temporary directory: the model stays for a look or a fix
    keep = true;
    // a refused write (a full disk at the store) as the CLI would show it, so that the note below survives
    const err = e instanceof SlipwayError ? e : (fileSystemError(e) ?? e);
    if (err instanceof Error) err.message = `${err.message.split(written).join('model.onnx')}\nthe model.onnx the training command wrote is kept for inspection: ${written}`;
    throw err;
  } finally {
    conn.closeSync();
    if (!keep) await rm(stage, { recursive: true, force: true });
  }
}

