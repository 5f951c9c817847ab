import type { Interval } from './report-types.js';
import type { MetricInfo, MetricKernel } from './kernel.js';
import { percentileSorted } from './percentile.js';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { kernelState } from './parallel.js';
import { Prng } from './prng.js';

export interface BootstrapOptions {
  samples: number;
  seed: number;
  /** e.g. 0.95 */
  confidence: number;
  /** worker threads; default: the machine's parallelism (≤ 8) when rows × samples ≥ 2·10^7, else 1 */
  threads?: number;
  /** called after each replicate (progress) */
  onReplicate?: (done: number, total: number) => void;
}

export interface DeltaInterval extends Interval {
  higher_is_better: boolean;
  /** replicates in which both models' metric was defined (the CI uses these) */
  replicates: number;
}

/**
 * Paired bootstrap of candidate-minus-champion deltas. Replicate r draws n row indices with
 * replacement from its own seeded stream (xoshiro128**, seed and r), turned into per-row counts once
 * and used for BOTH models, so the two are compared on the same resample. The interval is the
 * percentile interval (numpy's linear percentiles at (1 − confidence)/2 and (1 + confidence)/2) of the
 * replicate deltas; `value` is the delta on the full data. A metric undefined on either model's full
 * data has no delta; replicates where it is undefined (e.g. a resample with one class) are left out
 * and counted. Results do not depend on the number of threads.
 *
 * Cost: per replicate, n draws plus one pass over the rows per model (no sorting: see ranking.ts);
 * replicates are spread over worker threads that share the models' arrays (parallel.ts).
 */
export async function pairedBootstrap(candidate: MetricKernel, champion: MetricKernel, metrics: MetricInfo[], opts: BootstrapOptions): Promise<Record<string, DeltaInterval>> {
  const n = candidate.rows;
  if (champion.rows !== n) throw new Error(`candidate and champion were scored on different rows (${n} vs ${champion.rows})`);
  const full = { cand: candidate.metrics(null), champ: champion.metrics(null) };
  const names = metrics.map((m) => m.name).filter((m) => full.cand[m] != null && full.champ[m] != null);
  const samples = n > 0 && names.length > 0 ? opts.samples : 0;
  const threads = Math.max(1, Math.min(samples, opts.threads ?? (n * samples >= 2e7 ? Math.min(availableParallelism(), 8) : 1)));
  const deltas = threads > 1 ? await inWorkers(candidate, champion, names, opts, samples, threads) : inThread(candidate, champion, names, opts, samples);
  const lowQ = ((1 - opts.confidence) / 2) * 100;
  const highQ = ((1 + opts.confidence) / 2) * 100;
  const out: Record<string, DeltaInterval> = {};
  for (const info of metrics) {
    const j = names.indexOf(info.name);
    if (j < 0) continue;
    const value = (full.cand[info.name] as number) - (full.champ[info.name] as number);
    const s: number[] = [];
    for (let r = 0; r < samples; r++) {
      const v = deltas[r * names.length + j];
      if (!Number.isNaN(v)) s.push(v);
    }
    const sorted = Float64Array.from(s).sort();
    out[info.name] = {
      value,
      ci_low: sorted.length ? percentileSorted(sorted, lowQ) : value,
      ci_high: sorted.length ? percentileSorted(sorted, highQ) : value,
      higher_is_better: info.higherIsBetter,
      replicates: sorted.length,
    };
  }
  return out;
}

/** Running from the TypeScript sources (tsx, vitest): the worker registers tsx, then imports the worker module. */
function sourceLoader(script: URL): string {
  // the ESM entry of tsx/esm/api, from tsx's package.json (require.resolve would give the CommonJS one)
  let dir = dirname(createRequire(import.meta.url).resolve('tsx/esm/api'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const tsx = pathToFileURL(join(dir, pkg.exports['./esm/api'].import.default)).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`;
}

/** The deltas (NaN where undefined) of replicate r, in the order of `names`. */
export function replicateDeltas(candidate: MetricKernel, champion: MetricKernel, names: string[], seed: number, r: number, small: Uint8Array): Float64Array {
  const counts = drawCounts(new Prng(seed, r + 1), candidate.rows, small);
  const a = candidate.metrics(counts);
  const b = champion.metrics(counts);
  return Float64Array.from(names, (m) => (a[m] != null && b[m] != null ? (a[m] as number) - (b[m] as number) : NaN));
}

function inThread(candidate: MetricKernel, champion: MetricKernel, names: string[], opts: BootstrapOptions, samples: number): Float64Array {
  const out = new Float64Array(samples * names.length);
  const small = new Uint8Array(candidate.rows);
  for (let r = 0; r < samples; r++) {
    out.set(replicateDeltas(candidate, champion, names, opts.seed, r, small), r * names.length);
    opts.onReplicate?.(r + 1, samples);
  }
  return out;
}

async function inWorkers(candidate: MetricKernel, champion: MetricKernel, names: string[], opts: BootstrapOptions, samples: number, threads: number): Promise<Float64Array> {
  const cand = kernelState(candidate);
  const champ = kernelState(champion);
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL(fromSource ? './bootstrap-worker.ts' : './bootstrap-worker.js', import.meta.url);
  const out = new Float64Array(samples * names.length);
  let done = 0;
  await Promise.all(
    Array.from({ length: threads }, (_, w) => {
      const replicates = Array.from({ length: samples }, (_, r) => r).filter((r) => r % threads === w);
      return new Promise<void>((resolve, reject) => {
        const workerData = { cand, champ, names, seed: opts.seed, replicates };
        const worker = fromSource ? new Worker(sourceLoader(script), { eval: true, workerData }) : new Worker(script, { workerData });
        worker.on('message', (m: { progress?: number; done?: Float64Array }) => {
          if (m.progress) opts.onReplicate?.(++done, samples);
          if (m.done) {
            replicates.forEach((r, j) => out.set(m.done!.subarray(j * names.length, (j + 1) * names.length), r * names.length));
            resolve();
          }
        });
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bootstrap worker exited with code ${code}`))));
      });
    }),
  );
  return out;
}

/**
 * n draws with replacement as per-row counts. Counts go in a Uint8Array (1 byte a row: the passes that
 * read them stay in cache); in the astronomically unlikely case that a row is drawn 256 times, the
 * counts so far move to a Uint32Array and drawing goes on there. The PRNG stream is the same either way.
 */
export function drawCounts(rng: Prng, n: number, small: Uint8Array): Uint8Array | Uint32Array {
  small.fill(0);
  for (let j = 0; j < n; j++) {
    const i = rng.nextInt(n);
    if (small[i] === 255) {
      const big = Uint32Array.from(small);
      big[i]++;
      for (let k = j + 1; k < n; k++) big[rng.nextInt(n)]++;
      return big;
    }
    small[i]++;
  }
  return small;
}
