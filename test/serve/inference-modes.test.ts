/**
 * `--inference thread` (the common request decoded, scored and encoded on a worker thread) against
 * `--inference inline` (everything on the event loop), two real servers on one GitOps repo: the same
 * status and the same bytes for every request — the scanner's form and the general one, many at once,
 * versioned URLs, request ids from the body and the header, every malformed request, and canary routing by id.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServer } from '../../src/serve/serve.js';
import { applicant, call, CONTENT_TYPE_OK, CONTENT_TYPE_REFUSED, contentTyped, IN_RANGE, jsonRowsRequest, OUT_OF_RANGE, tensorRequest, tensorText, type Reply } from './client.js';
import { buildWorld, ENV, type World } from './fixtures.js';

let w: World;
const servers: Record<'inline' | 'thread', RunningServer> = {} as never;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1, 300] });
  w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
  for (const inference of ['inline', 'thread'] as const) {
    servers[inference] = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, inference, log: () => {} });
  }
});

afterAll(async () => {
  for (const s of Object.values(servers)) await s.stop(5000);
  if (w) rmSync(w.root, { recursive: true, force: true });
});

/** What a client sees, with a generated id replaced (each server makes its own; it must still be echoed in x-request-id). */
function seen(r: Reply): { status: number; body: unknown } {
  const body = r.body as { id?: string };
  if (r.status !== 200) return { status: r.status, body };
  expect(r.headers['x-request-id']).toBe(body.id);
  return { status: r.status, body: /^[0-9a-f]{8}-/.test(body.id ?? '') ? { ...body, id: '<generated>' } : body };
}

type Seen = ReturnType<typeof seen>;

/** a version's slipway_inference_runs_total and slipway_inference_rows_total from /metrics */
async function runCounts(url: string, version: string): Promise<{ runs: number; rows: number }> {
  const text = (await call(url, 'GET', '/metrics')).text;
  const read = (name: string) => {
    const m = new RegExp(`^${name}\\{model="credit-risk",version="${version.replaceAll('.', '\\.')}"\\} (\\d+)$`, 'm').exec(text);
    if (!m) throw new Error(`${name} for credit-risk ${version} is not in /metrics:\n${text}`);
    return Number(m[1]);
  };
  return { runs: read('slipway_inference_runs_total'), rows: read('slipway_inference_rows_total') };
}

const runCountsOfBoth = async (version: string) => ({ inline: await runCounts(servers.inline.url, version), thread: await runCounts(servers.thread.url, version) });

/** both servers apply the manifest just pinned */
async function syncBoth(): Promise<void> {
  for (const s of Object.values(servers)) expect(((await call(s.url, 'POST', '/-/reconcile?wait=true')).body as { sync: { status: string } }).sync.status).toBe('Synced');
}

/**
 * The same answer, probabilities within 1e-12 relative: the two modes batch concurrent requests differently,
 * and ONNX Runtime's matrix kernels round a row differently in different batch sizes (in the last bits:
 * 5 rows in 4,100 differ, by at most 1e-14 relative, on this model). Everything else byte for byte.
 */
function expectSame(thread: Seen, inline: Seen): void {
  const outs = (s: Seen) => (s.body as { outputs?: { datatype: string; data: number[] }[] }).outputs;
  const t = outs(thread);
  const i = outs(inline);
  if (t && i && t.length === i.length) {
    for (let k = 0; k < t.length; k++) {
      if (t[k].datatype !== 'FP64' || t[k].data.length !== i[k].data.length) continue;
      t[k].data.forEach((x, j) => expect(Math.abs(x - i[k].data[j])).toBeLessThanOrEqual(1e-12 * Math.abs(i[k].data[j])));
      t[k] = { ...t[k], data: i[k].data };
    }
  }
  expect(thread).toEqual(inline);
}

async function both(body: unknown, path = '/v2/models/credit-risk/infer', headers: Record<string, string> = {}) {
  const [a, b] = await Promise.all([call(servers.inline.url, 'POST', path, body, headers), call(servers.thread.url, 'POST', path, body, headers)]);
  return { inline: seen(a), thread: seen(b) };
}

describe('serve --inference thread answers exactly as --inference inline', () => {
  it('for the common form, the general form, versioned URLs and ids from the body or the header, many at once', async () => {
    const requests: [unknown, string?, Record<string, string>?][] = [];
    for (let k = 0; k < 40; k++) {
      const rows = Array.from({ length: 1 + (k % 5) }, (_, i) => applicant(k + i));
      requests.push([tensorRequest(rows, k % 3 ? `req-${k}` : undefined), k % 4 ? undefined : '/v2/models/credit-risk/versions/1.0.0/infer', k % 3 === 0 && k % 2 ? { 'x-request-id': `hdr-${k}` } : {}]);
    }
    requests.push([jsonRowsRequest([applicant(3), applicant(4)], 'rows-1')]);
    requests.push([{ ...tensorRequest([applicant(5)], 'only-label'), outputs: [{ name: 'label' }] }]);
    requests.push([{ ...tensorRequest([applicant(6)], 'with-params'), parameters: { note: 'x' } }]);
    const got = await Promise.all(requests.map(([body, path, headers]) => both(body, path, headers)));
    for (const g of got) {
      expect(g.inline.status).toBe(200);
      expectSame(g.thread, g.inline);
    }
  });

  it('for malformed requests: the same status and the same precise message', async () => {
    const bad: unknown[] = [
      '{"inputs": [',
      '',
      { id: 3, inputs: [] },
      {},
      { inputs: [{ name: 'income', shape: [2], datatype: 'FP64', data: [1] }] },
      { inputs: [{ name: 'income', shape: [1], datatype: 'FLOAT', data: [1] }] },
      { inputs: [{ name: 'region', shape: [1], datatype: 'FP32', data: [1] }] },
      { inputs: [{ name: 'credit_lines', shape: [1], datatype: 'INT8', data: [300] }] },
      { inputs: [{ name: 'income', shape: [1], datatype: 'FP64', data: [1] }] },
      { ...tensorRequest([applicant(0)]), outputs: [{ name: 'logits' }] },
      { ...tensorRequest([applicant(0)]), id: 'dup', inputs: [...(tensorRequest([applicant(0)]).inputs as unknown[]), { name: 'income', shape: [1], datatype: 'FP64', data: [1] }] },
    ];
    for (const body of bad) {
      const g = await both(body);
      expect(g.inline.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(g.thread).toEqual(g.inline);
    }
    const v = await both(tensorRequest([applicant(0)]), '/v2/models/credit-risk/versions/7.0.0/infer');
    expect(v.inline.status).toBe(404);
    expect(v.thread).toEqual(v.inline);
  });

  it("for values past their datatype's range: 400 with the same message from both (the thread's scanner hands them back); values at the edge score", async () => {
    for (const [name, datatype, raw, message] of OUT_OF_RANGE) {
      // the layout learned first, on both servers, so the value past the range meets the learned-layout path too
      expect((await both(tensorText(name, datatype, datatype.startsWith('FP') ? '1' : '2', 'edge'))).inline.status).toBe(200);
      const g = await both(tensorText(name, datatype, raw, 'edge'));
      expect(g.inline, `${datatype} ${raw}`).toEqual({ status: 400, body: { error: message } });
      expect(g.thread).toEqual(g.inline);
    }
    for (const [name, datatype, raw] of IN_RANGE) {
      const g = await both(tensorText(name, datatype, raw, 'edge'));
      expect(g.inline.status, `${datatype} ${raw}`).toBe(200);
      expectSame(g.thread, g.inline);
    }
  });

  it('for parameters.content_type: the same answer, 200 or the same 400, from both', async () => {
    for (const [request, inputs] of CONTENT_TYPE_OK) {
      const g = await both(contentTyped(request, inputs, 'ct'));
      expect(g.inline.status).toBe(200);
      expectSame(g.thread, g.inline);
    }
    for (const [request, inputs, message] of CONTENT_TYPE_REFUSED) {
      const g = await both(contentTyped(request, inputs, 'ct'));
      expect(g.inline).toEqual({ status: 400, body: { error: message } });
      expect(g.thread).toEqual(g.inline);
    }
  });

  it('counts the ONNX Runtime runs and the rows they scored for /metrics, wherever the runs happen', async () => {
    const before = await runCountsOfBoth('1.0.0');
    const sizes = [1, 1, 3, 1, 2, 5, 1, 1, 4, 1, 1, 1];
    const got = await Promise.all(sizes.map((n, k) => both(tensorRequest(Array.from({ length: n }, (_, i) => applicant(k + i))))));
    expect(got.map((g) => [g.inline.status, g.thread.status])).toEqual(sizes.map(() => [200, 200]));
    // malformed requests never reach a run
    const bad = await both({ inputs: [] });
    expect([bad.inline.status, bad.thread.status]).toEqual([400, 400]);
    for (const mode of ['inline', 'thread'] as const) {
      const after = await runCounts(servers[mode].url, '1.0.0');
      expect(after.rows - before[mode].rows).toBe(22);
      // concurrent requests may share a run (dynamic batching), never take more than one each
      expect(after.runs - before[mode].runs).toBeGreaterThanOrEqual(1);
      expect(after.runs - before[mode].runs).toBeLessThanOrEqual(sizes.length);
      // a request on its own: exactly one run of its rows
      const alone = await call(servers[mode].url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(1), applicant(2), applicant(3)]));
      expect(alone.status).toBe(200);
      const last = await runCounts(servers[mode].url, '1.0.0');
      expect([last.runs - after.runs, last.rows - after.rows]).toEqual([1, 3]);
    }
  });

  it('with a canary: the same version answers the same id (routing by id stays on the event loop)', async () => {
    w.pin({ 'credit-risk': { pkg: w.packages[0], canary: { pkg: w.packages[1], weight: 40 } } }, 'canary 1.1.0 at 40%');
    await syncBoth();
    // a version's counts start at its first request: the warm-up and smoke test are not counted
    const primaryBefore = await runCountsOfBoth('1.0.0');
    for (const s of Object.values(servers)) expect(await runCounts(s.url, '1.1.0')).toEqual({ runs: 0, rows: 0 });
    const got = await Promise.all(Array.from({ length: 30 }, (_, i) => both(tensorRequest([applicant(i)], `user-${i}`))));
    const versions = new Set(got.map((g) => (g.inline.body as { model_version: string }).model_version));
    expect(versions).toEqual(new Set(['1.0.0', '1.1.0']));
    for (const g of got) expectSame(g.thread, g.inline);
    const canaryRows = got.filter((g) => (g.inline.body as { model_version: string }).model_version === '1.1.0').length;
    for (const mode of ['inline', 'thread'] as const) {
      expect((await runCounts(servers[mode].url, '1.1.0')).rows).toBe(canaryRows);
      expect((await runCounts(servers[mode].url, '1.0.0')).rows - primaryBefore[mode].rows).toBe(30 - canaryRows);
    }
  });

  it('counts a version loaded in two roles once: the same package as primary and shadow', async () => {
    w.pin({ 'credit-risk': { pkg: w.packages[0], shadow: w.packages[0] } }, 'shadow 1.0.0 beside itself');
    await syncBoth();
    for (const s of Object.values(servers)) {
      const before = await runCounts(s.url, '1.0.0');
      expect((await call(s.url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(7)]))).status).toBe(200);
      // the primary's run, then the shadow's (after the answer): 2 rows in all, not each reported twice
      let rows = 0;
      for (let i = 0; i < 100 && rows < 2; i++) {
        rows = (await runCounts(s.url, '1.0.0')).rows - before.rows;
        if (rows < 2) await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 50));
      expect((await runCounts(s.url, '1.0.0')).rows - before.rows).toBe(2);
    }
  });

  it('a version loaded on a thread takes the worker started ahead, and the next one is started; inline starts none; stop ends it', async () => {
    const ahead = servers.thread.spare.threadId;
    expect(ahead).toBeGreaterThan(0); // started after the versions loaded so far
    expect(servers.inline.spare.threadId).toBeUndefined();
    w.pin({ 'credit-risk': { pkg: w.packages[1] } }, 'promote 1.1.0');
    await syncBoth();
    const next = servers.thread.spare.threadId;
    expect(next).toBeGreaterThan(0);
    expect(next).not.toBe(ahead); // taken by 1.1.0's load, and a new one started
    expect((await call(servers.thread.url, 'POST', '/v2/models/credit-risk/infer', tensorRequest([applicant(3)]))).body).toMatchObject({ model_version: '1.1.0' });
    await servers.thread.stop(5000);
    expect(servers.thread.spare.threadId).toBeUndefined();
  });
});
