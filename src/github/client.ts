/**
 * The GitHub adapter: Octokit on the REST API (GitHub.com and GitHub Enterprise Server through
 * GITHUB_API_URL), with retries (5xx) and throttling (403/429 rate limits, with backoff), the token
 * registered as a secret so it never appears in messages.
 *
 * EXTENSION PATTERN (release-please style: small typed functions over one client)
 *   - `createGitHub(options)` builds the Octokit; `githubFromEnv(env)` does it from src/env.ts.
 *   - Everything repository-scoped takes a `RepoClient` ({ octokit, owner, repo }). A `GitHubApi`
 *     (from `createGitHubApi`) is a RepoClient, so it can be passed straight to other modules.
 *   - A new area goes in its own file exporting plain functions, e.g. src/github/pulls.ts:
 *
 *       export async function openPullRequest(gh: RepoClient, input: {...}): Promise<PullRef> {
 *         const res = await call('open pull request', () =>
 *           gh.octokit.request('POST /repos/{owner}/{repo}/pulls', { owner: gh.owner, repo: gh.repo, ...input }));
 *         return { number: res.data.number, url: res.data.html_url };
 *       }
 *
 *     Wrap every request in `call(what, fn)`: it turns Octokit errors into ExternalError with a
 *     redacted, actionable message (status, GitHub's message, a hint for 401/403/404) and keeps
 *     the HTTP status on `.status`. Use `octokit.paginate(...)`/`paginate.iterator` for lists.
 *     Planned: pulls.ts, releases.ts, commits.ts (promote), drift-issue.ts (drift).
 *   - Tests run these against test/support/github/server.ts (the OpenAPI-checked fake GitHub);
 *     pass `waitScale: 0.001` so retry/throttle waits are milliseconds.
 */
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import Bottleneck from 'bottleneck';
import { ExternalError, UsageError } from '../errors.js';
import { readEnv, type SlipwayEnv } from '../env.js';
import { redact, registerSecret } from '../secrets.js';

/** The repository-bound API (implemented in api.ts, from the small functions of this folder). */
export type { GitHubApi } from './api.js';

export const SlipwayOctokit = Octokit.plugin(paginateRest, retry, throttling);
export type GitHub = InstanceType<typeof SlipwayOctokit>;

export interface GitHubOptions {
  token: string;
  /** REST base URL; default https://api.github.com (GHES: https://HOST/api/v3) */
  apiUrl?: string;
  userAgent?: string;
  /** retries for 5xx and network errors, and for rate limits (default 3) */
  retries?: number;
  /** multiplies every wait (retry backoff, rate-limit resets, write spacing); tests use 0.001 */
  waitScale?: number;
  /** per-request timeout in ms (default 30 s) */
  timeoutMs?: number;
  /** where retry/throttle notices go (default: nowhere) */
  log?: (message: string) => void;
  /** aborts every request, in flight or to come (an overall deadline); an aborted request is not retried */
  signal?: AbortSignal;
}

/** A repository-scoped client: what every function in src/github/ takes. */
export interface RepoClient {
  readonly octokit: GitHub;
  readonly owner: string;
  readonly repo: string;
}

export function createGitHub(opts: GitHubOptions): GitHub {
  if (!opts.token) throw new UsageError('a GitHub token is required (GITHUB_TOKEN or the action input `token`)');
  registerSecret(opts.token);
  const scale = opts.waitScale ?? 1;
  const retries = opts.retries ?? 3;
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const fast = scale < 1;
  const limiterGroups = fast
    ? {
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: Math.round(1000 * scale) }),
        notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: Math.round(3000 * scale) }),
        search: new Bottleneck.Group({ maxConcurrent: 1, minTime: Math.round(2000 * scale) }),
      }
    : {};
  const timedFetch: typeof fetch = (input, init) => {
    const own = init?.signal ?? AbortSignal.timeout(timeoutMs);
    return fetch(input, { ...init, signal: opts.signal ? AbortSignal.any([own, opts.signal]) : own });
  };
  return new SlipwayOctokit({
    auth: opts.token,
    baseUrl: (opts.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'slipway',
    request: { fetch: timedFetch },
    log: { debug: () => {}, info: () => {}, warn: (m: string) => log(redact(m)), error: (m: string) => log(redact(m)) },
    retry: {
      retries,
      retryAfterBaseValue: 1000 * scale,
      // 403/429 rate limits belong to the throttling plugin; other 4xx are not transient
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      id: 'slipway',
      retryAfterBaseValue: 1000 * scale,
      fallbackSecondaryRateRetryAfter: 60,
      ...limiterGroups,
      onRateLimit: (after: number, options: { method: string; url: string }, _o: unknown, count: number) => {
        if (count >= retries) return false;
        log(`GitHub rate limit reached for ${options.method} ${options.url}; retrying in ${after} s (attempt ${count + 1}/${retries})`);
        return true;
      },
      onSecondaryRateLimit: (after: number, options: { method: string; url: string }, _o: unknown, count: number) => {
        if (count >= retries) return false;
        log(`GitHub secondary rate limit for ${options.method} ${options.url}; retrying in ${after} s (attempt ${count + 1}/${retries})`);
        return true;
      },
    },
  });
}

/** The client from the environment (GITHUB_TOKEN / SLIPWAY_GITHUB_TOKEN, GITHUB_API_URL); undefined without a token. */
export function githubFromEnv(env: SlipwayEnv = readEnv(), extra: Partial<GitHubOptions> = {}): GitHub | undefined {
  if (!env.githubToken) return undefined;
  return createGitHub({ token: env.githubToken, apiUrl: env.githubApiUrl, ...(env.githubWaitScale !== undefined ? { waitScale: env.githubWaitScale } : {}), ...extra });
}

/** `owner/repo` → parts, validated. */
export function parseRepository(full: string | undefined): { owner: string; repo: string } {
  const m = full ? /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(full) : null;
  if (!m || m[2] === '.' || m[2] === '..') throw new UsageError(`expected a repository as owner/name (GITHUB_REPOSITORY), got '${full ?? ''}'`);
  return { owner: m[1], repo: m[2] };
}

/** An error from the GitHub API, with its HTTP status; the message never contains the token. */
export class GitHubError extends ExternalError {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** Runs one API call; turns failures into GitHubError with a redacted, actionable message. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toGitHubError(what, e);
  }
}

/** The pages of a list (`octokit.paginate.iterator`), each page's failure a GitHubError like any other call's: every page is a request of its own. */
export async function* pagesOf<T>(what: string, pages: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    for await (const page of pages) yield page;
  } catch (e) {
    throw toGitHubError(what, e);
  }
}

export function toGitHubError(what: string, e: unknown): GitHubError {
  // no response: the API was never reached (octokit reports such failures with a status of 500 it made up)
  if (e instanceof RequestError && !e.response) {
    const cause = (e.cause as { cause?: { message?: string } } | undefined)?.cause?.message;
    return new GitHubError(redact(`GitHub API: ${what} failed: could not reach ${e.request.url.replace(/^(\w+:\/\/[^/]+).*$/, '$1')}: ${e.message}${cause && !e.message.includes(cause) ? ` (${cause})` : ''} (is GITHUB_API_URL right, and is there a network path to it?)`), undefined);
  }
  if (e instanceof RequestError) {
    const data = e.response?.data as { message?: string; errors?: unknown } | undefined;
    const ghMessage = data?.message ?? e.message;
    const details = data?.errors ? ` ${JSON.stringify(data.errors).slice(0, 500)}` : '';
    let hint = '';
    if (e.status === 401) hint = ' (the token is invalid or expired)';
    else if (e.status === 403 && /not accessible by integration/i.test(ghMessage)) hint = ' (the token lacks a permission: check the workflow `permissions:`; on fork pull requests use the workflow_run path, see docs/fork-prs.md)';
    else if (e.status === 403 || e.status === 429) hint = ' (rate limited or forbidden)';
    else if (e.status === 404) hint = ' (not found, or the token cannot see it)';
    return new GitHubError(redact(`GitHub API: ${what} failed: ${e.status} ${ghMessage}${details}${hint}`), e.status);
  }
  const err = e as Error;
  return new GitHubError(redact(`GitHub API: ${what} failed: ${err?.message ?? String(e)}`), undefined);
}
