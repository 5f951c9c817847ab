import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { ExternalError } from '../errors.js';
import { removeStaleTemps, writeFileNamed } from '../fs/durable.js';
import { git, gitMaybe } from './git.js';

/**
 * Git plumbing for GitOps writes. Commits are built from complete objects with a temporary index
 * (`hash-object`, `update-index`, `write-tree`, `commit-tree`) without touching the working tree,
 * and land through atomic ref updates: a push that is not a fast-forward is rejected by the remote,
 * a local `update-ref` compares the old value. Nothing can leave a half-written manifest behind.
 */

export async function remoteOf(repoRoot: string, preferred?: string): Promise<string | null> {
  const remotes = (await gitMaybe(repoRoot, ['remote']))?.split('\n').filter(Boolean) ?? [];
  if (preferred) {
    if (!remotes.includes(preferred)) throw new ExternalError(`git remote '${preferred}' does not exist in ${repoRoot} (remotes: ${remotes.join(', ') || 'none'})`);
    return preferred;
  }
  return remotes.includes('origin') ? 'origin' : (remotes[0] ?? null);
}

export async function currentBranch(repoRoot: string): Promise<string | null> {
  const b = await gitMaybe(repoRoot, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return b?.trim() || null;
}

export async function revParse(repoRoot: string, ref: string): Promise<string | null> {
  const out = await gitMaybe(repoRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return out?.trim() || null;
}

/** Fetches `branch` from `remote`; the fetched commit, or null when the remote has no such branch. */
export async function fetchBranch(repoRoot: string, remote: string, branch: string): Promise<string | null> {
  const ls = await git(repoRoot, ['ls-remote', '--heads', remote, `refs/heads/${branch}`]);
  if (!ls.trim()) return null;
  // another git in this clone (a second promote, a fetch of one's own) holds the tracking ref's lock for a moment
  await retryWhileLocked(`fetch ${branch} from ${remote}`, () => git(repoRoot, ['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]));
  return revParse(repoRoot, `refs/remotes/${remote}/${branch}`);
}

/** A file's text at a commit, or null when the file does not exist there. */
export async function readAt(repoRoot: string, commit: string, path: string): Promise<string | null> {
  const exists = await gitMaybe(repoRoot, ['cat-file', '-e', `${commit}:${path}`]);
  if (exists === null) return null;
  return git(repoRoot, ['cat-file', 'blob', `${commit}:${path}`]);
}

/** What commitFiles and mergeText leave in the temporary directory while they run. */
const STALE_TEMPORARY = /^slipway-(index-[0-9a-f]{16}|merge-[A-Za-z0-9]{6})$/;

/** Creates a commit on top of `parent` that sets (or deletes, with null) the given files, as `identity` (GIT_AUTHOR_*, GIT_COMMITTER_*) where given. Returns its sha. */
export async function commitFiles(repoRoot: string, parent: string, files: Record<string, string | null>, message: string, identity: Record<string, string> = {}): Promise<string> {
  // the temporary indexes and merge directories of runs killed midway (SIGKILL, a cancelled job): an hour untouched
  await removeStaleTemps(tmpdir(), STALE_TEMPORARY);
  const index = join(tmpdir(), `slipway-index-${randomBytes(8).toString('hex')}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await git(repoRoot, ['read-tree', parent], { env });
    for (const [path, text] of Object.entries(files)) {
      if (text === null) {
        await git(repoRoot, ['update-index', '--force-remove', '--', path], { env });
        continue;
      }
      const blob = (await git(repoRoot, ['hash-object', '-w', '--stdin'], { input: text })).trim();
      await git(repoRoot, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
    }
    const tree = (await git(repoRoot, ['write-tree'], { env })).trim();
    return (await git(repoRoot, ['commit-tree', tree, '-p', parent, '-F', '-'], { input: message, env: identity })).trim();
  } finally {
    await rm(index, { force: true });
  }
}

/**
 * A git lock (`<ref>.lock`, `index.lock`) that stayed taken: git creates one for each update and removes it
 * after, so one that stays is another git process's at work, or a git process killed before it finished
 * left it and it never goes by itself. Not a branch that moved: retrying the promotion cannot help.
 */
export class GitLockError extends ExternalError {}

/** The lock file a git command failed to create because it exists, from its error; null for any other failure. */
export function heldLock(e: unknown): string | null {
  const lock = /Unable to create '([^']+\.lock)': File exists/.exec((e as Error | null)?.message ?? '')?.[1];
  return lock ? normalize(lock) : null;
}

/** How long (ms) to wait before each retry of a git command that found a lock taken (3.5 s in all). */
const LOCK_WAITS = [50, 100, 200, 400, 800, 1000, 1000];

/** Runs `f` (a git command), again while a lock it needs is taken; a lock taken throughout is a GitLockError saying what to do. */
export async function retryWhileLocked<T>(what: string, f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      const lock = heldLock(e);
      if (!lock) throw e;
      if (attempt >= LOCK_WAITS.length) {
        throw new GitLockError(
          `could not ${what}: git's lock ${lock} exists. Another git process is working in the repository, or one was stopped before it finished and left the lock behind; if no git process is running, remove ${lock} and run the command again. Nothing was changed.`,
          { cause: e },
        );
      }
      await new Promise((r) => setTimeout(r, LOCK_WAITS[attempt]));
    }
  }
}

export type PushResult = 'ok' | 'rejected';

/**
 * Pushes `sha` to `branch` on `remote`: 'rejected' when the branch moved on (not a fast-forward). A forced
 * push with `lease` (the expected head; '' for "must not exist") is rejected unless the remote branch is that.
 */
export async function pushCommit(repoRoot: string, remote: string, sha: string, branch: string, force = false, lease?: string): Promise<PushResult> {
  try {
    const leased = force && lease !== undefined;
    // a lock the remote's git left (a bare repository on a path or a server of one's own) is not a branch that moved
    await retryWhileLocked(`push to ${branch} in ${remote}`, () => git(repoRoot, ['push', ...(leased ? [`--force-with-lease=refs/heads/${branch}:${lease}`] : []), remote, `${force && !leased ? '+' : ''}${sha}:refs/heads/${branch}`]));
    return 'ok';
  } catch (e) {
    if (e instanceof GitLockError) throw e;
    const message = (e as Error).message;
    if (/\[rejected\]|non-fast-forward|fetch first|stale info|cannot lock ref|failed to update ref|incorrect old value/i.test(message)) return 'rejected';
    if (/\[remote rejected\]/.test(message)) throw remoteRefused(remote, branch, message);
    throw e;
  }
}

/** The remote's hooks or rules refused a push (a protected branch): no retry helps, so say what would. */
function remoteRefused(remote: string, branch: string, message: string): ExternalError {
  const said = [...message.matchAll(/\bremote: (.*?)\s*$/gm)].map((m) => m[1]).filter(Boolean);
  const reason = /\[remote rejected\][^\n]*\(([^)\n]+)\)/.exec(message)?.[1] ?? 'refused';
  const remedy = branch.startsWith('slipway/')
    ? `A rule or hook refuses pushes to ${branch}: let this identity create and update slipway/* branches`
    : `If the branch is protected, make the environment 'promotion: pull-request' (a pull request per promotion) or let this identity push to it`;
  return new ExternalError(`${remote} refused the push to ${branch} (${reason})${said.length ? `: ${said.join(' ').replace(/\.$/, '')}` : ''}. Nothing changed on ${branch}. ${remedy}`);
}

/** Moves a local branch from `old` to `sha` atomically (compare-and-swap); false when it had moved, GitLockError when its lock stays taken. */
export async function casBranch(repoRoot: string, branch: string, sha: string, old: string | null): Promise<boolean> {
  try {
    await retryWhileLocked(`update the branch ${branch}`, () => git(repoRoot, ['update-ref', '-m', 'slipway', `refs/heads/${branch}`, sha, old ?? '0'.repeat(40)]));
    return true;
  } catch (e) {
    if (e instanceof GitLockError) throw e;
    return false;
  }
}

/**
 * After `sha` landed on `branch`, brings the local checkout along when that is a clean fast-forward:
 * the working tree is updated by git itself and local changes are never overwritten. Returns a note
 * for the user when it could not.
 */
export async function syncLocalBranch(repoRoot: string, branch: string, sha: string): Promise<string | null> {
  const current = await currentBranch(repoRoot);
  const local = await revParse(repoRoot, `refs/heads/${branch}`);
  if (local === sha) return null;
  if (local && (await gitMaybe(repoRoot, ['merge-base', '--is-ancestor', local, sha])) === null) {
    return `your local branch ${branch} has diverged from the promoted commit ${sha.slice(0, 7)}; run 'git pull --rebase' to bring it along`;
  }
  // the commit has landed: a lock in the way is said in the note, never thrown (it would read as nothing changed)
  const locked = (e: unknown) => {
    if (!(e instanceof GitLockError)) throw e;
    return `could not bring your local ${branch} to ${sha.slice(0, 7)}: git's lock ${heldLock(e.cause)} exists (another git at work, or one killed midway); remove it if no git is running, then run 'git pull'`;
  };
  if (current === branch) {
    try {
      await retryWhileLocked(`update your checkout of ${branch}`, () => git(repoRoot, ['merge', '--ff-only', '--quiet', sha]));
      return null;
    } catch (e) {
      if (e instanceof GitLockError) return locked(e);
      return `could not fast-forward your checkout of ${branch} to ${sha.slice(0, 7)} (local changes?); run 'git pull' when ready`;
    }
  }
  if (local) return casBranch(repoRoot, branch, sha, local).then(() => null, locked);
  return null;
}

export async function isAncestor(repoRoot: string, a: string, b: string): Promise<boolean> {
  return (await gitMaybe(repoRoot, ['merge-base', '--is-ancestor', a, b])) !== null;
}

/**
 * A three-way merge of one file's text (`git merge-file`): the change from `base` to `other` applied
 * to `current`. Reverting commit C on head H is mergeText(H's file, C's file, C's parent's file) —
 * exactly what `git revert` computes for that file, without needing a working tree.
 */
export async function mergeText(current: string, base: string, other: string): Promise<{ text: string; conflicts: number }> {
  const { mkdtemp } = await import('node:fs/promises');
  const { execFile } = await import('node:child_process');
  const dir = await mkdtemp(join(tmpdir(), 'slipway-merge-'));
  try {
    const [c, b, o] = ['current', 'base', 'other'].map((n) => join(dir, n));
    // a full temporary directory is said with its path (write(2)'s ENOSPC names none: an "internal error" otherwise)
    await Promise.all([writeFileNamed(c, current), writeFileNamed(b, base), writeFileNamed(o, other)]);
    return await new Promise((resolve, reject) => {
      execFile('git', ['merge-file', '-p', '-L', 'current', '-L', 'base', '-L', 'other', c, b, o], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? (err as NodeJS.ErrnoException & { code?: number | string }).code : 0;
        if (typeof code === 'number' && code > 0 && code < 128) resolve({ text: stdout, conflicts: code });
        else if (err) reject(new ExternalError(`git merge-file failed: ${stderr || err.message}`));
        else resolve({ text: stdout, conflicts: 0 });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
