import type { BranchWriter, CommitMessage } from '../gitops/writer.js';
import { ExternalError } from '../errors.js';
import { GitHubError, toGitHubError, type RepoClient } from './client.js';
import { RefUpdateRefused, repositoryNodeId, updateRefs, ZERO_OID } from './refs.js';

/**
 * GitOps commits through the GitHub API, so GitHub signs them (verified): the GraphQL mutation
 * `createCommitOnBranch` with `expectedHeadOid`, which refuses to commit when the branch moved —
 * the same compare-and-swap the git CLI path gets from a non-fast-forward push. Promotion branches are
 * reset with `updateRefs` and a `beforeOid` (refs.ts), the API's form of `git push --force-with-lease`.
 */

export const CREATE_COMMIT_ON_BRANCH = `mutation slipwayCommit($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) {
    commit { oid url }
  }
}`;

/** CreateCommitOnBranchInput, as GitHub documents it. */
export interface CreateCommitOnBranchInput {
  branch: { repositoryNameWithOwner: string; branchName: string };
  message: { headline: string; body?: string };
  expectedHeadOid: string;
  fileChanges?: { additions?: { path: string; contents: string }[]; deletions?: { path: string }[] };
  clientMutationId?: string;
}

/** True for GitHub's answer when expectedHeadOid is not the branch head any more. */
export function isStaleHead(e: unknown): boolean {
  const errors = (e as { errors?: { type?: string; message?: string }[] }).errors ?? [];
  const texts = [...errors.map((x) => `${x.type ?? ''} ${x.message ?? ''}`), (e as Error)?.message ?? ''];
  return texts.some((t) => /STALE_DATA|Expected branch to point to|expectedHeadOid|is not the head of the branch/i.test(t));
}

export async function createCommitOnBranch(gh: RepoClient, input: CreateCommitOnBranchInput): Promise<{ oid: string; url: string } | 'stale'> {
  try {
    const res = await gh.octokit.graphql<{ createCommitOnBranch: { commit: { oid: string; url: string } } }>(CREATE_COMMIT_ON_BRANCH, { input });
    return res.createCommitOnBranch.commit;
  } catch (e) {
    if (isStaleHead(e)) return 'stale';
    const errors = (e as { errors?: { message?: string }[] }).errors;
    if (errors?.length) throw new GitHubError(`GitHub API: createCommitOnBranch failed: ${errors.map((x) => x.message).join('; ')}`, undefined);
    throw toGitHubError('createCommitOnBranch', e);
  }
}

export class GitHubApiWriter implements BranchWriter {
  readonly where: string;
  readonly hasRemote = true;

  constructor(readonly gh: RepoClient) {
    this.where = `${gh.owner}/${gh.repo} (GitHub API)`;
  }

  async head(branch: string): Promise<string | null> {
    try {
      const res = await this.gh.octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { owner: this.gh.owner, repo: this.gh.repo, ref: `heads/${branch}` });
      return res.data.object.sha;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw toGitHubError(`read branch ${branch}`, e);
    }
  }

  async read(commit: string, path: string): Promise<string | null> {
    try {
      const res = await this.gh.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: this.gh.owner, repo: this.gh.repo, path, ref: commit });
      const data = res.data as { type?: string; content?: string; encoding?: string };
      if (Array.isArray(res.data) || data.type !== 'file' || typeof data.content !== 'string') throw new ExternalError(`${path} at ${commit.slice(0, 7)} is not a file`);
      return Buffer.from(data.content, (data.encoding ?? 'base64') as BufferEncoding).toString('utf8');
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      if (e instanceof ExternalError) throw e;
      throw toGitHubError(`read ${path} at ${commit.slice(0, 7)}`, e);
    }
  }

  async commit(branch: string, parent: string, files: Record<string, string | null>, message: CommitMessage): Promise<string | 'stale'> {
    const additions = Object.entries(files)
      .filter(([, t]) => t !== null)
      .map(([path, t]) => ({ path, contents: Buffer.from(t as string, 'utf8').toString('base64') }));
    const deletions = Object.entries(files)
      .filter(([, t]) => t === null)
      .map(([path]) => ({ path }));
    const res = await createCommitOnBranch(this.gh, {
      branch: { repositoryNameWithOwner: `${this.gh.owner}/${this.gh.repo}`, branchName: branch },
      message: { headline: message.headline, body: message.body },
      expectedHeadOid: parent,
      fileChanges: { ...(additions.length ? { additions } : {}), ...(deletions.length ? { deletions } : {}) },
    });
    return res === 'stale' ? 'stale' : res.oid;
  }

  /**
   * Creates or resets `branch` to `commit` with updateRefs, a compare-and-swap on the ref: `beforeOid` is
   * `expected` (40 zeros when it must not exist), `force` because a reset is rarely a fast-forward. Without
   * `expected` the head is read first and swapped from that, so a push in between is never overwritten
   * either. A refusal while the branch is no longer `expected` answers 'stale' (GitHub does not document how
   * it reports a beforeOid mismatch: a STALE_DATA answer counts at once, anything else is decided by reading
   * the branch again); a refusal while it still is `expected` (no permission, an unknown commit) is thrown.
   */
  async resetBranch(branch: string, commit: string, expected?: string | null): Promise<void | 'stale'> {
    const before = expected === undefined ? await this.head(branch) : expected;
    try {
      await updateRefs(this.gh, {
        repositoryId: await this.repositoryId(),
        refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: before ?? ZERO_OID, afterOid: commit, force: true }],
      });
      return;
    } catch (e) {
      if (!(e instanceof RefUpdateRefused)) throw e;
      if (isStaleHead(e) || (await this.head(branch)) !== before) return 'stale';
      throw e;
    }
  }

  private repoId?: Promise<string>;

  /** the repository's node ID, read once per writer (a failed read is tried again next time) */
  private repositoryId(): Promise<string> {
    this.repoId ??= repositoryNodeId(this.gh).catch((e: unknown) => {
      this.repoId = undefined;
      throw e;
    });
    return this.repoId;
  }
}
