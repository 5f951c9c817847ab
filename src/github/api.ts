/**
 * GitHubApi: the small, typed surface Slipway's commands use, bound to one repository. It is a
 * RepoClient, so it can also be passed to any function in src/github/ (pulls, releases, commits,
 * drift issues, …) — see the extension pattern at the top of client.ts.
 */
import type { GitHub, RepoClient } from './client.js';
import { whoami } from './identity.js';
import { upsertStickyComment, findMarkedComments, type StickyResult } from './comments.js';
import { createCheckRun, updateCheckRun, type CheckRunInput } from './checks.js';
import { findIssueByMarker, createIssue, updateIssue, closeIssue, type IssueRef } from './issues.js';
import { dispatchWorkflow } from './dispatch.js';

export interface GitHubApi extends RepoClient {
  /** login of the token's identity (github-actions[bot] for Actions' GITHUB_TOKEN) */
  identity(): Promise<string>;
  stickyComment(issueNumber: number, marker: string, body: string): Promise<StickyResult>;
  markedComments(issueNumber: number, marker: string): Promise<{ id: number; body?: string }[]>;
  createCheckRun(input: CheckRunInput): Promise<{ id: number; url: string }>;
  updateCheckRun(id: number, input: Partial<Omit<CheckRunInput, 'headSha'>>): Promise<void>;
  findIssue(marker: string, opts?: { state?: 'open' | 'closed' | 'all'; labels?: string[]; onlyMine?: boolean }): Promise<IssueRef | undefined>;
  createIssue(input: { title: string; body: string; labels?: string[] }): Promise<IssueRef>;
  updateIssue(number: number, input: { title?: string; body?: string; state?: 'open' | 'closed'; labels?: string[] }): Promise<IssueRef>;
  closeIssue(number: number, comment?: string): Promise<IssueRef>;
  dispatchWorkflow(workflow: string | number, ref: string, inputs?: Record<string, string>): Promise<void>;
}

export function createGitHubApi(octokit: GitHub, repo: { owner: string; repo: string }, opts: { identity?: string } = {}): GitHubApi {
  const rc: RepoClient = { octokit, owner: repo.owner, repo: repo.repo };
  const identity = () => (opts.identity ? Promise.resolve(opts.identity) : whoami(octokit));
  return {
    ...rc,
    identity,
    stickyComment: async (issueNumber, marker, body) => upsertStickyComment(rc, { issueNumber, marker, body, author: await identity() }),
    markedComments: async (issueNumber, marker) => findMarkedComments(rc, issueNumber, marker, await identity()),
    createCheckRun: (input) => createCheckRun(rc, input),
    updateCheckRun: (id, input) => updateCheckRun(rc, id, input),
    findIssue: async (marker, o = {}) => findIssueByMarker(rc, marker, { state: o.state, labels: o.labels, ...(o.onlyMine ? { author: await identity() } : {}) }),
    createIssue: (input) => createIssue(rc, input),
    updateIssue: (number, input) => updateIssue(rc, number, input),
    closeIssue: (number, comment) => closeIssue(rc, number, comment),
    dispatchWorkflow: (workflow, ref, inputs) => dispatchWorkflow(rc, workflow, ref, inputs),
  };
}
