import type { FeatureBatch } from '../model/features.js';
import { sliceBatch } from '../model/features.js';
import type { ModelSession } from '../model/session.js';
import { percentile } from './percentile.js';

export interface LatencyOptions {
  singleRuns?: number;
  batchRuns?: number;
  batchSize?: number;
  warmup?: number;
}

export interface Latency {
  single_p50_ms: number;
  single_p99_ms: number;
  batch_size: number;
  batch_p50_ms: number;
  batch_p99_ms: number;
  rows_per_s: number;
  execution_provider: string;
}

/**
 * Latency of a session on this machine: `predict` on single rows (cycling through the sample) and on
 * batches of `batchSize` rows, after a warm-up; p50/p99 with numpy's linear percentiles. Includes
 * building the input tensors, as serving does.
 */
export async function measureLatency(session: ModelSession, sample: FeatureBatch, o: LatencyOptions = {}): Promise<Latency> {
  const singleRuns = o.singleRuns ?? 300;
  const batchRuns = o.batchRuns ?? 30;
  const warmup = o.warmup ?? 20;
  const batchSize = Math.max(1, Math.min(o.batchSize ?? 1024, sample.rows));
  if (sample.rows === 0) throw new Error('latency needs at least one row');
  const time = async (b: FeatureBatch) => {
    const t0 = performance.now();
    await session.predict(b);
    return performance.now() - t0;
  };
  const singles = Array.from({ length: Math.min(sample.rows, 256) }, (_, i) => sliceBatch(sample, i, i + 1));
  for (let i = 0; i < warmup; i++) await time(singles[i % singles.length]);
  const single: number[] = [];
  for (let i = 0; i < singleRuns; i++) single.push(await time(singles[i % singles.length]));
  const batch = sliceBatch(sample, 0, batchSize);
  for (let i = 0; i < Math.min(warmup, 3); i++) await time(batch);
  const batched: number[] = [];
  for (let i = 0; i < batchRuns; i++) batched.push(await time(batch));
  const bp50 = percentile(batched, 50);
  return {
    single_p50_ms: percentile(single, 50),
    single_p99_ms: percentile(single, 99),
    batch_size: batchSize,
    batch_p50_ms: bp50,
    batch_p99_ms: percentile(batched, 99),
    rows_per_s: bp50 > 0 ? batchSize / (bp50 / 1000) : 0,
    execution_provider: session.provider,
  };
}
