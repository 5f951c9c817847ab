/**
 * The HTTP fast lane (src/serve/http-lane.ts): which requests it takes, how a connection moves on to
 * node:http (at a request boundary, every byte not yet answered with it), keep-alive, closing; and, against
 * the real server, that an answer from the lane is the answer node:http gives to the same request.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/serve/http-answer.js';
import { HttpLane, laneRequest, type LaneRequest } from '../../src/serve/http-lane.js';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import { applicant, tensorRequest } from './client.js';
import { buildWorld, ENV, type World } from './fixtures.js';
import { pause, rawConnection, responses, statusLines } from './raw-client.js';

/** a request's bytes: its head as Latin-1 (a test may put any byte there), its body as UTF-8 */
const request = (lines: string[], body = '{}') => Buffer.concat([Buffer.from([...lines, '', ''].join('\r\n'), 'latin1'), Buffer.from(body)]);
const infer = (extra: string[] = [], body = '{}', target = '/v2/models/m/infer') => request([`POST ${target} HTTP/1.1`, 'Host: x', `Content-Length: ${Buffer.byteLength(body)}`, ...extra], body);

describe('laneRequest: the subset the lane takes', () => {
  it('takes a whole POST …/infer with one Host and one Content-Length, and says where it ends', () => {
    const one = infer(['Content-Type: application/json', 'X-Request-Id:  abc \t', 'Connection: Keep-Alive'], '{"a":1}');
    const taken = laneRequest(Buffer.concat([one, infer()]), 1024)!;
    expect(taken.end).toBe(one.length);
    expect(taken.request.model).toBe('m');
    expect(taken.request.version).toBeUndefined();
    expect(taken.request.body.toString()).toBe('{"a":1}');
    expect({ ...taken.request.headers }).toEqual({ host: 'x', 'content-length': '7', 'content-type': 'application/json', 'x-request-id': 'abc', connection: 'Keep-Alive' });
    const versioned = laneRequest(infer([], '{}', '/v2/models/m%2Dx/versions/1.2.0/infer?trace=1'), 1024)!.request;
    expect([versioned.model, versioned.version]).toEqual(['m-x', '1.2.0']);
  });

  it.each([
    ['another method', request(['PUT /v2/models/m/infer HTTP/1.1', 'Host: x', 'Content-Length: 2'])],
    ['another route', infer([], '{}', '/v2/models/m/ready')],
    ['a health check', request(['GET /v2/health/ready HTTP/1.1', 'Host: x'], '')],
    ['absolute-form', infer([], '{}', 'http://x/v2/models/m/infer')],
    ['HTTP/1.0', request(['POST /v2/models/m/infer HTTP/1.0', 'Host: x', 'Content-Length: 2'])],
    ['no Host', request(['POST /v2/models/m/infer HTTP/1.1', 'Content-Length: 2'])],
    ['an empty Host', request(['POST /v2/models/m/infer HTTP/1.1', 'Host:', 'Content-Length: 2'])],
    ['no Content-Length', request(['POST /v2/models/m/infer HTTP/1.1', 'Host: x'])],
    ['two Content-Lengths', infer(['content-length: 2'])],
    ['a Content-Length that is not digits', request(['POST /v2/models/m/infer HTTP/1.1', 'Host: x', 'Content-Length: +2'])],
    ['Transfer-Encoding', infer(['Transfer-Encoding: chunked'])],
    ['Expect', infer(['Expect: 100-continue'])],
    ['Content-Encoding', infer(['Content-Encoding: gzip'])],
    ['Upgrade', infer(['Upgrade: websocket'])],
    ['Connection: close', infer(['Connection: close'])],
    ['a repeated header', infer(['X-Request-Id: a', 'x-request-id: b'])],
    ['a folded header line', infer(['X-A: a', ' folded'])],
    ['a space before the colon', infer(['X-A : a'])],
    ['a control character in a value', infer(['X-A: a\x01b'])],
    ['a non-ASCII value', infer(['X-A: caf\xe9'])],
    ['a bare LF', Buffer.from('POST /v2/models/m/infer HTTP/1.1\nHost: x\r\nContent-Length: 2\r\n\r\n{}')],
    ['a body over maxBody', infer([], 'x'.repeat(1025))],
    ['a head over 16 KiB', infer([`X-Big: ${'a'.repeat(16 * 1024)}`])],
    ['an incomplete head', infer().subarray(0, 30)],
    ['an incomplete body', infer([], '{"a":1}').subarray(0, -1)],
  ])('leaves %s to node:http', (_what, buf) => {
    expect(laneRequest(buf, 1024)).toBeNull();
  });
});

/** A node:http server with a lane in front: node answers `node METHOD URL BODY-BYTES`, the lane `lane MODEL BODY-BYTES` (after `delayMs`). */
async function laneServer(opts: { keepAliveMs?: number; delayMs?: number } = {}): Promise<{ server: Server; lane: HttpLane; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      const text = `node ${req.method} ${req.url} ${n}`;
      seen.push(text);
      res.writeHead(200, { 'content-length': text.length });
      res.end(text);
    });
  });
  const lane = new HttpLane(server, {
    maxBody: 1024,
    keepAliveMs: opts.keepAliveMs ?? 65_000,
    infer: (req: LaneRequest, reply: Reply) => {
      const text = `lane ${req.model} ${req.body.length}${req.headers['x-big'] ? ` ${'x'.repeat(16 << 20)}` : ''}`;
      seen.push(text);
      const answer = () => {
        reply.writeHead(200, undefined, { 'content-type': 'text/plain', 'content-length': text.length, ...(req.headers['x-close'] ? { connection: 'close' } : {}) });
        reply.end(text);
      };
      if (opts.delayMs) setTimeout(answer, opts.delayMs);
      else answer();
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, lane, port: (server.address() as AddressInfo).port, seen };
}

const bodies = (raw: string) => responses(raw).map((r) => r.body);
/** server.close(): resolves once every connection has closed */
const closeServer = (server: Server) => new Promise<void>((r) => server.close(() => r()));
/** fails the test when `closing` (a closeServer) has not resolved within 3 s */
const completes = (closing: Promise<void>) => Promise.race([closing, pause(3000).then(() => Promise.reject(new Error('server.close() did not complete')))]);

describe('HttpLane: connections, the lane first and node:http after', () => {
  let t: Awaited<ReturnType<typeof laneServer>>;
  beforeAll(async () => {
    t = await laneServer();
  });
  afterAll(() => closeServer(t.server));

  it('answers one request after another on a kept-alive connection, with keep-alive headers and a Date', async () => {
    const c = await rawConnection(t.port);
    for (let i = 0; i < 3; i++) {
      c.sock.write(infer([], '{"i":1}'));
      await c.until((raw) => responses(raw).length === i + 1 && responses(raw)[i].body.length > 0);
    }
    const all = responses(c.received());
    expect(all.map((r) => r.body)).toEqual(['lane m 7', 'lane m 7', 'lane m 7']);
    expect(all[0]).toEqual({ status: 'HTTP/1.1 200 OK', headers: { 'content-type': 'text/plain', 'content-length': '8', connection: 'keep-alive', 'keep-alive': 'timeout=65' }, body: 'lane m 7' });
    expect(c.received()).toMatch(/\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    c.sock.destroy();
  });

  it('answers pipelined requests in order, and hands the connection to node:http at the first that is not the lane’s, with the bytes after it', async () => {
    const c = await rawConnection(t.port);
    const get = request(['GET /v2/health/ready HTTP/1.1', 'Host: x'], '');
    c.sock.write(Buffer.concat([infer([], '{"a":1}'), infer(), get, infer([], '{"b":22}')]));
    expect(bodies(await c.until((raw) => responses(raw).length === 4, 5000))).toEqual(['lane m 7', 'lane m 2', 'node GET /v2/health/ready 0', 'node POST /v2/models/m/infer 8']);
    // node:http keeps the connection from then on
    c.sock.write(infer());
    expect(bodies(await c.until((raw) => responses(raw).length === 5)).at(-1)).toBe('node POST /v2/models/m/infer 2');
    c.sock.destroy();
  });

  it('a client that pipelines thousands of requests and reads nothing for a while gets every answer, in order (from the lane until a read splits a request, then from node:http)', async () => {
    const c = await rawConnection(t.port);
    c.sock.pause();
    const n = 5000;
    c.sock.write(Buffer.concat(Array.from({ length: n }, (_, i) => infer([], '{}', `/v2/models/m${i}/infer`))));
    await pause(300);
    c.sock.resume();
    const all = bodies(await c.until(new RegExp(`m${n - 1}(/infer)? 2$`), 20_000));
    expect(all.length).toBe(n);
    expect(all.filter((b, i) => b !== `lane m${i} 2` && b !== `node POST /v2/models/m${i}/infer 2`)).toEqual([]);
    expect(all.slice(0, 100).every((b, i) => b === `lane m${i} 2`)).toBe(true);
    c.sock.destroy();
  });

  it('stops reading a client that does not read its answers, and goes on when it does', async () => {
    const c = await rawConnection(t.port);
    c.sock.pause();
    // an answer of 16 MB, more than the kernel's buffers hold, and 99 requests (≈ 100 kB) behind it
    const n = 100;
    const body = JSON.stringify({ pad: 'p'.repeat(900) });
    c.sock.write(infer(['X-Big: 1'], body, '/v2/models/m0/infer'));
    await pause(100);
    c.sock.write(Buffer.concat(Array.from({ length: n - 1 }, (_, i) => infer([], body, `/v2/models/m${i + 1}/infer`))));
    await pause(300);
    // the last bytes only: a wait on all received so far would copy its 16 MB at every chunk
    let tail = '';
    c.sock.on('data', (d: Buffer) => (tail = (tail + d.toString('latin1')).slice(-100)));
    c.sock.resume();
    for (let i = 0; i < 2000 && !tail.endsWith(`m${n - 1} ${body.length}`) && !tail.endsWith(`m${n - 1}/infer ${body.length}`); i++) await pause(10);
    const all = bodies(c.received()).map((b) => b.slice(0, 40).split(' x')[0]);
    expect(all.length).toBe(n);
    expect(all.filter((b, i) => b !== `lane m${i} ${body.length}` && b !== `node POST /v2/models/m${i}/infer ${body.length}`)).toEqual([]);
    expect(all.slice(0, 2)).toEqual([`lane m0 ${body.length}`, `lane m1 ${body.length}`]);
    c.sock.destroy();
  });

  it('hands over a request whose body has not all arrived; node:http reads the rest', async () => {
    const c = await rawConnection(t.port);
    c.sock.write(infer());
    await c.until((raw) => responses(raw).length === 1);
    const whole = infer([], '{"late":true}');
    c.sock.write(whole.subarray(0, whole.length - 5));
    await pause(50);
    c.sock.write(whole.subarray(whole.length - 5));
    expect(bodies(await c.until((raw) => responses(raw).length === 2))).toEqual(['lane m 2', 'node POST /v2/models/m/infer 13']);
    c.sock.destroy();
  });

  it('hands over chunked and 100-continue requests whole', async () => {
    const c = await rawConnection(t.port);
    c.sock.write(request(['POST /v2/models/m/infer HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n0\r\n\r\n'));
    expect(bodies(await c.until((raw) => responses(raw).length === 1))).toEqual(['node POST /v2/models/m/infer 3']);
    c.sock.destroy();
    const e = await rawConnection(t.port);
    e.sock.write(request(['POST /v2/models/m/infer HTTP/1.1', 'Host: x', 'Content-Length: 2', 'Expect: 100-continue'], ''));
    expect(await e.until(/100 Continue\r\n\r\n/)).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    e.sock.write('{}');
    expect(statusLines(await e.until(/node POST/))).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
    e.sock.destroy();
  });

  it('closes the connection after an answer that says connection: close, and drops what was pipelined behind it', async () => {
    const before = t.seen.length;
    const c = await rawConnection(t.port);
    c.sock.write(Buffer.concat([infer(['X-Close: 1']), infer()]));
    await Promise.race([c.ended, pause(3000)]);
    expect(c.sock.destroyed || c.sock.readableEnded).toBe(true);
    const all = responses(c.received());
    expect(all.map((r) => [r.body, r.headers.connection])).toEqual([['lane m 2', 'close']]);
    expect(all[0].headers['keep-alive']).toBeUndefined();
    expect(t.seen.length).toBe(before + 1);
  });

  it('refuses a header value it cannot write, as node:http does', async () => {
    const replies: Reply[] = [];
    const t2 = createServer();
    new HttpLane(t2, { maxBody: 1024, keepAliveMs: 65_000, infer: (_req, reply) => replies.push(reply) });
    await new Promise<void>((r) => t2.listen(0, '127.0.0.1', r));
    const c = await rawConnection((t2.address() as AddressInfo).port);
    c.sock.write(infer());
    for (let i = 0; i < 100 && !replies.length; i++) await pause(10);
    expect(() => replies[0].writeHead(200, undefined, { 'x-id': 'a\r\nset-cookie: b' })).toThrow(/invalid character in the x-id header/);
    replies[0].writeHead(200, undefined, { 'content-length': 2 });
    replies[0].end('ok');
    expect(responses(await c.until(/ok$/)).map((r) => r.body)).toEqual(['ok']);
    c.sock.destroy();
    await closeServer(t2);
  });
});

describe('HttpLane: idle connections and closing', () => {
  it('closes a connection idle for keepAliveMs, before its first request and after its last', async () => {
    const t = await laneServer({ keepAliveMs: 200 });
    const fresh = await rawConnection(t.port);
    const used = await rawConnection(t.port);
    used.sock.write(infer());
    await used.until((raw) => responses(raw).length === 1);
    const started = Date.now();
    await Promise.race([Promise.all([fresh.ended, used.ended]), pause(3000)]);
    expect(Date.now() - started).toBeLessThan(2500);
    expect([fresh.sock.destroyed || fresh.sock.readableEnded, used.sock.destroyed || used.sock.readableEnded]).toEqual([true, true]);
    await closeServer(t.server);
  });

  it('a client that closes its side still gets the answer in progress, then the connection closes; server.close() completes', async () => {
    const t = await laneServer({ delayMs: 100 });
    const c = await rawConnection(t.port);
    c.sock.end(Buffer.concat([infer(), infer()]));
    await Promise.race([c.ended, pause(3000)]);
    expect(bodies(c.received())).toEqual(['lane m 2']);
    const idle = await rawConnection(t.port);
    idle.sock.end();
    await Promise.race([idle.ended, pause(3000)]);
    await completes(closeServer(t.server));
  });

  it('closeIdle closes waiting connections at once and a busy one after its answer; server.close() then completes', async () => {
    const t = await laneServer({ delayMs: 300 });
    const idle = await rawConnection(t.port);
    const busy = await rawConnection(t.port);
    idle.sock.write(infer());
    await idle.until((raw) => responses(raw).length === 1);
    busy.sock.write(infer());
    await pause(50);
    const closed = closeServer(t.server);
    t.lane.closeIdle();
    await Promise.race([idle.ended, pause(1000)]);
    expect(idle.sock.destroyed || idle.sock.readableEnded).toBe(true);
    expect(busy.sock.readableEnded).toBe(false);
    await Promise.race([busy.ended, pause(3000)]);
    expect(bodies(busy.received())).toEqual(['lane m 2']);
    await completes(closed);
  });
});

describe('serve: an answer from the lane is the answer node:http gives', () => {
  let w: World;
  let s: RunningServer;
  beforeAll(async () => {
    w = await buildWorld({ l2s: [1] });
    w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
    s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath });
  });
  afterAll(async () => {
    await s?.stop(5000);
    if (w) rmSync(w.root, { recursive: true, force: true });
  });

  /** the request answered through the lane (one write) and through node:http (its last byte 50 ms after the rest) */
  async function both(bytes: Buffer): Promise<ReturnType<typeof responses>> {
    const out: ReturnType<typeof responses> = [];
    for (const split of [false, true]) {
      const c = await rawConnection(s.port);
      if (split) {
        c.sock.write(bytes.subarray(0, -1));
        await pause(50);
        c.sock.write(bytes.subarray(-1));
      } else c.sock.write(bytes);
      out.push(responses(await c.until((raw) => responses(raw).length === 1 && raw.endsWith('}'), 5000))[0]);
      c.sock.destroy();
    }
    return out;
  }

  it.each([
    ['a prediction with the body’s id', '/v2/models/credit-risk/infer', [], JSON.stringify(tensorRequest([applicant(0), applicant(1)], 'lane-1'))],
    ['a prediction with an id that is not ASCII, by version', '/v2/models/credit-risk/versions/1.0.0/infer', [], JSON.stringify(tensorRequest([applicant(2)], 'café ☕'))],
    ['a prediction with the header’s id', '/v2/models/credit-risk/infer', ['X-Request-Id: from-the-header'], JSON.stringify(tensorRequest([applicant(3)]))],
    ['a malformed body', '/v2/models/credit-risk/infer', ['X-Request-Id: bad-1'], '{"inputs": [}'],
    ['an unknown model', '/v2/models/nope/infer', [], JSON.stringify(tensorRequest([applicant(0)], 'x'))],
    ['an unknown version', '/v2/models/credit-risk/versions/9.9.9/infer', [], JSON.stringify(tensorRequest([applicant(0)], 'x'))],
    ['an id too long to echo', '/v2/models/credit-risk/infer', [], JSON.stringify(tensorRequest([applicant(0)], 'i'.repeat(2000)))],
  ])('%s', async (_what, target, extra, body) => {
    const lines = [`POST ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...(extra as string[])];
    const [lane, node] = await both(request(lines, body));
    expect(lane).toEqual(node);
    expect(lane.status).toMatch(/^HTTP\/1\.1 (200|400|404) /);
  });
});
