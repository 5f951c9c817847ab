import { call, pagesOf, type RepoClient } from './client.js';

export interface PullRef {
  number: number;
  url: string;
  created: boolean;
}

interface PullLite {
  number: number;
  html_url: string;
  head: { ref: string };
  base: { ref: string };
}

/**
 * Opens a pull request from `head` (a branch of the same repository) into `base`, or finds the open
 * one that already exists for that pair (a re-run) and refreshes its title and body.
 */
export async function openOrUpdatePullRequest(gh: RepoClient, input: { head: string; base: string; title: string; body: string }): Promise<PullRef> {
  const existing = await findOpenPullRequest(gh, input.head, input.base);
  if (existing) {
    await call('update pull request', () =>
      gh.octokit.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { owner: gh.owner, repo: gh.repo, pull_number: existing.number, title: input.title, body: input.body }),
    );
    return { ...existing, created: false };
  }
  const res = await call('open pull request', () =>
    gh.octokit.request('POST /repos/{owner}/{repo}/pulls', { owner: gh.owner, repo: gh.repo, head: input.head, base: input.base, title: input.title, body: input.body }),
  );
  return { number: res.data.number, url: res.data.html_url, created: true };
}

/** The open pull request from `head` into `base`, if there is one (every page is searched). */
export async function findOpenPullRequest(gh: RepoClient, head: string, base: string): Promise<Omit<PullRef, 'created'> | undefined> {
  const params = { owner: gh.owner, repo: gh.repo, state: 'open' as const, head: `${gh.owner}:${head}`, base, per_page: 100 };
  for await (const page of pagesOf('list pull requests', gh.octokit.paginate.iterator('GET /repos/{owner}/{repo}/pulls', params))) {
    const hit = (page.data as PullLite[]).find((p) => p.head.ref === head && p.base.ref === base);
    if (hit) return { number: hit.number, url: hit.html_url };
  }
  return undefined;
}
