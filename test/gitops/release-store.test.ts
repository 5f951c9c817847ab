import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, IntegrityError } from '../../src/errors.js';
import { createGitHub } from '../../src/github/client.js';
import { packageDigest } from '../../src/store/digest.js';
import { GitHubReleaseStore, parseReleaseUri } from '../../src/store/github-release.js';
import { openStore } from '../../src/store/open.js';
import { tarDirectory, untar } from '../../src/store/tar.js';
import { readManifest } from '../../src/gitops/manifest.js';
import { GitHubTestServer } from '../support/github/server.js';
import { tempDir } from '../support/tmp.js';
import { canMountTmpfs, withFullDisk } from '../fs/full-disk.js';
import { runCli } from '../support/cli.js';
import { gitopsRepos, sh } from './repos.js';
import { writeTestPackage } from './package.js';

const TOKEN = 'ghp_releasestoretoken0123456789';

/** Rewrites the package's model file (another 'slipway train --out' landing). */
function writePackageFile(pkg: string): void {
  writeFileSync(join(pkg, 'model.onnx'), Buffer.concat([readFileSync(join(pkg, 'model.onnx')), Buffer.from('x')]));
}
let gh: GitHubTestServer;
beforeAll(async () => {
  gh = await GitHubTestServer.start();
  gh.addToken(TOKEN, 'release-bot');
});
afterAll(() => gh.close());

const tmp = tempDir('slipway-release-');
let n = 0;
function store(repo = 'models'): GitHubReleaseStore {
  return new GitHubReleaseStore(`github-release://acme/${repo}`, {
    cacheDir: join(tmp.dir, `cache-${++n}`),
    client: { octokit: createGitHub({ token: TOKEN, apiUrl: gh.apiUrl, waitScale: 0.001 }), owner: 'acme', repo },
  });
}

describe('github-release:// store', () => {
  it('publishes one release per model version with the package as a tar asset, and reads it back verified', async () => {
    const pkg = writeTestPackage(join(tmp.dir, 'p1'), 'credit-risk', '1.0.0');
    const d = await packageDigest(pkg);
    const s = store();
    expect(await s.put(pkg)).toBe(d);
    expect(await s.put(pkg)).toBe(d); // idempotent
    const state = gh.repo('acme', 'models');
    const releases = [...state.releases.values()];
    expect(releases.map((r) => r.tag_name)).toEqual(['credit-risk-1.0.0']);
    const assets = [...state.assets.values()];
    expect(assets.map((a) => a.meta.name)).toEqual([`credit-risk-1.0.0-sha256-${d.slice(7)}.tar`]);
    expect(releases[0].body).toContain(d);

    // a fresh machine (empty cache) downloads, verifies and caches it
    const fresh = store();
    expect(await fresh.has(d)).toBe(true);
    const dir = await fresh.get(d);
    expect(await packageDigest(dir)).toBe(d);
    expect(readFileSync(join(dir, 'slipway.json'), 'utf8')).toBe(readFileSync(join(pkg, 'slipway.json'), 'utf8'));
    expect(await fresh.list()).toEqual([d]);
    const downloads = gh.calls('GET', '/repos/{owner}/{repo}/releases/assets/{asset_id}').length;
    await fresh.get(d); // from the verified cache
    expect(gh.calls('GET', '/repos/{owner}/{repo}/releases/assets/{asset_id}').length).toBe(downloads);
    expect(gh.violations).toEqual([]);

    // a version names one package
    const other = writeTestPackage(join(tmp.dir, 'p1b'), 'credit-risk', '1.0.0', 'different bytes');
    await expect(s.put(other)).rejects.toThrow(/release credit-risk-1\.0\.0 .* already holds another package/);
  });

  it('concurrent publishes of one version: the same package succeeds for all, different packages leave exactly one', async () => {
    // two promotions publishing at once both found no release and both created it: the second got
    // GitHub's 422 'already_exists' as an error, even when it was publishing the very same package
    const pkg = writeTestPackage(join(tmp.dir, 'c1'), 'credit-risk', '1.0.0');
    const d = await packageDigest(pkg);
    expect(await Promise.all([store('race').put(pkg), store('race').put(pkg), store('race').put(pkg)])).toEqual([d, d, d]);
    expect([...gh.repo('acme', 'race').assets.values()].map((a) => a.meta.name)).toEqual([`credit-risk-1.0.0-sha256-${d.slice(7)}.tar`]);

    const a = writeTestPackage(join(tmp.dir, 'c2a'), 'credit-risk', '2.0.0', 'a');
    const b = writeTestPackage(join(tmp.dir, 'c2b'), 'credit-risk', '2.0.0', 'b');
    const results = await Promise.allSettled([store('race').put(a), store('race').put(b)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won.length).toBe(1);
    expect(lost.length).toBe(1);
    expect(lost[0].reason).toBeInstanceOf(IntegrityError);
    expect((lost[0].reason as Error).message).toMatch(/release credit-risk-2\.0\.0 .* already holds another package .*a version names one package/);
    const release = [...gh.repo('acme', 'race').releases.values()].find((r) => r.tag_name === 'credit-risk-2.0.0')!;
    const held = [...gh.repo('acme', 'race').assets.values()].filter((x) => x.releaseId === release.id);
    expect(held.map((x) => x.meta.name)).toEqual([`credit-risk-2.0.0-sha256-${(won[0] as PromiseFulfilledResult<string>).value.slice(7)}.tar`]);
    expect(gh.violations).toEqual([]);
  });

  it('an upload cut short (asset not "uploaded") is replaced on the next publish, and never downloaded', async () => {
    const pkg = writeTestPackage(join(tmp.dir, 'c3'), 'credit-risk', '3.0.0');
    const d = await packageDigest(pkg);
    await store('partial').put(pkg);
    const [asset] = [...gh.repo('acme', 'partial').assets.values()];
    asset.meta.state = 'open';
    asset.data = asset.data.subarray(0, 700);
    await expect(store('partial').get(d)).rejects.toThrow(/is not in the store/);
    expect(await store('partial').put(pkg)).toBe(d); // it was taken as published, and never repaired
    const now = [...gh.repo('acme', 'partial').assets.values()];
    expect(now.map((x) => x.meta.state)).toEqual(['uploaded']);
    expect(await packageDigest(await store('partial').get(d))).toBe(d);
    expect(gh.violations).toEqual([]);
  });

  it('a package that changes between its digest and its upload is refused, and no asset names the wrong bytes', async () => {
    // the digest (the asset's name) was computed before the tar was read: a package rewritten in between was
    // uploaded under the old digest, every download of it failed to verify, and the next put of the same
    // package found the asset 'uploaded' and never replaced it
    const pkg = writeTestPackage(join(tmp.dir, 'p-changing'), 'credit-risk', '4.0.0');
    const d = await packageDigest(pkg);
    const octokit = createGitHub({ token: TOKEN, apiUrl: gh.apiUrl, waitScale: 0.001 });
    const s = new GitHubReleaseStore('github-release://acme/changing', {
      cacheDir: join(tmp.dir, `cache-${++n}`),
      // the first API call comes after the digest and before the tar: the package is rewritten there
      client: () => {
        writePackageFile(pkg);
        return { octokit, owner: 'acme', repo: 'changing' };
      },
    });
    await expect(s.put(pkg)).rejects.toThrow(IntegrityError);
    await expect(s.put(pkg)).resolves.toBe(await packageDigest(pkg));
    const names = [...gh.repo('acme', 'changing').assets.values()].map((a) => a.meta.name);
    expect(names).toEqual([`credit-risk-4.0.0-sha256-${(await packageDigest(pkg)).slice(7)}.tar`]);
    expect(names.some((x) => x.includes(d.slice(7)))).toBe(false);
  });

  it.skipIf(!canMountTmpfs)('a download into a full cache disk is an input error naming the asset and the cache, and leaves nothing there', async () => {
    // untar's write(2) failed with an ENOSPC that named no file: 'internal error (a bug in slipway…)'
    const pkg = writeTestPackage(join(tmp.dir, 'p-full'), 'credit-risk', '5.0.0');
    writeFileSync(join(pkg, 'slipway.json'), readFileSync(join(pkg, 'slipway.json'), 'utf8').replace('"default"', `"${'d'.repeat(1 << 20)}"`));
    const d = await store('full').put(pkg);
    await withFullDisk(async (disk) => {
      const fresh = new GitHubReleaseStore('github-release://acme/full', {
        cacheDir: join(disk, 'cache'),
        client: { octokit: createGitHub({ token: TOKEN, apiUrl: gh.apiUrl, waitScale: 0.001 }), owner: 'acme', repo: 'full' },
      });
      const e = await fresh.get(d).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toBe(`cannot download credit-risk-5.0.0-${d.replace(':', '-')}.tar from github-release://acme/full into the cache ${join(disk, 'cache')}: no space left on the device (ENOSPC)`);
      expect(readdirSync(join(disk, 'cache'))).toEqual([]);
    });
  });

  it('a package larger than a release asset can be (2 GiB) is refused before anything is read or sent', async () => {
    // it was read whole into memory: past 2 GiB readFile threw ERR_FS_FILE_TOO_LARGE, an internal error with a stack
    const pkg = writeTestPackage(join(tmp.dir, 'big'), 'credit-risk', '4.0.0');
    truncateSync(join(pkg, 'model.onnx'), 2 ** 31 + 1); // sparse: no disk used, nothing hashed
    const before = gh.calls('POST', '/repos/{owner}/{repo}/releases').length;
    const err = await store('big').put(pkg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/holds 2147\d+ bytes, more than a GitHub release asset can \(2 GiB\)/);
    expect(gh.calls('POST', '/repos/{owner}/{repo}/releases').length).toBe(before);
  });

  it('never returns a tampered download', async () => {
    const pkg = writeTestPackage(join(tmp.dir, 'p2'), 'fraud', '2.0.0');
    const d = await packageDigest(pkg);
    await store('tamper').put(pkg);
    const asset = [...gh.repo('acme', 'tamper').assets.values()][0];
    const original = asset.data;
    // 1. bytes changed, GitHub's recorded asset digest no longer matches
    const evil = Buffer.from(original);
    evil[evil.indexOf(Buffer.from('onnx model of')) + 1] ^= 1;
    asset.data = evil;
    await expect(store('tamper').get(d)).rejects.toThrow(IntegrityError);
    // 2. bytes and the recorded digest both changed: the package digest still catches it
    asset.meta.digest = `sha256:${createHash('sha256').update(evil).digest('hex')}`;
    const s = store('tamper');
    await expect(s.get(d)).rejects.toThrow(/hashes to sha256:[0-9a-f]{64}; refusing to use it/);
    expect(await s.list()).toEqual([d]);
    asset.data = original;
  });

  it('is what openStore gives for github-release:// and parses its URIs strictly', () => {
    const s = openStore('github-release://acme/models', tmp.dir);
    expect(s).toBeInstanceOf(GitHubReleaseStore);
    expect(s.uri).toBe('github-release://acme/models');
    expect(parseReleaseUri('github-release://acme/models/credit-risk-1.0.0')).toEqual({ owner: 'acme', repo: 'models', tag: 'credit-risk-1.0.0' });
    expect(() => parseReleaseUri('github-release://acme/../x')).toThrow(/expected github-release:\/\/owner\/repo/);
    expect(() => parseReleaseUri('github-release://acme')).toThrow();
  });

  it('promote publishes to the store the environment names', async () => {
    const r = gitopsRepos({
      'environments/staging.yaml': 'apiVersion: slipway/v1\nkind: Environment\nname: staging\npromotion: push\nstore: github-release://acme/published\nmodels: {}\n',
    });
    const pkg = writeTestPackage(join(r.root, 'pkg'), 'credit-risk', '1.2.0');
    const d = await packageDigest(pkg);
    const res = await runCli(['promote', '--model', 'credit-risk', '--candidate', pkg, '--env', 'staging'], r.a, { PATH: process.env.PATH, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.apiUrl });
    expect(res.code).toBe(0);
    expect(res.outputs.uri).toBe('github-release://acme/published/credit-risk-1.2.0');
    const spec = readManifest(sh(r.remote, 'show', 'main:environments/staging.yaml'), 'staging').spec;
    expect(spec.models?.['credit-risk']).toEqual({ version: '1.2.0', digest: d, uri: 'github-release://acme/published/credit-risk-1.2.0' });
    expect([...gh.repo('acme', 'published').releases.values()].map((x) => x.tag_name)).toEqual(['credit-risk-1.2.0']);
    // the pinned uri opens the store and the digest fetches the package
    const back = await openStore(spec.models!['credit-risk'].uri!, join(tmp.dir, 'server'));
    expect(back).toBeInstanceOf(GitHubReleaseStore);
    expect(gh.violations).toEqual([]);
  });
});

describe('package tar', () => {
  it('round-trips deterministically and refuses unsafe archives', async () => {
    const pkg = writeTestPackage(join(tmp.dir, 't1'), 'm', '1.0.0');
    const a = await tarDirectory(pkg);
    expect((await tarDirectory(pkg)).equals(a)).toBe(true);
    const out = join(tmp.dir, 't1-out');
    mkdirSync(out);
    expect(await untar(a, out)).toEqual(['model.onnx', 'slipway.json']);
    expect(await packageDigest(out)).toBe(await packageDigest(pkg));

    // the first header renamed to ../model.onnx, with a valid checksum
    const h = Buffer.from(a.subarray(0, 512));
    h.fill(0, 0, 100);
    h.write('../model.onnx', 0, 'utf8');
    h.write('        ', 148, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    const traversal = Buffer.concat([h, a.subarray(512)]);
    const dest = join(tmp.dir, 't1-evil');
    mkdirSync(dest);
    await expect(untar(traversal, dest)).rejects.toThrow(/refusing unsafe path "\.\.\/model\.onnx"/);
    const link = Buffer.from(a.subarray(0, 512));
    link.write('2', 156, 'ascii');
    link.write('        ', 148, 'ascii');
    sum = 0;
    for (const b of link) sum += b;
    link.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    const dest2 = join(tmp.dir, 't1-link');
    mkdirSync(dest2);
    await expect(untar(Buffer.concat([link, a.subarray(512)]), dest2)).rejects.toThrow(/not a regular file \(tar type '2'\)/);
    const corrupt = Buffer.from(a);
    corrupt[10] ^= 0xff;
    await expect(untar(corrupt, join(tmp.dir, 'x'))).rejects.toThrow(/corrupt tar header/);
    // and GNU tar reads what we write
    const archive = join(tmp.dir, 't1.tar');
    writeFileSync(archive, a);
    // tar lists times in the local time zone: read them in UTC, where mtime 0 is 1970-01-01 00:00
    expect(execFileSync('tar', ['-tvf', archive], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } })).toMatch(/-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00 model\.onnx\n-rw-r--r-- 0\/0 .* slipway\.json\n/);
  });
});
