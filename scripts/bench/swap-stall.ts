/**
 * Benchmark: how long serving stops answering while a swap loads a large model. `slipway serve` as shipped
 * (the built CLI) swaps the small credit-risk model for a large one (`bigPackage`: a MatMul over the numeric
 * columns, of --mb MB) while this process polls `/v2/health/live` every 2 ms; printed: the longest wait
 * for an answer and the reconcile's time, with the version loaded inline (on the event loop, the baseline),
 * on a worker thread, and as `--inference auto` chooses on this machine.
 *
 * Usage: npx tsx scripts/bench/swap-stall.ts [--mb 4,8,16,150] [--rounds 2] [--no-build]
 */
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { bigPackage, buildWorld, type Pkg, type World } from '../../test/serve/fixtures.js';
import { THREAD_MIN_CORES, THREAD_MIN_MODEL_BYTES } from '../../src/serve/runtime.js';
import { median } from './median.js';
import { buildCli, startSlipway } from './serve-process.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '4,8,16,150' }, rounds: { type: 'string', default: '2' }, 'no-build': { type: 'boolean', default: false } } });
const SIZES = values.mb!.split(',').map(Number);
if (!SIZES.length || SIZES.some((m) => !(m > 0))) throw new Error(`--mb: expected sizes in MB like 4,8,16,150, got ${values.mb}`);
const MODES = ['inline', 'thread', 'auto'] as const;

/** One swap from the small model to `big` under polling: the longest gap between two health answers, and the reconcile's time. */
async function swap(world: World, big: Pkg, mode: (typeof MODES)[number]): Promise<{ gapMs: number; reconcileMs: number }> {
  world.pin({ 'credit-risk': { pkg: world.packages[0] } }, 'small');
  const server = await startSlipway(world, ['--inference', mode]);
  let polling = true;
  let poller: Promise<void> = Promise.resolve();
  try {
    world.pin({ 'credit-risk': { pkg: big } }, `promote ${big.version}`);
    let gapMs = 0;
    poller = (async () => {
      let last = performance.now();
      while (polling) {
        await (await fetch(`${server.url}/v2/health/live`)).arrayBuffer();
        const now = performance.now();
        gapMs = Math.max(gapMs, now - last);
        last = now;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const t0 = performance.now();
    const r = await fetch(`${server.url}/-/reconcile?wait=true`, { method: 'POST' });
    const reconcileMs = performance.now() - t0;
    const status = (await r.json()) as { sync: { status: string } };
    if (r.status !== 200 || status.sync.status !== 'Synced') throw new Error(`${mode}: the swap did not apply: ${r.status} ${JSON.stringify(status)}`);
    await new Promise((res) => setTimeout(res, 100));
    return { gapMs, reconcileMs };
  } finally {
    polling = false;
    await poller.catch(() => {});
    await server.stop();
  }
}

if (!values['no-build']) buildCli();
const world = await buildWorld({ l2s: [1] });
try {
  console.log(`swap stall: the small credit-risk model swapped for a large one while /v2/health/live is polled every 2 ms; ${values.rounds} rounds, ${availableParallelism()} cores (auto: inline below ${THREAD_MIN_CORES} cores unless the model file has ${THREAD_MIN_MODEL_BYTES / 2 ** 20} MiB or more)`);
  for (const mb of SIZES) {
    const big = await bigPackage(world, mb, `2.0.${SIZES.indexOf(mb)}`);
    const seen: Record<string, { gapMs: number; reconcileMs: number }[]> = {};
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const mode of MODES) (seen[mode] ??= []).push(await swap(world, big, mode));
    }
    const line = MODES.map((m) => `${m} ${median(seen[m].map((x) => x.gapMs)).toFixed(0)} ms (reconcile ${median(seen[m].map((x) => x.reconcileMs)).toFixed(0)} ms)`).join(', ');
    const ratio = median(seen.inline.map((x) => x.gapMs)) / median(seen.auto.map((x) => x.gapMs));
    console.log(`${String(mb).padStart(4)} MB: longest wait for a health answer, medians: ${line}; inline / auto ${ratio.toFixed(1)}×`);
  }
} finally {
  rmSync(world.root, { recursive: true, force: true });
}
