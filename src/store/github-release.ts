import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalError, InputError, IntegrityError, UsageError } from '../errors.js';
import { readEnv } from '../env.js';
import { fileSystemReason } from '../fs/fs-error.js';
import { call, createGitHub, pagesOf, toGitHubError, type RepoClient } from '../github/client.js';
import { CARD_FILE } from '../package/card.js';
import { assertDigest, listingDigest, packageDigest, packageFiles } from './digest.js';
import { FileStore } from './file-store.js';
import { registerStoreBackend } from './open.js';
import { tarDirectory, tarEntries, untar } from './tar.js';
import type { ModelStore } from './types.js';

/**
 * `github-release://owner/repo`: one GitHub release per model version (tag `<model>-<version>`),
 * the package as a tar asset named `<model>-<version>-sha256-<hex>.tar`. Downloads are extracted
 * into a temporary directory and verified by digest before anything uses them; verified packages
 * are kept in a local file store cache.
 */

export interface ReleaseLocation {
  owner: string;
  repo: string;
  /** a tag, when the URI names one (github-release://owner/repo/<model>-<version>) */
  tag?: string;
}

export function parseReleaseUri(uri: string): ReleaseLocation {
  const m = /^github-release:\/\/([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})(?:\/([A-Za-z0-9._-]{1,200}))?\/?$/.exec(uri);
  if (!m || m[2] === '.' || m[2] === '..') throw new UsageError(`invalid store ${JSON.stringify(uri)}: expected github-release://owner/repo`);
  return { owner: m[1], repo: m[2], ...(m[3] ? { tag: m[3] } : {}) };
}

interface Asset {
  id: number;
  name: string;
  digest?: string | null;
  size: number;
  /** 'uploaded' once complete; an upload cut short stays 'open' */
  state?: string;
}

const uploaded = (a: Asset) => a.state === undefined || a.state === 'uploaded';

/** GitHub's 422 for a release tag or an asset name that is taken. */
function alreadyExists(e: unknown): boolean {
  const err = e as { status?: number; response?: { data?: { errors?: { code?: string }[] } } };
  return err.status === 422 && (err.response?.data?.errors ?? []).some((x) => x.code === 'already_exists');
}

interface Release {
  id: number;
  tag_name: string;
  upload_url: string;
  assets: Asset[];
}

/** Refusals of a write that are about the disk it goes to. */
const DESTINATION_FULL = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

const ASSET = /-sha256-([0-9a-f]{64})\.tar$/;

/** GitHub's limit on one release asset; the tar adds a header per file and two end blocks. */
const MAX_ASSET_BYTES = 2 ** 31 - 64 * 1024;

export interface GitHubReleaseStoreOptions {
  /** the API client for owner/repo (or a function making it when first needed) */
  client: RepoClient | (() => RepoClient);
  /** where verified downloads are kept (a file store) */
  cacheDir: string;
  log?: (line: string) => void;
}

export class GitHubReleaseStore implements ModelStore {
  readonly uri: string;
  readonly location: ReleaseLocation;
  private readonly cache: FileStore;
  private client?: RepoClient;

  constructor(
    uri: string,
    private readonly opts: GitHubReleaseStoreOptions,
  ) {
    this.location = parseReleaseUri(uri);
    this.uri = `github-release://${this.location.owner}/${this.location.repo}`;
    this.cache = new FileStore(opts.cacheDir);
  }

  private gh(): RepoClient {
    this.client ??= typeof this.opts.client === 'function' ? this.opts.client() : this.opts.client;
    return this.client;
  }

  private params() {
    return { owner: this.location.owner, repo: this.location.repo };
  }

  private async releaseByTag(tag: string): Promise<Release | null> {
    try {
      const res = await this.gh().octokit.request('GET /repos/{owner}/{repo}/releases/tags/{tag}', { ...this.params(), tag });
      return res.data as unknown as Release;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw toGitHubError(`read release ${tag}`, e);
    }
  }

  /** The asset holding `digest`: in the release the URI names when it has one, else searched across every release. */
  private async findAsset(digest: string): Promise<Asset | null> {
    const hex = assertDigest(digest).slice('sha256:'.length);
    const match = (a: Asset) => ASSET.exec(a.name)?.[1] === hex && uploaded(a);
    if (this.location.tag) {
      const r = await this.releaseByTag(this.location.tag);
      const hit = r?.assets.find(match);
      if (hit) return hit;
    }
    for await (const page of pagesOf('list releases', this.gh().octokit.paginate.iterator('GET /repos/{owner}/{repo}/releases', { ...this.params(), per_page: 100 }))) {
      for (const r of page.data as unknown as Release[]) {
        const hit = r.assets.find(match);
        if (hit) return hit;
      }
    }
    return null;
  }

  async put(dir: string): Promise<string> {
    let size = 0;
    for (const f of await packageFiles(dir)) size += (await stat(join(dir, f))).size;
    if (size > MAX_ASSET_BYTES) {
      throw new InputError(`${dir}: the package holds ${size} bytes, more than a GitHub release asset can (2 GiB); publish it to a file:// store (or one KServe downloads) instead`);
    }
    const digest = await packageDigest(dir);
    const card = JSON.parse(await readFile(join(dir, CARD_FILE), 'utf8')) as { name?: string; version?: string };
    if (!card.name || !card.version) throw new InputError(`${dir}: ${CARD_FILE} has no name and version; a release is named after them`);
    const tag = `${card.name}-${card.version}`;
    const name = `${tag}-${digest.replace(':', '-')}.tar`;
    const release = (await this.releaseByTag(tag)) ?? (await this.createRelease(tag, card as { name: string; version: string }, digest));
    const held = release.assets.filter((a) => ASSET.test(a.name));
    const other = held.find((a) => a.name !== name);
    if (other) throw this.otherPackage(tag, other);
    const mine = held.find((a) => a.name === name);
    if (mine && uploaded(mine)) {
      await this.cache.put(dir);
      return digest;
    }
    // an upload cut short (the publisher died mid-upload) leaves an asset that is not 'uploaded' and blocks the name
    if (mine) await this.deleteAsset(mine, 'an unfinished upload');
    const bytes = await tarDirectory(dir);
    // the asset's name says its digest: the bytes sent must be that package (it may have changed since it was hashed)
    const sent = listingDigest(tarEntries(bytes).map((e) => [e.name, createHash('sha256').update(e.data).digest('hex')]));
    if (sent !== digest) throw new IntegrityError(`${dir} changed while it was being published (${digest} became ${sent}); nothing was uploaded: run the command again once the package is written`);
    this.opts.log?.(`uploading ${name} (${bytes.length} bytes) to release ${tag}`);
    try {
      await this.gh().octokit.request({ method: 'POST', url: release.upload_url, name, headers: { 'content-type': 'application/x-tar', 'content-length': bytes.length }, data: bytes });
    } catch (e) {
      // a concurrent publish of the same package uploaded the same name first: checked below like any other
      if (!alreadyExists(e)) throw toGitHubError(`upload ${name}`, e);
    }
    // two publishers of one version with different packages can both have uploaded: the first asset wins
    const now = (await this.releaseByTag(tag))?.assets.filter((a) => ASSET.test(a.name)).sort((a, b) => a.id - b.id) ?? [];
    const winner = now[0];
    if (!winner || winner.name !== name) {
      for (const a of now) if (a.name === name) await this.deleteAsset(a, 'a losing concurrent publish');
      throw this.otherPackage(tag, winner ?? { name: '(none: the release was emptied meanwhile)' });
    }
    await this.cache.put(dir);
    return digest;
  }

  /** Creates the release for `tag`; one created meanwhile by a concurrent publish is read back instead. */
  private async createRelease(tag: string, card: { name: string; version: string }, digest: string): Promise<Release> {
    try {
      const res = await this.gh().octokit.request('POST /repos/{owner}/{repo}/releases', {
        ...this.params(),
        tag_name: tag,
        name: `${card.name} ${card.version}`,
        body: `Model package for ${card.name} ${card.version}, published by Slipway.\n\nDigest: \`${digest}\`\n`,
      });
      return res.data as unknown as Release;
    } catch (e) {
      const existing = alreadyExists(e) ? await this.releaseByTag(tag) : null;
      if (existing) return existing;
      throw toGitHubError(`create release ${tag}`, e);
    }
  }

  private otherPackage(tag: string, held: Pick<Asset, 'name'>): IntegrityError {
    return new IntegrityError(`release ${tag} in ${this.location.owner}/${this.location.repo} already holds another package (${held.name}); a version names one package`);
  }

  private async deleteAsset(a: Asset, why: string): Promise<void> {
    this.opts.log?.(`deleting ${a.name} from ${this.uri}: ${why}`);
    await call(`delete ${a.name}`, () => this.gh().octokit.request('DELETE /repos/{owner}/{repo}/releases/assets/{asset_id}', { ...this.params(), asset_id: a.id }));
  }

  async get(digest: string): Promise<string> {
    assertDigest(digest);
    if (await this.cache.has(digest)) {
      try {
        return await this.cache.get(digest);
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
        this.opts.log?.(`cached copy of ${digest} does not verify; downloading it again`);
      }
    }
    const asset = await this.findAsset(digest);
    if (!asset) throw new InputError(`${digest} is not in the store ${this.uri} (no release asset holds it)`);
    const res = await call(`download ${asset.name}`, () =>
      this.gh().octokit.request('GET /repos/{owner}/{repo}/releases/assets/{asset_id}', { ...this.params(), asset_id: asset.id, headers: { accept: 'application/octet-stream' } }),
    );
    const bytes = Buffer.from(res.data as unknown as ArrayBuffer);
    if (asset.digest && asset.digest !== `sha256:${createHash('sha256').update(bytes).digest('hex')}`) {
      throw new IntegrityError(`the download of ${asset.name} does not match the digest GitHub recorded for it (${asset.digest}); refusing to use it`);
    }
    const tmp = join(this.opts.cacheDir, `.download-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(this.opts.cacheDir, { recursive: true });
      await mkdir(tmp);
      await untar(bytes, tmp, `${this.uri} asset ${asset.name}`);
      const actual = await packageDigest(tmp);
      if (actual !== digest) throw new IntegrityError(`package ${digest} downloaded from ${this.uri} (${asset.name}) hashes to ${actual}; refusing to use it`);
      await this.cache.put(tmp);
    } catch (e) {
      // a full cache disk: said as such (write(2)'s ENOSPC names no file; the cache's own message names the temporary copy)
      const errno = ((e as NodeJS.ErrnoException).code ? e : (e as Error).cause) as NodeJS.ErrnoException | undefined;
      if (!DESTINATION_FULL.has(errno?.code ?? '')) throw e;
      throw new InputError(`cannot download ${asset.name} from ${this.uri} into the cache ${this.opts.cacheDir}: ${fileSystemReason(errno)}`, { cause: e });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return this.cache.get(digest);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.cache.has(digest)) || (await this.findAsset(digest)) !== null;
  }

  async list(): Promise<string[]> {
    const out = new Set<string>();
    for await (const page of pagesOf('list releases', this.gh().octokit.paginate.iterator('GET /repos/{owner}/{repo}/releases', { ...this.params(), per_page: 100 }))) {
      for (const r of page.data as unknown as Release[]) for (const a of r.assets) {
        const hex = ASSET.exec(a.name)?.[1];
        if (hex) out.add(`sha256:${hex}`);
      }
    }
    return [...out].sort();
  }
}

/** A release store whose token and API URL come from `env` (GITHUB_TOKEN / SLIPWAY_GITHUB_TOKEN, GITHUB_API_URL). */
export function releaseStore(uri: string, repoRoot: string, env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): GitHubReleaseStore {
  const loc = parseReleaseUri(uri);
  return new GitHubReleaseStore(uri, {
    cacheDir: join(repoRoot, '.slipway', 'cache', 'github-release', loc.owner, loc.repo),
    log,
    client: () => {
      const e = readEnv(env);
      if (!e.githubToken) throw new ExternalError(`the store ${uri} needs a GitHub token (GITHUB_TOKEN or SLIPWAY_GITHUB_TOKEN)`);
      return { octokit: createGitHub({ token: e.githubToken, apiUrl: e.githubApiUrl }), owner: loc.owner, repo: loc.repo };
    },
  });
}

/** `import '…/store/github-release.js'` makes openStore understand github-release:// (token from process.env). */
registerStoreBackend('github-release', (uri, repoRoot) => releaseStore(uri, repoRoot));
