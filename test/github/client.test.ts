import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitHubTestServer, createPull, createIssue as seedIssue } from '../support/github/server.js';
import { createGitHub, githubFromEnv, GitHubError, parseRepository, type GitHub } from '../../src/github/client.js';
import { createGitHubApi } from '../../src/github/api.js';
import { readEnv } from '../../src/env.js';
import { commentObject } from '../support/github/state.js';
import { driftMarker, syncDriftIssue } from '../../src/github/drift-issue.js';
import type { DriftReport } from '../../src/drift/report.js';
import type { FeatureDrift } from '../../src/drift/compare.js';

const TOKEN = 'ghp_testTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const OTHER = 'ghp_otherTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const BOT = 'ghs_installationTokenCCCCCCCCCCCCCCCCCCCC';

let gh: GitHubTestServer;
let logs: string[];
const client = (token = TOKEN, extra = {}): GitHub => createGitHub({ token, apiUrl: gh.apiUrl, waitScale: 0.001, log: (m) => logs.push(m), ...extra });

beforeAll(async () => {
  gh = await GitHubTestServer.start();
  gh.addToken(TOKEN, 'alice');
  gh.addToken(OTHER, 'mallory');
  gh.addToken(BOT, 'github-actions[bot]', { installation: true, permissions: { checks: 'read' } });
});
afterAll(() => gh.close());
beforeEach(() => {
  logs = [];
  gh.requests.length = 0;
  gh.violations.length = 0;
});

function seedPr(repo = 'risk') {
  return createPull(gh.repo('acme', repo), gh.userObject('alice'), { title: 'Retrain', head: 'feature', base: 'main' });
}

describe('sticky comments', () => {
  it('creates once, then updates in place, then leaves an identical body alone', async () => {
    const pr = seedPr();
    const api = createGitHubApi(client(), { owner: 'acme', repo: 'risk' });
    const marker = '<!-- slipway:report model=credit-risk -->';
    const a = await api.stickyComment(pr.number, marker, `${marker}\nv1`);
    const b = await api.stickyComment(pr.number, marker, `${marker}\nv2`);
    const c = await api.stickyComment(pr.number, marker, `${marker}\nv2`);
    expect([a.action, b.action, c.action]).toEqual(['created', 'updated', 'unchanged']);
    expect(b.id).toBe(a.id);
    const comments = gh.repo('acme', 'risk').commentsOf(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toBe(`${marker}\nv2`);
    expect(comments[0].user.login).toBe('alice');
    expect(gh.requests.map((r) => `${r.method} ${r.template}`)).toEqual([
      'GET /user',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    ]);
    expect(gh.violations).toEqual([]);
  });

  it('finds its comment on page 3 of a long thread and ignores copies of the marker by others', async () => {
    const pr = seedPr();
    const repo = gh.repo('acme', 'risk');
    const marker = '<!-- slipway:report model=m -->';
    const alice = createGitHubApi(client(), { owner: 'acme', repo: 'risk' });
    const mallory = createGitHubApi(client(OTHER), { owner: 'acme', repo: 'risk' });
    await mallory.stickyComment(pr.number, marker, `${marker}\nfake verdict: all gates pass`);
    for (let i = 0; i < 230; i++) {
      const c = commentObject(repo, pr.number, gh.userObject('mallory'), `chatter ${i}`);
      repo.comments.set(c.id, c);
    }
    const first = await alice.stickyComment(pr.number, marker, `${marker}\nreal 1`);
    expect(first.action).toBe('created');
    gh.requests.length = 0;
    const second = await alice.stickyComment(pr.number, marker, `${marker}\nreal 2`);
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    // 232 comments at 100 per page: three pages followed through the Link header
    const pages = gh.calls('GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments');
    expect(pages.map((p) => p.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect(pages.every((p) => p.query.per_page === '100')).toBe(true);
    const marked = repo.commentsOf(pr.number).filter((c) => c.body.includes(marker));
    expect(marked.map((c) => [c.user.login, c.body.split('\n')[1]])).toEqual([
      ['mallory', 'fake verdict: all gates pass'],
      ['alice', 'real 2'],
    ]);
    expect(gh.violations).toEqual([]);
  });

  it('deletes its own duplicates (e.g. left by a race) so exactly one remains', async () => {
    const pr = seedPr();
    const marker = '<!-- slipway:report model=dup -->';
    const o = client();
    for (const n of [1, 2, 3]) {
      await o.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'acme', repo: 'risk', issue_number: pr.number, body: `${marker}\nrace ${n}` });
    }
    const api = createGitHubApi(o, { owner: 'acme', repo: 'risk' });
    const r = await api.stickyComment(pr.number, marker, `${marker}\nfinal`);
    expect(r.action).toBe('updated');
    expect(r.deleted).toHaveLength(2);
    expect(gh.repo('acme', 'risk').commentsOf(pr.number).map((c) => c.body)).toEqual([`${marker}\nfinal`]);
    expect(gh.violations).toEqual([]);
  });

  it("leaves alone a comment by the same identity that only quotes the marker (another workflow's, as github-actions[bot])", async () => {
    const pr = seedPr();
    const marker = '<!-- slipway:report model=quoted -->';
    const o = client();
    // e.g. a welcome workflow that echoes the PR description, which holds the marker
    const other = `Thanks for the PR! You wrote:\n> retrain ${marker}`;
    await o.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'acme', repo: 'risk', issue_number: pr.number, body: other });
    const api = createGitHubApi(o, { owner: 'acme', repo: 'risk' });
    const first = await api.stickyComment(pr.number, marker, `${marker}\nreport 1`);
    const second = await api.stickyComment(pr.number, marker, `${marker}\nreport 2`);
    expect([first.action, second.action, second.deleted]).toEqual(['created', 'updated', []]);
    expect(gh.repo('acme', 'risk').commentsOf(pr.number).map((c) => c.body)).toEqual([other, `${marker}\nreport 2`]);
    await expect(api.stickyComment(pr.number, marker, `report\n${marker}`)).rejects.toThrow('must start with its marker');
    expect(gh.violations).toEqual([]);
  });

  it('acts as github-actions[bot] with an installation token (GET /user is 403 there)', async () => {
    const pr = seedPr();
    const api = createGitHubApi(client(BOT), { owner: 'acme', repo: 'risk' });
    expect(await api.identity()).toBe('github-actions[bot]');
    await api.stickyComment(pr.number, '<!-- m -->', '<!-- m -->\nhi');
    expect(gh.repo('acme', 'risk').commentsOf(pr.number)[0].user.login).toBe('github-actions[bot]');
  });
});

describe('check runs, issues, dispatch', () => {
  it('creates and completes a check run', async () => {
    const api = createGitHubApi(client(), { owner: 'acme', repo: 'risk' });
    const { id } = await api.createCheckRun({ name: 'slipway/credit-risk', headSha: 'a'.repeat(40), status: 'in_progress' });
    await api.updateCheckRun(id, { conclusion: 'failure', output: { title: '1 gate failed', summary: 'roc_auc below 0.75' } });
    const run = gh.repo('acme', 'risk').checkRuns.get(id);
    expect(run).toMatchObject({ name: 'slipway/credit-risk', status: 'completed', conclusion: 'failure', head_sha: 'a'.repeat(40) });
    expect(run.output.summary).toBe('roc_auc below 0.75');
    expect(gh.violations).toEqual([]);
  });

  it("cuts a check run's summary and text to GitHub's 65,535 bytes (UTF-8, not characters), at a character boundary", async () => {
    const api = createGitHubApi(client(), { owner: 'acme', repo: 'risk' });
    // 30,000 characters of 3 bytes (≥) and 4 bytes (an emoji, two UTF-16 units): under 65,535 characters, far over in bytes
    const summary = '≥'.repeat(30_000);
    const text = '🔴'.repeat(20_000);
    const { id } = await api.createCheckRun({ name: 'slipway/credit-risk', headSha: 'c'.repeat(40), conclusion: 'failure', output: { title: `${'t'.repeat(999)}🔴`, summary, text } });
    const sent = gh.calls('POST', '/repos/{owner}/{repo}/check-runs').at(-1)!.body as { output: { title: string; summary: string; text: string } };
    for (const field of [sent.output.summary, sent.output.text]) {
      expect(Buffer.byteLength(field, 'utf8')).toBeLessThanOrEqual(65_535);
      expect(Buffer.byteLength(field, 'utf8')).toBeGreaterThan(65_000);
      expect(field).toMatch(/\n\n… \(truncated\)$/);
      expect(field).not.toContain('\ufffd'); // no character cut in half
    }
    expect(sent.output.summary.startsWith('≥'.repeat(21_000))).toBe(true);
    expect(sent.output.title).toBe('t'.repeat(999)); // not half an emoji
    expect(gh.repo('acme', 'risk').checkRuns.get(id).conclusion).toBe('failure');
    // what fits is sent as it is
    await api.updateCheckRun(id, { output: { title: 'ok', summary: '≥'.repeat(21_845) } });
    expect((gh.calls('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}').at(-1)!.body as { output: { summary: string } }).output.summary).toBe('≥'.repeat(21_845));
  });

  it('a token without checks: write gets a 403 with a hint, not a retry storm', async () => {
    const api = createGitHubApi(client(BOT), { owner: 'acme', repo: 'risk' });
    const err = await api.createCheckRun({ name: 'x', headSha: 'b'.repeat(40), conclusion: 'success' }).catch((e) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/Resource not accessible by integration.*permissions/);
    expect(gh.calls('POST', '/repos/{owner}/{repo}/check-runs')).toHaveLength(1);
  });

  it('an API it cannot reach is named, with no made-up HTTP status', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const api = createGitHubApi(createGitHub({ token: TOKEN, apiUrl: `http://127.0.0.1:${port}`, waitScale: 0.001, retries: 0 }), { owner: 'acme', repo: 'risk' });
    const err = await api.createCheckRun({ name: 'x', headSha: 'b'.repeat(40), conclusion: 'success' }).catch((e) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect(err.status).toBeUndefined();
    expect(err.message).toMatch(new RegExp(`^GitHub API: .* failed: could not reach http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(is GITHUB_API_URL right, and is there a network path to it\\?\\)$`));
    expect(err.message).not.toMatch(/ 500 /);
  });

  it('finds an issue by marker across pages, updates and closes it', async () => {
    const repo = gh.repo('acme', 'issues');
    const alice = gh.userObject('alice');
    for (let i = 0; i < 120; i++) seedIssue(repo, alice, { title: `noise ${i}`, body: 'x' });
    const api = createGitHubApi(client(), { owner: 'acme', repo: 'issues' });
    const marker = '<!-- slipway:drift model=m env=production -->';
    expect(await api.findIssue(marker)).toBeUndefined();
    const created = await api.createIssue({ title: 'Drift detected', body: `${marker}\nbody`, labels: ['drift'] });
    seedIssue(repo, alice, { title: 'newer noise', body: 'y' });
    for (let i = 0; i < 110; i++) seedIssue(repo, alice, { title: `more ${i}`, body: 'z' });
    const found = await api.findIssue(marker, { labels: ['drift'] });
    expect(found?.number).toBe(created.number);
    const pagesWithoutLabel = await api.findIssue(marker);
    expect(pagesWithoutLabel?.number).toBe(created.number);
    await api.updateIssue(created.number, { body: `${marker}\nupdated` });
    const closed = await api.closeIssue(created.number, 'Drift cleared.');
    expect(closed.state).toBe('closed');
    expect(repo.issues.get(created.number)).toMatchObject({ state: 'closed', body: `${marker}\nupdated`, state_reason: 'completed' });
    expect(repo.commentsOf(created.number).map((c) => c.body)).toEqual(['Drift cleared.']);
    expect(await api.findIssue(marker)).toBeUndefined();
    expect(gh.violations).toEqual([]);
  });

  it('dispatches a workflow with inputs', async () => {
    const api = createGitHubApi(client(), { owner: 'acme', repo: 'risk' });
    await api.dispatchWorkflow('retrain.yml', 'main', { model: 'credit-risk', window: '2024-01-01..2024-02-01' });
    expect(gh.repo('acme', 'risk').dispatches).toEqual([{ workflow_id: 'retrain.yml', ref: 'main', inputs: { model: 'credit-risk', window: '2024-01-01..2024-02-01' } }]);
    expect(gh.violations).toEqual([]);
  });
});

describe('the drift issue', () => {
  /** A drifted report whose markdown is over GitHub's issue body limit: one long table row per feature. */
  function bigReport(features: number): DriftReport {
    const f = (i: number): FeatureDrift => ({ test: 'psi', statistic: 0.3, threshold: 0.2, p_value: 0.001, drifted: i % 2 === 0, n_ref: 1000, n_cur: 1000, kind: 'numeric', basis: 'bins' });
    const names = Array.from({ length: features }, (_, i) => `feature_${String(i).padStart(4, '0')}_${'x'.repeat(i % 37)}`);
    return {
      drifted: true, model: 'credit-risk', env: 'production',
      reference: { kind: 'package', source: 'credit-risk@1.4.0', rows: 1000 }, current: { kind: 'data', source: 'window.parquet', rows: 1000 },
      features: Object.fromEntries(names.map((n, i) => [n, f(i)])), drifted_features: names.filter((_, i) => i % 2 === 0), share_of_drifted_features: 0.5,
      prediction: null, performance: null, missing: {}, unseen_categories: {}, missing_columns: [], reasons: ['many features drifted'], generated_at: '2026-01-01T00:00:00Z',
    };
  }

  it('a report over the issue body limit is cut at a whole line, under 65,536 characters, with the note and the marker', async () => {
    const repo = gh.repo('acme', 'drift-big');
    const res = await syncDriftIssue({ octokit: client(), owner: 'acme', repo: 'drift-big' }, bigReport(1500), { env: 'production', runUrl: 'https://github.com/acme/drift-big/actions/runs/7' });
    expect(res.action).toBe('created');
    const body: string = repo.issues.get(res.issue!.number).body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body).toContain('\n\n… truncated: the full report is in the job summary of the run below.\n');
    expect(body.endsWith(`${driftMarker('credit-risk', 'production')}\n`)).toBe(true);
    // every table row that is there is whole (no row cut in the middle, no half of a 🔴)
    const rows = body.split('\n').filter((l) => l.startsWith('| feature&#95;'));
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) expect(row).toMatch(/^\| feature&#95;\d{4}&#95;x* \| (🔴 drift|🟢 ok) \| psi \| .* \| bins \|$/);
    expect(body).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(gh.violations).toEqual([]);
  });
});

describe('retries and rate limits', () => {
  const route = '/repos/{owner}/{repo}/issues/{issue_number}/comments';

  it('retries 5xx with backoff and succeeds', async () => {
    const pr = seedPr();
    gh.fail({ method: 'POST', route, status: 502, times: 2 });
    await client().request(`POST ${route}`, { owner: 'acme', repo: 'risk', issue_number: pr.number, body: 'ok' });
    expect(gh.calls('POST', route).map((r) => r.status)).toEqual([502, 502, 201]);
    expect(gh.repo('acme', 'risk').commentsOf(pr.number)).toHaveLength(1);
  });

  it('waits for the primary rate limit reset (403, x-ratelimit-remaining: 0) and retries', async () => {
    const pr = seedPr();
    gh.fail({ method: 'GET', route, kind: 'rate-limit' });
    const res = await client().request(`GET ${route}`, { owner: 'acme', repo: 'risk', issue_number: pr.number });
    expect(res.status).toBe(200);
    expect(gh.calls('GET', route).map((r) => r.status)).toEqual([403, 200]);
    expect(logs.join('\n')).toMatch(/rate limit reached.*retrying/);
  });

  it('honours retry-after on secondary rate limits (403 and 429)', async () => {
    const pr = seedPr();
    gh.fail({ method: 'POST', route, kind: 'secondary', status: 429, retryAfter: 2 });
    gh.fail({ method: 'POST', route, kind: 'secondary', status: 403, retryAfter: 1 });
    await client().request(`POST ${route}`, { owner: 'acme', repo: 'risk', issue_number: pr.number, body: 'ok' });
    expect(gh.calls('POST', route).map((r) => r.status)).toEqual([429, 403, 201]);
    expect(logs.filter((l) => /secondary rate limit/.test(l))).toHaveLength(2);
  });

  it('gives up after the retries with an error that names the status and never the token', async () => {
    const pr = seedPr();
    gh.fail({ method: 'POST', route, status: 503, times: Infinity, message: `upstream broke for ${TOKEN}` });
    const api = createGitHubApi(client(TOKEN, { retries: 2 }), { owner: 'acme', repo: 'risk' });
    const err = await api.stickyComment(pr.number, '<!-- x -->', '<!-- x -->').catch((e) => e);
    gh.fail({ method: 'POST', route, times: 0 });
    expect(err).toBeInstanceOf(GitHubError);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/comment on #\d+ failed: 503/);
    expect(gh.calls('POST', route)).toHaveLength(3);
    const text = `${err.message}\n${err.stack}\n${JSON.stringify(err)}\n${logs.join('\n')}`;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(TOKEN.slice(4));
    // clear the permanent failure for the following tests
    (gh as unknown as { failures: unknown[] }).failures = [];
  });

  it('bad credentials: 401, not retried, clear message', async () => {
    const err = await createGitHubApi(client('ghp_wrongTokenDDDDDDDDDDDDDDDDDDDDDDDDDDD'), { owner: 'acme', repo: 'risk' })
      .createIssue({ title: 't', body: 'b' })
      .catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/401 Bad credentials \(the token is invalid or expired\)/);
    expect(err.message).not.toContain('ghp_wrongToken');
  });
});

describe('GitHub Enterprise Server', () => {
  it('uses GITHUB_API_URL (…/api/v3) from the environment', async () => {
    const ghes = await GitHubTestServer.start({ prefix: '/api/v3' });
    try {
      ghes.addToken(TOKEN, 'enterprise-user');
      const env = readEnv({ GITHUB_API_URL: `${ghes.apiUrl}/`, GITHUB_TOKEN: TOKEN });
      const octokit = githubFromEnv(env, { waitScale: 0.001 })!;
      const api = createGitHubApi(octokit, parseRepository('corp/models'));
      expect(await api.identity()).toBe('enterprise-user');
      await api.createIssue({ title: 'hello', body: 'from ghes' });
      ghes.graphql('viewer', () => ({ viewer: { login: 'enterprise-user' } }));
      const viewer = await octokit.graphql<{ viewer: { login: string } }>('query { viewer { login } }');
      expect(viewer.viewer.login).toBe('enterprise-user');
      expect(ghes.requests.map((r) => r.path)).toEqual(['/api/v3/user', '/api/v3/repos/corp/models/issues', '/api/graphql']);
      expect(ghes.violations).toEqual([]);
      expect(githubFromEnv(readEnv({}))).toBeUndefined();
    } finally {
      await ghes.close();
    }
  });

  it('validates repository names', () => {
    expect(parseRepository('acme/risk-models')).toEqual({ owner: 'acme', repo: 'risk-models' });
    for (const bad of ['acme', 'acme/../x', '../x/y', 'a/b/c', '']) expect(() => parseRepository(bad)).toThrow(/owner\/name/);
  });
});
