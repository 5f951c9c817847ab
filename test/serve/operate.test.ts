/**
 * `slipway serve` as an operator meets it: a shadow that cannot load, a large signed push webhook, the
 * prediction-log directory removed under a running server. Real git repositories, store and ONNX Runtime.
 */
import { createHmac } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import type { ServeStatus } from '../../src/serve/status.js';
import { applicant, call, tensorRequest } from './client.js';
import { buildWorld, ENV, git, type World } from './fixtures.js';

let w: World;
let s: RunningServer;
const lines: string[] = [];
const secret = 'operate-test-secret';
const sign = (body: string | Buffer) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
const status = async () => (await call(s.url, 'GET', '/-/status')).body as ServeStatus;
const reconcile = async () => {
  const payload = '{}';
  return (await call(s.url, 'POST', '/-/reconcile?wait=true', payload, { 'x-hub-signature-256': sign(payload) })).body as ServeStatus;
};
const version = async () => ((await call(s.url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(0)]))).body as { model_version: string }).model_version;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1, 300] });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
  s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, logs: join(w.root, 'logs'), env: { SLIPWAY_WEBHOOK_SECRET: secret }, log: (l) => lines.push(l) });
}, 120_000);

afterAll(async () => {
  await s?.stop(5000);
  if (w) rmSync(w.root, { recursive: true, force: true });
});

describe('serve, operated', () => {
  it('a shadow that fails to load keeps neither the promotion nor readiness back: the model is Degraded with the shadow named', async () => {
    w.pin({ 'credit-risk': { pkg: w.packages[1], shadow: w.broken } }, 'promote 1.1.0, shadow the broken one');
    const st = await reconcile();
    // the primary promotion is live: the shadow answers no request
    expect(await version()).toBe('1.1.0');
    expect(st.sync.models['credit-risk'].loaded).toEqual({ primary: { version: '1.1.0', digest: w.packages[1].digest } });
    expect(st.sync.models['credit-risk'].status).toBe('OutOfSync');
    expect(st.sync.status).toBe('OutOfSync');
    expect(st.models['credit-risk'].state).toBe('FailedToLoad');
    expect(st.models['credit-risk'].reason).toMatch(/^shadow 9\.9\.9: /);
    expect(st.health.status).toBe('Degraded');
    expect(st.health.reason).toMatch(/^credit-risk: shadow 9\.9\.9: /);
    expect((await call(s.url, 'GET', '/v2/health/ready')).status).toBe(200);
    // not retried at the same commit
    const again = await reconcile();
    expect(again.lastReconcile?.result).toBe('failed');
    expect(lines.filter((l) => l.includes('loading credit-risk 9.9.9')).length).toBe(1);
    // a commit with a shadow that loads brings it in, reusing the primary
    w.pin({ 'credit-risk': { pkg: w.packages[1], shadow: w.packages[0] } }, 'shadow 1.0.0');
    const fixed = await reconcile();
    expect(fixed.sync.status).toBe('Synced');
    expect(fixed.health).toEqual({ status: 'Ready' });
    expect(fixed.sync.models['credit-risk'].loaded?.shadow?.version).toBe('1.0.0');
    // a later broken shadow keeps the one that serves
    w.pin({ 'credit-risk': { pkg: w.packages[1], shadow: w.broken } }, 'shadow the broken one again');
    const kept = await reconcile();
    expect(kept.sync.models['credit-risk'].loaded).toEqual({ primary: { version: '1.1.0', digest: w.packages[1].digest }, shadow: { version: '1.0.0', digest: w.packages[0].digest } });
    expect(kept.models['credit-risk'].state).toBe('FailedToLoad');
    w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'back to 1.0.0');
    expect((await reconcile()).health).toEqual({ status: 'Ready' });
  }, 60_000);

  it('a signed push webhook larger than --max-body is hashed as it arrives and reconciles; past 25 MB it is a 413', async () => {
    // GitHub's push payloads reach 25 MB; --max-body (1 MiB by default) is sized for inference requests
    const payload = JSON.stringify({ ref: 'refs/heads/main', commits: [{ message: 'x'.repeat(3 << 20) }] });
    const ok = await call(s.url, 'POST', '/-/reconcile?wait=true', payload, { 'x-hub-signature-256': sign(payload) });
    expect(ok.status).toBe(200);
    expect((ok.body as ServeStatus).lastReconcile?.trigger).toBe('webhook');
    const wrong = await call(s.url, 'POST', '/-/reconcile', payload, { 'x-hub-signature-256': sign(payload + ' ') });
    expect(wrong.status).toBe(401);
    const huge = await call(s.url, 'POST', '/-/reconcile', 'x', { 'content-length': String((25 << 20) + 1), 'x-hub-signature-256': sign('x') }).catch((e: Error) => e);
    expect(huge).not.toBeInstanceOf(Error);
    expect((huge as { status: number }).status).toBe(413);
    expect((await status()).lastReconcile?.trigger).toBe('webhook');
  }, 30_000);
});

describe('serve, readiness', () => {
  it('readiness is 200 only when every pinned model is loaded: a model added to the manifest that fails to load makes it 503 naming the model, while the loaded one goes on serving', async () => {
    const missing = { version: '1.0.0', digest: 'sha256:' + '0'.repeat(64), dir: '' };
    w.pin({ 'credit-risk': { pkg: w.packages[0] }, 'credit-risk-eu': { pkg: missing } }, 'add credit-risk-eu, whose package the store lacks');
    const st = await reconcile();
    expect(st.models['credit-risk-eu'].state).toBe('FailedToLoad');
    expect(st.health.status).toBe('Degraded');
    const ready = await call(s.url, 'GET', '/v2/health/ready');
    expect(ready.status).toBe(503);
    expect((ready.body as { error: string }).error).toMatch(/credit-risk-eu/);
    expect(await version()).toBe('1.0.0');
    w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'drop credit-risk-eu');
    expect((await reconcile()).health).toEqual({ status: 'Ready' });
    expect((await call(s.url, 'GET', '/v2/health/ready')).status).toBe(200);
  }, 60_000);
});

describe('serve, a store that lacks a package for a while', () => {
  it('a failed load is tried again at the same commit after a backoff, shown in status as nextTry, and goes live once the store has it', async () => {
    const log: string[] = [];
    const s2 = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, loadRetryMs: 400, log: (l) => log.push(l) });
    const pkg = w.packages[1];
    const away = pkg.dir + '.away';
    const tries = () => log.filter((l) => l.includes(`loading credit-risk ${pkg.version}`)).length;
    const reconcile2 = async () => (await call(s2.url, 'POST', '/-/reconcile?wait=true')).body as ServeStatus;
    try {
      renameSync(pkg.dir, away); // published late, or the store was down
      w.pin({ 'credit-risk': { pkg } }, 'promote 1.1.0 before the store has it');
      const failed = await reconcile2();
      expect(failed.models['credit-risk']).toMatchObject({ state: 'FailedToLoad', reason: expect.stringMatching(/is not in the store/) });
      const next = Date.parse(failed.models['credit-risk'].nextTry!);
      expect(next - Date.now()).toBeGreaterThan(0);
      expect(next - Date.now()).toBeLessThanOrEqual(400);
      // before the backoff: not tried again
      await reconcile2();
      expect(tries()).toBe(1);
      renameSync(away, pkg.dir);
      await new Promise((r) => setTimeout(r, 450));
      const live = await reconcile2();
      expect(tries()).toBe(2);
      expect(live.health).toEqual({ status: 'Ready' });
      expect(live.sync.status).toBe('Synced');
      expect(live.models['credit-risk'].nextTry).toBeUndefined();
      expect(((await call(s2.url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(0)]))).body as { model_version: string }).model_version).toBe('1.1.0');
    } finally {
      if (existsSync(away)) renameSync(away, pkg.dir);
      await s2.stop(1000);
    }
  }, 60_000);

  it('the backoff doubles with each failed try', async () => {
    const log: string[] = [];
    const s3 = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, loadRetryMs: 100, log: (l) => log.push(l) });
    try {
      w.pin({ 'credit-risk': { pkg: w.packages[0] }, 'credit-risk-eu': { pkg: { version: '1.0.0', digest: 'sha256:' + '1'.repeat(64), dir: '' } } }, 'a package nobody published');
      const waits: number[] = [];
      for (let i = 0; i < 3; i++) {
        const st = (await call(s3.url, 'POST', '/-/reconcile?wait=true')).body as ServeStatus;
        waits.push(Date.parse(st.models['credit-risk-eu'].nextTry!) - Date.parse(st.lastReconcile!.at));
        await new Promise((r) => setTimeout(r, waits[i] + 20));
      }
      // 100, 200, 400 ms, give or take the reconcile's own time
      expect(waits.map((ms) => Math.round(ms / 100))).toEqual([1, 2, 4]);
    } finally {
      await s3.stop(1000);
    }
  }, 60_000);
});

describe('serve, history rewritten', () => {
  it('a branch force-pushed back to an older commit (rollback by reset, not revert) is followed: that commit is desired and applied', async () => {
    const a = w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'A: 1.0.0');
    expect((await reconcile()).sync.appliedCommit).toBe(a);
    const b = w.pin({ 'credit-risk': { pkg: w.packages[1] } }, 'B: 1.1.0');
    expect((await reconcile()).sync.appliedCommit).toBe(b);
    expect(await version()).toBe('1.1.0');
    git(w.work, 'reset', '--quiet', '--hard', a);
    git(w.work, 'push', '--quiet', '--force', 'origin', 'main');
    const st = await reconcile();
    expect(st.sync).toMatchObject({ status: 'Synced', desiredCommit: a, appliedCommit: a });
    expect(st.health).toEqual({ status: 'Ready' });
    expect(await version()).toBe('1.0.0');
  }, 60_000);
});

describe('serve, --interval 0', () => {
  it('a failed reconcile is run again on a backoff without a webhook: a server that starts while the store lacks its package gets ready once it has it', async () => {
    w.pin({ 'credit-risk': { pkg: w.packages[1] } }, 'promote 1.1.0');
    const pkg = w.packages[1];
    const away = pkg.dir + '.away';
    renameSync(pkg.dir, away);
    const log: string[] = [];
    let s5: RunningServer | undefined;
    try {
      s5 = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, failedRetryMs: 100, loadRetryMs: 100, store: w.storePath, log: (l) => log.push(l) });
      expect((await call(s5.url, 'GET', '/v2/health/ready')).status).toBe(503);
      renameSync(away, pkg.dir);
      let ready = 0;
      for (let i = 0; i < 100 && ready !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        ready = (await call(s5.url, 'GET', '/v2/health/ready')).status;
      }
      expect(ready).toBe(200);
      const st = (await call(s5.url, 'GET', '/-/status')).body as ServeStatus;
      expect(st.lastReconcile?.trigger).toBe('retry');
      expect(st.sync.status).toBe('Synced');
    } finally {
      if (existsSync(away)) renameSync(away, pkg.dir);
      await s5?.stop(1000);
    }
  }, 60_000);
});

describe('serve, a store that does not answer', () => {
  it('a load that does not finish in time fails, so the reconcile ends and a later commit (a rollback) is applied', async () => {
    w.pin({ 'credit-risk': { pkg: w.packages[1] } }, 'promote 1.1.0, from a store that hangs');
    // the loader as a store that never answers would leave it: waiting
    const hung = () => new Promise<never>(() => {});
    const starting = startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, failedRetryMs: 60_000, store: w.storePath, loader: hung, loadTimeoutMs: 300 });
    const s6 = await Promise.race([starting, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the start is still waiting on the load')), 10_000))]);
    try {
      const st = s6.reconciler.status();
      expect(st.models['credit-risk']).toMatchObject({ state: 'FailedToLoad', reason: expect.stringMatching(/^credit-risk 1\.1\.0 \(primary, sha256:[0-9a-f]{12}…\) did not load within 300 ms \(a store that does not answer\?\)/) });
      expect(st.lastReconcile?.result).toBe('failed');
      const head = w.pin(null, 'roll back: serve nothing');
      const back = (await call(s6.url, 'POST', '/-/reconcile?wait=true')).body as ServeStatus;
      expect(back.sync).toMatchObject({ status: 'Synced', appliedCommit: head });
    } finally {
      await s6.stop(1000);
    }
  }, 30_000);
});
