import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHub, type RepoClient } from '../../src/github/client.js';
import { createCommitOnBranch, GitHubApiWriter } from '../../src/github/commits.js';
import { UPDATE_REFS, ZERO_OID } from '../../src/github/refs.js';
import { readManifest } from '../../src/gitops/manifest.js';
import { promoteToEnvironment, type GitOpsTarget } from '../../src/gitops/promote.js';
import { rollbackInEnvironment } from '../../src/gitops/rollback.js';
import { openOrUpdatePullRequest } from '../../src/github/pulls.js';
import { packageDigest } from '../../src/store/digest.js';
import { GitHubTestServer } from '../support/github/server.js';
import { registerGitBackedRepo } from '../support/github/handlers/graphql.js';
import { runCli } from '../support/cli.js';
import { digest, gitopsRepos, sh } from './repos.js';
import { writeTestPackage } from './package.js';

const TOKEN = 'ghs_promotetoken0123456789';
let gh: GitHubTestServer;

beforeAll(async () => {
  gh = await GitHubTestServer.start();
  gh.addToken(TOKEN, 'github-actions[bot]', { installation: true });
});
afterAll(() => gh.close());

function client(owner: string, repo: string): RepoClient {
  return { octokit: createGitHub({ token: TOKEN, apiUrl: gh.apiUrl, waitScale: 0.001 }), owner, repo };
}

function apiTarget(repoRoot: string, c: RepoClient, writer = new GitHubApiWriter(c)): GitOpsTarget {
  return { repoRoot, branch: 'main', writer, pullRequests: { open: (req) => openOrUpdatePullRequest(c, req) } };
}

const remoteSpec = (remote: string, ref: string, env: string) => readManifest(sh(remote, 'show', `${ref}:environments/${env}.yaml`), env).spec;

describe('promote through the GitHub API (createCommitOnBranch)', () => {
  it('commits a push environment as the token user, verified by GitHub, with the trailers', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk1', r.remote);
    const p = writeTestPackage(join(r.root, 'pkg'), 'credit-risk', '1.0.0');
    const d = await packageDigest(p);
    const env = {
      PATH: process.env.PATH,
      GITHUB_ACTIONS: 'true',
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPOSITORY: 'acme/risk1',
      GITHUB_API_URL: gh.apiUrl,
    };
    const res = await runCli(['promote', '--model', 'credit-risk', '--candidate', p, '--env', 'staging', '--evaluation-url', 'https://github.test/acme/risk1/actions/runs/9'], r.a, env);
    expect(res.stderr).toContain('via acme/risk1 (GitHub API)');
    expect(res.code).toBe(0);
    expect(gh.violations).toEqual([]);
    const gql = gh.requests.filter((q) => q.template === '/graphql');
    expect(gql).toHaveLength(1);
    expect(gql[0].body.variables.input).toMatchObject({
      branch: { repositoryNameWithOwner: 'acme/risk1', branchName: 'main' },
      expectedHeadOid: sh(r.a, 'rev-parse', 'origin/main').trim(),
      message: { headline: 'promote(staging): credit-risk none -> 1.0.0' },
    });
    // the commit is in the real repository, authored by the token's identity and committed by GitHub
    expect(sh(r.remote, 'log', '-1', '--format=%an|%cn|%s', 'main').trim()).toBe('github-actions[bot]|GitHub|promote(staging): credit-risk none -> 1.0.0');
    expect(sh(r.remote, 'log', '-1', '--format=%(trailers:key=Slipway-Digest,valueonly)', 'main').trim()).toBe(d);
    expect(sh(r.remote, 'log', '-1', '--format=%(trailers:key=Slipway-Evaluation,valueonly)', 'main').trim()).toBe('https://github.test/acme/risk1/actions/runs/9');
    expect(remoteSpec(r.remote, 'main', 'staging').models?.['credit-risk'].version).toBe('1.0.0');
    expect(res.outputs.commit).toBe(sh(r.remote, 'rev-parse', 'main').trim());
  });

  it('retries on STALE_DATA when another commit lands between reading the head and committing', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk2', r.remote);
    const c = client('acme', 'risk2');
    class Interrupted extends GitHubApiWriter {
      interrupted = false;
      override async commit(...args: Parameters<GitHubApiWriter['commit']>) {
        if (!this.interrupted) {
          this.interrupted = true;
          // someone else promotes another model first, through the API as well
          await promoteToEnvironment(apiTarget(r.b, c), { env: 'staging', model: 'fraud', version: '2.0.0', digest: digest('f') });
        }
        return super.commit(...args);
      }
    }
    const logs: string[] = [];
    const t = { ...apiTarget(r.a, c, new Interrupted(c)), log: (l: string) => logs.push(l) };
    const res = await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.0.0', digest: digest('a') });
    expect(res.attempts).toBe(2);
    expect(logs.join('\n')).toMatch(/main moved while committing .* re-applying on the new head/);
    const spec = remoteSpec(r.remote, 'main', 'staging');
    expect(spec.models?.fraud?.version).toBe('2.0.0');
    expect(spec.models?.['credit-risk']?.version).toBe('1.0.0');
    const stale = gh.requests.filter((q) => q.template === '/graphql' && q.body.variables.input.branch?.repositoryNameWithOwner === 'acme/risk2');
    expect(stale).toHaveLength(3);
    expect(gh.violations).toEqual([]);
  });

  it('opens one PR for a pull-request environment (a re-run updates it), and rolls back with a PR', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk3', r.remote);
    const c = client('acme', 'risk3');
    const t = apiTarget(r.a, c);
    const first = await promoteToEnvironment(t, { env: 'production', model: 'credit-risk', version: '1.0.0', digest: digest('a'), approvers: ['@grace'] });
    expect(first.mode).toBe('pull-request');
    expect(first.pr).toMatchObject({ number: expect.any(Number), created: true });
    const pulls = [...gh.repo('acme', 'risk3').pulls.values()];
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ title: 'promote(production): credit-risk none -> 1.0.0', head: { ref: 'slipway/promote/production/credit-risk-1.0.0' }, base: { ref: 'main' } });
    expect(pulls[0].body).toContain('Merging this pull request is the approval');
    expect(remoteSpec(r.remote, 'slipway/promote/production/credit-risk-1.0.0', 'production').models?.['credit-risk'].version).toBe('1.0.0');
    const again = await promoteToEnvironment(t, { env: 'production', model: 'credit-risk', version: '1.0.0', digest: digest('a'), approvers: ['@grace'] });
    expect(again.pr).toMatchObject({ number: first.pr!.number, created: false });
    expect(gh.repo('acme', 'risk3').pulls.size).toBe(1);
    expect(gh.violations).toEqual([]);

    // the PR is merged (here: by a git merge pushed to the repository), then rolled back through a PR
    sh(r.b, 'fetch', '--quiet', 'origin');
    sh(r.b, 'merge', '--quiet', '--no-ff', '-m', `Merge pull request #${first.pr!.number} from acme/slipway/promote/production/credit-risk-1.0.0`, 'origin/slipway/promote/production/credit-risk-1.0.0');
    sh(r.b, 'push', '--quiet', 'origin', 'main');
    registerGitBackedRepo(gh, 'acme', 'risk3', r.remote);
    const rb = await rollbackInEnvironment(t, { env: 'production', model: 'credit-risk' });
    expect(rb.mode).toBe('pull-request');
    expect(rb.branch).toBe('slipway/rollback/production/credit-risk-1.0.0');
    expect(rb.pr?.created).toBe(true);
    expect(remoteSpec(r.remote, rb.branch, 'production').models?.['credit-risk']).toBeUndefined();
    expect(sh(r.remote, 'log', '-1', '--format=%B', rb.branch)).toContain(`This reverts commit ${again.commit}.`);
    expect(gh.violations).toEqual([]);
  });

  it('the fake refuses a malformed CreateCommitOnBranchInput (the shape is checked)', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk4', r.remote);
    const c = client('acme', 'risk4');
    const before = gh.violations.length;
    await expect(
      c.octokit.graphql('mutation m($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }', {
        input: { branch: { repositoryNameWithOwner: 'acme/risk4', branchName: 'main' }, message: { title: 'x' }, expectedHeadOid: 'abc' },
      }),
    ).rejects.toThrow(/CreateCommitOnBranchInput/);
    expect(gh.violations.length).toBe(before + 1);
    gh.violations.splice(before);
  });

  it('with the git CLI and a token outside Actions: pushes the branch with git and opens the PR through the API', async () => {
    const r = gitopsRepos();
    const p = writeTestPackage(join(r.root, 'pkg'), 'credit-risk', '1.0.0');
    const env = { PATH: process.env.PATH, GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: 'acme/risk5', GITHUB_API_URL: gh.apiUrl };
    const res = await runCli(['promote', '--model', 'credit-risk', '--candidate', p, '--env', 'production', '--approver', '@grace'], r.a, env);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('via origin (git)');
    const pulls = [...gh.repo('acme', 'risk5').pulls.values()];
    expect(pulls).toHaveLength(1);
    expect(res.outputs['pr-url']).toBe(pulls[0].html_url);
    expect(res.outputs['pr-number']).toBe(String(pulls[0].number));
    expect(res.stdout).toContain(`opened pull request #${pulls[0].number}: ${pulls[0].html_url}`);
    expect(sh(r.remote, 'log', '-1', '--format=%an|%s', 'slipway/promote/production/credit-risk-1.0.0').trim()).toBe('Ada Lovelace|promote(production): credit-risk none -> 1.0.0');
    expect(gh.requests.filter((q) => q.template === '/graphql' && q.login === 'github-actions[bot]' && q.body?.variables?.input?.branch?.repositoryNameWithOwner === 'acme/risk5')).toHaveLength(0);
    expect(gh.violations).toEqual([]);
  });
});

/** a commit on `branch` through the API, as someone else (a reviewer) would make it: adds NOTES.md */
async function otherCommit(c: RepoClient, branch: string, parent: string, note = 'looked at it'): Promise<string> {
  const res = await createCommitOnBranch(c, {
    branch: { repositoryNameWithOwner: `${c.owner}/${c.repo}`, branchName: branch },
    message: { headline: `review: ${note}` },
    expectedHeadOid: parent,
    fileChanges: { additions: [{ path: 'NOTES.md', contents: Buffer.from(`${note}\n`).toString('base64') }] },
  });
  if (res === 'stale') throw new Error(`${branch} is not at ${parent}`);
  return res.oid;
}

const updateRefsCalls = (repositoryId: string) => gh.requests.filter((q) => q.template === '/graphql' && q.body?.variables?.input?.repositoryId === repositoryId);
const refOf = (remote: string, branch: string) => sh(remote, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`).trim();

describe('resetting a promotion branch through the GitHub API (updateRefs, compare-and-swap)', () => {
  it('creates an absent branch (beforeOid zeros), answers stale when it is not what was inspected, replaces it when it is, reading the repository id once', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk6', r.remote);
    const state = gh.repo('acme', 'risk6');
    const w = new GitHubApiWriter(client('acme', 'risk6'));
    const main = refOf(r.remote, 'main');
    const branch = 'slipway/promote/production/credit-risk-1.0.0';

    expect(await w.resetBranch(branch, main, null)).toBeUndefined();
    expect(state.refs.get(`heads/${branch}`)).toBe(main);
    expect(refOf(r.remote, branch)).toBe(main);
    expect(updateRefsCalls(state.nodeId)[0].body.variables.input).toEqual({
      repositoryId: state.nodeId,
      refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: ZERO_OID, afterOid: main, force: true }],
    });

    // someone pushes to it after Slipway looked
    const other = await otherCommit(client('acme', 'risk6'), branch, main);
    expect(await w.resetBranch(branch, main, main)).toBe('stale');
    expect(await w.resetBranch(branch, main, null)).toBe('stale');
    expect(state.refs.get(`heads/${branch}`)).toBe(other);
    expect(refOf(r.remote, branch)).toBe(other);

    // what was inspected is still there: replaced (a non-fast-forward, hence force)
    expect(await w.resetBranch(branch, main, other)).toBeUndefined();
    expect(state.refs.get(`heads/${branch}`)).toBe(main);
    expect(refOf(r.remote, branch)).toBe(main);

    // without `expected`: the head is read first and swapped from there
    expect(await w.resetBranch('slipway/promote/production/fraud-2.0.0', main)).toBeUndefined();
    expect(updateRefsCalls(state.nodeId).at(-1)!.body.variables.input.refUpdates[0]).toMatchObject({ beforeOid: ZERO_OID, afterOid: main });
    expect(gh.calls('GET', '/repos/{owner}/{repo}').filter((q) => q.path === '/repos/acme/risk6')).toHaveLength(1);
    expect(gh.violations).toEqual([]);
  });

  it('a refusal while the branch is still what was inspected is an error (not stale), with no token in it', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk7', r.remote);
    const w = new GitHubApiWriter(client('acme', 'risk7'));
    const main = refOf(r.remote, 'main');
    const missing = 'f'.repeat(40);
    const err = await w.resetBranch('slipway/x', missing, null).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/GitHub API: update refs\/heads\/slipway\/x failed: UNPROCESSABLE: Object f{40} does not exist/);
    expect(err?.message).not.toContain(TOKEN);
    expect(gh.repo('acme', 'risk7').refs.has('heads/slipway/x')).toBe(false);
    expect(refOf(r.remote, 'main')).toBe(main);
    expect(gh.violations).toEqual([]);
  });

  it('the fake applies updateRefs all or nothing, refuses a non-fast-forward without force and a malformed input', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk8', r.remote);
    const c = client('acme', 'risk8');
    const state = gh.repo('acme', 'risk8');
    const main = refOf(r.remote, 'main');
    const repositoryId = (await c.octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'risk8' })).data.node_id;
    expect(repositoryId).toBe(state.nodeId);
    const update = (refUpdates: object[]) => c.octokit.graphql(UPDATE_REFS, { input: { repositoryId, refUpdates } });

    // the second update's beforeOid is wrong: the first is not applied either
    await expect(
      update([
        { name: 'refs/heads/a', beforeOid: ZERO_OID, afterOid: main },
        { name: 'refs/heads/main', beforeOid: 'e'.repeat(40), afterOid: main },
      ]),
    ).rejects.toThrow(/refs\/heads\/main: it does not point to e{40}/);
    expect(state.refs.has('heads/a')).toBe(false);
    expect(sh(r.remote, 'for-each-ref', 'refs/heads/a').trim()).toBe('');

    await update([{ name: 'refs/heads/a', beforeOid: ZERO_OID, afterOid: main }]);
    const ahead = await otherCommit(c, 'a', main);
    await expect(update([{ name: 'refs/heads/a', beforeOid: ahead, afterOid: main }])).rejects.toThrow(/not a fast forward/);
    expect(state.refs.get('heads/a')).toBe(ahead);
    await update([{ name: 'refs/heads/a', beforeOid: ahead, afterOid: main, force: true }]);
    expect(refOf(r.remote, 'a')).toBe(main);
    await expect(update([{ name: 'refs/heads/a', afterOid: main }].map((u) => ({ ...u, name: 'heads/a' })))).rejects.toThrow(/UpdateRefsInput/);
    await expect(c.octokit.graphql(UPDATE_REFS, { input: { repositoryId: 'MDEwOlJlcG9zaXRvcnkx', refUpdates: [] } })).rejects.toThrow(/Could not resolve to a node/);
    expect(gh.violations).toHaveLength(1);
    gh.violations.splice(0);
  });

  it('a push to the promotion branch between Slipway inspecting and resetting it is not overwritten: stale, checked again, refused', async () => {
    const r = gitopsRepos();
    registerGitBackedRepo(gh, 'acme', 'risk9', r.remote);
    const c = client('acme', 'risk9');
    const req = { env: 'production', model: 'credit-risk', version: '1.0.0', digest: digest('a'), approvers: ['@grace'] };
    const first = await promoteToEnvironment(apiTarget(r.a, c), req);
    let reviewer = '';
    class Raced extends GitHubApiWriter {
      override async resetBranch(branch: string, commit: string, expected?: string | null) {
        if (!reviewer) reviewer = await otherCommit(c, branch, expected!, 'reviewer fix');
        return super.resetBranch(branch, commit, expected);
      }
    }
    const logs: string[] = [];
    const t = { ...apiTarget(r.a, c, new Raced(c)), log: (l: string) => logs.push(l) };
    await expect(promoteToEnvironment(t, req)).rejects.toThrow(/refusing to replace slipway\/promote\/production\/credit-risk-1\.0\.0: it holds 1 commit .*review: reviewer fix/);
    expect(logs.join('\n')).toMatch(/slipway\/promote\/production\/credit-risk-1\.0\.0 moved while Slipway replaced it; checking it again/);
    // the reviewer's commit is the branch head, on top of Slipway's, in GitHub's state and in the repository
    expect(gh.repo('acme', 'risk9').refs.get(`heads/${first.branch}`)).toBe(reviewer);
    expect(refOf(r.remote, first.branch)).toBe(reviewer);
    expect(sh(r.remote, 'log', '-1', '--format=%P', reviewer).trim()).toBe(first.commit);
    const resets = updateRefsCalls(gh.repo('acme', 'risk9').nodeId);
    expect(resets.map((q) => q.body.variables.input.refUpdates[0].beforeOid)).toEqual([ZERO_OID, first.commit]);
    expect(gh.violations).toEqual([]);
  });
});
