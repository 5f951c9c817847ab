/**
 * `slipway serve` put together: git source → reconciler → HTTP server, metrics and prediction logs,
 * a reconcile timer, and an orderly stop. Used by the CLI command, the tests and the benchmarks.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readEnv } from '../env.js';
import { gitAuthEnv } from './git-auth.js';
import { UsageError } from '../errors.js';
import { makeWritableDir } from '../fs/make-dir.js';
import type { ProviderChoice } from '../model/session.js';
import type { EnvironmentSpec } from '../spec/types.js';
import { openStore, storeLocation } from '../store/open.js';
import '../store/github-release.js'; // registers github-release:// for manifests that publish there
import type { ModelStore } from '../store/types.js';
import type { GitRun } from '../gitops/git.js';
import { slotMembers } from './deployment.js';
import { GitRunner } from './git-runner.js';
import { GitSource, stallLimits } from './git-source.js';
import { ClientGauge } from './client-gauge.js';
import { InferenceServer } from './http-server.js';
import { PredictionLogWriter } from './log-writer.js';
import { createMetrics, type ServeMetrics } from './metrics.js';
import { Reconciler, type VersionLoader } from './reconciler.js';
import { inferenceOnThread, runtimeLoader, type InferenceMode } from './runtime.js';
import { WorkerSpare } from './worker-spare.js';
import { onceAMinute } from './once-a-minute.js';

export interface ServeOptions {
  environment: string;
  repo: string;
  branch: string;
  host: string;
  port: number;
  /** reconcile period (ms); 0 disables the timer (webhook only, and retries of a failed reconcile: failedRetryMs) */
  intervalMs: number;
  /** with intervalMs 0: the first wait before a failed reconcile is run again, doubling up to 5 minutes (default 10 s) */
  failedRetryMs?: number;
  /** --store flag */
  store?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** prediction-log directory; none: no logs */
  logs?: string;
  logMaxFileBytes?: number;
  /** keep the prediction logs of the last this many days (today included); unset: keep all */
  logRetentionDays?: number;
  maxInflight?: number;
  maxBodyBytes?: number;
  /** how long an inference request's body may take to arrive (408 beyond; default 30 s) */
  bodyTimeoutMs?: number;
  shadowQueue?: number;
  provider?: ProviderChoice;
  /** ONNX Runtime intra-op threads per session (default 1) */
  threads?: number;
  /** dynamic batching: most rows per combined run (1 disables; default 256) */
  maxBatchRows?: number;
  /** dynamic batching: least time between a model's runs while the event loop is busy, ms (0: no pacing; default 0.25) */
  batchIntervalMs?: number;
  /** where ONNX Runtime runs: a worker thread per loaded version, inline on the event loop, or auto (runtime.ts) */
  inference?: InferenceMode;
  /** the machine's cores, for `--inference auto` (default: os.availableParallelism()) */
  cores?: number;
  serverVersion?: string;
  log?: (line: string) => void;
  /** replaces the ONNX Runtime loader (benchmarks of the HTTP layer) */
  loader?: VersionLoader;
  defaultMetrics?: boolean;
  /** the first wait before a failed load is tried again at the same commit (reconciler.ts; default 1 minute) */
  loadRetryMs?: number;
  /** the longest a version may take to load before it fails (reconciler.ts; default 15 minutes) */
  loadTimeoutMs?: number;
  /** called once the fetch cache exists, before the start's fetch and loads: what a process ended during them runs (RunningServer.abandon) */
  onStarting?: (abandon: () => void) => void;
  /** HMAC secret for POST /-/reconcile (SLIPWAY_WEBHOOK_SECRET) */
  webhookSecret?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  reconciler: Reconciler;
  http: InferenceServer;
  metrics: ServeMetrics;
  logs?: PredictionLogWriter;
  /** the inference worker started ahead for the next version on a thread (read by tests) */
  spare: WorkerSpare;
  /** graceful stop: stop the timer, drain requests, close sessions, flush logs, remove the cache */
  stop(graceMs?: number): Promise<{ drained: boolean }>;
  /** for a process about to end at once (a second signal): removes the fetch cache now, synchronously */
  abandon(): void;
}

export async function startServe(o: ServeOptions): Promise<RunningServer> {
  const log = o.log ?? (() => {});
  let afterReconcile: (result: 'synced' | 'unchanged' | 'failed') => void = () => {};
  // a log directory that cannot be written is a usage error now, not a line per flush once requests come
  if (o.logs) await makeWritableDir(o.logs).catch((e: Error) => Promise.reject(new UsageError(`--logs ${o.logs}: cannot write prediction logs there (${e.message})`)));
  const cacheDir = await mkdtemp(join(tmpdir(), 'slipway-serve-'));
  const abandon = () => rmSync(cacheDir, { recursive: true, force: true });
  o.onStarting?.(abandon);
  let runner: GitRunner | undefined;
  let parts: Parts;
  let addr;
  try {
    parts = assemble(o, log, cacheDir, (cwd, args, env) => runner!.run(cwd, args, env), (result) => afterReconcile(result));
    // before any model is loaded (the startup reconcile, below): the helper that spawns git is forked while this process is small
    runner = new GitRunner();
    await parts.source.assertLocalRepository();
    addr = await parts.http.listen(o.port, o.host);
  } catch (e) {
    // nothing serves: the helper and the cache go (stop() does it once serving)
    runner?.close();
    await rm(cacheDir, { recursive: true, force: true });
    throw e;
  }
  const gitRunner = runner;
  // without a timer nothing but a webhook would run the next reconcile: one that failed (a fetch in a network blip,
  // a package the store did not have yet) is run again on a backoff, or a server that starts then never gets ready
  let retry: NodeJS.Timeout | null = null;
  let failures = 0;
  let stopped = false;
  afterReconcile = (result) => {
    if (o.intervalMs > 0 || stopped) return;
    if (result !== 'failed') {
      failures = 0;
      if (retry) clearTimeout(retry);
      retry = null;
      return;
    }
    if (retry) return;
    const wait = Math.min((o.failedRetryMs ?? 10_000) * 2 ** failures++, 5 * 60_000);
    retry = setTimeout(() => {
      retry = null;
      void parts.reconciler.reconcile('retry');
    }, wait);
    retry.unref();
  };
  const { source, metrics, logs, reconciler, http, spare } = parts;
  // where every version runs on a thread, the startup load's worker starts now, beside the fetch
  if (!o.loader && inferenceOnThread(o.inference, o.cores)) spare.fill();
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log(`listening on ${url} (environment ${o.environment}, ${source.display} branch ${o.branch})`);
  await reconciler.reconcile('startup');
  let timer: NodeJS.Timeout | null = null;
  if (o.intervalMs > 0) {
    timer = setInterval(() => void reconciler.reconcile('interval'), o.intervalMs);
    timer.unref();
  }
  let stopping: Promise<{ drained: boolean }> | null = null;
  return {
    url,
    port: addr.port,
    reconciler,
    http,
    metrics,
    logs,
    spare,
    stop(graceMs = 30_000) {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        stopped = true;
        if (retry) clearTimeout(retry);
        const r = await http.shutdown(graceMs);
        await reconciler.unloadAll();
        await spare.close();
        source.close();
        gitRunner.close();
        await logs?.close();
        await rm(cacheDir, { recursive: true, force: true });
        return r;
      })();
      return stopping;
    },
    abandon,
  };
}

interface Parts {
  source: GitSource;
  metrics: ServeMetrics;
  logs: PredictionLogWriter | undefined;
  reconciler: Reconciler;
  http: InferenceServer;
  /** the worker started ahead for versions on a thread */
  spare: WorkerSpare;
}

/** The server's parts, not yet listening or reconciling; `run` runs its git commands (the GitRunner's). */
function assemble(o: ServeOptions, log: (line: string) => void, cacheDir: string, run: GitRun, afterReconcile: (result: 'synced' | 'unchanged' | 'failed') => void): Parts {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const { githubToken, githubServerUrl, webhookSecret } = readEnv(env);
  const auth = gitAuthEnv(o.repo, githubToken, githubServerUrl, env);
  const source = new GitSource(o.repo, o.branch, join(cacheDir, 'git'), cwd, run, { ...stallLimits(env), ...auth });
  if (auth) log(`fetching ${source.display} with the GitHub token (SLIPWAY_GITHUB_TOKEN or GITHUB_TOKEN)`);
  if (source.urlCredential) log('notice: the --repo URL holds a credential, which any user of this machine can read in the process list (this server\'s and git\'s); give a plain https:// URL and the token in SLIPWAY_GITHUB_TOKEN instead (docs/serve.md, Private repositories)');
  const metrics = createMetrics({ defaultMetrics: o.defaultMetrics, loaded: () => reconciler.loaded().map((d) => d.rt) });
  const logs = o.logs
    ? new PredictionLogWriter(o.logs, { maxFileBytes: o.logMaxFileBytes, retentionDays: o.logRetentionDays, onPrune: (paths) => log(`prediction logs: removed ${paths.length} day director${paths.length === 1 ? 'y' : 'ies'} past --log-retention-days ${o.logRetentionDays} (${paths.map((p) => relative(o.logs!, p)).join(', ')})`), onDrop: (model, n) => metrics.logDropped.inc({ model }, n), onError: onceAMinute((e) => log(`prediction log: ${e.message} (records not written are dropped and counted in slipway_prediction_log_dropped_total)`)) })
    : undefined;
  const stores = new Map<string, ModelStore>();
  const storeFor = (spec: EnvironmentSpec): ModelStore => {
    const location = spec.store ?? storeLocation(o.store, env);
    let s = stores.get(location);
    if (!s) stores.set(location, (s = openStore(location, source.localPath ?? cwd)));
    return s;
  };
  const clients = new ClientGauge();
  const spare = new WorkerSpare(log);
  const reconciler = new Reconciler({
    environment: o.environment,
    source,
    storeFor,
    load: o.loader ?? runtimeLoader({ source, provider: o.provider, notice: log, threads: o.threads ?? 1, maxBatchRows: o.maxBatchRows, batchIntervalMs: o.batchIntervalMs, inference: o.inference, cores: o.cores, clients, spare }),
    log,
    retryMs: o.loadRetryMs,
    loadTimeoutMs: o.loadTimeoutMs,
    onResult: (result) => {
      metrics.reconciles.inc({ result });
      afterReconcile(result);
    },
    onChange: (_model, before, after) => {
      for (const d of slotMembers(before)) metrics.modelInfo.remove({ model: d.rt.model, version: d.rt.version, digest: d.rt.digest, role: roleIn(before!, d) });
      for (const d of slotMembers(after)) metrics.modelInfo.set({ model: d.rt.model, version: d.rt.version, digest: d.rt.digest, role: roleIn(after!, d) }, 1);
    },
  });
  const http = new InferenceServer({ reconciler, metrics, logs, maxInflight: o.maxInflight, maxBodyBytes: o.maxBodyBytes, bodyTimeoutMs: o.bodyTimeoutMs, shadowQueue: o.shadowQueue, serverVersion: o.serverVersion, log, clients, webhookSecret: o.webhookSecret ?? webhookSecret });
  return { source, metrics, logs, reconciler, http, spare };
}

function roleIn(slot: import('./deployment.js').Slot, d: import('./deployment.js').Deployed): string {
  if (slot.primary === d) return 'primary';
  if (slot.canary?.deployed === d) return 'canary';
  return 'shadow';
}
