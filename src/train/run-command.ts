import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ExternalError, InputError } from '../errors.js';
import { LineSplitter } from './output-lines.js';

export interface RunOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** kill the command after this many milliseconds */
  timeoutMs?: number;
  /** after SIGTERM, wait this long before SIGKILL (default 10 s) */
  graceMs?: number;
  /** each line the command prints (stdout and stderr), as it comes */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** aborting cancels the command (SIGTERM, then SIGKILL) */
  signal?: AbortSignal;
  /** the least time between two progress-bar updates (lines redrawn with \r) passed to onLine (default 10 s) */
  progressIntervalMs?: number;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** the last lines of output, for error messages */
  tail: string[];
  timedOut: boolean;
  cancelled: boolean;
}

const TAIL = 20;

/** /proc/<pid>/stat as [state, process group], or null when the process is gone. */
function procStat(pid: number | string): [string, number] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return [rest[0], Number(rest[2])];
  } catch {
    return null;
  }
}

const HAS_PROC = existsSync('/proc/self/stat');

/** Whether a process is running; a zombie (exited, not yet reaped by its new parent) counts as gone. */
export function processAlive(pid: number): boolean {
  if (HAS_PROC) {
    const st = procStat(pid);
    return st !== null && st[0] !== 'Z' && st[0] !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any live (non-zombie) process is left in the process group. */
function groupAlive(pgid: number): boolean {
  if (HAS_PROC) {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const st = procStat(name);
      if (st && st[1] === pgid && st[0] !== 'Z' && st[0] !== 'X') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Runs the model's training command (model.yaml `train.command`, written by the repository's own
 * authors) with /bin/sh in its own process group, streaming its output line by line. Nothing is
 * interpolated into the command: inputs reach it through environment variables. On timeout or
 * cancel the whole group gets SIGTERM, then SIGKILL after the grace period; after the command
 * exits, anything it left running in its group is ended the same way, so no process outlives it.
 */
export function runTrainingCommand(o: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const graceMs = o.graceMs ?? 10_000;
  return new Promise((resolvePromise, reject) => {
    const child = spawn('/bin/sh', ['-c', o.command], { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    const tail: string[] = [];
    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const line = (stream: 'stdout' | 'stderr') =>
      new LineSplitter({
        progressIntervalMs: o.progressIntervalMs,
        onLine(l) {
          tail.push(l);
          if (tail.length > TAIL) tail.shift();
          o.onLine?.(l, stream);
        },
      });
    const out = line('stdout');
    const err = line('stderr');
    child.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => err.push(c));

    const terminate = () => {
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      killTimer ??= setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    };
    const timer = o.timeoutMs ? setTimeout(() => ((timedOut = true), terminate()), o.timeoutMs) : undefined;
    const onAbort = () => {
      cancelled = true;
      terminate();
    };
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      reject(new ExternalError(`could not start the training command: ${e.message}`));
    });
    let closed = false;
    const streamsClosed = new Promise<void>((r) => child.on('close', () => ((closed = true), r())));
    child.on('exit', async (exitCode, signal) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      // Leftovers in the group (a background process the command started): end them too.
      if (pid !== undefined && groupAlive(pid)) {
        killGroup(pid, 'SIGTERM');
        const deadline = Date.now() + graceMs;
        while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
      }
      if (killTimer) clearTimeout(killTimer);
      // The pipes close once every holder is gone; one that escaped the group (setsid) is not waited for.
      await Promise.race([streamsClosed, new Promise((r) => setTimeout(r, 2000))]);
      if (!closed) {
        child.stdout!.destroy();
        child.stderr!.destroy();
      }
      out.end();
      err.end();
      resolvePromise({ exitCode, signal, durationMs: Date.now() - started, tail, timedOut, cancelled });
    });
  });
}

/** Turns a failed run into a clear error with the last lines of output. */
export function assertSucceeded(r: RunResult, command: string, timeout?: string): void {
  const tail = r.tail.length ? `\nlast output:\n  ${r.tail.join('\n  ')}` : '';
  if (r.timedOut) throw new ExternalError(`the training command timed out after ${timeout ?? `${r.durationMs} ms`} and was stopped: ${command}${tail}`);
  if (r.cancelled) throw new ExternalError(`the training command was cancelled: ${command}`);
  if (r.exitCode !== 0) {
    // SIGKILL that Slipway did not send (no timeout, no cancel) is most often the kernel's OOM killer; exit 137 is a shell's report of it
    const oom = r.signal === 'SIGKILL' || r.exitCode === 137 ? " (a SIGKILL that no one sent by hand is most often the kernel's out-of-memory killer: see `dmesg` or the runner's memory, and lower the batch size)" : '';
    const how = (r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`) + oom;
    throw new InputError(`the training command ${how}: ${command}${tail}`);
  }
}
