import { ExternalError } from '../errors.js';
import { casBranch, commitFiles, currentBranch, fetchBranch, GitLockError, pushCommit, readAt, retryWhileLocked, revParse, syncLocalBranch } from './repo.js';
import { git } from './git.js';

/** A commit message: the headline (subject) and the body (with the trailers as its last paragraph). */
export interface CommitMessage {
  headline: string;
  body: string;
}

export function fullMessage(m: CommitMessage): string {
  return m.body ? `${m.headline}\n\n${m.body}\n` : `${m.headline}\n`;
}

/**
 * Where GitOps commits go. Two implementations: the git CLI (locally and for plain git remotes) and
 * the GitHub API (in Actions, so commits are verified). Writes are compare-and-swap on the branch head:
 * `commit` answers 'stale' when the branch moved since `parent`, and the caller re-applies its pure
 * edit on the new head.
 */
export interface BranchWriter {
  /** a description for messages, e.g. "origin (git)" or "acme/risk (GitHub API)" */
  readonly where: string;
  /** the branch head (fetching it first where needed); null when the branch does not exist */
  head(branch: string): Promise<string | null>;
  /** a file's text at a commit; null when absent */
  read(commit: string, path: string): Promise<string | null>;
  /** commits `files` on `branch` whose head must be `parent`; the new commit, or 'stale' */
  commit(branch: string, parent: string, files: Record<string, string | null>, message: CommitMessage): Promise<string | 'stale'>;
  /**
   * creates or resets `branch` to `commit` (a branch Slipway owns: slipway/promote/…); with `expected`
   * (the head it was inspected at, null for absent) a writer that can compare-and-swap answers 'stale'
   * when the branch is no longer that
   */
  resetBranch(branch: string, commit: string, expected?: string | null): Promise<void | 'stale'>;
  /** after a commit landed: bring the local checkout along (git CLI only); a note for the user, if any */
  afterLanding?(branch: string, commit: string): Promise<string | null>;
  /** true when pushed branches can become pull requests somewhere (a remote exists) */
  readonly hasRemote: boolean;
}

/** Commits with the git CLI; pushes to `remote` when there is one, else moves the local branch. */
export class GitCliWriter implements BranchWriter {
  readonly where: string;
  readonly hasRemote: boolean;
  /** test hook: runs after a commit is built and before it is pushed (to make races happen for real) */
  beforeLanding?: () => Promise<void>;

  constructor(
    readonly repoRoot: string,
    readonly remote: string | null,
    /** GIT_AUTHOR_* / GIT_COMMITTER_* of the command's environment (SlipwayEnv.gitIdentity): who commits, over git config */
    private readonly identity: Record<string, string> = {},
  ) {
    this.where = remote ? `${remote} (git)` : 'the local repository (git)';
    this.hasRemote = remote !== null;
  }

  async head(branch: string): Promise<string | null> {
    if (this.remote) return fetchBranch(this.repoRoot, this.remote, branch);
    return revParse(this.repoRoot, `refs/heads/${branch}`);
  }

  read(commit: string, path: string): Promise<string | null> {
    return readAt(this.repoRoot, commit, path);
  }

  async commit(branch: string, parent: string, files: Record<string, string | null>, message: CommitMessage): Promise<string | 'stale'> {
    const sha = await commitFiles(this.repoRoot, parent, files, fullMessage(message), this.identity);
    await this.beforeLanding?.();
    if (this.remote) return (await pushCommit(this.repoRoot, this.remote, sha, branch)) === 'ok' ? sha : 'stale';
    if ((await currentBranch(this.repoRoot)) === branch) {
      // on the branch: a fast-forward merge moves it and updates the working tree, never over local changes
      const head = await revParse(this.repoRoot, 'HEAD');
      if (head !== parent) return 'stale';
      // a lock left by a killed git is said as such, not taken for local changes
      const merged = await retryWhileLocked(`update your checkout of ${branch}`, () => git(this.repoRoot, ['merge', '--ff-only', '--quiet', sha])).catch((e: unknown) => {
        if (e instanceof GitLockError) throw e;
        return null;
      });
      if (merged === null) {
        const now = await revParse(this.repoRoot, 'HEAD');
        if (now !== parent) return 'stale';
        throw new ExternalError(`could not update your checkout of ${branch}: environments have local changes that the promotion would overwrite; commit or stash them first`);
      }
      return sha;
    }
    return (await casBranch(this.repoRoot, branch, sha, parent)) ? sha : 'stale';
  }

  async resetBranch(branch: string, commit: string, expected?: string | null): Promise<void | 'stale'> {
    if (this.remote) {
      const lease = expected === undefined ? undefined : (expected ?? '');
      return (await pushCommit(this.repoRoot, this.remote, commit, branch, true, lease)) === 'ok' ? undefined : 'stale';
    }
    if (expected === undefined) {
      await git(this.repoRoot, ['branch', '--force', branch, commit]);
      return;
    }
    return (await casBranch(this.repoRoot, branch, commit, expected)) ? undefined : 'stale';
  }

  async afterLanding(branch: string, commit: string): Promise<string | null> {
    if (!this.remote) return null;
    return syncLocalBranch(this.repoRoot, branch, commit);
  }
}
