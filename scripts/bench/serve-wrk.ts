/**
 * Peak throughput with wrk (https://github.com/wg/wrk; Debian/Ubuntu `apt-get install wrk`, macOS
 * `brew install wrk`) as the load generator of scripts/bench/serve.ts: a separate C process that spends
 * a few µs of CPU per request. On a 2-core machine the Node load generator (serve-load.ts) needs ~22 µs
 * per request, a core's worth at the bare server's peak, so it competes with the server it measures;
 * wrk leaves the CPU to the servers. Closed loop (wrk has no fixed-rate mode): the open-loop latency
 * and swap phases stay on serve-load.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './serve-load.js';

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // wrk --version prints its banner and exits 1; only a missing binary is "not available"
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${out}`))));
  });
}

const ms = (text: string): number => {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 1e-3 : m[2] === 's' ? 1e3 : 1);
};

/** Closed loop: `concurrency` keep-alive connections on one wrk thread for `seconds`, after a 1 s warm-up run. */
export async function wrkClosed(url: string, body: string, concurrency: number, seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-wrk-'));
  try {
    const script = join(dir, 'post.lua');
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
    const args = (s: number) => ['-t1', `-c${concurrency}`, `-d${s}s`, '--latency', '-s', script, url];
    const warm = await run(args(1));
    const out = await run(args(seconds));
    const requests = Number(/(\d+) requests in ([\d.]+)(ms|s)/.exec(out)?.[1] ?? NaN);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const socketErrors = sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
    const line = (q: string) => new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '';
    return {
      requests,
      ok: requests - non2xx,
      failed: non2xx + socketErrors,
      errors: non2xx || socketErrors ? [`wrk: ${non2xx} non-2xx responses, ${socketErrors} socket errors`] : [],
      seconds,
      rps,
      p50ms: ms(line('50')),
      p99ms: ms(line('99')),
      maxms: NaN,
      versions: {},
      warmupRequests: Number(/(\d+) requests in/.exec(warm)?.[1] ?? 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
