import { call, pagesOf, type RepoClient } from './client.js';

export interface IssueRef {
  number: number;
  url: string;
  state: 'open' | 'closed';
  title: string;
  body: string;
  author: string | null;
}

interface IssueLite {
  number: number;
  html_url: string;
  state: string;
  title: string;
  body?: string | null;
  user: { login: string } | null;
  pull_request?: unknown;
}

function ref(i: IssueLite): IssueRef {
  return { number: i.number, url: i.html_url, state: i.state === 'closed' ? 'closed' : 'open', title: i.title, body: i.body ?? '', author: i.user?.login ?? null };
}

/**
 * The first issue (not pull request) whose body contains `marker`, listing every page. Optional
 * filters: state (default open), labels (all must be present), author (only issues opened by it).
 */
export async function findIssueByMarker(
  gh: RepoClient,
  marker: string,
  opts: { state?: 'open' | 'closed' | 'all'; labels?: string[]; author?: string } = {},
): Promise<IssueRef | undefined> {
  const params = {
    owner: gh.owner,
    repo: gh.repo,
    state: opts.state ?? 'open',
    per_page: 100,
    ...(opts.labels?.length ? { labels: opts.labels.join(',') } : {}),
    ...(opts.author ? { creator: opts.author } : {}),
  };
  for await (const page of pagesOf('list issues', gh.octokit.paginate.iterator('GET /repos/{owner}/{repo}/issues', params))) {
    const hit = (page.data as IssueLite[]).find((i) => !i.pull_request && (i.body ?? '').includes(marker) && (!opts.author || i.user?.login === opts.author));
    if (hit) return ref(hit);
  }
  return undefined;
}

export async function createIssue(gh: RepoClient, input: { title: string; body: string; labels?: string[] }): Promise<IssueRef> {
  const res = await call('create issue', () =>
    gh.octokit.request('POST /repos/{owner}/{repo}/issues', { owner: gh.owner, repo: gh.repo, title: input.title, body: input.body, ...(input.labels ? { labels: input.labels } : {}) }),
  );
  return ref(res.data as IssueLite);
}

export async function updateIssue(
  gh: RepoClient,
  number: number,
  input: { title?: string; body?: string; state?: 'open' | 'closed'; stateReason?: 'completed' | 'not_planned' | 'reopened'; labels?: string[] },
): Promise<IssueRef> {
  const res = await call(`update issue #${number}`, () =>
    gh.octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
      owner: gh.owner,
      repo: gh.repo,
      issue_number: number,
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.body !== undefined ? { body: input.body } : {}),
      ...(input.state ? { state: input.state } : {}),
      ...(input.stateReason ? { state_reason: input.stateReason } : {}),
      ...(input.labels ? { labels: input.labels } : {}),
    }),
  );
  return ref(res.data as IssueLite);
}

/** Closes an issue, optionally with a last comment saying why. */
export async function closeIssue(gh: RepoClient, number: number, comment?: string): Promise<IssueRef> {
  if (comment) {
    await call(`comment on #${number}`, () =>
      gh.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: gh.owner, repo: gh.repo, issue_number: number, body: comment }),
    );
  }
  return updateIssue(gh, number, { state: 'closed', stateReason: 'completed' });
}
