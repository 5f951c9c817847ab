/**
 * `--inference auto` below 4 cores: a version whose model file is large (THREAD_MIN_MODEL_BYTES or more) gets
 * a worker thread of its own, so that ONNX Runtime's synchronous load and runs do not hold requests; a small
 * one stays inline, and an explicit `--inference inline` keeps even a large one on the event loop.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREAD_MIN_MODEL_BYTES } from '../../src/serve/runtime.js';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import { applicant, call, tensorRequest } from './client.js';
import { bigPackage, buildWorld, ENV, type PinSpec, type Pkg, type World } from './fixtures.js';

let w: World;
let big: Pkg;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1] });
  big = await bigPackage(w, THREAD_MIN_MODEL_BYTES / 1e6 + 1);
});

afterAll(() => {
  if (w) rmSync(w.root, { recursive: true, force: true });
});

/** which loaded versions answer on a worker thread (a thread scorer takes the request's bytes: `answer`) */
const onThread = (s: RunningServer) => Object.fromEntries(s.reconciler.loaded().map((d) => [d.rt.version, d.rt.answer !== undefined]));
const THREAD_NOTICE = /worker thread of its own/;

/** Serves the small version with `--inference <inference>` on "2 cores", hands the server and its log lines to `body`, stops it. */
async function withServing(inference: 'auto' | 'inline', body: (s: RunningServer, lines: string[]) => Promise<void>): Promise<void> {
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
  const lines: string[] = [];
  const s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, inference, cores: 2, log: (l) => lines.push(l) });
  try {
    await body(s, lines);
  } finally {
    await s.stop(5000);
  }
}

/** Pins `spec` in git and applies it: the reconcile must answer 200 and Synced. */
async function apply(s: RunningServer, spec: PinSpec, message: string): Promise<void> {
  w.pin({ 'credit-risk': spec }, message);
  const r = await call(s.url, 'POST', '/-/reconcile?wait=true');
  expect(r.status).toBe(200);
  expect((r.body as { sync: { status: string } }).sync.status).toBe('Synced');
}

const swapTo = (s: RunningServer, pkg: Pkg) => apply(s, { pkg }, `promote ${pkg.version}`);
const threadNotices = (lines: string[]) => lines.filter((l) => THREAD_NOTICE.test(l));

/** An infer answer's version and probabilities (status 200 required). */
async function infer(s: RunningServer, path: string, request: Record<string, unknown>): Promise<{ version: string; probability: number[] }> {
  const r = await call(s.url, 'POST', path, request);
  expect(r.status).toBe(200);
  const body = r.body as { model_version: string; outputs: { name: string; data: number[] }[] };
  return { version: body.model_version, probability: body.outputs.find((o) => o.name === 'probability')!.data };
}

describe('where a large model runs (--inference auto on 2 cores)', () => {
  it('the small model inline; the large one loads and answers on a thread of its own, saying so; back inline when the small one is pinned again', () =>
    withServing('auto', async (s, lines) => {
      expect(onThread(s)).toEqual({ '1.0.0': false });
      expect(threadNotices(lines)).toEqual([]);

      await swapTo(s, big);
      expect(onThread(s)).toEqual({ '2.0.0': true });
      const notices = threadNotices(lines);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/credit-risk 2\.0\.0 \(sha256:[0-9a-f]{12}…\): model file 9\.0 MiB \(8 MiB or more\): loading and running it on a worker thread of its own \(--inference auto\)/);
      expect(await infer(s, '/v2/models/credit-risk/infer', tensorRequest([applicant(0), applicant(1)]))).toEqual({ version: '2.0.0', probability: [0.5, 0.5] });

      await swapTo(s, w.packages[0]);
      expect(onThread(s)).toEqual({ '1.0.0': false });
      // the CPU fallback's notice once per process, though the worker thread has a module state of its own
      const cpuNotices = lines.filter((l) => /using the CPU execution provider/.test(l));
      expect(cpuNotices).toHaveLength(s.reconciler.loaded().some((d) => d.rt.provider === 'cpu') ? 1 : 0);
    }));

  it('a small inline primary and a large canary on a thread serve side by side: the split, a versioned URL, each its own answers', () =>
    withServing('auto', async (s) => {
      await apply(s, { pkg: w.packages[0], canary: { pkg: big, weight: 50 } }, 'canary 2.0.0');
      expect(onThread(s)).toEqual({ '1.0.0': false, '2.0.0': true });
      const seen: Record<string, number[]> = {};
      for (let i = 0; i < 40; i++) {
        const a = await infer(s, '/v2/models/credit-risk/infer', tensorRequest([applicant(i)], `req-${i}`));
        (seen[a.version] ??= []).push(a.probability[0]);
      }
      expect(Object.keys(seen).sort()).toEqual(['1.0.0', '2.0.0']);
      expect(new Set(seen['2.0.0'])).toEqual(new Set([0.5]));
      expect(seen['1.0.0'].some((p) => p !== 0.5)).toBe(true);
      expect((await infer(s, '/v2/models/credit-risk/versions/2.0.0/infer', tensorRequest([applicant(3)]))).version).toBe('2.0.0');
    }));

  it('--inference inline keeps even a large model on the event loop', () =>
    withServing('inline', async (s, lines) => {
      await swapTo(s, big);
      expect(onThread(s)).toEqual({ '2.0.0': false });
      expect(threadNotices(lines)).toEqual([]);
    }));
});
