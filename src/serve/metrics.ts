/** Prometheus metrics of the server, on a Registry of its own (several servers can live in one process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ModelRuntime } from './deployment.js';
import type { RunCounts } from './run-counts.js';

export interface ServeMetrics {
  registry: Registry;
  requests: Counter<'model' | 'version' | 'code'>;
  latency: Histogram<'model' | 'version'>;
  modelInfo: Gauge<'model' | 'version' | 'digest' | 'role'>;
  reconciles: Counter<'result'>;
  inflight: Gauge;
  rejected: Counter<'reason'>;
  shadowDropped: Counter<'model'>;
  logDropped: Counter<'model'>;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** the model versions loaded now, each once, read at scrape time for their run counts (run-counts.ts) */
  loaded?: () => Iterable<ModelRuntime>;
}

export function createMetrics(opts: MetricsOptions = {}): ServeMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  const registers = [registry];
  // counted where the runs happen (maybe an inference thread) and copied in at each scrape, so not in ServeMetrics: an inc()
  // would be lost at the next scrape. A version's series ends when it is unloaded.
  const fromRunCounts = (read: (c: RunCounts) => number) =>
    function (this: Counter<'model' | 'version'>) {
      this.reset();
      for (const rt of opts.loaded?.() ?? []) if (rt.runs) this.inc({ model: rt.model, version: rt.version }, read(rt.runs));
    };
  new Counter({ name: 'slipway_inference_runs_total', help: 'ONNX Runtime runs by loaded model version; each scores one dynamic batch', labelNames: ['model', 'version'], registers, collect: fromRunCounts((c) => c.runs) });
  new Counter({ name: 'slipway_inference_rows_total', help: 'Rows scored by those runs (rows per run: the batch size)', labelNames: ['model', 'version'], registers, collect: fromRunCounts((c) => c.rows) });
  return {
    registry,
    requests: new Counter({ name: 'slipway_inference_requests_total', help: 'Inference requests by model, version and HTTP status code', labelNames: ['model', 'version', 'code'], registers }),
    latency: new Histogram({
      name: 'slipway_inference_duration_seconds',
      help: 'Inference latency (request received to response written) by model and version',
      labelNames: ['model', 'version'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    modelInfo: new Gauge({ name: 'slipway_model_loaded_info', help: 'Loaded model versions (1 while loaded) by role: primary, canary or shadow', labelNames: ['model', 'version', 'digest', 'role'], registers }),
    reconciles: new Counter({ name: 'slipway_reconcile_total', help: 'Reconcile runs by result (synced, unchanged, failed)', labelNames: ['result'], registers }),
    inflight: new Gauge({ name: 'slipway_inflight_requests', help: 'Requests being processed now', registers }),
    rejected: new Counter({ name: 'slipway_rejected_requests_total', help: 'Requests refused before reaching a model (overloaded, too_large, timeout, unsupported_media_type, bad_request), or whose client went before its body was complete (aborted)', labelNames: ['reason'], registers }),
    shadowDropped: new Counter({ name: 'slipway_shadow_dropped_total', help: 'Shadow inferences dropped because the shadow queue was full', labelNames: ['model'], registers }),
    logDropped: new Counter({ name: 'slipway_prediction_log_dropped_total', help: 'Prediction-log records dropped because the writer fell behind or could not write them', labelNames: ['model'], registers }),
  };
}

/**
 * prom-client children of one metric by the values of its labels, each made once: a child re-hashes its
 * labels on every call, and making one per request would too. The last set is checked first, without
 * building a key: consecutive requests nearly always share it. Up to three label values.
 */
export class LabelledChildren<T> {
  private readonly byKey = new Map<string, T>();
  private last: { a: string; b: string; c: string; child: T } | null = null;

  constructor(private readonly make: (a: string, b: string, c: string) => T) {}

  get(a: string, b: string, c = ''): T {
    const last = this.last;
    if (last && last.a === a && last.b === b && last.c === c) return last.child;
    const key = `${a}\u0000${b}\u0000${c}`;
    let child = this.byKey.get(key);
    if (!child) this.byKey.set(key, (child = this.make(a, b, c)));
    this.last = { a, b, c, child };
    return child;
  }
}
