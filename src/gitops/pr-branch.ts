import { ExternalError, InputError } from '../errors.js';
import { gitMaybe } from './git.js';
import { TRAILER } from './history.js';
import { fetchBranch, remoteOf, revParse } from './repo.js';

/**
 * A pull-request environment's promotion branch (slipway/promote/<env>/<model>-<version>) is Slipway's
 * to replace only while it holds nothing but Slipway's own commit: one commit on top of the environment
 * branch's history that carries `Slipway-Environment: <env>` and changes environments/<env>.yaml and
 * nothing else. Anything else (a reviewer's commit, a merge of main into it, a hand edit) is someone's
 * work: re-running promote refuses rather than force-pushing over it.
 */
export async function assertPrBranchReplaceable(opts: { repoRoot: string; branch: string; existing: string; base: string; baseBranch: string; env: string; path: string }): Promise<void> {
  const { repoRoot, branch, existing, base, env, path } = opts;
  if (existing === base) return;
  await ensureLocal(repoRoot, existing, branch);
  await ensureLocal(repoRoot, base, opts.baseBranch);
  const listed = await gitMaybe(repoRoot, ['rev-list', existing, '--not', base]);
  if (listed === null) throw new ExternalError(`cannot inspect ${branch} (${existing.slice(0, 7)}) in ${repoRoot}; refusing to replace it; fetch it, or delete the branch, and run the command again`);
  const commits = listed.split('\n').filter(Boolean);
  if (commits.length === 0) return; // everything on it is already in the environment branch: nothing is lost
  const foreign: string[] = [];
  for (const [i, sha] of commits.entries()) {
    // rev-list lists newest first: only the oldest (the one on top of the environment branch) may be Slipway's
    if (i === commits.length - 1 && (await isOwnCommit(repoRoot, sha, env, path))) continue;
    foreign.push(sha);
  }
  if (foreign.length === 0) return;
  const first = (await gitMaybe(repoRoot, ['log', '-1', '--format=%h "%s" by %an', foreign[0]]))?.trim() ?? foreign[0].slice(0, 7);
  throw new InputError(
    `refusing to replace ${branch}: it holds ${foreign.length} commit${foreign.length === 1 ? '' : 's'} that ${foreign.length === 1 ? 'is' : 'are'} not Slipway's own commit (${first}); ` +
      `someone else's work would be lost. Merge the pull request (or close it and delete the branch: git push origin --delete ${branch}), then run the command again`,
  );
}

async function isOwnCommit(repoRoot: string, sha: string, env: string, path: string): Promise<boolean> {
  const body = await gitMaybe(repoRoot, ['log', '-1', '--format=%B', sha]);
  const parents = (await gitMaybe(repoRoot, ['log', '-1', '--format=%P', sha]))?.trim().split(/\s+/).filter(Boolean) ?? [];
  const files = (await gitMaybe(repoRoot, ['diff-tree', '--no-commit-id', '--name-only', '-r', sha]))?.split('\n').filter(Boolean) ?? [];
  const trailer = new RegExp(`^${TRAILER.environment}: ${env.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');
  return body !== null && trailer.test(body) && parents.length === 1 && files.length === 1 && files[0] === path;
}

/** Makes `sha` available in the local clone (commits made through the GitHub API are not): fetches `branch` when needed. */
async function ensureLocal(repoRoot: string, sha: string, branch: string): Promise<void> {
  if (await revParse(repoRoot, sha)) return;
  const remote = await remoteOf(repoRoot).catch(() => null);
  if (remote) await fetchBranch(repoRoot, remote, branch).catch(() => null);
}
