/** Pull requests (each also has an issue entry with the same number, as on GitHub). */
import { HttpError, paginate, type GitHubTestServer, type GhRequest } from '../server.js';
import { example } from '../openapi.js';
import { fakeSha, now, type Json, type RepoState } from '../state.js';
import { checkBody, createIssue } from './issues.js';

function pullOr404(req: GhRequest): Json {
  const p = req.repo.pulls.get(Number(req.params.pull_number));
  if (!p) throw new HttpError(404, 'Not Found');
  return p;
}

/** Creates a pull request in the state (used by the POST handler and by tests to seed one). */
export function createPull(repo: RepoState, user: Json, f: { title: string; head: string; base: string; body?: string | null; draft?: boolean; head_sha?: string }): Json {
  const issue = createIssue(repo, user, { title: f.title, body: f.body ?? null }, true);
  const n = issue.number;
  const p = example('pull-request');
  const headRef = f.head.includes(':') ? f.head.split(':')[1] : f.head;
  const headSha = f.head_sha ?? repo.refs.get(`heads/${headRef}`) ?? fakeSha(`${repo.fullName}:${headRef}:${n}`);
  const baseSha = repo.refs.get(`heads/${f.base}`) ?? fakeSha(`${repo.fullName}:${f.base}`);
  Object.assign(p, {
    url: `${repo.url}/pulls/${n}`,
    id: issue.id,
    node_id: Buffer.from(`PR${issue.id}`).toString('base64'),
    html_url: `${repo.htmlUrl}/pull/${n}`,
    diff_url: `${repo.htmlUrl}/pull/${n}.diff`,
    patch_url: `${repo.htmlUrl}/pull/${n}.patch`,
    issue_url: `${repo.url}/issues/${n}`,
    commits_url: `${repo.url}/pulls/${n}/commits`,
    review_comments_url: `${repo.url}/pulls/${n}/comments`,
    comments_url: `${repo.url}/issues/${n}/comments`,
    statuses_url: `${repo.url}/statuses/${headSha}`,
    number: n,
    state: 'open',
    locked: false,
    title: f.title,
    user,
    body: f.body ?? null,
    labels: [],
    milestone: null,
    created_at: issue.created_at,
    updated_at: issue.updated_at,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    draft: f.draft ?? false,
    merged: false,
    mergeable: true,
    merged_by: null,
    comments: 0,
  });
  p.head = { ...p.head, ref: headRef, sha: headSha, label: `${repo.owner}:${headRef}`, user };
  p.base = { ...p.base, ref: f.base, sha: baseSha, label: `${repo.owner}:${f.base}` };
  repo.pulls.set(n, p);
  return p;
}

function simple(p: Json): Json {
  const o = { ...p };
  for (const k of ['merged', 'mergeable', 'rebaseable', 'mergeable_state', 'merged_by', 'comments', 'review_comments', 'maintainer_can_modify', 'commits', 'additions', 'deletions', 'changed_files']) delete o[k];
  return o;
}

export function registerPullHandlers(s: GitHubTestServer): void {
  s.route('POST', '/repos/{owner}/{repo}/pulls', (req) => {
    const b = req.body;
    checkBody('Issue', b.body);
    const headRef = String(b.head).includes(':') ? String(b.head).split(':')[1] : String(b.head);
    const dup = [...req.repo.pulls.values()].find((p) => p.state === 'open' && p.head.ref === headRef && p.base.ref === b.base);
    if (dup) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${req.repo.owner}:${headRef}.` }] });
    return { status: 201, body: createPull(req.repo, req.user, { title: String(b.title ?? headRef), head: b.head, base: b.base, body: b.body, draft: b.draft }) };
  });
  s.route('GET', '/repos/{owner}/{repo}/pulls', (req) => {
    const state = req.query.get('state') ?? 'open';
    const head = req.query.get('head');
    const base = req.query.get('base');
    const items = [...req.repo.pulls.values()].filter(
      (p) => (state === 'all' || p.state === state) && (!head || `${req.repo.owner}:${p.head.ref}` === head || p.head.ref === head) && (!base || p.base.ref === base),
    );
    return paginate(req, items.sort((a, b) => b.number - a.number).map(simple));
  });
  s.route('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', (req) => ({ status: 200, body: pullOr404(req) }));
  s.route('PATCH', '/repos/{owner}/{repo}/pulls/{pull_number}', (req) => {
    const p = pullOr404(req);
    const b = req.body ?? {};
    checkBody('Issue', b.body);
    if (b.title !== undefined) p.title = b.title;
    if (b.body !== undefined) p.body = b.body;
    if (b.state !== undefined) {
      p.state = b.state;
      p.closed_at = b.state === 'closed' ? now() : null;
      const issue = req.repo.issues.get(p.number);
      if (issue) issue.state = b.state;
    }
    p.updated_at = now();
    return { status: 200, body: p };
  });
  s.route('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', (req) => ({ status: pullOr404(req).merged ? 204 : 404 }));
  s.route('PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', (req) => {
    const p = pullOr404(req);
    if (p.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
    const b = req.body ?? {};
    if (b.sha && b.sha !== p.head.sha) throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
    const sha = fakeSha(`merge:${req.repo.fullName}:${p.number}:${p.head.sha}`);
    Object.assign(p, { state: 'closed', merged: true, merged_at: now(), closed_at: now(), merge_commit_sha: sha, merged_by: req.user });
    const issue = req.repo.issues.get(p.number);
    if (issue) Object.assign(issue, { state: 'closed', closed_at: p.closed_at });
    req.repo.refs.set(`heads/${p.base.ref}`, sha);
    return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
  });
}
