/**
 * Loads one pinned model version for serving: fetch the package from the store (the store verifies
 * the digest), read its card, open an ONNX Runtime session checked against the data contract, warm
 * it up and smoke-test it on rows made from the reference profile. Throws with the reason when any
 * step fails; the reconciler then keeps the previous version serving.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { InputError } from '../errors.js';
import { columnKind } from '../model/features.js';
import { openSession, type ProviderChoice, type SessionOptions } from '../model/session.js';
import type { ModelCard } from '../package/card.js';
import { readPackage } from '../package/read.js';
import type { RowSchema } from '../spec/types.js';
import type { ModelRuntime } from './deployment.js';
import type { GitSource } from './git-source.js';
import { readModelSettings } from './model-settings.js';
import type { Row } from './oip-decode.js';
import type { VersionLoader } from './reconciler.js';
import type { ClientGauge } from './client-gauge.js';
import { DEFAULT_BATCH_INTERVAL_MS, DEFAULT_MAX_BATCH_ROWS, rowScorer, type BatchOptions } from './batcher.js';
import { InferenceThread, type BodyAnswer } from './inference-thread.js';
import type { WorkerSpare } from './worker-spare.js';
import { RunCounts } from './run-counts.js';
import type { Prediction } from './oip-encode.js';

const TENSOR_TO_JSON: Record<string, string> = { float32: 'number', float64: 'number', int64: 'integer', int32: 'integer', bool: 'boolean', string: 'string' };

/** A contract for a package whose repository has no models/<name>/ (a serving-only GitOps repo): from the card's signature. */
export function contractFromCard(card: ModelCard): RowSchema {
  const properties: RowSchema['properties'] = {};
  const inputs = new Map(card.signature.inputs.map((i) => [i.name, i]));
  for (const f of card.signature.features) {
    const t = card.signature.convention === 'columns' ? inputs.get(f)?.type : 'float64';
    properties[f] = { type: [TENSOR_TO_JSON[t ?? 'float64'] ?? 'number', 'null'] };
  }
  for (const s of card.sensitive) {
    const p = card.reference.columns[s];
    properties[s] = { type: [p?.kind === 'numeric' ? 'number' : 'string', 'null'] };
  }
  return { type: 'object', properties };
}

/** Smoke-test rows from the reference profile (mean / most frequent value), else from the contract. */
export function smokeRows(card: ModelCard, contract: RowSchema, features: string[]): Row[] {
  const row: Row = {};
  for (const f of features) {
    const kind = columnKind(contract.properties[f]);
    const p = card.reference?.columns?.[f];
    const s = contract.properties[f];
    if (kind === 'string') {
      const top = p?.kind === 'categorical' ? Object.entries(p.frequencies).sort((a, b) => b[1] - a[1])[0]?.[0] : undefined;
      row[f] = top ?? (s?.enum?.find((v) => typeof v === 'string') as string | undefined) ?? '';
    } else if (kind === 'boolean') row[f] = false;
    else {
      let v = p?.kind === 'numeric' && p.count > 0 && Number.isFinite(p.mean) ? p.mean : (s?.minimum ?? 0);
      if (kind === 'integer') v = Math.round(v);
      row[f] = v;
    }
  }
  return [row, { ...row }];
}

export interface RuntimeLoaderOptions {
  source: Pick<GitSource, 'show'>;
  provider?: ProviderChoice;
  notice?: (line: string) => void;
  /** warm-up predictions per loaded version */
  warmups?: number;
  /** ONNX Runtime intra-op threads per session (serving small models: 1 avoids spinning threads competing with the event loop) */
  threads?: number;
  /** dynamic batching: most rows per combined run (1 disables batching) */
  maxBatchRows?: number;
  /** dynamic batching: least time between two runs' starts of a model while the event loop is busy, ms (0: no pacing; batcher.ts) */
  batchIntervalMs?: number;
  /** where ONNX Runtime runs (default auto): see inferenceOnThread */
  inference?: InferenceMode;
  /** the HTTP server's connections and requests in flight, so that batchers do not wait when no other request can come */
  clients?: ClientGauge;
  /** the machine's cores, for `auto` (default: os.availableParallelism()) */
  cores?: number;
  /** a worker started ahead for the next version on a thread (worker-spare.ts); refilled after each such load */
  spare?: WorkerSpare;
}

export type InferenceMode = 'auto' | 'thread' | 'inline';
export const INFERENCE_MODES: InferenceMode[] = ['auto', 'thread', 'inline'];
/** `auto` moves inference to a worker thread from this many cores up */
export const THREAD_MIN_CORES = 4;
/**
 * `auto` also gives a version a worker thread, whatever the cores, when its model file is this big: inline,
 * ONNX Runtime's synchronous load alone would hold every request for ≈ 100 ms or more (on a 2-core VM, medians
 * of scripts/bench/swap-stall.ts: 120 ms at 8 MB, 220 ms at 16 MB, 1,566 ms at 150 MB, against 25–37 ms on a
 * thread; docs/serve.md), and each of its runs would too.
 */
export const THREAD_MIN_MODEL_BYTES = 8 * 1024 * 1024;

/**
 * Whether a loaded version runs on a worker thread (inference-thread.ts: the common request is decoded,
 * scored and encoded there, the event loop keeps HTTP) or inline on the event loop. `auto`: a thread from
 * THREAD_MIN_CORES cores up; below that the thread competes for the same cores as the event loop and the
 * client (on 2 cores: 10–20 % fewer requests per second than inline for a small model, docs/serve.md),
 * unless the model file has THREAD_MIN_MODEL_BYTES or more.
 */
export function inferenceOnThread(mode: InferenceMode = 'auto', cores = availableParallelism(), modelBytes = 0): boolean {
  return mode === 'thread' || (mode === 'auto' && (cores >= THREAD_MIN_CORES || modelBytes >= THREAD_MIN_MODEL_BYTES));
}

export function runtimeLoader(o: RuntimeLoaderOptions): VersionLoader {
  return async ({ model, pin, commit, store }) => {
    const dir = await store.get(pin.digest);
    const pkg = await readPackage(dir);
    const card = pkg.card;
    const where = `${model} ${pin.version} (${pin.digest.slice(0, 19)}…)`;
    if (card.name !== model) throw new InputError(`${where}: the package holds model '${card.name}', not '${model}'`);
    const settings = await readModelSettings(o.source, commit, model);
    const features = card.signature.features;
    // the contract at the served commit, unless it no longer describes this version's features (model.yaml moved on)
    const contract = settings.contract && features.every((f) => f in settings.contract!.properties) ? settings.contract : contractFromCard(card);
    const extra = [...card.sensitive, ...(settings.id ? [settings.id] : [])].filter((c) => c in contract.properties && !features.includes(c));
    const runs = new RunCounts();
    const batch: BatchOptions = { maxRows: o.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS, intervalMs: o.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS, clients: o.clients?.shared, counts: runs.shared };
    const threshold = card.threshold ?? 0.5;
    const options = { provider: o.provider, features, contract, task: card.task, threads: o.threads, syncRun: true };
    const modelBytes = (await stat(pkg.modelPath)).size;
    const onThread = inferenceOnThread(o.inference, o.cores, modelBytes);
    if (onThread && !inferenceOnThread(o.inference, o.cores)) {
      o.notice?.(`${where}: model file ${(modelBytes / 2 ** 20).toFixed(1)} MiB (${THREAD_MIN_MODEL_BYTES / 2 ** 20} MiB or more): loading and running it on a worker thread of its own (--inference auto), so that its load does not hold requests`);
    }
    const scorer = onThread
      ? threadScorer(await InferenceThread.open({ path: pkg.modelPath, options, decode: { features, extra, contract }, threshold, task: card.task, batch }, o.notice, o.spare).finally(() => o.spare?.fill()))
      : await inlineScorer(pkg.modelPath, { ...options, notice: o.notice }, batch);
    try {
      const rows = smokeRows(card, contract, features);
      for (let i = 0; i < (o.warmups ?? 3); i++) await scorer.predict(rows.slice(0, 1));
      const p = await scorer.predict(rows);
      const classes = card.task === 'multiclass-classification' ? (card.classes?.length ?? 0) : 0;
      if (p.values.length !== rows.length * p.width) throw new InputError(`${where}: smoke test gave ${p.values.length} values for ${rows.length} rows`);
      if (classes && p.width !== classes) throw new InputError(`${where}: smoke test gave ${p.width} probabilities per row; the card lists ${classes} classes`);
      for (const v of p.values) {
        if (!Number.isFinite(v)) throw new InputError(`${where}: smoke test gave a non-finite output (${v})`);
        if (card.task !== 'regression' && (v < -1e-6 || v > 1 + 1e-6)) throw new InputError(`${where}: smoke test gave ${v}, not a probability`);
      }
      runs.reset();
    } catch (e) {
      await scorer.close();
      throw e;
    }
    const datatype = (f: string) => ({ string: 'BYTES', boolean: 'BOOL', integer: 'INT64', number: 'FP64' })[columnKind(contract.properties[f])];
    const rt: ModelRuntime = {
      model,
      version: pin.version,
      digest: pin.digest,
      task: card.task,
      features,
      extra,
      sensitive: card.sensitive,
      contract,
      threshold,
      classes: card.task === 'multiclass-classification' ? (card.classes?.length ?? 0) : 0,
      logSampleRate: settings.logSampleRate,
      logSensitive: settings.logSensitive,
      inputs: features.map((f) => ({ name: f, datatype: datatype(f), shape: [-1, 1] })),
      provider: scorer.provider,
      runs,
      predict: scorer.predict,
      answer: scorer.answer,
      close: scorer.close,
    };
    return rt;
  };
}

interface Scorer {
  provider: string;
  predict(rows: Row[]): Promise<Prediction>;
  answer?(body: Buffer): Promise<BodyAnswer | null>;
  close(): Promise<void>;
}

/** ONNX Runtime on the event loop, behind the dynamic batcher. */
async function inlineScorer(path: string, options: SessionOptions, batch: BatchOptions): Promise<Scorer> {
  const session = await openSession(path, options);
  return { provider: session.provider, predict: rowScorer(session, options.features, options.contract, batch), close: () => session.close() };
}

/** ONNX Runtime, batching and the common request's decode and encode on a worker thread (inference-thread.ts). */
function threadScorer(thread: InferenceThread): Scorer {
  return { provider: thread.provider, predict: (rows) => thread.predict(rows), answer: (body) => thread.answer(body), close: () => thread.close() };
}
