import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSucceeded, processAlive, runTrainingCommand } from '../../src/train/run-command.js';
import { pidFromFile } from '../support/processes.js';
import { shellQuote } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const { dir } = tempDir('slipway-run-');

const alive = processAlive;

describe('runTrainingCommand', () => {
  it('streams lines from stdout and stderr and passes the environment', async () => {
    const lines: string[] = [];
    const r = await runTrainingCommand({ command: 'echo "seed=$SLIPWAY_SEED"; echo warn >&2; printf partial', cwd: dir, env: { PATH: process.env.PATH, SLIPWAY_SEED: '7' }, onLine: (l, s) => lines.push(`${s}:${l}`) });
    expect(r.exitCode).toBe(0);
    expect(lines).toEqual(expect.arrayContaining(['stdout:seed=7', 'stderr:warn', 'stdout:partial']));
    expect(() => assertSucceeded(r, 'x')).not.toThrow();
  });

  it('a failing command is an error with its exit code and last output', async () => {
    const r = await runTrainingCommand({ command: 'echo "loading"; echo "CUDA out of memory" >&2; exit 3', cwd: dir, env: process.env });
    expect(r.exitCode).toBe(3);
    expect(() => assertSucceeded(r, 'python train.py')).toThrow(/the training command exited with code 3: python train.py\nlast output:\n {2}loading\n {2}CUDA out of memory/);
  });

  it('cancel: SIGTERM reaches the whole group, the grandchild included; nothing is left running', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const controller = new AbortController();
    // the child shell starts a grandchild (sleep) and waits on it
    const run = runTrainingCommand({ command: `sleep 300 & echo $! > ${shellQuote(pidFile)}; echo "$$" > ${shellQuote(`${pidFile}.parent`)}; wait`, cwd: dir, env: process.env, signal: controller.signal, graceMs: 2000 });
    const grandchild = await pidFromFile(pidFile);
    const parent = await pidFromFile(`${pidFile}.parent`);
    expect(alive(grandchild)).toBe(true);
    controller.abort();
    const r = await run;
    expect(r.cancelled).toBe(true);
    expect(alive(grandchild)).toBe(false);
    expect(alive(parent)).toBe(false);
    expect(() => assertSucceeded(r, 'train')).toThrow(/the training command was cancelled: train/);
  });

  it('timeout: a command that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const started = Date.now();
    const r = await runTrainingCommand({ command: `trap '' TERM; sh -c ${shellQuote(`trap "" TERM; echo $$ > ${shellQuote(pidFile)}; while :; do sleep 0.05; done`)} & wait; wait`, cwd: dir, env: process.env, timeoutMs: 300, graceMs: 300 });
    const grandchild = await pidFromFile(pidFile);
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(alive(grandchild)).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(() => assertSucceeded(r, 'python train.py', '300ms')).toThrow(/the training command timed out after 300ms and was stopped: python train.py/);
  });

  it('ends background processes the command leaves behind when it exits', async () => {
    const pidFile = join(dir, 'orphan.pid');
    const r = await runTrainingCommand({ command: `sleep 300 > /dev/null 2>&1 & echo $! > ${shellQuote(pidFile)}; exit 0`, cwd: dir, env: process.env, graceMs: 1000 });
    expect(r.exitCode).toBe(0);
    expect(alive(await pidFromFile(pidFile))).toBe(false);
  });

  it('a command killed by SIGKILL (no timeout, no cancel) points at the out-of-memory killer', async () => {
    const r = await runTrainingCommand({ command: 'echo "allocating"; kill -KILL $$', cwd: dir, env: process.env });
    expect(r.signal).toBe('SIGKILL');
    expect(() => assertSucceeded(r, 'python train.py')).toThrow(/^the training command was killed by SIGKILL \(a SIGKILL that no one sent by hand is most often the kernel's out-of-memory killer: see `dmesg` or the runner's memory, and lower the batch size\): python train\.py\nlast output:\n {2}allocating$/);
    // a shell between slipway and the killed process reports it as exit code 137
    const s = await runTrainingCommand({ command: 'sh -c \'kill -KILL $$\'', cwd: dir, env: process.env });
    expect(s.exitCode).toBe(137);
    expect(() => assertSucceeded(s, 'x')).toThrow(/exited with code 137 \(a SIGKILL that no one sent by hand is most often the kernel's out-of-memory killer/);
  });
});
