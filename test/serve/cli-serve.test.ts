/**
 * `slipway serve` as users run it: a separate process, following a bare remote on an interval
 * (no webhook), and SIGTERM draining an in-flight request before exiting 0.
 */
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeStatus } from '../../src/serve/status.js';
import { applicant, call, tensorRequest } from './client.js';
import { buildWorld, ENV, type World } from './fixtures.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

let w: World;
beforeAll(async () => {
  w = await buildWorld({ l2s: [1, 300] });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
});
afterAll(() => {
  if (w) rmSync(w.root, { recursive: true, force: true });
});

/** `slipway serve` on the world's remote as its own process, once it says it is serving. */
async function startServeProcess(extra: string[] = []) {
  // its own temporary directory: where its fetch cache goes, to see that it is removed
  const { dir: tmp } = tempDir('slipway-serve-tmp-');
  const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src', 'cli', 'main.ts'), 'serve', '--env', ENV, '--repo', w.remote, '--port', '0', '--interval', '300ms', '--batch-interval', '100us', '--store', w.storePath, ...extra], {
    cwd: process.cwd(),
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  for (let i = 0; i < 600 && !/serving staging on (http:\S+)/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /serving staging on (http:\S+):/.exec(out)?.[1];
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`serve did not start: ${err}`);
  }
  expect(readdirSync(tmp).filter((f) => f.startsWith('slipway-serve-'))).toHaveLength(1);
  return { child, url, exited, out: () => out, err: () => err, caches: () => readdirSync(tmp).filter((f) => f.startsWith('slipway-serve-')) };
}

/** An infer request with half its body sent, once the server counts it in flight; `finish` sends the rest. */
async function halfSentRequest(url: string): Promise<{ reply: Promise<{ status: number; text: string }>; finish: () => void }> {
  const body = JSON.stringify(tensorRequest([applicant(0)]));
  let finish = () => {};
  const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${url}/v2/models/credit-risk/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
    });
    req.on('error', reject);
    req.flushHeaders();
    req.write(body.slice(0, 20));
    finish = () => req.end(body.slice(20));
  });
  for (let i = 0; i < 300; i++) {
    if (/slipway_inflight_requests 1\b/.test((await call(url, 'GET', '/metrics')).text)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { reply, finish };
}

describe('slipway serve (process)', () => {
  it('follows git on --interval, and SIGTERM drains the in-flight request then exits 0', async () => {
    const p = await startServeProcess();
    try {
      expect(p.out()).toMatch(/sync Synced, health Ready/);
      // a push with no webhook: the interval picks it up
      const commit = w.pin({ 'credit-risk': { pkg: w.packages[1] } }, 'promote 1.1.0');
      let st: ServeStatus | undefined;
      for (let i = 0; i < 300; i++) {
        st = (await call(p.url, 'GET', '/-/status')).body as ServeStatus;
        if (st.sync.appliedCommit === commit) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(st!.sync).toMatchObject({ status: 'Synced', appliedCommit: commit });
      expect(st!.lastReconcile?.trigger).toBe('interval');
      // an in-flight request (body half sent) when SIGTERM arrives still gets its answer
      const req = await halfSentRequest(p.url);
      p.child.kill('SIGTERM');
      setTimeout(req.finish, 200);
      const r = await req.reply;
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text).model_version).toBe('1.1.0');
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(p.err()).toMatch(/SIGTERM: draining in-flight requests \(up to 30000 ms; a second signal stops at once\)/);
      expect(p.err()).toMatch(/stopped; every in-flight request finished/);
      expect(p.caches()).toEqual([]);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('SIGTERM while the loop is busy: requests already sent (new connections in the backlog) are answered, not reset', async () => {
    const p = await startServeProcess(['--max-body', '64m']);
    /** a request's status (or error code), and when its whole body has been handed to the kernel */
    const post = (body: string) => {
      let sent!: () => void;
      const written = new Promise<void>((r) => (sent = r));
      const status = new Promise<number | string>((resolve) => {
        const req = request(`${p.url}/v2/models/credit-risk/infer`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('finish', sent);
        req.on('error', (e: NodeJS.ErrnoException) => {
          sent();
          resolve(e.code ?? 'error');
        });
        req.end(body);
      });
      return { status, written };
    };
    try {
      // 20,000 rows keep the event loop busy (decoding, scoring) while five one-row requests arrive on new connections
      const big = post(JSON.stringify(tensorRequest(Array.from({ length: 20_000 }, (_, i) => applicant(i % 50)))));
      await big.written;
      await new Promise((r) => setTimeout(r, 100));
      const small = Array.from({ length: 5 }, () => post(JSON.stringify(tensorRequest([applicant(1)]))));
      // the signal comes only once every request is on the wire (on a loaded machine this process may be slow to send them)
      await Promise.all(small.map((s) => s.written));
      p.child.kill('SIGTERM');
      expect([await big.status, ...(await Promise.all(small.map((s) => s.status)))]).toEqual([200, 200, 200, 200, 200, 200]);
      expect(await p.exited).toEqual({ code: 0, signal: null });
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 60_000);

  it('a second signal during the drain stops it at once, the fetch cache removed', async () => {
    const p = await startServeProcess();
    try {
      const req = await halfSentRequest(p.url);
      req.reply.catch(() => {}); // its connection dies with the server
      p.child.kill('SIGTERM');
      for (let i = 0; i < 200 && !/draining/.test(p.err()); i++) await new Promise((r) => setTimeout(r, 25));
      p.child.kill('SIGINT');
      expect(await p.exited).toEqual({ code: null, signal: 'SIGINT' });
      expect(p.err()).not.toMatch(/stopped;/);
      expect(p.caches()).toEqual([]);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('a signal while starting (the first fetch stalls) stops it at once, the fetch cache removed', async () => {
    // a remote that accepts the connection and never answers: the start's fetch waits
    const stall = createNetServer(() => {});
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', r));
    const { dir: tmp } = tempDir('slipway-serve-tmp-');
    const repo = `http://127.0.0.1:${(stall.address() as AddressInfo).port}/gitops.git`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src', 'cli', 'main.ts'), 'serve', '--env', ENV, '--repo', repo, '--port', '0'], { cwd: process.cwd(), env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    try {
      for (let i = 0; i < 600 && !/listening on/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(tmp).filter((f) => f.startsWith('slipway-serve-'))).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(err).toMatch(/SIGTERM while starting: stopping at once/);
      expect(readdirSync(tmp).filter((f) => f.startsWith('slipway-serve-'))).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      stall.close();
    }
  });

  it('refuses bad flags with exit 2 and a clear message', async () => {
    const r = await runCli(['serve', '--env', ENV, '--interval', 'soon'], w.root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--interval expects a duration such as 30s, 5m or 1h, got 'soon'/);
    // a duration that rounds to 0 ms would turn the timer off without a word
    const tiny = await runCli(['serve', '--env', ENV, '--interval', '0.4ms'], w.root);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toContain("--interval '0.4ms' is under 1 ms; give 0 to reconcile only on POST /-/reconcile");
    const b = await runCli(['serve', '--env', ENV, '--branch', '--upload-pack=x'], w.root);
    expect(b.code).toBe(2);
    const c = await runCli(['serve', '--env', ENV, '--branch', 'a..b', '--repo', w.remote], w.root);
    expect(c.stderr).toMatch(/--branch: 'a\.\.b' is not a valid branch name/);
    const d = await runCli(['serve', '--env', 'Prod'], w.root);
    expect(d.stderr).toMatch(/invalid environment name "Prod"/);
    for (const [flag, size] of [['--max-body', '0'], ['--max-body', '512'], ['--log-max-bytes', '2g']]) {
      const m = await runCli(['serve', '--env', ENV, flag, size], w.root);
      expect(m.code).toBe(2);
      expect(m.stderr).toContain(`${flag} must be between 1k and 1g, got '${size}'`);
    }
    for (const bad of ['5s', '1', 'soon', '101ms']) {
      const e = await runCli(['serve', '--env', ENV, '--batch-interval', bad], w.root);
      expect(e.code).toBe(2);
      expect(e.stderr).toContain(`--batch-interval expects a duration such as 500us or 1ms (0 to 100ms), got '${bad}'`);
    }
    for (const [args, message] of [
      [['--logs', join(w.root, 'logs'), '--log-retention-days', '0'], '--log-retention-days must be between 1 and 36500, got 0'],
      [['--logs', join(w.root, 'logs'), '--log-retention-days', '30d'], "--log-retention-days expects a whole number, got '30d'"],
      [['--log-retention-days', '30'], '--log-retention-days needs --logs <dir>: without it no prediction logs are written'],
    ] as [string[], string][]) {
      const e = await runCli(['serve', '--env', ENV, ...args], w.root);
      expect([e.code, e.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
  });

  it('a port it cannot listen on, or a --logs directory it cannot write, is exit 2 with what to do and no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const r = await runCli(['serve', '--env', ENV, '--repo', w.remote, '--port', String(port)], w.root);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use (another server, or another slipway serve?); choose another --port, or --port 0 for a free one`);
      expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
      const logs = join(w.root, 'logs-file');
      writeFileSync(logs, '');
      const l = await runCli(['serve', '--env', ENV, '--repo', w.remote, '--port', '0', '--logs', join(logs, 'predictions')], w.root);
      expect(l.code, l.stderr).toBe(2);
      expect(l.stderr).toContain(`--logs ${join(logs, 'predictions')}: cannot write prediction logs there (ENOTDIR: ${logs} is a file, not a directory)`);
      const h = await runCli(['serve', '--env', ENV, '--repo', w.remote, '--host', '256.1.1.1', '--port', '0'], w.root);
      expect(h.code, h.stderr).toBe(2);
      expect(h.stderr).toMatch(/cannot listen on 256\.1\.1\.1:0: --host '256\.1\.1\.1' is not an address and does not resolve/);
      // a local --repo git cannot fetch from (not a repository, a subdirectory of the clone, no such directory)
      // stops at once: it would serve nothing, Degraded, fetching forever
      for (const [repo, cwd] of [[undefined, join(w.root, 'store')], [join(w.work, 'models'), w.root], [join(w.root, 'nope'), w.root]] as [string | undefined, string][]) {
        const r = await runCli(['serve', '--env', ENV, ...(repo ? ['--repo', repo] : []), '--port', '0'], cwd);
        const path = repo ?? cwd;
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`--repo ${path}: git cannot read a repository there ('${path}' does not appear to be a git repository); give the directory of a clone of the GitOps repository, or its URL`);
        expect(r.stderr).not.toMatch(/\n\s+at |internal error|listening/);
      }
    } finally {
      taken.close();
    }
  });
});
