/**
 * Benchmark: what a cold CPU cache costs a serving run. `slipway serve` scores a batch with
 * `ModelSession.predict()` on a session opened as serving opens it (`syncRun`: ONNX Runtime's synchronous
 * native run on the model with its inputs packed), and under evenly spaced load its runs are ~250 µs apart
 * with HTTP work in between. This times predict() on the credit-risk model of the serve benchmark (the real
 * `slipway train` pipeline, builtin logistic regression) back to back (the baseline: caches warm), and
 * right after sweeping a buffer of each `--evict` size through the cache (the run then finds little of
 * ONNX Runtime's code and data where it left it). Prints medians over interleaved rounds and the ratios
 * cold / warm. See docs/serve.md (Performance) for how this reads against the open-loop numbers.
 *
 * Usage: npx tsx scripts/bench/ort-cache.ts [--rows 1,5,40] [--evict 1,8] [--rounds 5] [--runs 2000]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batchFromRows } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { loadModel } from '../../src/spec/model.js';
import { applicant } from '../../test/serve/client.js';
import { buildWorld } from '../../test/serve/fixtures.js';
import { median } from './median.js';

const USAGE = 'usage: npx tsx scripts/bench/ort-cache.ts [--rows 1,5,40] [--evict 1,8] [--rounds 5] [--runs 2000]';
function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}
let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({ options: { rows: { type: 'string', default: '1,5,40' }, evict: { type: 'string', default: '1,8' }, rounds: { type: 'string', default: '5' }, runs: { type: 'string', default: '2000' } } }));
} catch (e) {
  usage((e as Error).message);
}
const list = (flag: string, s: string) => {
  const xs = s.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) usage(`--${flag}: expected whole numbers ≥ 1 like 1,5,40, got '${s}'`);
  return xs;
};
const count = (flag: string, s: string) => {
  const x = Number(s);
  if (!Number.isInteger(x) || x < 1) usage(`--${flag}: expected a whole number ≥ 1, got '${s}'`);
  return x;
};
const ROWS = list('rows', values.rows!);
const EVICT_MB = list('evict', values.evict!);
const ROUNDS = count('rounds', values.rounds!);
const RUNS = count('runs', values.runs!);

const world = await buildWorld({ l2s: [1] });
const model = await loadModel(world.work, 'credit-risk');
const session = await openSession(join(world.packages[0].dir, 'model.onnx'), { provider: 'cpu', features: model.features, contract: model.schema, task: 'binary-classification', threads: 1, syncRun: true, notice: () => {} });
if (!session.sync) console.log('note: this onnxruntime-node has no synchronous binding; timing the public API');

let sink = 0;
/** touches one double per 64-byte line of the buffer (a read and a write), pushing what was cached out */
function evict(b: Float64Array): void {
  for (let i = 0; i < b.length; i += 8) sink += b[i]++;
}

/** each case: its name, and the buffer swept through the cache before every run (none: warm) */
const cases: [string, Float64Array | null][] = [['warm', null], ...EVICT_MB.map((mb): [string, Float64Array] => [`after ${mb} MB`, new Float64Array((mb << 20) / 8)])];
console.log(`ort-cache: predict() on the credit-risk model (${session.sync ? 'synchronous run, packed inputs' : 'public API'}), ${RUNS} runs per case, ${ROUNDS} interleaved rounds`);
for (const n of ROWS) {
  const batch = batchFromRows(Array.from({ length: n }, (_, i) => applicant(i)), model.features, model.schema);
  const times = new Map<string, number[]>(cases.map(([k]) => [k, []]));
  for (let w = 0; w < 500; w++) await session.predict(batch);
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, buffer] of cases) {
      let ns = 0;
      for (let i = 0; i < RUNS; i++) {
        if (buffer) evict(buffer);
        const t0 = process.hrtime.bigint();
        await session.predict(batch);
        ns += Number(process.hrtime.bigint() - t0);
      }
      times.get(name)!.push(ns / RUNS / 1e3);
    }
  const med = new Map([...times].map(([k, v]) => [k, median(v)]));
  const warm = med.get('warm')!;
  const cells = cases.map(([k]) => `${k} ${med.get(k)!.toFixed(1)} µs${k === 'warm' ? '' : ` (×${(med.get(k)! / warm).toFixed(2)})`}`);
  console.log(`${String(n).padStart(3)} row${n === 1 ? ' ' : 's'}: ${cells.join('  ')}`);
}
await session.close();
rmSync(world.root, { recursive: true, force: true });
if (sink === -1) console.log('');
