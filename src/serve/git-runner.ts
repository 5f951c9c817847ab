/**
 * Runs the serving process's `git` commands (the reconcile's fetch and rev-parse) from a small helper
 * process started once, while the server is still small, instead of spawning git from the server itself.
 * Node spawns by forking, and a fork copies the page tables of the whole process on the event loop's
 * thread: on a 2-core VM a git spawned from the process held its event loop 13.5 ms at 76 MB resident,
 * 21.8 ms at 376 MB and 43.5 ms at 1 GB, every request waiting meanwhile, against ≈ 5 ms through the
 * helper (scripts/bench/git-spawn.ts, docs/serve.md). The helper's own forks are as small as it is and
 * hold no request. Commands are argument arrays (no shell); if the helper dies, its pending commands
 * fail and the next one starts a new helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { gitFailure, type GitRun } from '../gitops/git.js';

/** The helper: CommonJS for `node -e`, so that it runs the same from the sources and from dist/. */
const HELPER = `
const { execFile } = require('node:child_process');
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  execFile('git', m.args, { cwd: m.cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 256 << 20 }, (e, stdout, stderr) => {
    process.send({ id: m.id, stdout, failure: e ? { code: e.code, stderr, message: e.message } : null });
  });
});
`;

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

  /** Starts the helper now, while this process is small; `run` starts it again after it died. */
  constructor() {
    this.start();
  }

  /** git's stdout for `args` in `cwd`, or the ExternalError `git()` would give (gitops/git.ts). */
  readonly run: GitRun = (cwd, args) => {
    if (this.closed) return Promise.reject(new Error('the git helper process was closed'));
    const child = this.child ?? this.start();
    const id = ++this.seq;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { args, cwd, resolve, reject });
      // a pending command keeps the process alive; an idle helper does not
      child.channel?.ref();
      try {
        child.send({ id, args, cwd }, (e) => e && this.settle(id, e));
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

  /** Ends the helper (the server's shutdown); pending commands fail. */
  close(): void {
    this.closed = true;
    const c = this.child;
    this.child = null;
    c?.kill();
    this.failAll(new Error('the git helper process was closed'));
  }

  private start(): ChildProcess {
    const child = spawn(process.execPath, ['-e', HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
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
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
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
