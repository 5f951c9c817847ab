/** The fake GitHub itself: it must reject what GitHub would, so tests against it mean something. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubTestServer, GraphQLError, createCommit } from '../support/github/server.js';
import { createGitHub } from '../../src/github/client.js';

const TOKEN = 'ghp_serverTestTokenEEEEEEEEEEEEEEEEEEEEEEE';
let gh: GitHubTestServer;

async function raw(method: string, path: string, body?: unknown, token = TOKEN) {
  const res = await fetch(gh.apiUrl + path, {
    method,
    headers: { authorization: `token ${token}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (res.status === 204 ? undefined : await res.json()) as { message: string } };
}

beforeAll(async () => {
  gh = await GitHubTestServer.start();
  gh.addToken(TOKEN, 'alice');
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.violations.length = 0;
});

describe('GitHubTestServer checks every request against the OpenAPI description', () => {
  it('answers 404 and records a violation for a route GitHub does not have', async () => {
    const r = await raw('POST', '/repos/acme/risk/sticky-comments', { body: 'x' });
    expect(r.status).toBe(404);
    expect(gh.violations).toHaveLength(1);
    expect(gh.violations[0]).toMatchObject({ kind: 'unknown-route', method: 'POST', path: '/repos/acme/risk/sticky-comments' });
    expect(r.body.message).toMatch(/not an operation in GitHub's OpenAPI description/);
  });

  it('answers 500 and records a violation for a body of the wrong shape', async () => {
    const r = await raw('POST', '/repos/acme/risk/check-runs', { name: 'x', head_sha: 'a', conclusion: 'great' });
    expect(r.status).toBe(500);
    expect(gh.violations[0].kind).toBe('request');
    expect(gh.violations[0].problems.join('\n')).toMatch(/body\/conclusion: must be equal to one of the allowed values/);
  });

  it('flags missing required body fields, wrong path parameter types and unknown query parameters', async () => {
    await raw('POST', '/repos/acme/risk/issues/1/comments', {});
    await raw('GET', '/repos/acme/risk/issues/abc/comments');
    await raw('GET', '/repos/acme/risk/issues/1/comments?per_page=100&body=leak');
    const problems = gh.violations.map((v) => v.problems.join(' | '));
    expect(problems[0]).toMatch(/must have required property 'body'/);
    expect(problems[1]).toMatch(/path parameter 'issue_number'='abc': must be integer/);
    expect(problems[2]).toMatch(/query parameter 'body' is not defined/);
  });

  it('matches literal segments before parameters (issues/comments vs issues/{issue_number})', async () => {
    const r = await raw('GET', '/repos/acme/risk/issues/comments');
    expect(r.status).toBe(200);
    expect(gh.requests.at(-1)?.template).toBe('/repos/{owner}/{repo}/issues/comments');
    expect(gh.violations).toEqual([]);
  });

  it('requires a known token and sends GitHub headers', async () => {
    const r = await raw('GET', '/repos/acme/risk/issues', undefined, 'nope');
    expect(r.status).toBe(401);
    const ok = await raw('GET', '/repos/acme/risk/issues');
    expect(ok.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(Number(ok.headers.get('x-ratelimit-remaining'))).toBeLessThan(5000);
    expect(ok.headers.get('x-github-request-id')).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('refuses route registrations that are not in the spec', () => {
    expect(() => gh.route('POST', '/repos/{owner}/{repo}/magic', () => ({ status: 200 }))).toThrow(/not an operation/);
  });

  it('records handler answers that drift from the documented response schema', async () => {
    gh.route('GET', '/repos/{owner}/{repo}/releases/latest', () => ({ status: 200, body: { id: 'not-a-number' } }));
    await raw('GET', '/repos/acme/risk/releases/latest');
    expect(gh.violations[0].kind).toBe('response');
    gh.violations.length = 0;
  });

  it('serves GraphQL through pluggable handlers', async () => {
    gh.graphql('createCommitOnBranch', (vars) => {
      if (!vars.input) throw new GraphQLError('input required');
      return { createCommitOnBranch: { commit: { oid: 'c'.repeat(40) } } };
    });
    const octokit = createGitHub({ token: TOKEN, apiUrl: gh.apiUrl, waitScale: 0.001 });
    const data = await octokit.graphql<{ createCommitOnBranch: { commit: { oid: string } } }>(
      'mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }',
      { input: { branch: { repositoryNameWithOwner: 'acme/risk', branchName: 'main' } } },
    );
    expect(data.createCommitOnBranch.commit.oid).toBe('c'.repeat(40));
    await expect(octokit.graphql('mutation { createCommitOnBranch { commit { oid } } }')).rejects.toThrow(/input required/);
    expect(gh.violations).toEqual([]);
  });

  it('keeps git refs and commits; refuses non-fast-forward updates', async () => {
    const repo = gh.repo('acme', 'git');
    const base = createCommit(repo, { message: 'init' });
    repo.refs.set('heads/main', base.sha);
    const octokit = createGitHub({ token: TOKEN, apiUrl: gh.apiUrl, waitScale: 0.001 });
    const ref = await octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { owner: 'acme', repo: 'git', ref: 'heads/main' });
    expect(ref.data.object.sha).toBe(base.sha);
    const c = await octokit.request('POST /repos/{owner}/{repo}/git/commits', { owner: 'acme', repo: 'git', message: 'next', tree: 'd'.repeat(40), parents: [base.sha] });
    await octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { owner: 'acme', repo: 'git', ref: 'heads/main', sha: c.data.sha });
    expect(repo.refs.get('heads/main')).toBe(c.data.sha);
    const stray = await octokit.request('POST /repos/{owner}/{repo}/git/commits', { owner: 'acme', repo: 'git', message: 'stray', tree: 'e'.repeat(40), parents: [base.sha] });
    const err = await octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { owner: 'acme', repo: 'git', ref: 'heads/main', sha: stray.data.sha }).catch((e) => e);
    expect(err.status).toBe(422);
    expect(gh.violations).toEqual([]);
  });

  it('keeps releases and assets: upload through upload_url, download by Accept header', async () => {
    const octokit = createGitHub({ token: TOKEN, apiUrl: gh.apiUrl, waitScale: 0.001 });
    const rel = await octokit.request('POST /repos/{owner}/{repo}/releases', { owner: 'acme', repo: 'rel', tag_name: 'credit-risk-1.0.0', name: 'credit-risk 1.0.0' });
    const bytes = Buffer.from('package bytes \u0000\u0001');
    const up = await octokit.request({
      method: 'POST',
      url: rel.data.upload_url,
      name: 'package.tar',
      headers: { 'content-type': 'application/octet-stream', 'content-length': bytes.length },
      data: bytes,
    });
    expect(up.status).toBe(201);
    const byTag = await octokit.request('GET /repos/{owner}/{repo}/releases/tags/{tag}', { owner: 'acme', repo: 'rel', tag: 'credit-risk-1.0.0' });
    expect(byTag.data.assets.map((a) => a.name)).toEqual(['package.tar']);
    const dl = await octokit.request('GET /repos/{owner}/{repo}/releases/assets/{asset_id}', {
      owner: 'acme',
      repo: 'rel',
      asset_id: byTag.data.assets[0].id,
      headers: { accept: 'application/octet-stream' },
    });
    expect(Buffer.from(dl.data as unknown as ArrayBuffer).equals(bytes)).toBe(true);
    expect(gh.violations).toEqual([]);
  });
});
