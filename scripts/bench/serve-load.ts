/**
 * The load generator of scripts/bench/serve.ts, run as a SEPARATE process (child_process.fork) so
 * that it does not share an event loop with the server it measures. Keep-alive HTTP/1.1 on raw sockets
 * (RawConnection below), one request in flight per connection.
 *
 * Modes (one JSON message in, one JSON message out over IPC):
 * - closed: `concurrency` requests always outstanding for `seconds` → peak throughput
 * - open: requests sent at a fixed `rate` for `seconds` (or until told to stop); latency counted from
 *   the moment the generator issues it (its tick), so waiting for a free connection behind a slow server
 *   counts (no coordinated omission); `p99FromScheduleMs` counts from each request's ideal send time instead,
 *   which adds the generator's own timer lateness (on a busy 2-core machine, often milliseconds)
 */
import { connect, type Socket } from 'node:net';

export interface LoadJob {
  mode: 'closed' | 'open';
  url: string;
  body: string;
  concurrency?: number;
  rate?: number;
  seconds: number;
  /** open mode: run until a {stop: true} message instead of for `seconds` */
  untilStopped?: boolean;
  warmupSeconds?: number;
}

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  errors: string[];
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  /** open loop: p99 counted from each request's ideal send time (adds the generator's own lateness) */
  p99FromScheduleMs?: number;
  versions: Record<string, number>;
  /** requests answered during the warm-up (not in the figures above) */
  warmupRequests?: number;
  /** filled in by the bench: server CPU per request */
  cpuUsPerRequest?: number;
  /** the load generator's own CPU during the measured phase: µs per request and share of one core (near 1 = it is the bottleneck) */
  genCpuUsPerRequest?: number;
  genCpuShare?: number;
}

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * One keep-alive HTTP/1.1 connection on a raw socket: writes the pre-built request bytes and parses just
 * enough of each response (status, content-length, body). A few µs of client CPU per request, against
 * tens for node:http's client, so that on a 2-core machine the server, not the client, saturates first.
 */
class RawConnection {
  private socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: ((status: number, body: Buffer | null, error?: string) => void) | null = null;
  closed = false;

  constructor(host: string, port: number, onClose: (c: RawConnection) => void) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    const end = (why: string) => {
      if (this.closed) return;
      this.closed = true;
      const p = this.pending;
      this.pending = null;
      p?.(0, null, why);
      onClose(this);
    };
    this.socket.on('error', (e) => end(e.message));
    this.socket.on('close', () => end('connection closed before the response'));
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  send(request: Buffer, done: (status: number, body: Buffer | null, error?: string) => void): void {
    this.pending = done;
    this.socket.write(request);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const head = this.buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const headers = this.buf.toString('latin1', 0, head);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
      const len = m ? Number(m[1]) : 0;
      if (this.buf.length < head + 4 + len) return;
      const status = Number(headers.slice(9, 12));
      const body = this.buf.subarray(head + 4, head + 4 + len);
      this.buf = this.buf.subarray(head + 4 + len);
      if (/\r\nconnection:\s*close/i.test(headers)) this.socket.end();
      const p = this.pending;
      this.pending = null;
      p?.(status, body);
    }
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

async function run(job: LoadJob): Promise<LoadResult> {
  const u = new URL(job.url);
  const host = u.hostname;
  const port = Number(u.port);
  const request = Buffer.concat([
    Buffer.from(`POST ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(job.body)}\r\n\r\n`, 'latin1'),
    Buffer.from(job.body),
  ]);
  const maxConnections = Math.max(job.concurrency ?? 64, 64);
  const idle: RawConnection[] = [];
  const all = new Set<RawConnection>();
  const waiting: ((c: RawConnection) => void)[] = [];
  const onClose = (c: RawConnection) => {
    all.delete(c);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
    // a request waiting for a connection gets a new one in place of the closed one
    const next = waiting.shift();
    if (next) {
      const n = new RawConnection(host, port, onClose);
      all.add(n);
      next(n);
    }
  };
  const latencies: number[] = [];
  const fromSchedule: number[] = [];
  const errors: string[] = [];
  const versions: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let recording = false;
  let warmDone = 0;
  const one = (issued: number, scheduled = issued): Promise<void> =>
    new Promise((resolve) => {
      const go = (c: RawConnection) => {
        c.send(request, (status, body, error) => {
          if (!recording) warmDone++;
          else {
            const now = performance.now();
            latencies.push(now - issued);
            fromSchedule.push(now - scheduled);
            if (status === 200 && body) {
              ok++;
              const text = body.toString('latin1');
              const at = text.indexOf('"model_version":"');
              if (at >= 0) {
                const v = text.slice(at + 17, text.indexOf('"', at + 17));
                versions[v] = (versions[v] ?? 0) + 1;
              }
            } else {
              failed++;
              if (errors.length < 10) errors.push(error ?? `${status} ${body?.toString('utf8').slice(0, 200)}`);
            }
          }
          if (!c.closed) {
            const next = waiting.shift();
            if (next) next(c);
            else idle.push(c);
          }
          resolve();
        });
      };
      const take = () => {
        const c = idle.pop();
        if (c) return go(c);
        if (all.size < maxConnections) {
          const n = new RawConnection(host, port, onClose);
          all.add(n);
          return go(n);
        }
        waiting.push(go);
      };
      take();
    });

  let stopRequested = false;
  process.on('message', (m: { stop?: boolean }) => {
    if (m?.stop) stopRequested = true;
  });

  const phase = async (seconds: number, untilStopped: boolean): Promise<number> => {
    const start = performance.now();
    const end = start + seconds * 1000;
    const done = () => (untilStopped ? stopRequested : performance.now() >= end);
    if (job.mode === 'closed') {
      const loop = async () => {
        while (!done()) await one(performance.now());
      };
      await Promise.all(Array.from({ length: job.concurrency ?? 32 }, loop));
    } else {
      const rate = job.rate ?? 1000;
      const inflight = new Set<Promise<void>>();
      let sent = 0;
      while (!done()) {
        const now = performance.now();
        const due = Math.floor(((now - start) / 1000) * rate);
        while (sent < due) {
          const scheduled = start + (sent / rate) * 1000;
          const p = one(now, scheduled).then(() => void inflight.delete(p));
          inflight.add(p);
          sent++;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(inflight);
    }
    return (performance.now() - start) / 1000;
  };

  if (job.warmupSeconds) await phase(job.warmupSeconds, false);
  recording = true;
  const cpu0 = process.cpuUsage();
  const seconds = await phase(job.seconds, job.untilStopped ?? false);
  const cpu = process.cpuUsage(cpu0);
  const genCpu = cpu.user + cpu.system;
  for (const c of all) c.destroy();
  latencies.sort((a, b) => a - b);
  fromSchedule.sort((a, b) => a - b);
  return { p99FromScheduleMs: percentile(fromSchedule, 0.99), requests: ok + failed, ok, failed, errors, seconds, rps: (ok + failed) / seconds, p50ms: percentile(latencies, 0.5), p99ms: percentile(latencies, 0.99), maxms: latencies[latencies.length - 1] ?? NaN, versions, warmupRequests: warmDone, genCpuUsPerRequest: genCpu / Math.max(1, ok + failed), genCpuShare: genCpu / 1e6 / seconds };
}

process.once('message', (job: LoadJob) => {
  void run(job).then((r) => {
    process.send!(r, () => process.exit(0));
  });
});
process.send?.({ ready: true });
