import { call, type RepoClient } from './client.js';

/** GitHub's limit on a comment body. */
export const MAX_COMMENT_CHARS = 65_536;

export interface StickyResult {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  url: string;
  /** duplicates of ours (same marker, same author) deleted so exactly one remains */
  deleted: number[];
}

interface CommentLite {
  id: number;
  body?: string;
  html_url: string;
  user: { login: string } | null;
}

/**
 * Comments on an issue/PR that start with `marker` and were written by `author`, oldest first. Lists
 * every page (100 per page). Comments with the marker by anyone else are ignored: a marker can be
 * copied by anyone, only our own comments are ours to edit. And only those that start with it: every
 * workflow of a repository comments as github-actions[bot], so a comment of another workflow that
 * quotes text holding the marker (a PR body, say) is not ours to rewrite or delete.
 */
export async function findMarkedComments(gh: RepoClient, issueNumber: number, marker: string, author: string): Promise<CommentLite[]> {
  const all = await call(`list comments of #${issueNumber}`, () =>
    gh.octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: gh.owner, repo: gh.repo, issue_number: issueNumber, per_page: 100 }),
  );
  return (all as CommentLite[]).filter((c) => c.user?.login === author && typeof c.body === 'string' && c.body.startsWith(marker));
}

/**
 * Exactly one comment per (issue, marker, author): creates it, or updates ours in place (and deletes
 * our own duplicates, e.g. left by a race). The body must start with the marker.
 */
export async function upsertStickyComment(gh: RepoClient, input: { issueNumber: number; marker: string; body: string; author: string }): Promise<StickyResult> {
  const { issueNumber, marker, body, author } = input;
  if (!body.startsWith(marker)) throw new Error('sticky comment body must start with its marker');
  if (body.length > MAX_COMMENT_CHARS) throw new Error(`comment body is ${body.length} characters; GitHub allows ${MAX_COMMENT_CHARS}`);
  const mine = await findMarkedComments(gh, issueNumber, marker, author);
  if (mine.length === 0) {
    const res = await call(`comment on #${issueNumber}`, () =>
      gh.octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: gh.owner, repo: gh.repo, issue_number: issueNumber, body }),
    );
    return { action: 'created', id: Number(res.data.id), url: res.data.html_url, deleted: [] };
  }
  const [keep, ...dups] = mine;
  const deleted: number[] = [];
  for (const d of dups) {
    await call(`delete duplicate comment ${d.id}`, () =>
      gh.octokit.request('DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner: gh.owner, repo: gh.repo, comment_id: d.id }),
    );
    deleted.push(d.id);
  }
  if (keep.body === body) return { action: 'unchanged', id: keep.id, url: keep.html_url, deleted };
  const res = await call(`update comment ${keep.id}`, () =>
    gh.octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner: gh.owner, repo: gh.repo, comment_id: keep.id, body }),
  );
  return { action: 'updated', id: Number(res.data.id), url: res.data.html_url, deleted };
}
