/**
 * The load generator of scripts/bench/serve.ts, run as a SEPARATE process (child_process.fork) so
 * that it does not share an event loop with the server it measures. Keep-alive http.Agent.
 *
 * Modes (one JSON message in, one JSON message out over IPC):
 * - closed: `concurrency` requests always outstanding for `seconds` → peak throughput
 * - open: requests sent at a fixed `rate` for `seconds` (or until told to stop); latency counted from
 *   each request's scheduled send time, so queueing delay is not hidden (no coordinated omission)
 */
import { Agent, request } from 'node:http';

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

async function run(job: LoadJob): Promise<LoadResult> {
  const u = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(job.concurrency ?? 64, 64) });
  const body = Buffer.from(job.body);
  const latencies: number[] = [];
  const errors: string[] = [];
  const versions: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let recording = false;
  let warmDone = 0;
  const one = (scheduled: number): Promise<void> =>
    new Promise((resolve) => {
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (!recording) warmDone++;
          if (recording) {
            latencies.push(performance.now() - scheduled);
            if (res.statusCode === 200) {
              ok++;
              const m = /"model_version":"([^"]*)"/.exec(Buffer.concat(chunks).toString('utf8'));
              if (m) versions[m[1]] = (versions[m[1]] ?? 0) + 1;
            } else {
              failed++;
              if (errors.length < 10) errors.push(`${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`);
            }
          }
          resolve();
        });
      });
      req.on('error', (e) => {
        if (recording) {
          failed++;
          if (errors.length < 10) errors.push(e.message);
        }
        resolve();
      });
      req.end(body);
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
          const p = one(scheduled).then(() => void inflight.delete(p));
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
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: ok + failed, ok, failed, errors, seconds, rps: (ok + failed) / seconds, p50ms: percentile(latencies, 0.5), p99ms: percentile(latencies, 0.99), maxms: latencies[latencies.length - 1] ?? NaN, versions, warmupRequests: warmDone, genCpuUsPerRequest: genCpu / Math.max(1, ok + failed), genCpuShare: genCpu / 1e6 / seconds };
}

process.once('message', (job: LoadJob) => {
  void run(job).then((r) => {
    process.send!(r, () => process.exit(0));
  });
});
process.send?.({ ready: true });
