/**
 * Posting the report: exactly one sticky comment per (PR, model), and a check run named
 * slipway/<model> whose conclusion is the verdict. A 403 (fork PR, read-only token, missing
 * permission) is not fatal: the job summary still has the report, and a notice says what happened.
 */
import type { GitHubApi } from '../github/api.js';
import { GitHubError } from '../github/client.js';
import { reportMarker } from './escape.js';

export interface PublishInput {
  model: string;
  /** PR number to comment on */
  pr?: number;
  /** commit for the check run */
  headSha?: string;
  /** the comment body (already fitted under the comment limit, starting with the marker) */
  comment: string;
  check: { title: string; summary: string; ok: boolean; detailsUrl?: string };
}

export interface PublishResult {
  comment?: { action: 'created' | 'updated' | 'unchanged'; url: string; id: number };
  checkRun?: { id: number; url: string };
  notices: string[];
}

function forbidden(e: unknown): e is GitHubError {
  return e instanceof GitHubError && (e.status === 403 || e.status === 404);
}

export async function publishReport(api: GitHubApi, p: PublishInput): Promise<PublishResult> {
  const out: PublishResult = { notices: [] };
  if (p.pr !== undefined) {
    const marker = reportMarker(p.model);
    if (!p.comment.startsWith(marker)) throw new Error('the comment must start with its marker');
    try {
      const r = await api.stickyComment(p.pr, marker, p.comment);
      out.comment = { action: r.action, url: r.url, id: r.id };
    } catch (e) {
      if (!forbidden(e)) throw e;
      out.notices.push(
        `could not comment on pull request #${p.pr} (${e.status}): the token may be read-only (a pull request from a fork) or lack 'pull-requests: write'. The report is in the job summary; see docs/fork-prs.md for the workflow_run path.`,
      );
    }
  }
  if (p.headSha) {
    try {
      out.checkRun = await api.createCheckRun({
        name: `slipway/${p.model}`,
        headSha: p.headSha,
        conclusion: p.check.ok ? 'success' : 'failure',
        ...(p.check.detailsUrl ? { detailsUrl: p.check.detailsUrl } : {}),
        output: { title: p.check.title, summary: p.check.summary },
      });
    } catch (e) {
      if (!forbidden(e)) throw e;
      out.notices.push(`could not create the check run slipway/${p.model} (${e.status}): the token lacks 'checks: write' (as on pull requests from forks). The verdict is in the comment and the job summary.`);
    }
  }
  return out;
}
