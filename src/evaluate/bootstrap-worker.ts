/** A bootstrap worker: computes the deltas of the replicates it is given (see bootstrap.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { replicateDeltas } from './bootstrap.js';
import { restoreKernel, type KernelState } from './parallel.js';

const d = workerData as { cand: KernelState; champ: KernelState; names: string[]; seed: number; replicates: number[] };
const cand = restoreKernel(d.cand);
const champ = restoreKernel(d.champ);
const small = new Uint8Array(cand.rows);
const out = new Float64Array(d.replicates.length * d.names.length);
d.replicates.forEach((r, j) => {
  out.set(replicateDeltas(cand, champ, d.names, d.seed, r, small), j * d.names.length);
  parentPort!.postMessage({ progress: 1 });
});
parentPort!.postMessage({ done: out }, [out.buffer]);
