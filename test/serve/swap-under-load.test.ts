/**
 * Swaps under constant load: several concurrent clients keep inferring while the manifest changes
 * version after version (and once to a broken package, and once back by `git revert`); not one
 * request may fail, and every answer comes from a version that was pinned.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import type { ServeStatus } from '../../src/serve/status.js';
import { applicant, call, tensorRequest } from './client.js';
import { buildWorld, ENV, git, type World } from './fixtures.js';

let w: World;
let s: RunningServer;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1, 300] });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
  // inference on worker threads here (on a 2-core machine auto keeps it inline): swaps close and open them under load
  s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, inference: 'thread' });
});

afterAll(async () => {
  await s?.stop(5000);
  if (w) rmSync(w.root, { recursive: true, force: true });
});

describe('swap under load', () => {
  it('serves every request across 6 swaps, a failed load and a rollback by git revert', async () => {
    let stop = false;
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let total = 0;
    const worker = async (k: number) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        try {
          const r = await call(s.url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(i % 7)], `w${k}-${i}`));
          total++;
          if (r.status !== 200) failures.push(`${r.status} ${r.text}`);
          else {
            const v = (r.body as { model_version: string }).model_version;
            seen.set(v, (seen.get(v) ?? 0) + 1);
          }
        } catch (e) {
          failures.push(String(e));
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, k) => worker(k));
    const reconcile = async () => (await call(s.url, 'POST', '/-/reconcile?wait=true')).body as ServeStatus;
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      for (let swap = 1; swap <= 6; swap++) {
        const pkg = w.packages[swap % 2];
        w.pin({ 'credit-risk': { pkg } }, `swap ${swap}: ${pkg.version}`);
        const st = await reconcile();
        expect(st.sync.status).toBe('Synced');
        expect(st.sync.models['credit-risk'].loaded?.primary.version).toBe(pkg.version);
        await wait(40);
        if (swap === 3) {
          // a broken promotion under load: refused, previous version keeps serving
          w.pin({ 'credit-risk': { pkg: w.broken } }, 'broken');
          expect((await reconcile()).health.status).toBe('Degraded');
          await wait(40);
          // rollback = git revert
          git(w.work, 'revert', '--no-edit', 'HEAD');
          git(w.work, 'push', '--quiet', 'origin', 'main');
          const back = await reconcile();
          expect(back.health.status).toBe('Ready');
          expect(back.sync.models['credit-risk'].loaded?.primary.version).toBe(pkg.version);
          await wait(40);
        }
      }
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    expect(failures).toEqual([]);
    expect(total).toBeGreaterThan(50);
    expect([...seen.keys()].sort()).toEqual(['1.0.0', '1.1.0']);
    expect(s.http.clients.inflight).toBe(0);
  });
});
