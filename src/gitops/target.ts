import { UsageError, ExternalError } from '../errors.js';
import { readEnv } from '../env.js';
import { createGitHub, parseRepository, type RepoClient } from '../github/client.js';
import { GitHubApiWriter } from '../github/commits.js';
import { openOrUpdatePullRequest } from '../github/pulls.js';
import { gitMaybe } from './git.js';
import type { GitOpsTarget } from './promote.js';
import { currentBranch, remoteOf } from './repo.js';
import { GitCliWriter } from './writer.js';

export interface TargetOptions {
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  branch?: string;
  remote?: string;
  /** 'api': commit through the GitHub API; 'git': the git CLI; 'auto' (default): the API in Actions when a token and repository are known */
  via?: string;
  /** owner/name; default GITHUB_REPOSITORY */
  githubRepo?: string;
  log: (line: string) => void;
}

/** Where promotions and rollbacks are committed, and how pull requests get opened. */
export async function openTarget(o: TargetOptions): Promise<GitOpsTarget & { via: 'git' | 'api'; github: RepoClient | null }> {
  const via = o.via ?? 'auto';
  if (!['auto', 'git', 'api'].includes(via)) throw new UsageError(`--via must be auto, git or api, got '${via}'`);
  if ((await gitMaybe(o.repoRoot, ['rev-parse', '--git-dir'])) === null) throw new UsageError(`${o.repoRoot} is not a git repository: environments live in git (run 'git init' first)`);
  const e = readEnv(o.env);
  const repoName = o.githubRepo ?? e.githubRepository;
  let github: RepoClient | null = null;
  if (e.githubToken && repoName) {
    const { owner, repo } = parseRepository(repoName);
    github = { octokit: createGitHub({ token: e.githubToken, apiUrl: e.githubApiUrl, log: o.log }), owner, repo };
  }
  const useApi = via === 'api' || (via === 'auto' && e.githubActions && github !== null);
  if (useApi && !github) throw new UsageError('--via api needs a GitHub token (GITHUB_TOKEN) and a repository (GITHUB_REPOSITORY or --github-repo)');
  let branch = o.branch ?? (await currentBranch(o.repoRoot));
  if (!branch && useApi && github) {
    const res = await github.octokit.request('GET /repos/{owner}/{repo}', { owner: github.owner, repo: github.repo }).catch((err: unknown) => {
      throw new ExternalError(`cannot read the default branch of ${repoName}: ${(err as Error).message}`);
    });
    branch = res.data.default_branch;
  }
  branch ??= 'main';
  const writer = useApi && github ? new GitHubApiWriter(github) : new GitCliWriter(o.repoRoot, await remoteOf(o.repoRoot, o.remote), e.gitIdentity);
  const gh = github;
  return {
    repoRoot: o.repoRoot,
    branch,
    writer,
    via: useApi ? 'api' : 'git',
    github: gh,
    log: o.log,
    pullRequests: gh && writer.hasRemote ? { open: (req) => openOrUpdatePullRequest(gh, req) } : null,
  };
}
