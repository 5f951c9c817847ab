/**
 * openWorkerSession (ONNX Runtime on a worker thread, what `slipway serve` uses) against openSession on
 * the same real models: the same signature, the same predictions bit for bit, the same error classes and
 * messages; and its lifecycle (close ends the thread, later calls are refused).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { batchFromRows } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { openWorkerSession } from '../../src/model/worker-session.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES } from '../train/fixtures.js';

const { dir } = tempDir('slipway-worker-session-');
const num = { type: 'number' };
const contract: RowSchema = { properties: { x0: num, x1: num } };
const options = { provider: 'cpu' as const, features: ['x0', 'x1'], contract, task: 'binary-classification' as const, notice: () => {} };

describe('openWorkerSession', () => {
  it('gives the signature and the exact predictions of an in-thread session, for concurrent batches', async () => {
    const path = join(FIXTURES, 'matrix_vector.onnx');
    const inline = await openSession(path, options);
    const worker = await openWorkerSession(path, options);
    try {
      expect(worker.signature).toEqual(inline.signature);
      expect(worker.provider).toBe('cpu');
      const batches = Array.from({ length: 20 }, (_, k) => batchFromRows(Array.from({ length: 1 + (k % 7) }, (_, i) => ({ x0: i - k / 3, x1: k * 0.25 - i })), ['x0', 'x1'], contract));
      const got = await Promise.all(batches.map((b) => worker.predict(b)));
      for (let k = 0; k < batches.length; k++) expect(got[k]).toEqual(await inline.predict(batches[k]));
    } finally {
      await inline.close();
      await worker.close();
    }
  });

  it('fails to open as openSession does: the same error class and message', async () => {
    const missing = join(dir, 'missing.onnx');
    const garbage = join(dir, 'garbage.onnx');
    writeFileSync(garbage, 'not a model');
    for (const path of [missing, garbage]) {
      const want = (await openSession(path, options).catch((e: Error) => e)) as Error;
      const got = (await openWorkerSession(path, options).catch((e: Error) => e)) as Error;
      expect(want).toBeInstanceOf(InputError);
      expect(got).toBeInstanceOf(InputError);
      expect(got.message).toBe(want.message);
    }
    // a contract the model does not fit: the signature check runs in the thread too
    const wide = (await openWorkerSession(join(FIXTURES, 'matrix_vector.onnx'), { ...options, features: ['x0', 'x1', 'x2'], contract: { properties: { ...contract.properties, x2: num } } }).catch((e: Error) => e)) as Error;
    expect(wide).toBeInstanceOf(InputError);
    expect(wide.message).toMatch(/takes 2 features per row but the contract has 3/);
  });

  it('close ends the thread; predict afterwards is refused', async () => {
    const s = await openWorkerSession(join(FIXTURES, 'matrix_vector.onnx'), options);
    const batch = batchFromRows([{ x0: 1, x1: 1 }], ['x0', 'x1'], contract);
    expect((await s.predict(batch)).values.length).toBe(1);
    await s.close();
    await s.close(); // idempotent
    await expect(s.predict(batch)).rejects.toThrow(/closed/);
  });
});
