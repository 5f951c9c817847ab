import type { Interval } from './report-types.js';
import type { MetricInfo, MetricKernel } from './kernel.js';
import { percentileSorted } from './percentile.js';
import { Prng } from './prng.js';

export interface BootstrapOptions {
  samples: number;
  seed: number;
  /** e.g. 0.95 */
  confidence: number;
  /** called after each replicate (progress) */
  onReplicate?: (done: number, total: number) => void;
}

export interface DeltaInterval extends Interval {
  higher_is_better: boolean;
  /** replicates in which both models' metric was defined (the CI uses these) */
  replicates: number;
}

/**
 * Paired bootstrap of candidate-minus-champion deltas. Each replicate draws n row indices with
 * replacement (seeded xoshiro128**), turned into per-row counts once and used for BOTH models, so the
 * two are compared on the same resample. The interval is the percentile interval (numpy's linear
 * percentiles at (1 − confidence)/2 and (1 + confidence)/2) of the replicate deltas; `value` is the
 * delta on the full data. A metric undefined on either model's full data has no delta; replicates
 * where it is undefined (e.g. a resample with one class) are left out and counted.
 *
 * Cost: per replicate, n draws plus one pass over the rows per model (no sorting: see ranking.ts).
 */
export function pairedBootstrap(candidate: MetricKernel, champion: MetricKernel, metrics: MetricInfo[], opts: BootstrapOptions): Record<string, DeltaInterval> {
  const n = candidate.rows;
  if (champion.rows !== n) throw new Error(`candidate and champion were scored on different rows (${n} vs ${champion.rows})`);
  const full = { cand: candidate.metrics(null), champ: champion.metrics(null) };
  const names = metrics.map((m) => m.name).filter((m) => full.cand[m] != null && full.champ[m] != null);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((m) => [m, []]));
  const rng = new Prng(opts.seed);
  const small = new Uint8Array(n);
  if (n > 0) {
    for (let r = 0; r < opts.samples; r++) {
      const counts = drawCounts(rng, n, small);
      const a = candidate.metrics(counts);
      const b = champion.metrics(counts);
      for (const m of names) {
        const va = a[m];
        const vb = b[m];
        if (va != null && vb != null) samples[m].push(va - vb);
      }
      opts.onReplicate?.(r + 1, opts.samples);
    }
  }
  const lowQ = ((1 - opts.confidence) / 2) * 100;
  const highQ = ((1 + opts.confidence) / 2) * 100;
  const out: Record<string, DeltaInterval> = {};
  for (const info of metrics) {
    const m = info.name;
    if (!names.includes(m)) continue;
    const value = (full.cand[m] as number) - (full.champ[m] as number);
    const s = Float64Array.from(samples[m]);
    s.sort();
    out[m] = {
      value,
      ci_low: s.length ? percentileSorted(s, lowQ) : value,
      ci_high: s.length ? percentileSorted(s, highQ) : value,
      higher_is_better: info.higherIsBetter,
      replicates: s.length,
    };
  }
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
