/** Pure parts of serve: log writer rotation, retention and redaction, canary hashing, the plan, status, shadow queue. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Batcher, loadPacer } from '../../src/serve/batcher.js';
import { ClientGauge, SETTLED_AFTER_MS } from '../../src/serve/client-gauge.js';
import { fnv1a, routesToCanary } from '../../src/serve/deployment.js';
import type { Row } from '../../src/serve/oip-decode.js';
import { hashValue, predictionLines, PredictionLogWriter, redactRow } from '../../src/serve/log-writer.js';
import { firstKeptDay } from '../../src/serve/log-retention.js';
import type { Prediction } from '../../src/serve/oip-encode.js';
import type { Task } from '../../src/spec/types.js';
import type { PredictionLogRecord } from '../../src/serve/prediction-log.js';
import { GitSource } from '../../src/serve/git-source.js';
import { planModel, Reconciler } from '../../src/serve/reconciler.js';
import { ShadowQueue } from '../../src/serve/shadow.js';
import { encodeOutputs, encodeOutputsJson } from '../../src/serve/oip-encode.js';
import { computeStatus, type ModelRecord } from '../../src/serve/status.js';
import { inferenceOnThread, THREAD_MIN_MODEL_BYTES } from '../../src/serve/runtime.js';
import { LabelledChildren } from '../../src/serve/metrics.js';
import { tempDir } from '../support/tmp.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

/** Queues one record as serving does: its JSON line (predictionLines makes the same bytes). */
function queue(w: PredictionLogWriter, r: PredictionLogRecord): void {
  w.writeLines(r.model, JSON.stringify(r) + '\n', 1);
}

function record(i: number): PredictionLogRecord {
  return { ts: '2026-01-02T03:04:05.000Z', request_id: `r${i}`, model: 'm', version: '1.0.0', digest: D('a'), role: 'primary', inputs: { x: i, s: 'v' }, prediction: i / 1000 };
}

describe('prediction log writer', () => {
  it('rotates by size, keeps every record once, in order, under <model>/<day>/predictions-<HHMMSS>-<seq>.jsonl', async () => {
    const { dir } = tempDir('slipway-logs-');
    const w = new PredictionLogWriter(dir, { maxFileBytes: 1000, now: () => new Date('2026-01-02T03:04:05Z') });
    for (let i = 0; i < 100; i++) queue(w, record(i));
    await w.close();
    const files = readdirSync(join(dir, 'm', '2026-01-02')).sort();
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(f).toMatch(/^predictions-030405-\d{4}\.jsonl$/);
    const sizes = files.map((f) => readFileSync(join(dir, 'm', '2026-01-02', f)).length);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(1000);
    const ids = files.flatMap((f) => readFileSync(join(dir, 'm', '2026-01-02', f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as PredictionLogRecord).request_id));
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    expect(w.written).toBe(100);
  });

  it('with a retention of N days, removes older day directories of every model as a day starts, and nothing else', async () => {
    const { dir } = tempDir('slipway-logs-');
    const made = ['m/2025-12-30', 'm/2026-01-01', 'm/2026-01-02', 'gone-model/2025-06-01', 'gone-model/2026-01-01', 'm/not-a-day', 'm/2025-12-31.bak'];
    for (const d of made) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'm', '2025-12-30', 'predictions-000000-0001.jsonl'), '{}\n');
    writeFileSync(join(dir, 'README'), 'kept');
    let now = new Date('2026-01-02T03:04:05Z');
    const pruned: string[][] = [];
    const w = new PredictionLogWriter(dir, { retentionDays: 2, now: () => now, onPrune: (p) => pruned.push(p.map((x) => x.slice(dir.length + 1)).sort()) });
    queue(w, record(0));
    await w.flush();
    await vi.waitFor(() => expect(pruned.length).toBe(1));
    // 2 days kept on 2026-01-02: the 1st and the 2nd
    expect(pruned[0]).toEqual(['gone-model/2025-06-01', 'm/2025-12-30']);
    const left = (m: string) => readdirSync(join(dir, m)).sort();
    expect([left('m'), left('gone-model'), existsSync(join(dir, 'README'))]).toEqual([['2025-12-31.bak', '2026-01-01', '2026-01-02', 'not-a-day'], ['2026-01-01'], true]);
    // later the same day: no second pass; the next day: the 1st goes
    queue(w, record(1));
    await w.flush();
    now = new Date('2026-01-03T00:00:01Z');
    queue(w, record(2));
    await w.close();
    await vi.waitFor(() => expect(pruned.length).toBe(2));
    expect(pruned[1]).toEqual(['gone-model/2026-01-01', 'm/2026-01-01']);
    expect(left('m')).toEqual(['2025-12-31.bak', '2026-01-02', '2026-01-03', 'not-a-day']);
    expect(firstKeptDay('2026-03-01', 1)).toBe('2026-03-01');
    expect(firstKeptDay('2026-03-01', 30)).toBe('2026-01-31');
    expect(firstKeptDay('2024-03-01', 2)).toBe('2024-02-29');
  });

  it('after a write fails, the next lines go to a new file, not after what the failed write may have left', async () => {
    const { dir } = tempDir('slipway-logs-');
    const errors: string[] = [];
    const w = new PredictionLogWriter(dir, { now: () => new Date('2026-01-02T03:04:05Z'), onError: (e) => errors.push(e.message) });
    queue(w, record(0));
    await w.flush();
    const day = join(dir, 'm', '2026-01-02');
    const [first] = readdirSync(day);
    // the file becomes something that cannot be appended to, for one flush
    rmSync(join(day, first));
    mkdirSync(join(day, first));
    queue(w, record(1));
    await w.flush();
    expect([errors.length, w.dropped]).toEqual([1, 1]);
    rmSync(join(day, first), { recursive: true });
    writeFileSync(join(day, first), '{"partial":');
    queue(w, record(2));
    await w.close();
    const files = readdirSync(day).sort();
    expect(files.length).toBe(2);
    expect(readFileSync(join(day, first), 'utf8')).toBe('{"partial":');
    expect((JSON.parse(readFileSync(join(day, files[1]), 'utf8')) as PredictionLogRecord).request_id).toBe('r2');
  });

  it('keeps every record once, in order, when a flush holds several 64 kB buffers and rotates across them', async () => {
    const { dir } = tempDir('slipway-logs-');
    const w = new PredictionLogWriter(dir, { maxFileBytes: 100_000, flushMs: 60_000, now: () => new Date('2026-01-02T03:04:05Z') });
    const n = 1500; // ≈ 250 kB: four buffers in one flush, three files
    for (let i = 0; i < n; i++) queue(w, record(i));
    await w.close();
    const files = readdirSync(join(dir, 'm', '2026-01-02')).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(readFileSync(join(dir, 'm', '2026-01-02', f)).length).toBeLessThanOrEqual(100_000);
    const ids = files.flatMap((f) => readFileSync(join(dir, 'm', '2026-01-02', f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as PredictionLogRecord).request_id));
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
    expect(w.written).toBe(n);
  });

  it('reuses its buffers only after their lines are written: records queued while a flush is writing stay intact', async () => {
    const { dir } = tempDir('slipway-logs-');
    const w = new PredictionLogWriter(dir, { flushMs: 60_000, now: () => new Date('2026-01-02T03:04:05Z') });
    const n = 1000; // ≈ 170 kB a batch: three buffers
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < n; i++) queue(w, record(round * n + i));
      const flushed = w.flush();
      for (let k = 0; k < 5; k++) await Promise.resolve(); // the flush has taken its lines and is writing them
      for (let i = 0; i < n; i++) queue(w, { ...record(round * n + i), request_id: `late${round * n + i}` });
      await flushed;
    }
    await w.close();
    const day = join(dir, 'm', '2026-01-02');
    const lines = readdirSync(day).sort().flatMap((f) => readFileSync(join(day, f), 'utf8').trim().split('\n'));
    const ids = lines.map((l) => (JSON.parse(l) as PredictionLogRecord).request_id);
    const want = [0, 1, 2].flatMap((round) => [...Array.from({ length: n }, (_, i) => `r${round * n + i}`), ...Array.from({ length: n }, (_, i) => `late${round * n + i}`)]);
    expect(ids).toEqual(want);
    expect(w.written).toBe(6 * n);
  });

  it('drops (and counts) records beyond the pending limit instead of blocking', async () => {
    const { dir } = tempDir('slipway-logs-');
    let dropped = 0;
    const w = new PredictionLogWriter(dir, { maxPendingBytes: 500, onDrop: (_m, n) => (dropped += n) });
    for (let i = 0; i < 20; i++) queue(w, record(i));
    expect(dropped).toBeGreaterThan(0);
    expect(w.dropped).toBe(dropped);
    await w.close();
    expect(w.written).toBe(20 - dropped);
  });

  it('counts the records a failed write loses as dropped, reports the error, and writes again once it can', async () => {
    const { dir } = tempDir('slipway-logs-');
    // the model's directory is a file: creating the day directory under it fails
    writeFileSync(join(dir, 'm'), '');
    let dropped = 0;
    const errors: string[] = [];
    const w = new PredictionLogWriter(dir, { flushMs: 60_000, onDrop: (_m, n) => (dropped += n), onError: (e) => errors.push(e.message), now: () => new Date('2026-01-02T03:04:05Z') });
    for (let i = 0; i < 5; i++) queue(w, record(i));
    await w.flush();
    expect([dropped, w.dropped, w.written]).toEqual([5, 5, 0]);
    expect(errors).toEqual([expect.stringMatching(/ENOTDIR|EEXIST/)]);
    rmSync(join(dir, 'm'));
    for (let i = 5; i < 8; i++) queue(w, record(i));
    await w.close();
    expect([w.dropped, w.written]).toEqual([5, 3]);
    expect(readFileSync(join(dir, 'm', '2026-01-02', readdirSync(join(dir, 'm', '2026-01-02'))[0]), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('hashes or drops sensitive columns', () => {
    const row = { income: 1, sex: 'F', age_band: null };
    expect(redactRow(row, ['sex', 'age_band'], 'keep')).toEqual(row);
    expect(redactRow(row, ['sex', 'age_band'], 'drop')).toEqual({ income: 1 });
    expect(redactRow(row, ['sex', 'age_band'], 'hash')).toEqual({ income: 1, sex: 'sha256:' + createHash('sha256').update('"F"').digest('hex'), age_band: null });
    expect(hashValue(1)).not.toBe(hashValue('1'));
    // the memo answers repeats with the same digest as a fresh sha256, and tells types apart
    for (const v of ['F', 'F', 1, 1, true, true, 'true', 'x'.repeat(100), 'x'.repeat(100)]) {
      expect(hashValue(v)).toBe('sha256:' + createHash('sha256').update(JSON.stringify(v)).digest('hex'));
    }
    expect(hashValue(true)).not.toBe(hashValue('true'));
  });

  it('predictionLines writes each row as JSON.stringify of its PredictionLogRecord plus a newline, under every policy and task', () => {
    const rows: Row[] = [
      { income: 1.5, sex: 'F', note: 'quote " back\\ \u2028 \ud800 é', flag: true, missing: null },
      { income: -0, sex: null, note: '', flag: false, missing: 3 },
    ];
    const cases: { task: Task; p: Prediction; want: (i: number) => number | number[] }[] = [
      { task: 'binary-classification', p: { values: Float64Array.from([0.25, 0.75, 0.9, 0.1]), width: 2 }, want: (i) => [0.75, 0.1][i] },
      { task: 'binary-classification', p: { values: Float64Array.from([0.3, NaN]), width: 1 }, want: (i) => [0.3, NaN][i] },
      { task: 'multiclass-classification', p: { values: Float64Array.from([0.2, 0.3, 0.5, 1, 0, 0]), width: 3 }, want: (i) => [[0.2, 0.3, 0.5], [1, 0, 0]][i] },
      { task: 'regression', p: { values: Float64Array.from([1e21, -1.25e-7]), width: 1 }, want: (i) => [1e21, -1.25e-7][i] },
    ];
    for (const policy of ['keep', 'hash', 'drop'] as const) {
      for (const { task, p, want } of cases) {
        for (const role of ['primary', 'canary', 'shadow'] as const) {
          const rt = { model: 'm-1', version: '2.0.0', digest: D('b'), task, sensitive: ['sex'], logSensitive: policy };
          for (const n of [1, 2]) {
            const pn = { values: p.values.subarray(0, n * p.width), width: p.width };
            const before = new Date().toISOString();
            const text = predictionLines(rt, role, 'id "7"', rows.slice(0, n), pn);
            const after = new Date().toISOString();
            const lines = text.split('\n');
            expect(lines.pop()).toBe('');
            expect(lines).toHaveLength(n);
            lines.forEach((line, i) => {
              const ts = (JSON.parse(line) as PredictionLogRecord).ts;
              expect(ts >= before && ts <= after).toBe(true);
              const record: PredictionLogRecord = { ts, request_id: n > 1 ? `id "7"#${i}` : 'id "7"', model: 'm-1', version: '2.0.0', digest: D('b'), role, inputs: redactRow(rows[i], ['sex'], policy), prediction: want(i) };
              expect(line).toBe(JSON.stringify(record));
            });
          }
        }
      }
    }
  });
});

describe('canary routing', () => {
  it('fnv1a matches the reference vectors and routes by hash mod 100', () => {
    // FNV-1a 32-bit test vectors (http://www.isthe.com/chongo/tech/comp/fnv/)
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    expect(routesToCanary(0, 'x')).toBe(false);
    expect(routesToCanary(100, 'x')).toBe(true);
    const ids = Array.from({ length: 2000 }, (_, i) => `id-${i}`);
    const share = ids.filter((id) => routesToCanary(25, id)).length / ids.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
    for (const id of ids.slice(0, 50)) expect(routesToCanary(25, id)).toBe(fnv1a(id) % 100 < 25);
    expect(routesToCanary(50, undefined, () => 0.49)).toBe(true);
    expect(routesToCanary(50, undefined, () => 0.5)).toBe(false);
  });
});

describe('reconcile plan and status', () => {
  const v1 = { version: '1.0.0', digest: D('a') };
  const v2 = { version: '1.1.0', digest: D('b') };
  it('plans loads only for changed roles, reweights without loading, skips known failures', () => {
    expect(planModel({ primary: v1 }, { primary: v1 }, false)).toEqual({ action: 'keep' });
    expect(planModel({ primary: v2 }, { primary: v1 }, false)).toEqual({ action: 'load', load: ['primary'] });
    expect(planModel({ primary: v1, canary: { ...v2, weight: 20 } }, { primary: v1 }, false)).toEqual({ action: 'load', load: ['canary'] });
    expect(planModel({ primary: v1, canary: { ...v2, weight: 20 } }, { primary: v1, canary: { ...v2, weight: 5 } }, false)).toEqual({ action: 'reweight', weight: 20 });
    expect(planModel({ primary: v2 }, { primary: v1 }, true)).toEqual({ action: 'skip-failed' });
    expect(planModel({ primary: v1 }, null, false)).toEqual({ action: 'load', load: ['primary'] });
  });

  it('computes sync and health on two axes', () => {
    const base = { environment: 'e', repo: 'r', branch: 'main', sourceError: null, reconciling: false, lastReconcile: null };
    const models = (r: ModelRecord) => new Map([['m', r]]);
    expect(computeStatus({ ...base, desiredCommit: null, appliedCommit: null, models: new Map() })).toMatchObject({ sync: { status: 'Unknown' }, health: { status: 'Progressing' } });
    expect(computeStatus({ ...base, desiredCommit: 'c1', appliedCommit: 'c1', models: models({ desired: { primary: v1 }, loaded: { primary: v1 }, state: 'Loaded' }) })).toMatchObject({ sync: { status: 'Synced', models: { m: { status: 'Synced' } } }, health: { status: 'Ready' } });
    expect(computeStatus({ ...base, desiredCommit: 'c2', appliedCommit: 'c1', models: models({ desired: { primary: v2 }, loaded: { primary: v1 }, state: 'FailedToLoad', reason: 'boom' }) })).toMatchObject({
      sync: { status: 'OutOfSync', models: { m: { status: 'OutOfSync' } } },
      health: { status: 'Degraded', reason: 'm: boom' },
      models: { m: { state: 'FailedToLoad', reason: 'boom' } },
    });
    expect(computeStatus({ ...base, desiredCommit: 'c2', appliedCommit: 'c1', models: models({ desired: { primary: v2 }, loaded: { primary: v1 }, state: 'Loading' }) }).health.status).toBe('Progressing');
    expect(computeStatus({ ...base, sourceError: 'cannot fetch', desiredCommit: 'c1', appliedCommit: 'c1', models: new Map() })).toMatchObject({ sync: { status: 'OutOfSync' }, health: { status: 'Degraded', reason: 'cannot fetch' } });
  });
});

describe('shadow queue', () => {
  it('is bounded: beyond capacity jobs are dropped and counted; a failing job does not stop the rest', async () => {
    let drops = 0;
    const q = new ShadowQueue(3, () => drops++);
    const done: number[] = [];
    const accepted = Array.from({ length: 5 }, (_, i) => q.offer(async () => {
      if (i === 1) throw new Error('shadow broke');
      done.push(i);
    }));
    expect(accepted).toEqual([true, true, true, false, false]);
    await q.idle();
    expect(done).toEqual([0, 2]);
    expect({ dropped: q.dropped, failed: q.failed, drops }).toEqual({ dropped: 2, failed: 1, drops: 2 });
  });
});

describe('dynamic batching', () => {
  it('combines concurrent requests into one run, splits the results back, and isolates a bad request', async () => {
    const calls: number[] = [];
    const score = async (rows: Row[]) => {
      calls.push(rows.length);
      if (rows.some((r) => r.x === 'bad')) throw new Error('bad row');
      await new Promise((r) => setTimeout(r, 5));
      return { values: Float64Array.from(rows.map((r) => (r.x as number) * 2)), width: 1 };
    };
    const b = new Batcher(score, 64, () => 0);
    const reqs = Array.from({ length: 10 }, (_, i) => b.predict(i === 3 ? [{ x: i }, { x: 100 + i }] : [{ x: i }]));
    const out = await Promise.all(reqs);
    expect(out.map((p) => Array.from(p.values))).toEqual(Array.from({ length: 10 }, (_, i) => (i === 3 ? [6, 206] : [2 * i])));
    expect(calls).toEqual([11]); // asked in the same turn of the event loop: one run for the eleven rows
    calls.length = 0;
    // while a run is busy, new requests wait and then run together
    const first = b.predict([{ x: 1 }]);
    await new Promise((r) => setImmediate(r));
    const later = await Promise.all([first, b.predict([{ x: 2 }]), b.predict([{ x: 3 }])]);
    expect(later.map((p) => p.values[0])).toEqual([2, 4, 6]);
    expect(calls).toEqual([1, 2]);
    calls.length = 0;
    const mixed = await Promise.allSettled([b.predict([{ x: 1 }]), b.predict([{ x: 2 }]), b.predict([{ x: 'bad' }]), b.predict([{ x: 4 }])]);
    expect(mixed.map((r) => (r.status === 'fulfilled' ? r.value.values[0] : (r.reason as Error).message))).toEqual([2, 4, 'bad row', 8]);
  });

  it('settles every request when scoring throws synchronously (building the batch rejects a row), alone or combined', async () => {
    const score = (rows: Row[]) => {
      if (rows.some((r) => r.x === 'bad')) throw new Error(`row ${rows.findIndex((r) => r.x === 'bad')}: not a number`);
      return Promise.resolve({ values: Float64Array.from(rows.map((r) => (r.x as number) * 2)), width: 1 });
    };
    const b = new Batcher(score, 64, () => 0);
    const settled = (ps: Promise<{ values: Float64Array }>[]) =>
      Promise.race([Promise.allSettled(ps), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a request never settled')), 2000))]);
    const alone = await settled([b.predict([{ x: 'bad' }])]);
    expect(alone.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value.values[0]))).toEqual(['row 0: not a number']);
    const mixed = await settled([b.predict([{ x: 1 }]), b.predict([{ x: 'bad' }]), b.predict([{ x: 3 }])]);
    expect(mixed.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value.values[0]))).toEqual([2, 'row 0: not a number', 6]);
    // and the batcher still runs
    expect((await b.predict([{ x: 5 }])).values[0]).toBe(10);
  });

  it('paced: runs start at least the interval apart; requests in between join the next run; a later arrival runs at once', async () => {
    const starts: number[] = [];
    const calls: number[] = [];
    const score = async (rows: Row[]) => {
      starts.push(performance.now());
      calls.push(rows.length);
      return { values: Float64Array.from(rows.map((r) => (r.x as number) * 2)), width: 1 };
    };
    const b = new Batcher(score, 64, () => 40);
    expect((await b.predict([{ x: 1 }])).values[0]).toBe(2); // nothing ran before: at once
    const second = b.predict([{ x: 2 }]);
    await new Promise((r) => setTimeout(r, 5));
    const third = b.predict([{ x: 3 }]);
    expect((await Promise.all([second, third])).map((p) => p.values[0])).toEqual([4, 6]);
    expect(calls).toEqual([1, 2]); // the two waited for the interval and ran together
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(39);
    await new Promise((r) => setTimeout(r, 50));
    const t = performance.now();
    expect((await b.predict([{ x: 4 }])).values[0]).toBe(8);
    expect(performance.now() - t).toBeLessThan(30); // the interval had passed: no wait
    expect(calls).toEqual([1, 2, 1]);
  });

  it('loadPacer paces only while the event loop is busy (utilization over 100 ms windows, with hysteresis) and a client can still send', async () => {
    const pace = loadPacer(0.5);
    expect(loadPacer(0)()).toBe(0);
    await new Promise((r) => setTimeout(r, 250));
    expect(pace()).toBe(0);
    // keep the loop busy for ~400 ms in 10 ms slices (timers still run between slices)
    const until = performance.now() + 400;
    await new Promise<void>((resolve) => {
      const slice = () => {
        const end = performance.now() + 10;
        while (performance.now() < end);
        if (performance.now() < until) setImmediate(slice);
        else resolve();
      };
      slice();
    });
    expect(pace()).toBe(0.5);
    // with the server's gauge: no pacing once every open connection has a request in flight and no new
    // connection has come for SETTLED_AFTER_MS (none other can come)
    const clients = new ClientGauge();
    const gated = loadPacer(0.5, new ClientGauge(clients.shared)); // as an inference thread sees it
    const settled = Date.now() - SETTLED_AFTER_MS - 1;
    clients.opened(settled);
    clients.opened(settled);
    clients.started();
    expect(gated()).toBe(0.5);
    clients.started();
    expect(gated()).toBe(0);
    clients.opened(); // a new connection: another request may follow on it, or on the next one
    expect(gated()).toBe(0.5);
    clients.started(); // all three in flight, but the pool is still growing: keep pacing
    expect(gated()).toBe(0.5);
    clients.finished();
    clients.closed();
    expect(gated()).toBe(0.5);
    clients.finished();
    expect(gated()).toBe(0.5);
    await new Promise((r) => setTimeout(r, 350));
    expect([pace(), gated()]).toEqual([0, 0]);
  });
});

describe('git source', () => {
  it('masks credentials of a repository URL in status and in fetch errors', async () => {
    const { dir } = tempDir('slipway-gitsrc-');
    const src = new GitSource('http://robot:tok3n-very-secret@127.0.0.1:1/models.git', 'main', join(dir, 'cache'));
    expect(src.display).toBe('http://***@127.0.0.1:1/models.git');
    const r = new Reconciler({ environment: 'staging', source: src, storeFor: () => { throw new Error('unused'); }, load: () => { throw new Error('unused'); } });
    await r.reconcile('test');
    const st = r.status();
    expect(st.repo).toBe('http://***@127.0.0.1:1/models.git');
    expect(st.health.status).toBe('Degraded');
    expect(st.health.reason).toMatch(/^cannot fetch main from http:\/\/\*\*\*@127\.0\.0\.1:1\/models\.git: git fetch/);
    expect(JSON.stringify(st)).not.toContain('tok3n-very-secret');
    expect(() => new GitSource('--upload-pack=evil', 'main', dir)).toThrow(/is not a path or URL/);
  });
});

describe('encodeOutputsJson (the hot-path answer text)', () => {
  it('writes exactly the bytes of JSON.stringify(encodeOutputs(...)) for every task and output selection', () => {
    const cases: [Parameters<typeof encodeOutputs>[0], Parameters<typeof encodeOutputs>[1]][] = [
      [{ values: Float64Array.of(0.2157473381252899), width: 1 }, 'binary-classification'],
      [{ values: Float64Array.of(0.5, 1e-21, 0.9999999999999999, NaN, 1), width: 1 }, 'binary-classification'],
      // single rows (the one-string path): at the threshold, not finite, and a [1 - p, p] output
      [{ values: Float64Array.of(0.5), width: 1 }, 'binary-classification'],
      [{ values: Float64Array.of(NaN), width: 1 }, 'binary-classification'],
      [{ values: Float64Array.of(0.3, 0.7), width: 2 }, 'binary-classification'],
      [{ values: Float64Array.of(0.1, 0.7, 0.2, 0.3, 0.3, 0.4), width: 3 }, 'multiclass-classification'],
      [{ values: Float64Array.of(-3.5, 12, 1e300), width: 1 }, 'regression'],
    ];
    for (const [p, task] of cases) {
      for (const requested of [undefined, ['label'], ['probability'], ['probabilities'], ['value'], []]) {
        expect(encodeOutputsJson(p, task, 0.5, requested)).toBe(JSON.stringify(encodeOutputs(p, task, 0.5, requested)));
      }
    }
    expect(JSON.parse(encodeOutputsJson({ values: Float64Array.of(0.6, 0.4), width: 1 }, 'binary-classification', 0.5))[1].data).toEqual([1, 0]);
  });
});

describe('where inference runs (--inference)', () => {
  it('auto: inline below 4 cores (the thread would compete with the event loop), a worker thread from 4 up; explicit modes win', () => {
    expect(inferenceOnThread('auto', 2)).toBe(false);
    expect(inferenceOnThread('auto', 3)).toBe(false);
    expect(inferenceOnThread('auto', 4)).toBe(true);
    expect(inferenceOnThread(undefined, 16)).toBe(true);
    expect(inferenceOnThread('thread', 1)).toBe(true);
    expect(inferenceOnThread('inline', 64)).toBe(false);
  });

  it('auto: a thread below 4 cores too for a model file of THREAD_MIN_MODEL_BYTES or more; explicit modes still win', () => {
    expect(THREAD_MIN_MODEL_BYTES).toBe(8 * 1024 * 1024);
    expect(inferenceOnThread('auto', 2, THREAD_MIN_MODEL_BYTES - 1)).toBe(false);
    expect(inferenceOnThread('auto', 2, THREAD_MIN_MODEL_BYTES)).toBe(true);
    expect(inferenceOnThread(undefined, 1, 150e6)).toBe(true);
    expect(inferenceOnThread('inline', 2, 150e6)).toBe(false);
    expect(inferenceOnThread('thread', 2, 0)).toBe(true);
  });
});

describe('LabelledChildren (metrics children per label set)', () => {
  it('makes each label set once and returns it again, whether or not it was the last one used', () => {
    const made: string[] = [];
    const children = new LabelledChildren((a, b, c) => {
      made.push(`${a}/${b}/${c}`);
      return { key: `${a}/${b}/${c}` };
    });
    const x = children.get('m', '1.0.0', '200');
    expect(children.get('m', '1.0.0', '200')).toBe(x);
    const y = children.get('m', '1.0.0', '400');
    const z = children.get('m', '1.1.0');
    expect(children.get('m', '1.0.0', '200')).toBe(x);
    expect(children.get('m', '1.0.0', '400')).toBe(y);
    expect(children.get('m', '1.1.0', '')).toBe(z);
    expect(made).toEqual(['m/1.0.0/200', 'm/1.0.0/400', 'm/1.1.0/']);
  });
});
