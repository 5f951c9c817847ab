/** Issues and issue comments (PR conversation comments are issue comments). */
import { HttpError, paginate, type GitHubTestServer, type GhRequest } from '../server.js';
import { commentObject, issueObject, labelObject, now, type Json, type RepoState } from '../state.js';

function issueOr404(req: GhRequest): Json {
  const n = Number(req.params.issue_number);
  const issue = req.repo.issues.get(n);
  if (!issue) throw new HttpError(404, 'Not Found');
  return issue;
}

function commentOr404(req: GhRequest): Json {
  const c = req.repo.comments.get(Number(req.params.comment_id));
  if (!c) throw new HttpError(404, 'Not Found');
  return c;
}

/**
 * GitHub refuses an issue, pull request or comment body over 65,536 characters ('body is too long (maximum
 * is 65536 characters)', resource Issue for a pull request too; the OpenAPI description gives no maxLength). GitHub counts characters; UTF-16 units,
 * counted here, are never fewer, so a body this accepts GitHub accepts too.
 */
export function checkBody(resource: 'Issue' | 'IssueComment', body: unknown): void {
  if (typeof body === 'string' && body.length > 65536) {
    throw new HttpError(422, 'Validation Failed', { errors: [{ resource, code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }] });
  }
}

function since(req: GhRequest, items: Json[]): Json[] {
  const s = req.query.get('since');
  return s ? items.filter((c) => c.updated_at >= s) : items;
}

export function createIssue(repo: RepoState, user: Json, fields: { title: string; body?: string | null; labels?: string[] }, pull = false): Json {
  const number = repo.nextNumber++;
  const issue = issueObject(repo, number, user, fields, pull);
  repo.issues.set(number, issue);
  return issue;
}

export function registerIssueHandlers(s: GitHubTestServer): void {
  s.route('GET', '/repos/{owner}/{repo}/issues', (req) => {
    const state = req.query.get('state') ?? 'open';
    const labels = req.query.get('labels')?.split(',').filter(Boolean) ?? [];
    const creator = req.query.get('creator');
    let items = [...req.repo.issues.values()];
    if (state !== 'all') items = items.filter((i) => i.state === state);
    if (labels.length) items = items.filter((i) => labels.every((l) => i.labels.some((x: Json) => x.name === l)));
    if (creator) items = items.filter((i) => i.user.login === creator);
    items.sort((a, b) => (req.query.get('direction') === 'asc' ? a.number - b.number : b.number - a.number));
    return paginate(req, since(req, items));
  });
  s.route('POST', '/repos/{owner}/{repo}/issues', (req) => {
    const b = req.body;
    checkBody('Issue', b.body);
    const labels = (b.labels ?? []).map((l: Json) => (typeof l === 'string' ? l : l.name));
    return { status: 201, body: createIssue(req.repo, req.user, { title: String(b.title), body: b.body ?? null, labels }) };
  });
  s.route('GET', '/repos/{owner}/{repo}/issues/{issue_number}', (req) => ({ status: 200, body: issueOr404(req) }));
  s.route('PATCH', '/repos/{owner}/{repo}/issues/{issue_number}', (req) => {
    const issue = issueOr404(req);
    const b = req.body ?? {};
    checkBody('Issue', b.body);
    if (b.title !== undefined) issue.title = String(b.title);
    if (b.body !== undefined) issue.body = b.body;
    if (b.labels !== undefined) issue.labels = b.labels.map((l: Json) => labelObject(req.repo, typeof l === 'string' ? l : l.name));
    if (b.state !== undefined && b.state !== issue.state) {
      issue.state = b.state;
      issue.closed_at = b.state === 'closed' ? now() : null;
      issue.closed_by = b.state === 'closed' ? req.user : null;
      issue.state_reason = b.state === 'closed' ? (b.state_reason ?? 'completed') : b.state_reason === undefined ? 'reopened' : b.state_reason;
    }
    issue.updated_at = now();
    return { status: 200, body: issue };
  });

  s.route('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => {
    issueOr404(req);
    return paginate(req, since(req, req.repo.commentsOf(Number(req.params.issue_number))));
  });
  s.route('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => {
    const issue = issueOr404(req);
    if (issue.locked) throw new HttpError(403, 'Unable to create comment because issue is locked.');
    const body = String(req.body.body);
    checkBody('IssueComment', body);
    const c = commentObject(req.repo, issue.number, req.user, body);
    req.repo.comments.set(c.id, c);
    issue.comments++;
    return { status: 201, body: c, headers: { location: c.url } };
  });
  s.route('GET', '/repos/{owner}/{repo}/issues/comments', (req) => paginate(req, since(req, [...req.repo.comments.values()])));
  s.route('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (req) => ({ status: 200, body: commentOr404(req) }));
  s.route('PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (req) => {
    const c = commentOr404(req);
    if (c.user.login !== req.user.login) throw new HttpError(403, 'You must be the author of this comment to edit it.');
    const body = String(req.body.body);
    checkBody('IssueComment', body);
    c.body = body;
    c.updated_at = now();
    return { status: 200, body: c };
  });
  s.route('DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}', (req) => {
    const c = commentOr404(req);
    req.repo.comments.delete(c.id);
    return { status: 204 };
  });
}
