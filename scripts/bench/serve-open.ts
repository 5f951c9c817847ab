/**
 * The fixed-rate (open-loop) latency phase of scripts/bench/serve.ts with scripts/bench/openloop.c, a
 * wrk2-style C generator: evenly spaced requests, each due at start + i / rate, latency counted from that
 * due time, µs timing, a few syscalls of CPU per request. Compiled on first use with the system C compiler
 * into node_modules/.cache (Linux: epoll_pwait2). Where there is no compiler the bench falls back to
 * serve-load.ts (Node, 1 ms ticks: bursts of rate/1000 requests, its own event loop in the latency).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './serve-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(here, 'openloop.c');

/** The compiled generator (built once per source version), or null with the reason it cannot be built here. */
export function openLoopBinary(): { path: string } | { path: null; why: string } {
  if (process.platform !== 'linux') return { path: null, why: 'openloop.c needs Linux (epoll_pwait2)' };
  const src = readFileSync(SOURCE);
  const dir = join(here, '..', '..', 'node_modules', '.cache', 'slipway-bench');
  const bin = join(dir, `openloop-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
  if (existsSync(bin)) return { path: bin };
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', tmp, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tmp, bin);
    return { path: bin };
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    return { path: null, why: err.code === 'ENOENT' ? `no C compiler (${process.env.CC ?? 'cc'})` : `cc failed: ${err.stderr?.toString().split('\n')[0] ?? err.message}` };
  }
}

interface OpenLoopOut {
  requests: number;
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  lateP99ms: number;
  cpuUsPerRequest: number;
  errors: string[];
}

/** `rate` requests a second for `seconds` after `warmupSeconds` at the same rate; keep-alive, 256 connections. */
export async function openLoop(bin: string, url: string, body: string, rate: number, seconds: number, warmupSeconds = 1): Promise<LoadResult & { lateP99ms: number }> {
  const u = new URL(url);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-open-'));
  try {
    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, body);
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(bin, [u.hostname, u.port, u.pathname, bodyFile, String(rate), String(seconds), String(warmupSeconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`openloop exited with ${code}: ${text}`))));
    });
    const r = JSON.parse(out) as OpenLoopOut;
    return { ...r, p99FromScheduleMs: r.p99ms, versions: {}, genCpuUsPerRequest: r.cpuUsPerRequest, genCpuShare: (r.cpuUsPerRequest * r.rps) / 1e6 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
