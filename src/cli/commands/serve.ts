import type { Command } from '../command.js';
import { int, str } from '../command.js';
import { UsageError } from '../../errors.js';
import { assertName } from '../../spec/paths.js';
import { MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration, parseMicroDuration } from '../../spec/duration.js';
import { providerChoice } from '../../model/session.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INFLIGHT } from '../../serve/http-server.js';
import { DEFAULT_LOG_MAX_FILE_BYTES } from '../../serve/log-writer.js';
import { startServe } from '../../serve/serve.js';
import { INFERENCE_MODES, THREAD_MIN_CORES, THREAD_MIN_MODEL_BYTES, type InferenceMode } from '../../serve/runtime.js';
import { VERSION } from '../main.js';

/** A size flag in bytes, from 1 KiB (less holds no request, or rotates at every write) to 1 GiB. */
function bytes(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+)(k|kb|m|mb|g|gb)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${name} expects a size such as 1048576, 512k or 16m, got '${v}'`);
  const mult = { k: 1 << 10, m: 1 << 20, g: 1 << 30 }[(m[2] ?? '').charAt(0).toLowerCase()] ?? 1;
  const n = Number(m[1]) * mult;
  if (!(n >= 1 << 10 && n <= 1 << 30)) throw new UsageError(`--${name} must be between 1k and 1g, got '${v}'`);
  return n;
}

/** `500us`, `0.5ms`, `2ms` or `0` as milliseconds (at most 100 ms) */
function microDuration(v: string, name: string): number {
  const ms = parseMicroDuration(v) ?? NaN;
  if (!(ms >= 0 && ms <= 100)) throw new UsageError(`--${name} expects a duration such as 500us or 1ms (0 to 100ms), got '${v}'`);
  return ms;
}

/** --log-retention-days: a whole number of days, and only with --logs. */
function retentionDays(opts: Parameters<typeof str>[0]): number | undefined {
  const days = int(opts, 'log-retention-days', 1, 36_500);
  if (days !== undefined && str(opts, 'logs') === undefined) throw new UsageError('--log-retention-days needs --logs <dir>: without it no prediction logs are written');
  return days;
}

export const serve: Command = {
  name: 'serve',
  summary: 'Serve an environment: reconcile environments/<env>.yaml and speak the Open Inference Protocol v2.',
  options: {
    env: { type: 'string', value: '<env>', description: 'environment', required: true },
    repo: { type: 'string', value: '<path|git url>', description: 'GitOps repository (a private one on GitHub: a plain https:// URL and SLIPWAY_GITHUB_TOKEN)', default: '.' },
    branch: { type: 'string', value: '<branch>', description: 'branch to follow', default: 'main' },
    port: { type: 'string', value: '<port>', description: 'HTTP port (0: any free port)', default: '8080' },
    host: { type: 'string', value: '<address>', description: 'address to listen on (0.0.0.0 for every interface)', default: '127.0.0.1' },
    interval: { type: 'string', value: '<duration>', description: 'reconcile interval, e.g. 30s, 5m (0s: only on POST /-/reconcile, and retries of a failed one)', default: '30s' },
    store: { type: 'string', value: '<path|uri>', description: "model store when the manifest names none (else SLIPWAY_STORE, else .slipway/store in the repo)" },
    logs: { type: 'string', value: '<dir>', description: 'write sampled prediction logs (JSON lines) under this directory' },
    'log-max-bytes': { type: 'string', value: '<size>', description: 'rotate a prediction-log file at this size', default: String(DEFAULT_LOG_MAX_FILE_BYTES >> 20) + 'm' },
    'log-retention-days': { type: 'string', value: '<days>', description: 'remove prediction-log day directories older than this many days, today included (default: keep all)' },
    'max-inflight': { type: 'string', value: '<n>', description: 'inference requests in flight before answering 503 + Retry-After', default: String(DEFAULT_MAX_INFLIGHT) },
    'max-body': { type: 'string', value: '<size>', description: 'largest request body accepted (413 beyond)', default: String(DEFAULT_MAX_BODY_BYTES >> 10) + 'k' },
    'ort-threads': { type: 'string', value: '<n>', description: 'ONNX Runtime intra-op threads per loaded model', default: '1' },
    'max-batch': { type: 'string', value: '<rows>', description: 'dynamic batching: most rows scored in one run (1 turns batching off)', default: '256' },
    'batch-interval': { type: 'string', value: '<duration>', description: "dynamic batching while the server is busy: least time between two runs of a model, e.g. 500us, 1ms (0: run as soon as the event loop is free)", default: '250us' },
    inference: { type: 'string', value: '<auto|thread|inline>', description: `where inference runs: a worker thread per loaded model (decoding, ONNX Runtime, encoding), or the event loop (auto: a thread from ${THREAD_MIN_CORES} cores up, and for a model file of ${THREAD_MIN_MODEL_BYTES / 2 ** 20} MiB or more)`, default: 'auto' },
    provider: { type: 'string', value: '<auto|cpu|cuda>', description: 'ONNX Runtime execution provider (SLIPWAY_EXECUTION_PROVIDER)', default: 'auto' },
    'shutdown-grace': { type: 'string', value: '<duration>', description: 'how long SIGTERM waits for in-flight requests', default: '30s' },
  },
  details: `Endpoints: /v2, /v2/health/live, /v2/health/ready, /v2/models/<m>[/versions/<v>][/ready|/infer],
GET /-/status (sync + health), POST /-/reconcile[?wait=true] (push webhook), GET /metrics (Prometheus).
See docs/serve.md for request formats, canary and shadow routing, prediction logs and status fields.`,
  async run(opts, _pos, ctx) {
    const environment = assertName('environment', str(opts, 'env')!);
    const intervalText = str(opts, 'interval')!;
    const intervalMs = intervalText === '0' ? 0 : parseDuration(intervalText);
    if (intervalMs === undefined) throw new UsageError(`--interval expects a duration such as 30s, 5m or 1h, got '${intervalText}'`);
    if (intervalMs > MAX_DURATION_MS) throw new UsageError(`--interval '${intervalText}' is too long: at most ${MAX_DURATION_TEXT}`);
    // 0.4ms rounds to 0, which turns the timer off: only a 0 that says so does
    if (intervalMs === 0 && !/^0+(\.0+)?(ms|s|m|h)?$/.test(intervalText.trim())) throw new UsageError(`--interval '${intervalText}' is under 1 ms; give 0 to reconcile only on POST /-/reconcile`);
    const grace = parseDuration(str(opts, 'shutdown-grace')!);
    if (grace === undefined) throw new UsageError(`--shutdown-grace expects a duration such as 30s, got '${str(opts, 'shutdown-grace')}'`);
    if (grace > MAX_DURATION_MS) throw new UsageError(`--shutdown-grace '${str(opts, 'shutdown-grace')}' is too long: at most ${MAX_DURATION_TEXT}`);
    const requested = str(opts, 'provider')!;
    // the flag is checked here, so that a bad one is named as the flag (providerChoice's message names SLIPWAY_EXECUTION_PROVIDER)
    if (!['auto', 'cpu', 'cuda'].includes(requested)) throw new UsageError(`--provider expects auto, cpu or cuda, got '${requested}'`);
    const provider = providerChoice(requested as 'auto' | 'cpu' | 'cuda', ctx.env);
    const inference = str(opts, 'inference') as InferenceMode;
    if (!INFERENCE_MODES.includes(inference)) throw new UsageError(`--inference expects ${INFERENCE_MODES.join(', ')}, got '${inference}'`);
    const log = (line: string) => ctx.stderr(`[serve] ${line}\n`);
    // a signal while starting (a slow fetch, a large model loading) stops the process at once, as a second signal
    // does while draining, but the fetch cache goes first: the signal's default action would leave it behind
    let abandonStart: (() => void) | undefined;
    const early = (sig: NodeJS.Signals) => {
      log(`${sig} while starting: stopping at once`);
      abandonStart?.();
      process.off('SIGTERM', early);
      process.off('SIGINT', early);
      process.kill(process.pid, sig);
    };
    process.on('SIGTERM', early);
    process.on('SIGINT', early);
    const running = await startServe({
      onStarting: (abandon) => (abandonStart = abandon),
      environment,
      repo: str(opts, 'repo')!,
      branch: str(opts, 'branch')!,
      host: str(opts, 'host')!,
      port: int(opts, 'port', 0, 65535)!,
      intervalMs,
      store: str(opts, 'store'),
      env: ctx.env,
      cwd: ctx.cwd,
      logs: str(opts, 'logs'),
      logMaxFileBytes: bytes(str(opts, 'log-max-bytes'), 'log-max-bytes'),
      logRetentionDays: retentionDays(opts),
      maxInflight: int(opts, 'max-inflight', 1, 1_000_000),
      maxBodyBytes: bytes(str(opts, 'max-body'), 'max-body'),
      provider,
      threads: int(opts, 'ort-threads', 1, 1024),
      maxBatchRows: int(opts, 'max-batch', 1, 1_000_000),
      batchIntervalMs: microDuration(str(opts, 'batch-interval')!, 'batch-interval'),
      inference,
      serverVersion: VERSION,
      log,
    }).finally(() => {
      process.off('SIGTERM', early);
      process.off('SIGINT', early);
    });
    const s = running.reconciler.status();
    ctx.stdout(`serving ${environment} on ${running.url}: sync ${s.sync.status}, health ${s.health.status}${s.health.reason ? ` (${s.health.reason})` : ''}\n`);
    await new Promise<void>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        log(`${sig}: draining in-flight requests (up to ${grace} ms; a second signal stops at once)`);
        process.off('SIGTERM', term);
        process.off('SIGINT', int_);
        // the second: the fetch cache goes, then the signal again with no handler (its default action ends the process)
        const force = (again: NodeJS.Signals) => {
          running.abandon();
          process.kill(process.pid, again);
        };
        process.once('SIGTERM', force);
        process.once('SIGINT', force);
        void running.stop(grace).then((r) => {
          process.off('SIGTERM', force);
          process.off('SIGINT', force);
          log(r.drained ? 'stopped; every in-flight request finished' : 'stopped; the grace period ended before every request finished');
          resolve();
        });
      };
      const term = () => onSignal('SIGTERM');
      const int_ = () => onSignal('SIGINT');
      process.on('SIGTERM', term);
      process.on('SIGINT', int_);
    });
    return 0;
  },
};
