/**
 * The server at the edges of HTTP/1.1, over raw sockets against a real server with a real model.
 */
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import { applicant, call, tensorRequest } from './client.js';
import { buildWorld, ENV, type World } from './fixtures.js';

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

/** A raw connection: what it has received so far, and a wait for some text to arrive (or the connection to end). */
function open(): Promise<{ sock: Socket; received: () => string; until: (what: RegExp | ((text: string) => boolean), ms?: number) => Promise<string>; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const waiters: (() => void)[] = [];
    const sock = connect(s.port, '127.0.0.1');
    const ended = new Promise<void>((r) => sock.on('close', () => r()));
    const wake = () => waiters.splice(0).forEach((f) => f());
    sock.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      wake();
    });
    sock.on('close', wake);
    sock.on('error', () => {});
    // resolves with all received so far once `what` matches, the connection closes, or `ms` pass
    const until = (what: RegExp | ((text: string) => boolean), ms = 3000) =>
      new Promise<string>((done) => {
        const timer = setTimeout(() => done(text), ms);
        const check = () => {
          if ((typeof what === 'function' ? what(text) : what.test(text)) || sock.destroyed) {
            clearTimeout(timer);
            done(text);
          } else waiters.push(check);
        };
        check();
      });
    sock.once('connect', () => resolve({ sock, received: () => text, until, ended }));
    sock.once('error', reject);
  });
}

const metric = async (reason: string) => {
  const text = (await call(s.url, 'GET', '/metrics')).text;
  const m = new RegExp(`^slipway_rejected_requests_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

const body = JSON.stringify(tensorRequest([applicant(0), applicant(1)], 'edge-1'));
const head = (target: string, extra: string[]) => [`POST ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', ...extra, '', ''].join('\r\n');
const statusLines = (raw: string) => raw.split('\r\n').filter((l) => l.startsWith('HTTP/1.1 '));
/** whether the last response in `raw` has all of its Content-Length body */
const complete = (raw: string) => {
  const at = raw.lastIndexOf('\r\n\r\n');
  const length = /\r\ncontent-length: (\d+)\r\n/i.exec(raw.slice(raw.lastIndexOf('HTTP/1.1 '), at + 2));
  return length !== null && raw.length - at - 4 >= Number(length[1]);
};
const lastBody = (raw: string) => JSON.parse(raw.slice(raw.lastIndexOf('\r\n\r\n') + 4)) as { id?: string; error?: string; outputs?: unknown };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serve: absolute-form request targets (RFC 9112 §3.2.2)', () => {
  it('routes http://host:port/v2/models/{m}/infer by its path', async () => {
    const plain = await call(s.url, 'POST', '/v2/models/credit-risk/infer', body);
    expect(plain.status).toBe(200);
    for (const target of [`http://127.0.0.1:${s.port}/v2/models/credit-risk/infer`, 'HTTP://example.com/v2/models/credit-risk/infer?x=1']) {
      const c = await open();
      c.sock.write(head(target, [`Content-Length: ${body.length}`]) + body);
      const raw = await c.until(complete);
      expect(statusLines(raw), target).toEqual(['HTTP/1.1 200 OK']);
      expect(lastBody(raw).outputs).toEqual((plain.body as { outputs: unknown }).outputs);
      c.sock.destroy();
    }
    const c = await open();
    c.sock.write(`GET http://127.0.0.1:${s.port}/v2/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const ready = await c.until(complete);
    expect([statusLines(ready), lastBody(ready)]).toEqual([['HTTP/1.1 200 OK'], { ready: true }]);
    c.sock.destroy();
  });
});

describe('serve: a client that goes away mid-body', () => {
  it('is counted as aborted, not bad_request; its slot is freed and the server keeps serving', async () => {
    const [aborted, bad] = [await metric('aborted'), await metric('bad_request')];
    const c = await open();
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
