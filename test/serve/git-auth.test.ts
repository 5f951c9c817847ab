/**
 * Serving from a private repository: a GitHub token reaches git as an Authorization header through the
 * environment (never in a URL or an argument, which the process list shows), only for the GitHub server.
 * Against a real git smart-HTTP server (git http-backend) that refuses requests without the token.
 */
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitAuthEnv } from '../../src/serve/git-auth.js';
import { GitRunner } from '../../src/serve/git-runner.js';
import { GitSource, stallLimits } from '../../src/serve/git-source.js';
import { startServe } from '../../src/serve/serve.js';
import { startGitHttp, type GitHttpServer } from '../support/git-http.js';
import { buildWorld, ENV, git, type World } from './fixtures.js';

const TOKEN = 'ghs_fakeTokenForTests0123456789';
let w: World;
let gh: GitHttpServer;
let head: string;

beforeAll(async () => {
  w = await buildWorld({ l2s: [1] });
  head = w.pin({ 'credit-risk': { pkg: w.packages[0] } }, 'promote 1.0.0');
  gh = await startGitHttp(w.root, TOKEN);
});

afterAll(async () => {
  await gh?.close();
  if (w) rmSync(w.root, { recursive: true, force: true });
});

describe('gitAuthEnv', () => {
  it('adds an Authorization header for the GitHub server only, after the GIT_CONFIG_* entries already set', () => {
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    expect(gitAuthEnv('https://github.com/acme/gitops.git', TOKEN, 'https://github.com', {})).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
    });
    expect(gitAuthEnv('https://GitHub.com/acme/gitops.git', TOKEN, 'https://github.com/', { GIT_CONFIG_COUNT: '2' })).toMatchObject({ GIT_CONFIG_COUNT: '3', GIT_CONFIG_KEY_2: 'http.https://github.com/.extraheader' });
    // never to another host, nor to a look-alike one, nor over ssh, nor where the URL has a credential of its own; nothing without a token
    for (const repo of ['https://gitlab.com/acme/gitops.git', 'https://github.com.evil.example/acme/gitops.git', 'git@github.com:acme/gitops.git', 'https://robot:pw@github.com/acme/gitops.git', '/srv/gitops']) {
      expect(gitAuthEnv(repo, TOKEN, 'https://github.com', {}), repo).toBeUndefined();
    }
    expect(gitAuthEnv('https://github.com/acme/gitops.git', undefined, 'https://github.com', {})).toBeUndefined();
    // GitHub Enterprise Server: GITHUB_SERVER_URL names it
    expect(gitAuthEnv('https://ghe.example.com/acme/gitops.git', TOKEN, 'https://ghe.example.com', {})?.GIT_CONFIG_KEY_0).toBe('http.https://ghe.example.com/.extraheader');
  });
});

describe('a remote that stalls', () => {
  it("fails the fetch once git's HTTP transfer stays below the low-speed limit, unless the environment sets its own", async () => {
    expect(stallLimits({})).toEqual({ GIT_HTTP_LOW_SPEED_LIMIT: '1000', GIT_HTTP_LOW_SPEED_TIME: '30' });
    expect(stallLimits({ GIT_HTTP_LOW_SPEED_TIME: '120' })).toEqual({});
    // accepts the connection, reads the request, never answers
    const hole = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hole.address() as AddressInfo).port}/remote.git`;
      // the limit as stallLimits sets it, over 1 s instead of 30 so that the test is quick
      const source = new GitSource(url, 'main', join(w.root, 'cache-stall'), w.root, undefined, { ...stallLimits({}), GIT_HTTP_LOW_SPEED_TIME: '1' });
      const t0 = Date.now();
      await expect(source.fetch()).rejects.toThrow(/Operation too slow/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      hole.close();
    }
  });
});

describe('fetching a repository that needs the token', () => {
  it('fetches with the header, spawned here or through the helper process, and fails without it, the token named nowhere', async () => {
    const url = `${gh.url}/remote.git`;
    const auth = gitAuthEnv(url, TOKEN, gh.url, {});
    const runner = new GitRunner();
    try {
      for (const [i, run] of [undefined, runner.run].entries()) {
        const source = new GitSource(url, 'main', join(w.root, `cache-${i}`), w.root, run, auth);
        const before = gh.authorizations.length;
        expect(await source.fetch()).toBe(head);
        source.close();
        const sent = gh.authorizations.slice(before);
        expect(sent.length).toBeGreaterThan(0);
        expect(new Set(sent)).toEqual(new Set([`basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`]));
      }
      const without = new GitSource(url, 'main', join(w.root, 'cache-none'), w.root, runner.run);
      const e = await without.fetch().then(() => null, (err: Error) => err);
      expect(e?.message).toMatch(/could not read Username[^]*\nThe repository needs credentials: for GitHub, a plain https:\/\/ URL and a token that can read it in SLIPWAY_GITHUB_TOKEN/);
      expect(e?.message).not.toContain(TOKEN);
    } finally {
      runner.close();
    }
    expect(git(w.root, 'ls-remote', join(w.root, 'remote.git'), 'refs/heads/main').split('\t')[0]).toBe(head);
  });

  it('slipway serve takes the token from SLIPWAY_GITHUB_TOKEN for the GitHub server and says so; a token in the URL gets a notice', async () => {
    const lines: string[] = [];
    const s = await startServe({
      environment: ENV,
      repo: `${gh.url}/remote.git`,
      branch: 'main',
      host: '127.0.0.1',
      port: 0,
      intervalMs: 0,
      store: w.storePath,
      env: { ...process.env, SLIPWAY_GITHUB_TOKEN: TOKEN, GITHUB_TOKEN: '', GITHUB_SERVER_URL: gh.url },
      log: (l) => lines.push(l),
    });
    try {
      const status = s.reconciler.status();
      expect([status.sync.status, status.sync.desiredCommit]).toEqual(['Synced', head]);
      expect(lines).toContain(`fetching ${gh.url}/remote.git with the GitHub token (SLIPWAY_GITHUB_TOKEN or GITHUB_TOKEN)`);
      expect(lines.join('\n')).not.toContain(TOKEN);
    } finally {
      await s.stop(5000);
    }
    const inUrl: string[] = [];
    const t = await startServe({ environment: ENV, repo: gh.url.replace('http://', `http://x-access-token:${TOKEN}@`) + '/remote.git', branch: 'main', host: '127.0.0.1', port: 0, intervalMs: 0, store: w.storePath, env: { ...process.env, SLIPWAY_GITHUB_TOKEN: '', GITHUB_TOKEN: '' }, log: (l) => inUrl.push(l) });
    try {
      expect(t.reconciler.status().sync.status).toBe('Synced');
      expect(inUrl.join('\n')).toMatch(/notice: the --repo URL holds a credential, which any user of this machine can read in the process list/);
      expect(inUrl.join('\n')).not.toContain(TOKEN);
    } finally {
      await t.stop(5000);
    }
  });
});
