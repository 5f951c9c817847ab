/**
 * A long-lived `git cat-file --batch` in a repository: reads objects (`<commit>:<path>`) over one pipe
 * instead of spawning git per read. Spawning forks the whole serving process, which held its event loop
 * for several ms per file during every reconcile. Requests are answered in order; if the process dies,
 * every pending read fails and the next read starts a new one.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { GIT_ENV } from '../gitops/git.js';

export interface CatFileObject {
  type: string;
  content: Buffer;
}

interface Pending {
  resolve: (o: CatFileObject | null) => void;
  reject: (e: Error) => void;
}

export class CatFileBatch {
  private child: ChildProcessWithoutNullStreams | null = null;
  private pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly cwd: string) {}

  /** The object named `spec` (e.g. `<commit>:<path>`), or null when there is none. */
  read(spec: string): Promise<CatFileObject | null> {
    if (/[\n\r]/.test(spec)) return Promise.reject(new Error('an object name cannot hold a line break'));
    const child = this.child ?? this.start();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      // a pending read keeps the process alive (a shutdown awaits a reconcile that awaits it); an idle git does not
      if (this.pending.length === 1) refStream(child.stdout, true);
      child.stdin.write(spec + '\n');
    });
  }

  /** the running git's process id (tests) */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  close(): void {
    const c = this.child;
    this.child = null;
    c?.stdin.end();
    c?.kill();
    this.fail(new Error('closed'));
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.cwd, env: { ...process.env, ...GIT_ENV } });
    this.child = child;
    this.buf = Buffer.alloc(0);
    // never what keeps the server's process alive
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
    child.stdout.on('data', (d: Buffer) => this.onData(d));
    child.stderr.resume();
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = null;
      this.fail(new Error(`git cat-file --batch ${why}`));
    };
    child.on('error', (e) => gone(`failed: ${e.message}`));
    child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    child.stdin.on('error', (e) => gone(`stdin: ${e.message}`));
    return child;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = [];
    if (this.child) refStream(this.child.stdout, false);
    for (const x of p) x.reject(e);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const header = this.buf.toString('utf8', 0, nl);
      // "<oid> <type> <size>" or "<name> missing" / "<name> ambiguous"
      const m = /^[0-9a-f]{40,64} (\S+) (\d+)$/.exec(header);
      if (!m) {
        this.buf = this.buf.subarray(nl + 1);
        this.shift()?.resolve(null);
        continue;
      }
      const size = Number(m[2]);
      if (this.buf.length < nl + 1 + size + 1) return;
      const content = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.shift()?.resolve({ type: m[1], content });
    }
  }

  private shift(): Pending | undefined {
    const p = this.pending.shift();
    if (this.pending.length === 0 && this.child) refStream(this.child.stdout, false);
    return p;
  }
}

function refStream(s: unknown, on: boolean): void {
  const r = s as { ref?: () => void; unref?: () => void };
  if (on) r.ref?.();
  else r.unref?.();
}
