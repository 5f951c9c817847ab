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
  const counts = new Uint32Array(n);
  if (n > 0) {
    for (let r = 0; r < opts.samples; r++) {
      counts.fill(0);
      for (let j = 0; j < n; j++) counts[rng.nextInt(n)]++;
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
