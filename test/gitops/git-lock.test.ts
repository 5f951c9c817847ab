import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promoteToEnvironment, type GitOpsTarget } from '../../src/gitops/promote.js';
import { GitLockError } from '../../src/gitops/repo.js';
import { GitCliWriter } from '../../src/gitops/writer.js';
import { digest, gitopsRepos, sh } from './repos.js';

const local = (repo: string, branch = 'main'): GitOpsTarget => ({ repoRoot: repo, branch, writer: new GitCliWriter(repo, null) });
const request = { env: 'staging', model: 'credit-risk', version: '1.0.0', digest: digest('a') };

describe("a git lock left by a killed git process", () => {
  // git creates refs/heads/<branch>.lock and index.lock for each update; a git killed mid-update leaves its
  // lock, and every later update fails. Slipway read that as "the branch kept moving" (5 retries, then
  // 'run the command again', which failed the same way) or, on the checked-out branch, as local changes
  it.each([
    ['the branch checked out, its ref locked', 'main', '.git/refs/heads/main.lock'],
    ['the branch checked out, the index locked', 'main', '.git/index.lock'],
    ['another branch, its ref locked', 'envs', '.git/refs/heads/envs.lock'],
  ])('%s: a clear error naming the lock and what to do, nothing changed; the next run after its removal lands', async (_, branch, lockFile) => {
    const r = gitopsRepos();
    if (branch !== 'main') sh(r.a, 'branch', branch);
    const before = sh(r.a, 'rev-parse', branch).trim();
    const lock = join(r.a, lockFile);
    writeFileSync(lock, '');
    const e = await promoteToEnvironment(local(r.a, branch), request).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(GitLockError);
    expect((e as Error).message).toContain(`git's lock ${lock} exists`);
    expect((e as Error).message).toContain(`if no git process is running, remove ${lock} and run the command again. Nothing was changed.`);
    expect(sh(r.a, 'rev-parse', branch).trim()).toBe(before);
    rmSync(lock);
    const res = await promoteToEnvironment(local(r.a, branch), request);
    expect(sh(r.a, 'rev-parse', branch).trim()).toBe(res.commit);
  });

  it('a lock another git process holds for a moment is waited for', async () => {
    const r = gitopsRepos();
    const lock = join(r.a, '.git/refs/heads/envs.lock');
    sh(r.a, 'branch', 'envs');
    writeFileSync(lock, '');
    setTimeout(() => rmSync(lock), 300);
    const res = await promoteToEnvironment(local(r.a, 'envs'), request);
    expect(res.attempts).toBe(1);
    expect(sh(r.a, 'rev-parse', 'envs').trim()).toBe(res.commit);
  });
});

describe('a git lock left in the remote', () => {
  it('a push the remote refuses for its lock is a clear error naming it, not a branch that kept moving', async () => {
    // the remote's "[remote rejected] main -> main (failed to update ref)" matched the patterns of a lost race
    const r = gitopsRepos();
    const before = sh(r.remote, 'rev-parse', 'main').trim();
    const lock = join(r.remote, 'refs/heads/main.lock');
    writeFileSync(lock, '');
    const target: GitOpsTarget = { repoRoot: r.a, branch: 'main', writer: new GitCliWriter(r.a, 'origin') };
    const e = await promoteToEnvironment(target, request).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(GitLockError);
    expect((e as Error).message).toMatch(/^could not push to main in origin: git's lock (.*) exists\./);
    expect((e as Error).message).toContain(`remove ${lock} and run the command again. Nothing was changed.`);
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(before);
    rmSync(lock);
    const res = await promoteToEnvironment(target, request);
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(res.commit);
  });
});

describe('a lock on the remote-tracking branch', () => {
  it('is waited for while another git holds it, and named when it stays', async () => {
    // the fetch that reads the environment branch failed at once when a concurrent fetch in the clone held the lock
    const r = gitopsRepos();
    const target: GitOpsTarget = { repoRoot: r.a, branch: 'main', writer: new GitCliWriter(r.a, 'origin') };
    // the remote moves on (another clone's promotion) before each: the fetch has a tracking ref to update
    const fromB = (model: string) => promoteToEnvironment({ repoRoot: r.b, branch: 'main', writer: new GitCliWriter(r.b, 'origin') }, { ...request, model });
    await fromB('fraud');
    const lock = join(r.a, '.git/refs/remotes/origin/main.lock');
    writeFileSync(lock, '');
    setTimeout(() => rmSync(lock), 300);
    const res = await promoteToEnvironment(target, request);
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(res.commit);
    const other = await fromB('churn');
    writeFileSync(lock, '');
    const e = await promoteToEnvironment(target, { ...request, version: '1.1.0', digest: digest('b') }).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(GitLockError);
    expect((e as Error).message).toBe(
      `could not fetch main from origin: git's lock ${lock} exists. Another git process is working in the repository, or one was stopped before it finished and left the lock behind; if no git process is running, remove ${lock} and run the command again. Nothing was changed.`,
    );
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(other.commit);
  });
});

describe('a lock in the way after the promotion landed', () => {
  // bringing the local branch along after the push threw the lock error: the command failed, saying
  // nothing was changed, while the promotion was on the remote
  it.each([
    ['is a note on the result, not an error that says nothing changed', null, '.git/index.lock'],
    ['also when the local branch is not the one checked out', 'work', '.git/refs/heads/main.lock'],
  ])('%s', async (_what, checkedOut, lockPath) => {
    const r = gitopsRepos();
    if (checkedOut) sh(r.a, 'checkout', '--quiet', '-b', checkedOut);
    const target: GitOpsTarget = { repoRoot: r.a, branch: 'main', writer: new GitCliWriter(r.a, 'origin') };
    const lock = join(r.a, lockPath);
    writeFileSync(lock, '');
    const res = await promoteToEnvironment(target, request);
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(res.commit);
    expect(res.notes.join('\n')).toContain(`could not bring your local main to ${res.commit!.slice(0, 7)}: git's lock ${lock} exists`);
    rmSync(lock);
  });
});
