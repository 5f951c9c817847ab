/**
 * InferenceThread (a loaded version on a worker thread, `slipway serve --inference thread`) against
 * openSession and the event loop's decoder on the same real models: the same signature, the same
 * predictions bit for bit, the same answer bytes for request bodies, the same error classes and messages
 * when a model cannot be opened; bodies outside the byte scanner's subset are handed back; and its
 * lifecycle (close ends the thread, a dead thread fails what waits and refuses what comes). And the
 * WorkerSpare that serving starts ahead: the next open takes it, a dead one is passed over, one that dies
 * while the model is sent is replaced, close ends it, and it never keeps a process alive.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { batchFromRows } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { InferenceThread, type ThreadInit } from '../../src/serve/inference-thread.js';
import { WorkerSpare } from '../../src/serve/worker-spare.js';
import { decodeRequest } from '../../src/serve/oip-decode.js';
import { encodeOutputsJson } from '../../src/serve/oip-encode.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES } from '../train/fixtures.js';

const { dir } = tempDir('slipway-inference-thread-');
const num = { type: 'number' };
const contract: RowSchema = { properties: { x0: num, x1: num, who: { type: ['string', 'null'] } } };
const features = ['x0', 'x1'];
const options = { provider: 'cpu' as const, features, contract, task: 'binary-classification' as const };
const MODEL = join(FIXTURES, 'matrix_vector.onnx');
const init = (path = MODEL, over: Partial<ThreadInit> = {}): ThreadInit => ({ path, options, decode: { features, extra: ['who'], contract }, threshold: 0.3, task: 'binary-classification', batch: { maxRows: 256, intervalMs: 0.25 }, ...over });
const quiet = () => {};

/** A request body in the common form (what the byte scanner takes), `rows` rows, with an id on every other one. */
function body(k: number, rows: number): Buffer {
  const col = (f: string, v: (i: number) => number) => ({ name: f, shape: [rows, 1], datatype: 'FP64', data: Array.from({ length: rows }, (_, i) => v(i)) });
  return Buffer.from(JSON.stringify({ ...(k % 2 ? { id: `req-${k}` } : {}), inputs: [col('x0', (i) => i - k / 3), col('x1', (i) => k * 0.25 - i)] }));
}

describe('InferenceThread', () => {
  it('gives the signature and the exact predictions of an in-thread session, for concurrent row sets', async () => {
    const inline = await openSession(MODEL, { ...options, notice: quiet });
    const thread = await InferenceThread.open(init(), quiet);
    try {
      expect(thread.signature).toEqual(inline.signature);
      expect(thread.provider).toBe('cpu');
      const sets = Array.from({ length: 20 }, (_, k) => Array.from({ length: 1 + (k % 7) }, (_, i) => ({ x0: i - k / 3, x1: k * 0.25 - i })));
      const got = await Promise.all(sets.map((rows) => thread.predict(rows)));
      for (let k = 0; k < sets.length; k++) expect(got[k]).toEqual(await inline.predict(batchFromRows(sets[k], features, contract)));
    } finally {
      await inline.close();
      await thread.close();
    }
  });

  it('answers request bodies with the bytes the event loop would make, mixed with row sets in one turn', async () => {
    const inline = await openSession(MODEL, { ...options, notice: quiet });
    const thread = await InferenceThread.open(init(), quiet);
    try {
      const bodies = Array.from({ length: 12 }, (_, k) => body(k, 1 + (k % 4)));
      const rowSet = [{ x0: 0.5, x1: -2 }];
      const [answers, rowsOut] = await Promise.all([Promise.all(bodies.map((b) => thread.answer(b))), thread.predict(rowSet)]);
      for (let k = 0; k < bodies.length; k++) {
        const decoded = decodeRequest(JSON.parse(bodies[k].toString()), { features, extra: ['who'], contract });
        const p = await inline.predict(batchFromRows(decoded.rows, features, contract));
        expect(answers[k]).toEqual({ id: decoded.id, outputs: encodeOutputsJson(p, 'binary-classification', 0.3) });
      }
      expect(rowsOut).toEqual(await inline.predict(batchFromRows(rowSet, features, contract)));
    } finally {
      await inline.close();
      await thread.close();
    }
  });

  it('hands back (null) every body the byte scanner declines, so the event loop gives its precise 400', async () => {
    const thread = await InferenceThread.open(init(), quiet);
    try {
      const declined = [
        '{"inputs":[{"name":"x0","shape":[1],"datatype":"FP64","data":[1]}]}', // a feature missing
        '{"inputs":[{"name":"x0","shape":[1],"datatype":"FP64","data":[1]},{"name":"x1","shape":[1],"datatype":"FP64","data":[1]}],"parameters":{}}',
        '{"inputs":[{"name":"x0","shape":[2],"datatype":"FP64","data":[1]},{"name":"x1","shape":[1],"datatype":"FP64","data":[1]}]}',
        'not json',
        '',
      ];
      expect(await Promise.all(declined.map((b) => thread.answer(Buffer.from(b))))).toEqual(declined.map(() => null));
      // the thread still answers afterwards
      expect(await thread.answer(body(1, 1))).toMatchObject({ id: 'req-1' });
    } finally {
      await thread.close();
    }
  });

  it('fails to open as openSession does: the same error class and message', async () => {
    const missing = join(dir, 'missing.onnx');
    const garbage = join(dir, 'garbage.onnx');
    writeFileSync(garbage, 'not a model');
    for (const path of [missing, garbage]) {
      const want = (await openSession(path, { ...options, notice: quiet }).catch((e: Error) => e)) as Error;
      const got = (await InferenceThread.open(init(path), quiet).catch((e: Error) => e)) as Error;
      expect(want).toBeInstanceOf(InputError);
      expect(got).toBeInstanceOf(InputError);
      expect(got.message).toBe(want.message);
    }
    // a contract the model does not fit: the signature check runs in the thread too
    const wide = { ...options, features: ['x0', 'x1', 'x2'], contract: { properties: { ...contract.properties, x2: num } } };
    const got = (await InferenceThread.open(init(MODEL, { options: wide }), quiet).catch((e: Error) => e)) as Error;
    expect(got).toBeInstanceOf(InputError);
    expect(got.message).toMatch(/takes 2 features per row but the contract has 3/);
  });

  it('close ends the thread; calls afterwards are refused', async () => {
    const thread = await InferenceThread.open(init(), quiet);
    expect((await thread.predict([{ x0: 1, x1: 1 }])).values.length).toBe(1);
    await thread.close();
    await thread.close(); // idempotent
    await expect(thread.predict([{ x0: 1, x1: 1 }])).rejects.toThrow(/closed/);
    await expect(thread.answer(body(0, 1))).rejects.toThrow(/closed/);
  });

  it('a thread that dies fails the requests waiting on it and refuses the next ones', async () => {
    const thread = await InferenceThread.open(init(), quiet);
    const waiting = thread.answer(body(0, 1));
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(waiting).rejects.toThrow(/inference thread exited/);
    await expect(thread.predict([{ x0: 1, x1: 1 }])).rejects.toThrow(/inference thread exited/);
    await thread.close();
  });
});

/** the spare's waiting worker (to end it from outside, as a crash would) */
const waitingWorker = (spare: WorkerSpare) => (spare as unknown as { waiting: { worker: Worker } }).waiting.worker;

describe('WorkerSpare', () => {
  it('the next open takes the waiting worker and scores there as a worker of its own does', async () => {
    const spare = new WorkerSpare();
    spare.fill();
    const id = spare.threadId;
    expect(id).toBeGreaterThan(0);
    spare.fill(); // one waits already: no second
    expect(spare.threadId).toBe(id);
    const before = InferenceThread.started;
    const taken = await InferenceThread.open(init(), quiet, spare);
    expect(InferenceThread.started - before).toBe(0);
    const own = await InferenceThread.open(init(), quiet);
    expect(InferenceThread.started - before).toBe(1);
    try {
      expect(taken.threadId).toBe(id);
      expect(spare.threadId).toBeUndefined(); // spent until the next fill
      expect(taken.signature).toEqual(own.signature);
      const rows = [{ x0: 0.25, x1: -1 }, { x0: 3, x1: 0.5 }];
      expect(await taken.predict(rows)).toEqual(await own.predict(rows));
      expect(await taken.answer(body(3, 2))).toEqual(await own.answer(body(3, 2)));
    } finally {
      await Promise.all([taken.close(), own.close(), spare.close()]);
    }
  });

  it("a model the spare cannot open fails as it does without one, and the spare is spent", async () => {
    const garbage = join(dir, 'garbage-for-spare.onnx');
    writeFileSync(garbage, 'not a model');
    const spare = new WorkerSpare();
    spare.fill();
    const want = (await InferenceThread.open(init(garbage), quiet).catch((e: Error) => e)) as Error;
    const before = InferenceThread.started;
    const got = (await InferenceThread.open(init(garbage), quiet, spare).catch((e: Error) => e)) as Error;
    expect(InferenceThread.started).toBe(before); // refused by the spare: not tried again on a worker of its own
    expect(got).toBeInstanceOf(InputError);
    expect(got.message).toBe(want.message);
    expect(spare.threadId).toBeUndefined();
    await spare.close();
  });

  it('a spare that died is passed over, and one that dies while the model is sent is replaced by a worker of its own', async () => {
    const spare = new WorkerSpare();
    spare.fill();
    const dead = spare.threadId;
    await waitingWorker(spare).terminate();
    expect(spare.threadId).toBeUndefined();
    const first = await InferenceThread.open(init(), quiet, spare);
    expect(first.threadId).not.toBe(dead);
    expect((await first.predict([{ x0: 1, x1: 1 }])).values.length).toBe(1);

    spare.fill();
    const dying = spare.threadId;
    const worker = waitingWorker(spare);
    const before = InferenceThread.started;
    const opening = InferenceThread.open(init(), quiet, spare); // takes the spare and sends it the model, then:
    void worker.terminate();
    const second = await opening;
    expect(InferenceThread.started - before).toBe(1);
    expect(second.threadId).not.toBe(dying);
    expect(await second.predict([{ x0: 1, x1: 1 }])).toEqual(await first.predict([{ x0: 1, x1: 1 }]));
    await Promise.all([first.close(), second.close(), spare.close()]);
  });

  it('a model the spare cannot be sent (not cloneable) fails the open and ends the spare', async () => {
    const spare = new WorkerSpare();
    spare.fill();
    const worker = waitingWorker(spare);
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const bad = { ...init(), threshold: (() => 0.5) as unknown as number };
    await expect(InferenceThread.open(bad, quiet, spare)).rejects.toThrow(/could not be cloned/);
    await exited; // not left waiting for a model, keeping the process alive
  });

  it('close ends the waiting spare and starts no more', async () => {
    const spare = new WorkerSpare();
    spare.fill();
    const worker = waitingWorker(spare);
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    await spare.close();
    await exited;
    spare.fill();
    expect(spare.threadId).toBeUndefined();
    const thread = await InferenceThread.open(init(), quiet, spare); // a worker of its own
    await thread.close();
  });

  it('never keeps its process alive', () => {
    // a script that leaves a spare waiting and returns: it must exit by itself
    const source = new URL('../../src/serve/worker-spare.ts', import.meta.url).pathname;
    // (a file, not -e: a worker inherits the process's flags, and --input-type is refused without -e)
    const script = join(dir, 'spare-left-waiting.mjs');
    writeFileSync(script, `import { WorkerSpare } from ${JSON.stringify(source)};
      const spare = new WorkerSpare(); spare.fill(); await new Promise((t) => setTimeout(t, 300)); console.log(spare.threadId > 0);`);
    expect(execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 }).trim()).toBe('true');
  });
});
