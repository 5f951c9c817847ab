/**
 * Benchmark: opening a large model for serving. `openSession(…, { syncRun: true })` — what `slipway serve`
 * does when it loads a version: the inputs read from the ONNX bytes (src/model/onnx-inputs.ts), then one
 * native synchronous session on the model with its inputs packed over the file's bytes (src/model/onnx-pack.ts) — against the baseline of one raw
 * `ort.InferenceSession.create(path)` on the same file. Each open runs in a fresh process, which reports
 * its time and its peak resident memory (VmHWM) above what it held before: a swap needs that much room
 * beside the version still serving. Prints medians and the ratios serve / raw ORT.
 *
 * The model: nine per-column float64 inputs joined by a Concat, a MatMul with a [9, M] weight (the size),
 * and a ReduceSum. Usage: npx tsx scripts/bench/model-load.ts [--mb 150] [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { DataType, writeOnnx, type Node, type Tensor } from '../../src/model/onnx-writer.js';
import { openSession } from '../../src/model/session.js';
import { median } from './median.js';

const FEATURES = Array.from({ length: 9 }, (_, i) => `x${i}`);
/** a memory figure of this process from /proc/self/status (VmHWM: peak resident, VmRSS: resident now), in kB */
const statusKb = (field: 'VmHWM' | 'VmRSS') => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))![1]);

async function child(mode: string, path: string): Promise<void> {
  const before = statusKb('VmRSS');
  const t0 = performance.now();
  if (mode === 'ort') {
    await ort.InferenceSession.create(path, { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  } else {
    const contract = { properties: Object.fromEntries(FEATURES.map((f) => [f, { type: 'number' }])) };
    const s = await openSession(path, { provider: 'cpu', features: FEATURES, contract, task: 'regression', syncRun: true, notice: () => {} });
    if (!s.sync || s.packs.length !== 1) throw new Error(`expected a synchronous session on the packed model, got sync ${s.sync} with ${s.packs.length} packs`);
  }
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, mb: (statusKb('VmHWM') - before) / 1024 }));
}

function writeModel(path: string, mb: number): void {
  const m = Math.max(1, Math.round((mb * 1e6) / (9 * 8)));
  const w = new Float64Array(9 * m);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 7919) % 1000) / 1e6;
  const weight: Tensor = { name: 'W', dims: [9, m], data_type: DataType.DOUBLE, raw_data: new Uint8Array(w.buffer) };
  const axes: Tensor = { name: 'axes', dims: [1], data_type: DataType.INT64, int64_data: [1] };
  const nodes: Node[] = [
    { op: 'Concat', inputs: FEATURES, outputs: ['x'], attrs: { axis: 1 } },
    { op: 'MatMul', inputs: ['x', 'W'], outputs: ['h'] },
    { op: 'ReduceSum', inputs: ['h', 'axes'], outputs: ['y'], attrs: { keepdims: 1 } },
  ];
  const inputs = FEATURES.map((f) => ({ name: f, type: DataType.DOUBLE, shape: ['N', 1] as (string | number)[] }));
  writeFileSync(path, writeOnnx({ name: 'big', opset: 19, inputs, outputs: [{ name: 'y', type: DataType.DOUBLE, shape: ['N', 1] }], nodes, initializers: [weight, axes] }));
}

const { values } = parseArgs({ options: { mb: { type: 'string', default: '150' }, rounds: { type: 'string', default: '3' }, child: { type: 'string' }, path: { type: 'string' } } });
if (values.child) {
  await child(values.child, values.path!);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-load-'));
  try {
    const path = join(dir, 'model.onnx');
    writeModel(path, Number(values.mb));
    console.log(`model: ${(statSync(path).size / 1e6).toFixed(0)} MB (nine per-column inputs, a Concat, a [9, M] MatMul weight); each open in a fresh process`);
    const runs: Record<string, { ms: number; mb: number }[]> = { ort: [], serve: [] };
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const mode of ['ort', 'serve']) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', mode, '--path', path], { encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
        if (r.status !== 0) throw new Error(`${mode}: exited with ${r.status}: ${r.stderr}`);
        const x = JSON.parse(r.stdout) as { ms: number; mb: number };
        runs[mode].push(x);
        console.log(`round ${round} ${mode === 'ort' ? 'raw ORT create    ' : 'serve openSession '} ${x.ms.toFixed(0).padStart(6)} ms  peak memory +${x.mb.toFixed(0)} MB`);
      }
    }
    const [oMs, sMs, oMb, sMb] = [median(runs.ort.map((r) => r.ms)), median(runs.serve.map((r) => r.ms)), median(runs.ort.map((r) => r.mb)), median(runs.serve.map((r) => r.mb))];
    console.log(`median: raw ORT ${oMs.toFixed(0)} ms, +${oMb.toFixed(0)} MB; serve ${sMs.toFixed(0)} ms, +${sMb.toFixed(0)} MB → time ratio serve/ORT ${(sMs / oMs).toFixed(2)}, memory ratio ${(sMb / oMb).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
