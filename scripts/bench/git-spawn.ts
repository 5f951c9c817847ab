/**
 * Benchmark: how long running git holds a serving process's event loop, by the process's size. Node spawns
 * by forking, and the fork copies the page tables of the whole process on the calling thread; a server
 * holding loaded models is large. This process grows to each --mb size (touched buffers, as a loaded
 * model's weights are), then runs `git rev-parse HEAD` --calls times, one after another, two ways:
 * spawned from this process (`git()`, gitops/git.ts: the baseline, what serving did before) and through a
 * GitRunner (serve/git-runner.ts: a helper process, started while this one was small, spawns git). Printed,
 * medians of --rounds interleaved rounds: the event loop's longest delay while the calls ran
 * (perf_hooks.monitorEventLoopDelay, 1 ms resolution), the longest synchronous call, and the ratios; and,
 * as the floor, the loop's longest delay in the same phase with no git command at all.
 *
 * Usage: npx tsx scripts/bench/git-spawn.ts [--mb 0,300,1000] [--calls 10] [--rounds 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { git, type GitRun } from '../../src/gitops/git.js';
import { GitRunner } from '../../src/serve/git-runner.js';
import { median } from './median.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '0,300,1000' }, calls: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' } } });
const SIZES = values.mb!.split(',').map(Number);
if (!SIZES.length || SIZES.some((m) => !(m >= 0)) || SIZES.some((m, i) => i > 0 && m < SIZES[i - 1])) throw new Error(`--mb: expected growing sizes in MB like 0,300,1000, got ${values.mb}`);
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(CALLS) || CALLS < 1) throw new Error(`--calls: expected a whole number of calls, 1 or more, got ${values.calls}`);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds: expected a whole number of rounds, 1 or more, got ${values.rounds}`);

/** The loop's longest delay (ms) and the longest synchronous part of a call (ms) over CALLS calls of `run`. */
async function phase(run: GitRun, repo: string): Promise<{ loopMs: number; syncMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let syncMs = 0;
  h.enable();
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    const p = run(repo, ['rev-parse', 'HEAD']);
    syncMs = Math.max(syncMs, performance.now() - t0);
    await p;
    await new Promise((r) => setTimeout(r, 5));
  }
  h.disable();
  return { loopMs: h.max / 1e6, syncMs };
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-git-spawn-'));
const runner = new GitRunner();
const held: Buffer[] = [];
try {
  execFileSync('git', ['init', '--quiet', dir]);
  execFileSync('git', ['-C', dir, '-c', 'user.email=b@example.com', '-c', 'user.name=B', 'commit', '--quiet', '--allow-empty', '-m', 'one']);
  console.log(`git spawn: ${CALLS} × git rev-parse per phase, ${ROUNDS} interleaved rounds; spawned from this process (the baseline) against a GitRunner's helper process`);
  for (const mb of SIZES) {
    while (held.length < mb) held.push(Buffer.alloc(1 << 20, held.length & 0xff));
    const rss = process.memoryUsage().rss / 2 ** 20;
    const seen: Record<'inProcess' | 'helper' | 'none', { loopMs: number; syncMs: number }[]> = { inProcess: [], helper: [], none: [] };
    for (let round = 0; round < ROUNDS; round++) {
      seen.inProcess.push(await phase(git, dir));
      seen.helper.push(await phase(runner.run, dir));
      seen.none.push(await phase(async () => '', dir));
    }
    const m = (k: keyof typeof seen, f: 'loopMs' | 'syncMs') => median(seen[k].map((x) => x[f]));
    console.log(
      `${String(mb).padStart(5)} MB held (rss ${rss.toFixed(0)} MB): longest event-loop delay in process ${m('inProcess', 'loopMs').toFixed(1)} ms, helper ${m('helper', 'loopMs').toFixed(1)} ms (${(m('inProcess', 'loopMs') / m('helper', 'loopMs')).toFixed(1)}×); ` +
        `longest synchronous call in process ${m('inProcess', 'syncMs').toFixed(2)} ms, helper ${m('helper', 'syncMs').toFixed(2)} ms; ` +
        `the loop's longest delay with no git at all ${m('none', 'loopMs').toFixed(1)} ms`,
    );
  }
} finally {
  runner.close();
  rmSync(dir, { recursive: true, force: true });
}
