/**
 * Runs the serving process's `git` commands (the reconcile's fetch and rev-parse) from a small helper
 * process started once, while the server is still small, instead of spawning git from the server itself.
 * Node spawns by forking, and a fork copies the page tables of the whole process on the event loop's
 * thread: on a 2-core VM a git spawned from the process held its event loop 12–14 ms at ≈ 75 MB resident,
 * 22–28 ms at ≈ 375 MB and 44–53 ms at 1 GB, every request waiting meanwhile, against ≈ 5 ms through
 * the helper (scripts/bench/git-spawn.ts, docs/serve.md). The helper's own forks are as small as it is and
 * hold no request. Commands are argument arrays (no shell); if the helper dies, its pending commands
 * fail and the next one starts a new helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GIT_ENV, GIT_MAX_OUTPUT, gitFailure, type GitRun } from '../gitops/git.js';

/**
 * The helper: CommonJS for `node -e`, so that it runs the same from the sources and from dist/. Each git
 * runs in a process group of its own (detached), so that when the server goes (its channel closes) or
 * stops the helper (SIGTERM), every git still running ends with its children (a fetch's transport, an
 * alias's shell). Nothing in a command can crash it: a spawn that throws or an answer that cannot be sent
 * is that command's failure.
 */
const HELPER = `// slipway serve: git helper
const { spawn } = require('node:child_process');
const MAX = ${GIT_MAX_OUTPUT};
const running = new Set();
const stop = () => {
  for (const c of running) try { process.kill(-c.pid, 'SIGKILL'); } catch {}
  process.exit(0);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('message', (m) => {
  let done = false;
  const reply = (stdout, failure) => {
    if (done) return;
    done = true;
    try { process.send({ id: m.id, stdout, failure }); }
    catch (e) { try { process.send({ id: m.id, stdout: '', failure: { message: 'its answer could not be sent: ' + e.message } }); } catch {} }
  };
  let child;
  try {
    child = spawn('git', m.args, { cwd: m.cwd, env: { ...process.env, ...${JSON.stringify(GIT_ENV)}, ...m.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return reply('', { code: e.code, message: e.message });
  }
  running.add(child);
  const out = [], err = [];
  let size = 0;
  // a command that outlives its time (a remote that stalls where git has no timeout of its own) ends with its group
  let late = false;
  const timer = m.timeout > 0 ? setTimeout(() => { late = true; try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, m.timeout) : null;
  child.stdout.on('data', (d) => { size += d.length; if (size > MAX) child.kill('SIGKILL'); else out.push(d); });
  child.stderr.on('data', (d) => err.push(d));
  child.on('error', (e) => { running.delete(child); clearTimeout(timer); reply('', { code: e.code, message: e.message }); });
  child.on('close', (code, signal) => {
    running.delete(child);
    clearTimeout(timer);
    const stdout = Buffer.concat(out).toString('utf8');
    if (size > MAX) return reply('', { message: 'its output passed ' + MAX + ' bytes' });
    if (late) return reply('', { message: 'it did not finish within ' + m.timeout / 1000 + ' s, and was stopped (a remote that accepts the connection and then stalls?)' });
    if (code === 0) return reply(stdout, null);
    reply(stdout, { code: code ?? signal, stderr: Buffer.concat(err).toString('utf8'), message: 'git exited with ' + (code ?? signal) });
  });
});
`;

/** The longest a git command of the serving process runs (10 minutes): a first fetch of a large repository included. */
export const GIT_TIMEOUT_MS = 10 * 60_000;

interface Reply {
  id: number;
  stdout: string;
  failure: { code?: number | string; stderr?: string; message: string } | null;
}

interface Pending {
  args: string[];
  cwd: string;
  resolve: (stdout: string) => void;
  reject: (e: Error) => void;
}

export class GitRunner {
  private child: ChildProcess | null = null;
  private pending = new Map<number, Pending>();
  private seq = 0;
  private closed = false;

  /**
   * Starts the helper now, while this process is small; `run` starts it again after it died. A command still
   * running after `timeoutMs` is stopped (0: never): a reconcile that waits on a stalled fetch holds every later one.
   */
  constructor(private readonly timeoutMs = GIT_TIMEOUT_MS) {
    this.start();
  }

  /** git's stdout for `args` in `cwd`, or the ExternalError `git()` would give (gitops/git.ts). */
  readonly run: GitRun = (cwd, args, env) => {
    if (this.closed) return Promise.reject(new Error('the git helper process was closed'));
    const child = this.child ?? this.start();
    const id = ++this.seq;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { args, cwd, resolve, reject });
      // a pending command keeps the process alive; an idle helper does not
      child.channel?.ref();
      try {
        child.send({ id, args, cwd, env, timeout: this.timeoutMs }, (e) => e && this.settle(id, e));
      } catch (e) {
        // no channel (the helper could not start): the same failure, now
        this.settle(id, e as Error);
      }
    });
  };

  /** the helper's process id (tests) */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Ends the helper and any git it still runs (the server's shutdown); pending commands fail. */
  close(): void {
    this.closed = true;
    const c = this.child;
    this.child = null;
    // SIGTERM: the helper ends its git processes' groups, then itself
    c?.kill();
    this.failAll(new Error('the git helper process was closed'));
  }

  private start(): ChildProcess {
    // NODE_OPTIONS is the server's (an --inspect port, an APM agent's --require), not the helper's
    const child = spawn(process.execPath, ['-e', HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json', env: { ...process.env, NODE_OPTIONS: '' } });
    this.child = child;
    child.unref();
    child.channel?.unref();
    child.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.settle(m.id, m.failure ? gitFailure(p.args, p.cwd, m.failure) : null, m.stdout);
    });
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = null;
      this.failAll(new Error(`the git helper process ${why}`));
    };
    child.on('exit', (code, signal) => gone(`ended (${signal ?? code})`));
    // the channel can close before 'exit' is seen, and a process kept alive by nothing else would end with commands unsettled
    child.on('disconnect', () => gone('ended (its channel closed)'));
    child.on('error', (e) => gone(`failed: ${e.message}`));
    return child;
  }

  private settle(id: number, error: Error | null, stdout = ''): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.child?.channel?.unref();
    if (error) p.reject(error);
    else p.resolve(stdout);
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }
}
