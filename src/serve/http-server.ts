/**
 * The HTTP side of `slipway serve` on node:http, with the fast lane for plain inference requests in front
 * (http-lane.ts; both answer through infer()): Open Inference Protocol v2 REST, `/-/status`,
 * `/-/reconcile`, `/metrics`. Bounded in-flight inference (503 + Retry-After beyond it), bounded
 * bodies (413), precise 400s, and a graceful shutdown that lets in-flight requests finish.
 */
import { createServer, IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import { ClientGauge } from './client-gauge.js';
import { pickDeployment, type Deployed, type ModelRuntime, type Role, type Slot } from './deployment.js';
import { predictionLines, type PredictionLogWriter } from './log-writer.js';
import { LabelledChildren, type ServeMetrics } from './metrics.js';
import type { DecodeContext } from './oip-columns.js';
import { BadRequest, decodeRequest, type Row } from './oip-decode.js';
import { ClientAborted, parseBody, readBody, REFUSED_BODY, refusedBodyHeaders } from './request-body.js';
import { onceAMinute } from './once-a-minute.js';
import { answerClientError, checkedId, noRoute, readOnly, modelPath, requestTarget } from './http-route.js';
import { awaitsContinue, expectContinue } from './http-continue.js';
import { HttpLane, type LaneRequest } from './http-lane.js';
import { sendJson, sendPrediction, type Reply } from './http-answer.js';
import { listenError } from './listen-error.js';
import { scanRequest } from './oip-scan.js';
import { checkRequestedOutputs, encodeOutputsJson, outputMetadata, type Prediction } from './oip-encode.js';
import type { Reconciler } from './reconciler.js';
import { ShadowQueue, DEFAULT_SHADOW_QUEUE } from './shadow.js';
import { reconcileRoute } from './webhook.js';

export const DEFAULT_MAX_INFLIGHT = 256;
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;
export const SERVER_NAME = 'slipway';
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_MS = 65_000;

export interface HttpServerOptions {
  reconciler: Reconciler;
  metrics: ServeMetrics;
  logs?: PredictionLogWriter;
  maxInflight?: number;
  maxBodyBytes?: number;
  shadowQueue?: number;
  serverVersion?: string;
  log?: (line: string) => void;
  random?: () => number;
  /** when set, POST /-/reconcile needs a GitHub-style X-Hub-Signature-256 HMAC of the body with this secret */
  webhookSecret?: string;
  /** an inference request's body must arrive within this long of its headers, else 408 (it holds a --max-inflight slot meanwhile) */
  bodyTimeoutMs?: number;
  /** where the server counts its connections and requests in flight (shared with the batchers: client-gauge.ts) */
  clients?: ClientGauge;
}

export class InferenceServer {
  readonly server: Server;
  private readonly lane: HttpLane;
  readonly shadow: ShadowQueue;
  private readonly o: HttpServerOptions;
  private readonly maxInflight: number;
  private readonly maxBody: number;
  private readonly bodyTimeoutMs: number;
  readonly clients: ClientGauge;
  private closing = false;
  /** connections and requests seen (settle() watches it) */
  private arrivals = 0;
  private drainWaiters: (() => void)[] = [];
  private readonly idPrefix = randomBytes(4).toString('hex');
  private idSeq = 0;
  private readonly random: () => number;

  constructor(o: HttpServerOptions) {
    this.o = o;
    this.maxInflight = o.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.bodyTimeoutMs = o.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
    this.random = o.random ?? Math.random;
    this.shadow = new ShadowQueue(o.shadowQueue ?? DEFAULT_SHADOW_QUEUE, () => {}, onceAMinute((e) => o.log?.(`shadow inference failed: ${e.message} (said at most once a minute while it repeats)`)));
    this.clients = o.clients ?? new ClientGauge();
    this.server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => this.handle(req, res));
    this.lane = new HttpLane(this.server, {
      maxBody: this.maxBody,
      keepAliveMs: KEEP_ALIVE_MS,
      infer: (req, reply) => {
        this.arrivals++;
        void this.infer(req, reply, req.model, req.version);
      },
    });
    this.server.on('clientError', (err, socket) => answerClientError(err, socket));
    // Expect: 100-continue: 100 only when the body is to be read, not before a refusal that never reads it
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      expectContinue(req, res);
      this.handle(req, res);
    });
    this.server.on('connection', () => this.arrivals++);
    this.clients.watch(this.server);
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException) => reject(listenError(e, host, port));
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections, lets in-flight requests finish (up to graceMs), then closes. */
  async shutdown(graceMs = 30_000): Promise<{ drained: boolean }> {
    this.closing = true;
    await this.settle();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    this.lane.closeIdle();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.drained().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    this.lane.closeAll();
    await closed;
    await Promise.race([this.shadow.idle(), new Promise((r) => setTimeout(r, Math.min(graceMs, 5000)).unref())]);
    return { drained };
  }

  /**
   * Turns of the event loop until two in a row bring no new connection or request (at most 100 ms): what was
   * sent before a shutdown but not yet read (a busy loop reads a backlog over several turns) starts, instead
   * of being reset when the listener and the idle connections close.
   */
  private async settle(): Promise<void> {
    const until = Date.now() + 100;
    for (let quiet = 0; quiet < 2 && Date.now() < until; ) {
      const before = this.arrivals;
      await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      quiet = this.arrivals === before ? quiet + 1 : 0;
    }
  }

  private drained(): Promise<void> {
    return this.clients.inflight === 0 ? Promise.resolve() : new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private send(res: Reply, status: number, body: unknown, headers: Record<string, string> = {}): void {
    sendJson(res, status, body, headers, this.closing);
  }

  private error(res: Reply, status: number, message: string, headers: Record<string, string> = {}): void {
    this.send(res, status, { error: message }, headers);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.arrivals++;
    const { path, query } = requestTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    try {
      if (path.startsWith('/v2/models/')) return this.modelRoute(req, res, method, path);
      switch (path) {
        case '/v2':
        case '/v2/':
          if (!readOnly(method)) return this.notAllowed(req, res, 'GET');
          return this.send(res, 200, { name: SERVER_NAME, version: this.o.serverVersion ?? '0', extensions: [] });
        case '/v2/health/live':
          if (!readOnly(method)) return this.notAllowed(req, res, 'GET');
          return this.send(res, 200, { live: true });
        case '/v2/health/ready': {
          if (!readOnly(method)) return this.notAllowed(req, res, 'GET');
          const ready = this.o.reconciler.ready() && !this.closing;
          return this.send(res, ready ? 200 : 503, ready ? { ready: true } : { ready: false, error: this.closing ? 'shutting down' : (this.o.reconciler.status().health.reason ?? 'models are not loaded yet') });
        }
        case '/-/status':
          if (!readOnly(method)) return this.notAllowed(req, res, 'GET');
          return this.send(res, 200, this.o.reconciler.status());
        case '/-/reconcile':
          if (method !== 'POST') return this.notAllowed(req, res, 'POST');
          return reconcileRoute(req, res, query, { secret: this.o.webhookSecret, maxBody: this.maxBody, reconciler: this.o.reconciler, send: (r, status, body, headers) => this.send(r, status, body, headers) });
        case '/metrics':
          if (!readOnly(method)) return this.notAllowed(req, res, 'GET');
          // the in-flight gauge is read at scrape time rather than moved twice per request
          this.o.metrics.inflight.set(this.clients.inflight);
          void this.o.metrics.registry.metrics().then(
            (text) => {
              res.writeHead(200, { 'content-type': this.o.metrics.registry.contentType });
              res.end(text);
            },
            (e: Error) => this.error(res, 500, `metrics: ${e.message}`),
          );
          return;
        default:
          req.resume();
          return this.error(res, 404, noRoute(method, path, this.o.reconciler.slots.keys()));
      }
    } catch (e) {
      this.o.log?.(`internal error on ${method} ${path}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) this.error(res, 500, 'internal error');
    }
  }

  private notAllowed(req: IncomingMessage, res: ServerResponse, allow: 'GET' | 'POST'): void {
    req.resume();
    this.error(res, 405, `method ${req.method} not allowed here; use ${allow}`, { allow: allow === 'GET' ? 'GET, HEAD' : allow });
  }

  private modelRoute(req: IncomingMessage, res: ServerResponse, method: string, path: string): void {
    const route = modelPath(path);
    if ('none' in route) {
      req.resume();
      return this.error(res, 404, noRoute(method, path, this.o.reconciler.slots.keys(), route.none));
    }
    const { model, version, action } = route;
    if (action === 'infer') {
      if (method !== 'POST') return this.notAllowed(req, res, 'POST');
      return void this.infer(req, res, model, version);
    }
    if (!readOnly(method)) return this.notAllowed(req, res, 'GET');
    req.resume();
    const found = this.lookup(res, model, version);
    if (!found) return;
    const rt = found.deployed.rt;
    if (action === 'ready') return this.send(res, 200, { name: model, ready: true });
    const slot = found.slot;
    const versions = [slot.primary.rt.version, ...(slot.canary ? [slot.canary.deployed.rt.version] : []), ...(slot.shadow ? [slot.shadow.rt.version] : [])];
    this.send(res, 200, {
      name: model,
      versions: version ? [rt.version] : [...new Set(versions)],
      platform: 'onnxruntime_onnx',
      inputs: rt.inputs,
      outputs: outputMetadata(rt.task, rt.classes),
    });
  }

  /** Finds the slot and deployment for a model route, answering 404/503 itself when there is none. */
  private lookup(res: Reply, model: string, version: string | undefined, requestId?: string): { slot: Slot; deployed: Deployed; role: Role } | null {
    const slot = this.o.reconciler.slots.get(model);
    if (!slot) {
      const rec = this.o.reconciler.modelState(model);
      if (rec) {
        this.error(res, 503, `model '${model}' is not ready (${rec.state}${rec.reason ? `: ${rec.reason}` : ''})`, { 'retry-after': '5' });
      } else {
        const names = this.o.reconciler.modelNames();
        this.error(res, 404, `model '${model}' not found; this server serves ${names.length ? names.join(', ') : 'no models'}`);
      }
      return null;
    }
    const picked = pickDeployment(slot, requestId, version);
    if (!picked) {
      const versions = [slot.primary.rt.version, slot.canary?.deployed.rt.version, slot.shadow?.rt.version].filter(Boolean);
      this.error(res, 404, `model '${model}' has no version '${version}'; loaded: ${versions.join(', ')}`);
      return null;
    }
    return { slot, ...picked };
  }

  private async infer(req: IncomingMessage | LaneRequest, res: Reply, model: string, version: string | undefined): Promise<void> {
    const t0 = performance.now();
    const node = req instanceof IncomingMessage ? req : undefined;
    if (this.clients.inflight >= this.maxInflight) {
      node?.resume();
      this.o.metrics.rejected.inc({ reason: 'overloaded' });
      this.count(this.o.reconciler.modelState(model) ? model : '_unknown', '', 503);
      return this.error(res, 503, `server overloaded: ${this.clients.inflight} requests in flight (--max-inflight ${this.maxInflight}); retry later`, { 'retry-after': '1' });
    }
    this.clients.started();
    let held: Deployed | null = null;
    // labels only take values the manifest knows: a URL cannot grow the metrics without bound
    const labelModel = this.o.reconciler.modelState(model) ? model : '_unknown';
    let labelVersion = '';
    let code = 200;
    try {
      // a client waiting for 100 Continue hears of a model or version that is not there before it sends the body
      if (node && awaitsContinue(node) && !this.lookup(res, model, version)) {
        code = res.statusCode;
        return;
      }
      let raw: Buffer;
      try {
        raw = node ? await readBody(node, this.maxBody, this.bodyTimeoutMs) : (req as LaneRequest).body;
      } catch (e) {
        if (e instanceof BadRequest || e instanceof ClientAborted) throw e;
        throw new BadRequest(`could not read the request body: ${(e as Error).message}`);
      }
      const slot = this.o.reconciler.slots.get(model);
      const headerId = req.headers['x-request-id'];
      const fallbackId = typeof headerId === 'string' && headerId ? checkedId(headerId, 'the x-request-id header') : undefined;
      // who answers, when the body's id cannot change it (a version in the URL, or no canary)
      const direct = slot ? (version !== undefined ? pickDeployment(slot, undefined, version) : slot.canary ? null : { deployed: slot.primary, role: 'primary' as Role }) : null;
      // logging a request needs its rows here: decided up front, once per request
      const sampledBy = direct ? this.sample(direct.deployed.rt) : false;
      const shadowed = slot?.shadow !== undefined && version === undefined;
      // the hottest path: with inference on a worker thread, the whole common request is decoded, scored and encoded there
      const onThread = direct !== null && direct.deployed.rt.answer !== undefined && !sampledBy && !shadowed;
      if (onThread) {
        held = direct.deployed;
        held.acquire();
        labelVersion = held.rt.version;
        const answered = await held.rt.answer!(raw);
        if (answered) return sendPrediction(res, model, held.rt.version, checkedId(answered.id) ?? fallbackId ?? this.newId(), direct.role, answered.outputs, this.closing);
        held.release();
        held = null;
      }
      // on the event loop: the common form decoded from its bytes (oip-scan.ts) for the runtime that answers unless the body's
      // id routes it to a canary (not again after the thread's scanner declined it), else JSON.parse + decodeRequest
      const guess = slot ? (version === undefined ? slot.primary : direct?.deployed) : undefined;
      const scanned = guess && !onThread ? scanRequest(raw, this.decodeContext(guess.rt)) : undefined;
      let body: unknown;
      if (!scanned) body = parseBody(raw, req.headers['inference-header-content-length']);
      const bodyId = scanned ? scanned.id : typeof body === 'object' && body !== null && typeof (body as { id?: unknown }).id === 'string' ? (body as { id: string }).id : undefined;
      const givenId = checkedId(bodyId) ?? fallbackId;
      const found = this.lookup(res, model, version, givenId);
      if (!found) {
        code = res.statusCode;
        return;
      }
      held = found.deployed;
      held.acquire();
      const rt = held.rt;
      labelVersion = rt.version;
      const decoded = scanned && found.deployed === guess ? scanned : decodeRequest(body ?? parseBody(raw, req.headers['inference-header-content-length']), this.decodeContext(rt));
      checkRequestedOutputs(decoded.outputs, rt.task);
      const prediction = await rt.predict(decoded.rows);
      const id = givenId ?? this.newId();
      sendPrediction(res, model, rt.version, id, found.role, encodeOutputsJson(prediction, rt.task, rt.threshold, decoded.outputs), this.closing);
      // after the answer: prediction log and shadow
      const sampled = found.deployed === direct?.deployed ? sampledBy : this.sample(rt);
      if (sampled) this.logPredictions(rt, found.role, id, decoded.rows, prediction);
      const shadow = found.role !== 'shadow' && version === undefined ? found.slot.shadow : undefined;
      if (shadow) this.enqueueShadow(shadow, id, decoded.rows, sampled);
    } catch (e) {
      if (e instanceof ClientAborted) {
        code = 0; // no answer, nor a status to count: the client is gone
        this.o.metrics.rejected.inc({ reason: 'aborted' });
      } else if (e instanceof BadRequest) {
        code = e.status;
        this.o.metrics.rejected.inc({ reason: REFUSED_BODY[code] ?? 'bad_request' });
        this.error(res, code, e.message, refusedBodyHeaders(code));
      } else if (e instanceof SlipwayError) {
        code = 400;
        this.error(res, 400, e.message);
      } else {
        code = 500;
        this.o.log?.(`inference error for ${model}: ${(e as Error).stack ?? String(e)}`);
        this.error(res, 500, `inference failed: ${(e as Error).message}`);
      }
    } finally {
      held?.release();
      if (code) this.count(labelModel, labelVersion, code);
      if (code === 200) this.timers.get(labelModel, labelVersion).observe((performance.now() - t0) / 1000);
      if (this.clients.finished() === 0 && this.drainWaiters.length) {
        const w = this.drainWaiters;
        this.drainWaiters = [];
        for (const f of w) f();
      }
    }
  }

  private newId(): string {
    return `${this.idPrefix}-${(++this.idSeq).toString(36)}`;
  }

  /** Whether this request's predictions go to the log (the runtime's sample rate). */
  private sample(rt: ModelRuntime): boolean {
    return this.o.logs !== undefined && rt.logSampleRate > 0 && (rt.logSampleRate >= 1 || this.random() < rt.logSampleRate);
  }

  private contexts = new WeakMap<ModelRuntime, DecodeContext>();

  /** The decoding context of a runtime, made once (the decoders cache per-context work on its arrays). */
  private decodeContext(rt: ModelRuntime): DecodeContext {
    let c = this.contexts.get(rt);
    if (!c) this.contexts.set(rt, (c = { features: rt.features, extra: rt.extra, contract: rt.contract }));
    return c;
  }

  // prom-client children per label set: the label hashing is measurable on the hot path
  private readonly counters = new LabelledChildren((model, version, code) => this.o.metrics.requests.labels({ model, version, code }));
  private readonly timers = new LabelledChildren((model, version) => this.o.metrics.latency.labels({ model, version }));

  private count(model: string, version: string, code: number): void {
    this.counters.get(model, version, String(code)).inc();
  }

  private logPredictions(rt: ModelRuntime, role: Role, id: string, rows: Row[], p: Prediction): void {
    this.o.logs!.writeLines(rt.model, predictionLines(rt, role, id, rows, p), rows.length);
  }

  private enqueueShadow(shadow: Deployed, id: string, rows: Row[], log: boolean): void {
    const ok = this.shadow.offer(async () => {
      if (shadow.isRetired) return; // swapped out while queued
      const p = await shadow.use((rt) => rt.predict(rows));
      if (log) this.logPredictions(shadow.rt, 'shadow', id, rows, p);
    });
    if (!ok) this.o.metrics.shadowDropped.inc({ model: shadow.rt.model });
  }
}
