/**
 * GitRunner: the serving process's git commands run from a helper process (so that git's fork is the
 * helper's, not the server's), with git()'s results and errors; a helper that dies fails its pending
 * commands and the next command starts a new one; close() ends it. And `slipway serve`'s reconcile
 * fetches through one, started with the server and ended with it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExternalError } from '../../src/errors.js';
import { registerSecret } from '../../src/secrets.js';
import { GitRunner } from '../../src/serve/git-runner.js';
import { startServe } from '../../src/serve/serve.js';
import type { ServeStatus } from '../../src/serve/status.js';
import { gone, pidFromFile } from '../support/processes.js';
import { shellQuote } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';
import { call } from './client.js';
import { buildWorld, ENV, git } from './fixtures.js';

const { dir } = tempDir('slipway-git-runner-');
git(dir, 'init', '--quiet', '-b', 'main');
git(dir, '-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '--quiet', '--allow-empty', '-m', 'one');
const head = git(dir, 'rev-parse', 'HEAD').trim();

const runner = new GitRunner();
afterAll(() => runner.close());

/** a process's parent, from /proc (null when it is gone) */
const parentOf = (pid: number | string) => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
};

const SOURCE = new URL('../../src/serve/git-runner.ts', import.meta.url).pathname;

/** Runs an ES module script with tsx in a process of its own (which must exit by itself); its stdout, trimmed. */
const runScript = (script: string) => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 }).trim();


describe('GitRunner', () => {
  it("gives git's output, from git processes whose parent is the helper, not this process", async () => {
    expect((await runner.run(dir, ['rev-parse', 'HEAD'])).trim()).toBe(head);
    // a shell alias runs under git: its parent ($PPID) is git, and field 4 of git's /proc stat is git's parent
    const parent = Number((await runner.run(dir, ['-c', 'alias.parent=!cut -d" " -f4 /proc/$PPID/stat', 'parent'])).trim());
    expect(parent).toBe(runner.pid);
    expect(parent).not.toBe(process.pid);
    // the helper is a child of this process, started once
    expect(parentOf(runner.pid!)).toBe(process.pid);
    // many at once, each answered with its own output
    const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run(dir, ['rev-parse', `--short=${8 + (i % 10)}`, 'HEAD'])));
    expect(outs.map((o) => o.trim())).toEqual(Array.from({ length: 20 }, (_, i) => head.slice(0, 8 + (i % 10))));
  });

  it("fails as git() does: the command, the directory and git's message, secrets redacted", async () => {
    const e = await runner.run(dir, ['rev-parse', '--verify', 'no-such-ref']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExternalError);
    expect((e as Error).message).toMatch(new RegExp(`^git rev-parse --verify no-such-ref failed in ${dir}: fatal: Needed a single revision`));
    registerSecret('s3cr3t-token-for-runner');
    const f = await runner.run(dir, ['fetch', '--quiet', 'http://robot:s3cr3t-token-for-runner@127.0.0.1:1/x.git']).then(() => new Error('no failure'), (x: unknown) => x as Error);
    expect(f).toBeInstanceOf(ExternalError);
    expect(f.message).toContain('http://robot:***@127.0.0.1:1/x.git');
    expect(f.message).not.toContain('s3cr3t-token-for-runner');
  });

  it('fails pending commands when the helper dies, and starts a new one for the next command', async () => {
    const first = runner.pid!;
    const slow = runner.run(dir, ['-c', 'alias.slow=!sleep 5', 'slow']);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(first, 'SIGKILL');
    await expect(slow).rejects.toThrow(/^the git helper process ended \((SIGKILL|its channel closed)\)$/);
    expect((await runner.run(dir, ['rev-parse', 'HEAD'])).trim()).toBe(head);
    expect(runner.pid).not.toBe(first);
  });

  it('a command that cannot start (an argument with a NUL byte) fails alone, redacted; the helper lives on', async () => {
    const pid = runner.pid;
    registerSecret('n0l-byte-secret');
    const e = await runner.run(dir, ['fetch', 'http://robot:n0l-byte-secret@127.0.0.1:1/x\0.git']).then(() => new Error('no failure'), (x: unknown) => x as Error);
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toMatch(/^git fetch http:\/\/robot:\*\*\*@127\.0\.0\.1:1\/x\0\.git failed in .*null bytes/);
    expect(e.message).not.toContain('n0l-byte-secret');
    expect(runner.pid).toBe(pid);
    expect((await runner.run(dir, ['rev-parse', 'HEAD'])).trim()).toBe(head);
  });

  it('close() ends the helper and the git it still runs (with its children); a command after it fails', async () => {
    const r = new GitRunner();
    const pidFile = join(dir, 'sleep.pid');
    // the alias's shell writes its pid and becomes sleep
    const pending = r.run(dir, ['-c', `alias.nap=!echo $$ > ${shellQuote(pidFile)}; exec sleep 30`, 'nap']);
    const sleeper = await pidFromFile(pidFile);
    const helper = r.pid!;
    r.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect(await gone(helper)).toBe(true);
    expect(await gone(sleeper)).toBe(true);
    await expect(r.run(dir, ['rev-parse', 'HEAD'])).rejects.toThrow(/closed/);
  });

  it('a command still running after its time is stopped with its children, and fails saying so; the helper lives on', async () => {
    const r = new GitRunner(1500);
    try {
      const pidFile = join(dir, 'stall.pid');
      const t0 = Date.now();
      const pending = r.run(dir, ['-c', `alias.stall=!echo $$ > ${shellQuote(pidFile)}; exec sleep 60`, 'stall']);
      const sleeper = await pidFromFile(pidFile);
      await expect(pending).rejects.toThrow(/^git -c alias\.stall=.* stall failed in .*: it did not finish within 1\.5 s, and was stopped \(a remote that accepts the connection and then stalls\?\)$/);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(await gone(sleeper)).toBe(true);
      expect((await r.run(dir, ['rev-parse', 'HEAD'])).trim()).toBe(head);
    } finally {
      r.close();
    }
  });

  it('a process that is kept alive by nothing else still sees a pending command fail when the helper dies', () => {
    const script = `import { GitRunner } from ${JSON.stringify(SOURCE)};
      const r = new GitRunner(); const p = r.run(${JSON.stringify(dir)}, ['-c', 'alias.slow=!sleep 5', 'slow']);
      setTimeout(() => process.kill(r.pid, 'SIGKILL'), 300);
      await p.then(() => console.log('resolved'), (e) => console.log('rejected: ' + e.message));`;
    expect(runScript(script)).toMatch(/^rejected: the git helper process ended \((SIGKILL|its channel closed)\)$/);
  });

  it('when the server process ends abruptly, the helper ends the git it still runs', async () => {
    const pidFile = join(dir, 'orphan.pid');
    const script = `import { GitRunner } from ${JSON.stringify(SOURCE)};
      import { existsSync } from 'node:fs';
      const r = new GitRunner(); void r.run(${JSON.stringify(dir)}, ['-c', ${JSON.stringify(`alias.nap=!echo $$ > ${shellQuote(pidFile)}; exec sleep 30`)}, 'nap']).catch(() => {});
      while (!existsSync(${JSON.stringify(pidFile)})) await new Promise((t) => setTimeout(t, 20));
      await new Promise((t) => setTimeout(t, 50));
      console.log(r.pid); process.exit(0);`;
    const helper = Number(runScript(script));
    const sleeper = await pidFromFile(pidFile);
    expect(await gone(helper)).toBe(true);
    expect(await gone(sleeper)).toBe(true);
  });

  it('close() ends the helper; a command after it fails', async () => {
    const r = new GitRunner();
    const pid = r.pid!;
    expect((await r.run(dir, ['rev-parse', 'HEAD'])).trim()).toBe(head);
    r.close();
    expect(await gone(pid)).toBe(true);
    await expect(r.run(dir, ['rev-parse', 'HEAD'])).rejects.toThrow(/closed/);
  });

  it('does not keep this process alive while idle', () => {
    // a script that starts two runners, uses one once and returns: it must exit by itself, the helpers with it
    const script = `import { GitRunner } from ${JSON.stringify(SOURCE)};
      const idle = new GitRunner(); const r = new GitRunner();
      console.log((await r.run(${JSON.stringify(dir)}, ['rev-parse', 'HEAD'])).trim(), r.pid, idle.pid);`;
    const out = runScript(script).split(' ');
    expect(out[0]).toBe(head);
    return Promise.all([gone(Number(out[1])), gone(Number(out[2]))]).then((g) => expect(g).toEqual([true, true]));
  });
});

/** this process's children that are GitRunner helpers (their command line holds the helper's code) */
const helpers = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return parentOf(pid) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('slipway serve: git helper');
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);

describe('slipway serve fetches through a GitRunner', () => {
  it('leaves no helper behind when it cannot start (an invalid --branch)', async () => {
    const before = helpers();
    await expect(startServe({ environment: ENV, repo: dir, branch: 'a..b', host: '127.0.0.1', port: 0, intervalMs: 0 })).rejects.toThrow(/--branch: 'a\.\.b' is not a valid branch name/);
    expect(helpers()).toEqual(before);
  });

  it('starts one helper with the server; a reconcile after the helper died fetches through a new one; stop ends it', async () => {
    const w = await buildWorld({ l2s: [1] });
    const before = helpers();
    w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
    const s = await startServe({ environment: ENV, repo: w.remote, branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath });
    let stopped = false;
    try {
      const first = helpers().filter((p) => !before.includes(p));
      expect(first).toHaveLength(1);
      process.kill(first[0], 'SIGKILL');
      expect(await gone(first[0])).toBe(true);
      w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'touch the manifest');
      const r = await call(s.url, 'POST', '/-/reconcile?wait=true');
      expect(r.status).toBe(200);
      expect((r.body as ServeStatus).sync).toMatchObject({ status: 'Synced', appliedCommit: git(w.work, 'rev-parse', 'HEAD').trim() });
      const second = helpers().filter((p) => !before.includes(p));
      expect(second).toHaveLength(1);
      expect(second[0]).not.toBe(first[0]);
      await s.stop(5000);
      stopped = true;
      expect(await gone(second[0])).toBe(true);
    } finally {
      if (!stopped) await s.stop(5000);
      rmSync(w.root, { recursive: true, force: true });
    }
  });
});
