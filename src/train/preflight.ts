/**
 * Checks made before a training command runs, for what would otherwise fail only after it (which may
 * be hours of GPU time later, the trained model then lost with the temporary directory): a required
 * CUDA that cannot run, and a store or `--out` directory that cannot be written.
 */
import { constants } from 'node:fs';
import { access, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { fileSystemReason } from '../fs/fs-error.js';
import { assertProviderUsable, providerChoice, type ProviderChoice } from '../model/provider.js';

/** The nearest directory at or above `path` that exists (the one a write would create `path` in). */
async function existingAncestor(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await stat(p);
      return p;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || dirname(p) === p) throw e;
    }
  }
}

/**
 * Throws an InputError naming `what` when `dir` could not be created or written: the nearest existing
 * directory at or above it must be a directory this process may write in.
 */
export async function assertWritableDir(dir: string, what: string): Promise<void> {
  let at: string;
  try {
    at = await existingAncestor(dir);
    if (!(await stat(at)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    const reason = fileSystemReason(e) ?? (e as Error).message;
    throw new InputError(`${what} ${dir} cannot be written: ${reason}; nothing was trained`);
  }
}

/** The provider choice, checked before training: an unknown value, or a required CUDA that cannot run, is an error now. */
export async function checkProvider(requested: ProviderChoice | undefined, env: NodeJS.ProcessEnv): Promise<ProviderChoice> {
  const choice = providerChoice(requested, env);
  await assertProviderUsable(choice, 'before training');
  return choice;
}

/** The write targets of a training run, checked before it: the local store (file://) and the parent of `--out`. */
export async function checkWritable(storeUri: string, out: string | undefined): Promise<void> {
  if (storeUri.startsWith('file:')) await assertWritableDir(fileURLToPath(storeUri), 'the model store');
  // the package is written next to --out and renamed over it
  if (out) await assertWritableDir(dirname(out), 'the directory of --out');
}

/** The training run's temporary directory, or an InputError that says how to choose another. */
export async function makeStage(base = tmpdir()): Promise<string> {
  try {
    return await mkdtemp(join(base, 'slipway-train-'));
  } catch (e) {
    const reason = fileSystemReason(e) ?? (e as Error).message;
    throw new InputError(`cannot create a temporary directory in ${base}: ${reason}; set TMPDIR to a writable directory`, { cause: e });
  }
}

/** `ms` as "1h 5m", "12m 30s" or "45s". */
export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/**
 * While a training command runs: every `everyMs` (default 5 min) in which it printed nothing, a line that
 * it is still running, how long it has run and been silent, and its timeout — so that a silent epoch and
 * a hung process are told apart in the log before the timeout ends it.
 */
export function silenceWatch(log: (line: string) => void, timeout: string, everyMs = 300_000): { heard: () => void; stop: () => void } {
  const started = Date.now();
  let last = started;
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last >= everyMs - 50) log(`the training command is still running: ${formatElapsed(now - started)} so far, no output for ${formatElapsed(now - last)} (timeout ${timeout})`);
  }, everyMs);
  timer.unref();
  return { heard: () => void (last = Date.now()), stop: () => clearInterval(timer) };
}
