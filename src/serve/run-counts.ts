/**
 * How many ONNX Runtime runs a loaded model version made and how many rows they scored, for `/metrics`
 * (`slipway_inference_runs_total`, `slipway_inference_rows_total`): rows per run is the dynamic batcher's
 * batch size, what `--batch-interval` trades latency for. The counts live in a SharedArrayBuffer so that
 * a batcher on an inference thread (inference-worker.ts) writes them and the event loop reads them at
 * scrape time; 64-bit integers, added atomically.
 */
export class RunCounts {
  private readonly counts: BigInt64Array;

  constructor(readonly shared = new SharedArrayBuffer(16)) {
    this.counts = new BigInt64Array(shared, 0, 2);
  }

  /** one run that scored `rows` rows */
  add(rows: number): void {
    Atomics.add(this.counts, 0, 1n);
    Atomics.add(this.counts, 1, BigInt(rows));
  }

  get runs(): number {
    return Number(Atomics.load(this.counts, 0));
  }

  get rows(): number {
    return Number(Atomics.load(this.counts, 1));
  }

  /** back to zero (after a version's warm-up and smoke test, so that the counts are the requests' alone) */
  reset(): void {
    Atomics.store(this.counts, 0, 0n);
    Atomics.store(this.counts, 1, 0n);
  }
}
