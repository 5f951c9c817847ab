/**
 * The server at the edges of HTTP/1.1, over raw sockets against a real server with a real model:
 * absolute-form request targets, a client that goes away mid-body, and `Expect: 100-continue`.
 */
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import { applicant, call, tensorRequest } from './client.js';
import { buildWorld, ENV, type World } from './fixtures.js';
import { complete, lastBody, pause, rawConnection, statusLines } from './raw-client.js';

let w: World;
let s: RunningServer;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1] });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
  s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, maxBodyBytes: 64 * 1024 });
});

afterAll(async () => {
  await s?.stop(5000);
  if (w) rmSync(w.root, { recursive: true, force: true });
});

const metric = async (reason: string) => {
  const text = (await call(s.url, 'GET', '/metrics')).text;
  const m = new RegExp(`^slipway_rejected_requests_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

const body = JSON.stringify(tensorRequest([applicant(0), applicant(1)], 'edge-1'));
const head = (target: string, extra: string[]) => [`POST ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', ...extra, '', ''].join('\r\n');

describe('serve: absolute-form request targets (RFC 9112 §3.2.2)', () => {
  it('routes http://host:port/v2/models/{m}/infer by its path', async () => {
    const plain = await call(s.url, 'POST', '/v2/models/credit-risk/infer', body);
    expect(plain.status).toBe(200);
    for (const target of [`http://127.0.0.1:${s.port}/v2/models/credit-risk/infer`, 'HTTP://example.com/v2/models/credit-risk/infer?x=1']) {
      const c = await rawConnection(s.port);
      c.sock.write(head(target, [`Content-Length: ${body.length}`]) + body);
      const raw = await c.until(complete);
      expect(statusLines(raw), target).toEqual(['HTTP/1.1 200 OK']);
      expect(lastBody(raw).outputs).toEqual((plain.body as { outputs: unknown }).outputs);
      c.sock.destroy();
    }
    const c = await rawConnection(s.port);
    c.sock.write(`GET http://127.0.0.1:${s.port}/v2/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const ready = await c.until(complete);
    expect([statusLines(ready), lastBody(ready)]).toEqual([['HTTP/1.1 200 OK'], { ready: true }]);
    c.sock.destroy();
  });
});

describe('serve: a client that goes away mid-body', () => {
  it('is counted as aborted, not bad_request; its slot is freed and the server keeps serving', async () => {
    const [aborted, bad] = [await metric('aborted'), await metric('bad_request')];
    const c = await rawConnection(s.port);
    c.sock.write(head('/v2/models/credit-risk/infer', [`Content-Length: ${body.length}`]) + body.slice(0, 20));
    for (let i = 0; i < 500 && s.http.clients.inflight < 1; i++) await pause(10);
    expect(s.http.clients.inflight).toBe(1);
    c.sock.destroy();
    for (let i = 0; i < 500 && s.http.clients.inflight > 0; i++) await pause(10);
    expect(s.http.clients.inflight).toBe(0);
    expect([await metric('aborted'), await metric('bad_request')]).toEqual([aborted + 1, bad]);
    expect((await call(s.url, 'POST', '/v2/models/credit-risk/infer', body)).status).toBe(200);
  });
});

describe('serve: Expect: 100-continue', () => {
  it('refuses a request it would refuse anyway without 100 Continue (413, 415, 404, 405), and the connection closes', async () => {
    const [tooLarge, unsupported] = [await metric('too_large'), await metric('unsupported_media_type')];
    const cases: [string, string[], number][] = [
      ['/v2/models/credit-risk/infer', ['Content-Length: 10000000'], 413],
      ['/v2/models/credit-risk/infer', [`Content-Length: ${body.length}`, 'Content-Encoding: gzip'], 415],
      ['/v2/models/credit-risk/bogus', [`Content-Length: ${body.length}`], 404],
      ['/v2/models/no-such-model/infer', [`Content-Length: ${body.length}`], 404],
      ['/v2/models/credit-risk/versions/9.9.9/infer', [`Content-Length: ${body.length}`], 404],
      ['/v2/health/live', [`Content-Length: ${body.length}`], 405],
    ];
    for (const [target, extra, status] of cases) {
      const c = await rawConnection(s.port);
      c.sock.write(head(target, [...extra, 'Expect: 100-continue']));
      // the connection ends after the answer: the body is not read
      await Promise.race([c.ended, pause(3000)]);
      const raw = c.received();
      expect(statusLines(raw), `${target} ${extra.join(', ')}`).toEqual([expect.stringMatching(new RegExp(`^HTTP/1\\.1 ${status} `))]);
      expect(raw.toLowerCase()).toContain('\r\nconnection: close\r\n');
      expect(lastBody(raw).error).toBeTruthy();
      expect(c.sock.destroyed || c.sock.readableEnded).toBe(true);
      c.sock.destroy();
    }
    // counted as the same refusals without Expect are
    expect([await metric('too_large'), await metric('unsupported_media_type')]).toEqual([tooLarge + 1, unsupported + 1]);
  });

  it('answers 503 + Retry-After without 100 Continue when --max-inflight is reached', async () => {
    const s2 = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, maxInflight: 1 });
    try {
      // one request holds the only slot: headers sent, body not yet
      const holder = connect(s2.port, '127.0.0.1');
      holder.on('error', () => {});
      holder.write(head('/v2/models/credit-risk/infer', [`Content-Length: ${body.length}`]));
      for (let i = 0; i < 500 && s2.http.clients.inflight < 1; i++) await pause(10);
      const raw = await new Promise<string>((resolve) => {
        let t = '';
        const sock = connect(s2.port, '127.0.0.1', () => sock.write(head('/v2/models/credit-risk/infer', [`Content-Length: ${body.length}`, 'Expect: 100-continue'])));
        sock.on('data', (c: Buffer) => (t += c.toString('latin1')));
        sock.on('close', () => resolve(t));
        sock.on('error', () => {});
        setTimeout(() => sock.destroy(), 3000);
      });
      expect(statusLines(raw)).toEqual(['HTTP/1.1 503 Service Unavailable']);
      expect(raw.toLowerCase()).toContain('\r\nretry-after: 1\r\n');
      holder.destroy();
    } finally {
      await s2.stop(1000);
    }
  });

  it('sends 100 Continue to a request it will read, then answers it (and keeps the connection)', async () => {
    const c = await rawConnection(s.port);
    c.sock.write(head('/v2/models/credit-risk/infer', [`Content-Length: ${body.length}`, 'Expect: 100-continue']));
    expect(await c.until(/\r\n\r\n/)).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.sock.write(body);
    const raw = await c.until(complete);
    expect(statusLines(raw)).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK']);
    expect(lastBody(raw).id).toBe('edge-1');
    const plain = (await call(s.url, 'POST', '/v2/models/credit-risk/infer', body)).body as { outputs: unknown };
    expect(lastBody(raw).outputs).toEqual(plain.outputs);
    expect(raw.toLowerCase()).not.toContain('connection: close');
    c.sock.destroy();
  });
});
