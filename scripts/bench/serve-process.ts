/**
 * A server under benchmark in a process of its own: started, found by its `serving … on <url>` line, its
 * CPU read from /proc, stopped with SIGTERM; and `slipway serve` as shipped (the built CLI) on a test
 * world's GitOps repo. Shared by serve.ts and swap-stall.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV, type World } from '../../test/serve/fixtures.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLK_TCK = 100;

export interface Server {
  url: string;
  child: ChildProcess;
  /** CPU seconds of the process so far (all threads), from /proc */
  cpu(): number;
  stop(): Promise<void>;
}

/** Starts a server process and waits for the `serving … on <url>` line. */
export function startServer(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before serving: ${out}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = / on (http:\/\/[^\s:]+:\d+)/.exec(out);
      if (!m) return;
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        url: m[1],
        child,
        cpu() {
          const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
          return (Number(f[11]) + Number(f[12])) / CLK_TCK;
        },
        stop: () =>
          new Promise<void>((r) => {
            child.removeAllListeners('exit');
            if (child.exitCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Builds dist/ (`npm run build`), so that the CLI runs as shipped. */
export function buildCli(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** `slipway serve` as shipped (bin/slipway.js → dist/) following `world`'s remote, webhook only, with `extra` flags. */
export function startSlipway(world: Pick<World, 'remote' | 'storePath'>, extra: string[]): Promise<Server> {
  const args = [join(ROOT, 'bin', 'slipway.js'), 'serve', '--env', ENV, '--repo', world.remote, '--store', world.storePath, '--port', '0', '--interval', '0s', ...extra];
  return startServer(process.execPath, args, { ...process.env, SLIPWAY_FROM_SOURCE: '' });
}
