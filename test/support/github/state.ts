/**
 * In-memory state of the fake GitHub, per repository, and builders that produce full GitHub
 * objects (starting from GitHub's own documented examples, so every required field is there).
 */
import { createHash } from 'node:crypto';
import { example } from './openapi.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

export type Area = 'issues' | 'pull_requests' | 'checks' | 'contents' | 'actions' | 'metadata';
export type Access = 'none' | 'read' | 'write';

export interface GhUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

export interface TokenInfo {
  user: GhUser;
  /** an Actions GITHUB_TOKEN / installation token: GET /user answers 403 as on GitHub */
  installation: boolean;
  /** per area; a missing area means write */
  permissions: Partial<Record<Area, Access>>;
}

let nextId = 1000;
export function newId(): number {
  return nextId++;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export class RepoState {
  readonly id = newId();
  defaultBranch = 'main';
  nextNumber = 1;
  /** issues and pull requests share numbers, as on GitHub; pull requests also have an issue entry */
  readonly issues = new Map<number, Json>();
  readonly comments = new Map<number, Json>();
  readonly checkRuns = new Map<number, Json>();
  readonly pulls = new Map<number, Json>();
  /** 'heads/main' → sha */
  readonly refs = new Map<string, string>();
  readonly commits = new Map<string, Json>();
  readonly releases = new Map<number, Json>();
  readonly assets = new Map<number, { meta: Json; data: Buffer; releaseId: number }>();
  readonly dispatches: { workflow_id: string; ref: string; inputs: Record<string, unknown> }[] = [];
  constructor(
    readonly owner: string,
    readonly name: string,
    readonly apiUrl: string,
  ) {}

  get fullName(): string {
    return `${this.owner}/${this.name}`;
  }
  get url(): string {
    return `${this.apiUrl}/repos/${this.owner}/${this.name}`;
  }
  get htmlUrl(): string {
    return `https://github.test/${this.owner}/${this.name}`;
  }
  /** the repository's GraphQL node ID (REST `node_id`), in GitHub's legacy form: base64 of "010:Repository<id>" */
  get nodeId(): string {
    return Buffer.from(`010:Repository${this.id}`).toString('base64');
  }

  /** comments of one issue/PR in creation order */
  commentsOf(issueNumber: number): Json[] {
    return [...this.comments.values()].filter((c) => c.issue_url === `${this.url}/issues/${issueNumber}`);
  }
}

export function commentObject(repo: RepoState, issueNumber: number, user: Json, body: string): Json {
  const id = newId();
  const o = example('issue-comment');
  const t = now();
  Object.assign(o, {
    id,
    node_id: Buffer.from(`IC${id}`).toString('base64'),
    url: `${repo.url}/issues/comments/${id}`,
    html_url: `${repo.htmlUrl}/issues/${issueNumber}#issuecomment-${id}`,
    body,
    user,
    created_at: t,
    updated_at: t,
    issue_url: `${repo.url}/issues/${issueNumber}`,
    author_association: 'CONTRIBUTOR',
  });
  return o;
}

export function issueObject(repo: RepoState, number: number, user: Json, fields: { title: string; body?: string | null; labels?: string[] }, pull = false): Json {
  const id = newId();
  const o = example('issue');
  const t = now();
  Object.assign(o, {
    id,
    node_id: Buffer.from(`I${id}`).toString('base64'),
    url: `${repo.url}/issues/${number}`,
    repository_url: repo.url,
    labels_url: `${repo.url}/issues/${number}/labels{/name}`,
    comments_url: `${repo.url}/issues/${number}/comments`,
    events_url: `${repo.url}/issues/${number}/events`,
    html_url: `${repo.htmlUrl}/${pull ? 'pull' : 'issues'}/${number}`,
    number,
    state: 'open',
    state_reason: null,
    title: fields.title,
    body: fields.body ?? null,
    user,
    labels: (fields.labels ?? []).map((name) => labelObject(repo, name)),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: 0,
    closed_at: null,
    closed_by: null,
    created_at: t,
    updated_at: t,
    author_association: 'CONTRIBUTOR',
  });
  delete o.pinned_comment;
  if (pull) {
    o.pull_request = { url: `${repo.url}/pulls/${number}`, html_url: `${repo.htmlUrl}/pull/${number}`, diff_url: null, patch_url: null, merged_at: null };
  } else delete o.pull_request;
  return o;
}

export function labelObject(repo: RepoState, name: string): Json {
  const id = Number.parseInt(fakeSha(name).slice(0, 8), 16);
  return { id, node_id: `LA${id}`, url: `${repo.url}/labels/${encodeURIComponent(name)}`, name, description: null, color: 'ededed', default: false };
}
