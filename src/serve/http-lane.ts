/**
 * The fast lane of serve's HTTP/1.1. node:http spends ≈ 12 µs of CPU per request on its own objects and
 * events (a bare node:http server against a minimal responder on node:net, same rate, same body:
 * ≈ 37 against ≈ 25 µs a request; docs/serve-benchmarks.md), as much as decoding, scoring and encoding a
 * single-row request together. So the server's connections come here first. A request this lane reads
 * whole and finds inside its strict subset (below) is answered here; at the first request that is not, the
 * connection, with every byte not yet answered, goes to node:http for the rest of its life, which answers
 * it exactly as it answers every connection: health checks, `/metrics`, a chunked or compressed body,
 * `Expect: 100-continue`, a body over `--max-body`, a malformed request (node's 400), HTTP/1.0.
 *
 * The subset, kept strict so that whatever node:http would parse differently never reaches the lane:
 * `POST /v2/models/{m}[/versions/{v}]/infer HTTP/1.1`, every header line `token: visible ASCII`, none of
 * them repeated, one `Host`, one `Content-Length` of at most `maxBody`, none of Transfer-Encoding,
 * Expect, Content-Encoding or Upgrade, `Connection` absent or `keep-alive`, the head at most 16 KiB (node's
 * default), and head and body already read (a body still on its way goes to node:http, with its timeouts).
 * Requests on one connection are answered in order, one at a time (pipelined ones wait in the buffer).
 */
import { STATUS_CODES, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Reply } from './http-answer.js';
import { modelPath, requestTarget } from './http-route.js';

/** An inference request the lane read whole: its route, its headers (names in lower case), its body. */
export interface LaneRequest {
  model: string;
  version: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface LaneOptions {
  /** the largest body the lane reads (a larger one is node:http's, which answers 413) */
  maxBody: number;
  /** an idle connection closes after this long (node:http's keepAliveTimeout) */
  keepAliveMs: number;
  /** answers a request: calls reply.end once */
  infer(req: LaneRequest, reply: Reply): void;
}

const MAX_HEAD = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^POST (\/v2\/models\/[\x21-\x7e]*) HTTP\/1\.1$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VALUE = /^[\t\x20-\x7e]*$/;
const LENGTH = /^\d{1,10}$/;
const NOT_OURS = new Set(['transfer-encoding', 'expect', 'content-encoding', 'upgrade']);
/** request bytes a connection buffers, while an answer is in progress, before it stops reading */
const PAUSE_ABOVE = 64 * 1024;

/**
 * The first request in `buf` when the lane takes it: read whole and inside the subset. Null when it is not
 * (node:http's, from here on), incomplete included.
 */
export function laneRequest(buf: Buffer, maxBody: number): { request: LaneRequest; end: number } | null {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd < 0 || headEnd > MAX_HEAD) return null;
  const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
  const target = REQUEST_LINE.exec(lines[0])?.[1];
  if (target === undefined) return null;
  const route = modelPath(requestTarget(target).path);
  if ('none' in route || route.action !== 'infer') return null;
  const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!TOKEN.test(name) || !VALUE.test(value)) return null;
    const key = name.toLowerCase();
    if (key in headers || NOT_OURS.has(key)) return null;
    if (key === 'content-length' && !LENGTH.test(value)) return null;
    if (key === 'connection' && value.toLowerCase() !== 'keep-alive') return null;
    headers[key] = value;
  }
  const length = Number(headers['content-length'] ?? -1);
  if (length < 0 || length > maxBody || !headers.host) return null;
  const end = headEnd + HEAD_END.length + length;
  if (buf.length < end) return null;
  return { request: { model: route.model, version: route.version, headers, body: buf.subarray(headEnd + HEAD_END.length, end) }, end };
}

let dateSecond = 0;
let dateText = '';
/** the Date header's value, made once a second (as node:http does) */
function httpDate(): string {
  const now = Date.now();
  if (now - dateSecond >= 1000 || now < dateSecond) {
    dateSecond = now - (now % 1000);
    dateText = new Date(dateSecond).toUTCString();
  }
  return dateText;
}

/** The connections of one server: the lane first, node:http for the rest of a connection's life after. */
export class HttpLane {
  private readonly open = new Set<LaneConnection>();
  private readonly toNode: (socket: Socket) => void;
  /** the headers of an answer that keeps its connection, as node:http writes them */
  readonly keepAliveHeaders: string;

  constructor(
    server: Server,
    readonly o: LaneOptions,
  ) {
    this.keepAliveHeaders = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(o.keepAliveMs / 1000)}\r\n`;
    const listeners = server.listeners('connection') as ((socket: Socket) => void)[];
    if (listeners.length !== 1) throw new Error(`HttpLane: expected node:http's one 'connection' listener, found ${listeners.length}`);
    const [node] = listeners;
    server.removeListener('connection', node);
    this.toNode = (socket) => node.call(server, socket);
    server.prependListener('connection', (socket: Socket) => this.open.add(new LaneConnection(socket, this)));
  }

  /** a connection leaves the lane: to node:http (`socket`), or closed */
  leave(c: LaneConnection, socket?: Socket): void {
    this.open.delete(c);
    if (socket) this.toNode(socket);
  }

  /** closes the lane's connections that wait for a request (answers in progress close their connection after) */
  closeIdle(): void {
    for (const c of this.open) c.closeIdle();
  }

  closeAll(): void {
    for (const c of this.open) c.socket.destroy();
  }
}

class LaneConnection {
  private buf: Buffer | null = null;
  /** a request is being answered, or its answer waits for the client to read */
  private busy = false;
  private pumping = false;
  private closing = false;
  private readonly onData = (chunk: Buffer) => {
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.busy) return this.pump();
    // a client pipelining more than the answer in progress lets through: read no more until that answer is out
    if (this.buf.length > PAUSE_ABOVE) this.socket.pause();
  };
  /** ready for the next request: the last answer is written and the client reads its answers */
  private readonly next = () => {
    this.busy = false;
    if (this.closing) return void this.socket.end();
    if (this.socket.isPaused()) this.socket.resume();
    this.pump();
  };
  /** idle for keepAliveMs (an answer in progress is not idle: its write restarts the timer) */
  private readonly onTimeout = () => {
    if (!this.busy) this.socket.destroy();
  };
  private readonly onError = () => {};
  /** the client sent its last byte: the answer in progress, if any, goes out, then the connection closes (as node:http, which does not allow half-open connections) */
  private readonly onEnd = () => this.closeIdle();

  constructor(
    readonly socket: Socket,
    readonly lane: HttpLane,
  ) {
    // set once: every read and write restarts it (a timer per request, as node:http sets, costs more than a request's parsing)
    socket.setTimeout(lane.o.keepAliveMs);
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.once('close', () => lane.leave(this));
  }

  /** closes the connection now when no answer is in progress, else after it */
  closeIdle(): void {
    this.closing = true;
    this.buf = null;
    if (!this.busy) this.socket.destroy();
  }

  /** answers the requests in the buffer one at a time; hands the connection over at the first that is not the lane's */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.buf && !this.busy && !this.closing && !this.socket.destroyed) {
        const next = laneRequest(this.buf, this.lane.o.maxBody);
        if (!next) return this.handOver();
        this.buf = next.end === this.buf.length ? null : this.buf.subarray(next.end);
        this.busy = true;
        this.lane.o.infer(next.request, new LaneReply(this));
      }
    } finally {
      this.pumping = false;
    }
  }

  private handOver(): void {
    const { socket, buf } = this;
    this.buf = null;
    socket.removeListener('data', this.onData);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('error', this.onError);
    socket.removeListener('end', this.onEnd);
    socket.setTimeout(0);
    if (buf) socket.unshift(buf);
    this.lane.leave(this, socket);
  }

  /** an answer's bytes: written, then the next request, or the connection closed when the answer said so */
  answered(bytes: string, keepOpen: boolean): void {
    if (this.socket.destroyed) return void (this.busy = false);
    if (!keepOpen || this.closing) {
      this.busy = false;
      this.buf = null;
      this.socket.end(bytes);
      return;
    }
    // a client that does not read its answers gets no more of them until it does (node:http pauses it too)
    if (this.socket.write(bytes)) this.next();
    else this.socket.once('drain', this.next);
  }
}

class LaneReply implements Reply {
  statusCode = 200;
  headersSent = false;
  private head = '';
  private keepOpen = true;
  private ended = false;

  constructor(private readonly c: LaneConnection) {}

  writeHead(status: number, reason: string | undefined, headers: OutgoingHttpHeaders): this {
    let head = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? ''}\r\n`;
    let keepOpen = true;
    for (const name in headers) {
      const v = headers[name];
      if (v === undefined) continue;
      const text = String(v);
      if (!VALUE.test(text)) throw new TypeError(`invalid character in the ${name} header`);
      if (name === 'connection' && text === 'close') keepOpen = false;
      head += `${name}: ${text}\r\n`;
    }
    this.keepOpen = keepOpen;
    this.head = `${head}Date: ${httpDate()}\r\n${keepOpen ? this.c.lane.keepAliveHeaders : ''}\r\n`;
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }

  end(text: string): this {
    if (this.ended) return this;
    this.ended = true;
    if (!this.headersSent) this.writeHead(this.statusCode, undefined, { 'content-length': Buffer.byteLength(text) });
    this.c.answered(this.head + text, this.keepOpen);
    return this;
  }
}
