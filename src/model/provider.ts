/**
 * Which ONNX Runtime execution provider a session runs on (CPU or CUDA), and opening a public
 * onnxruntime-node session on it: 'auto' tries CUDA where this onnxruntime-node can load it and falls
 * back to the CPU with one notice per process; 'cuda' makes its absence an error.
 */
import * as ort from 'onnxruntime-node';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ExternalError, UsageError } from '../errors.js';
import { readEnv } from '../env.js';
import { DataType, writeOnnx } from './onnx-writer.js';

export type ProviderChoice = 'auto' | 'cpu' | 'cuda';

export interface ProviderOptions {
  /** intra-op threads (default: ORT's) */
  threads?: number;
  /** where a notice goes (CPU fallback); default: stderr */
  notice?: (message: string) => void;
}

let noticed = false;

/** The directory holding libonnxruntime_providers_cuda.so when onnxruntime-node was installed with CUDA, else null. */
export function cudaLibraryDir(): string | null {
  try {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    const dir = join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const names = process.platform === 'win32' ? ['onnxruntime_providers_cuda.dll'] : ['libonnxruntime_providers_cuda.so'];
    return names.some((n) => existsSync(join(dir, n))) ? dir : null;
  } catch {
    return null;
  }
}

/** The CPU fallback's notice, once per process. */
function noticeCpu(reason: string, options: ProviderOptions): void {
  relayCpuNotice(`notice: using the CPU execution provider (${reason})`, options.notice ?? ((m: string) => process.stderr.write(m + '\n')));
}

/**
 * Gives `message`, a CPU fallback's notice, to `sink` unless this process has given one already: a worker
 * thread has a module state of its own, so the thread that relays its notices (inference-thread.ts) passes
 * them through here, and a server that swaps in one large model after another says it once.
 */
export function relayCpuNotice(message: string, sink: (message: string) => void): void {
  if (noticed) return;
  noticed = true;
  sink(message);
}

/**
 * Why `choice` runs on the CPU without trying CUDA: '' for an explicit 'cpu', the reason CUDA is not
 * available for 'auto', or null when CUDA is there to try. Throws when 'cuda' is required and not available.
 */
function cudaUnavailable(path: string, choice: ProviderChoice): string | null {
  if (choice === 'cpu') return '';
  const backends = ort.listSupportedBackends().map((b) => b.name);
  const built = backends.includes('cuda');
  if (built && cudaLibraryDir() !== null) return null;
  const reason = built ? 'the CUDA provider libraries are not installed' : `this onnxruntime-node build has no CUDA provider (available: ${backends.join(', ')})`;
  if (choice === 'cuda') throw cudaRequired(path, reason);
  return built ? `${reason} (install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)` : reason;
}

/** The error for a required CUDA that is not there. */
function cudaRequired(path: string, reason: string): ExternalError {
  return new ExternalError(`${path}: CUDA was required (SLIPWAY_EXECUTION_PROVIDER=cuda or provider 'cuda') but ${reason}. Install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with CUDA 12 (docs/train.md).`);
}

/**
 * True when `choice` runs on the CPU without a try of CUDA (the CPU fallback's notice, if any, is given
 * here): a caller may then load the model its own way on the CPU. Throws as createSession would for a
 * required CUDA that is not there.
 */
export function cpuWithoutTrying(path: string, choice: ProviderChoice, options: ProviderOptions): boolean {
  const reason = cudaUnavailable(path, choice);
  if (reason) noticeCpu(reason, options);
  return reason !== null;
}

/** A public onnxruntime-node session on `path`, on the provider `choice` resolves to. */
export async function createSession(path: string, choice: ProviderChoice, options: ProviderOptions): Promise<{ session: ort.InferenceSession; provider: string }> {
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', ...(options.threads ? { intraOpNumThreads: options.threads } : {}) };
  let reason = cudaUnavailable(path, choice);
  if (reason === null) {
    try {
      return { session: await ort.InferenceSession.create(path, { ...base, executionProviders: ['cuda', 'cpu'] }), provider: 'cuda' };
    } catch (e) {
      reason = `the CUDA provider could not be created: ${(e as Error).message.split('\n')[0]}`;
      if (choice === 'cuda') throw cudaRequired(path, reason);
    }
  }
  if (reason) noticeCpu(reason, options);
  return { session: await ort.InferenceSession.create(path, { ...base, executionProviders: ['cpu'] }), provider: 'cpu' };
}

/**
 * Opens a one-node model on the CUDA provider in a child process: null when it opens, else the reason.
 * A child, so that the CUDA context it makes (a few hundred MB of GPU memory) is not held by this process
 * while the training command runs.
 */
export function probeCuda(timeoutMs = 120_000): Promise<string | null> {
  const model = writeOnnx({
    name: 'cuda-probe',
    inputs: [{ name: 'x', type: DataType.FLOAT, shape: [1] }],
    outputs: [{ name: 'y', type: DataType.FLOAT, shape: [1] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
    initializers: [],
  });
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  // the reason goes to stdout after a marker: ONNX Runtime logs its own lines to stderr
  const script =
    `const ort = require(${JSON.stringify(ortPath)});` +
    `ort.InferenceSession.create(Buffer.from(${JSON.stringify(Buffer.from(model).toString('base64'))}, 'base64'), { executionProviders: ['cuda'] })` +
    `.then((s) => s.release()).then(() => process.exit(0), (e) => { process.stdout.write('SLIPWAY_PROBE:' + String((e && e.message) || e).split('\\n')[0]); process.exit(3); });`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { timeout: timeoutMs }, (err, stdout) => {
      if (!err) return resolve(null);
      const at = stdout.indexOf('SLIPWAY_PROBE:');
      resolve(at >= 0 ? stdout.slice(at + 'SLIPWAY_PROBE:'.length).trim() : err.killed ? `it did not open within ${timeoutMs / 1000} s` : err.message.split('\n')[0]);
    });
  });
}

/**
 * Before long work (training): throws the error a required CUDA that cannot run gives, so that it comes
 * before the work and not after it. 'cuda' is tried for real (probeCuda): it needs the provider libraries,
 * the CUDA and cuDNN runtime and a driver with a device. 'auto' and 'cpu' always pass ('auto' falls back
 * to the CPU with its notice when the model is opened).
 */
export async function assertProviderUsable(choice: ProviderChoice, where: string): Promise<void> {
  if (choice !== 'cuda') return;
  cudaUnavailable(where, 'cuda');
  const problem = await probeCuda();
  if (problem !== null) throw cudaRequired(where, `the CUDA provider could not be created: ${problem}`);
}

/** Resolves 'auto' against SLIPWAY_EXECUTION_PROVIDER (src/env.ts). */
export function providerChoice(requested: ProviderChoice | undefined, env: NodeJS.ProcessEnv = process.env): ProviderChoice {
  const fromEnv = readEnv(env).executionProvider?.toLowerCase();
  const choice = requested && requested !== 'auto' ? requested : (fromEnv ?? 'auto');
  if (choice !== 'auto' && choice !== 'cpu' && choice !== 'cuda') throw new UsageError(`execution provider must be auto, cpu or cuda, got '${choice}' (SLIPWAY_EXECUTION_PROVIDER)`);
  return choice;
}
