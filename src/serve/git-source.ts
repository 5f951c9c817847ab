/**
 * The serving side's view of git: a private bare cache that fetches one branch of the GitOps
 * repository (a local path or any URL git understands) and reads files at a commit with `git show`.
 * The working tree of a local repository is never touched.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ExternalError, UsageError } from '../errors.js';
import { git, type GitRun } from '../gitops/git.js';
import { isRemote } from '../spec/paths.js';
import { registerSecret } from '../secrets.js';
import { URL_CREDENTIAL } from './git-auth.js';
import { CatFileBatch } from './cat-file.js';

const HEAD_REF = 'refs/slipway/head';

/** True for `user@host:path` (scp-like) git addresses. */
function isScpLike(repo: string): boolean {
  return /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(repo);
}

/**
 * git's HTTP transfers give up after 30 s below 1,000 bytes a second (GIT_HTTP_LOW_SPEED_LIMIT and _TIME; a
 * user's own setting of either wins): a remote that accepts the connection and then stalls fails the fetch
 * within a minute, instead of holding this and every later reconcile until GitRunner's timeout.
 */
export function stallLimits(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.GIT_HTTP_LOW_SPEED_LIMIT !== undefined || env.GIT_HTTP_LOW_SPEED_TIME !== undefined) return {};
  return { GIT_HTTP_LOW_SPEED_LIMIT: '1000', GIT_HTTP_LOW_SPEED_TIME: '30' };
}

export class GitSource {
  readonly repo: string;
  /** the repository as shown in status and logs: credentials in a URL are masked */
  readonly display: string;
  readonly branch: string;
  readonly cacheDir: string;
  /** the repository's directory when it is local (the base for relative store paths) */
  readonly localPath: string | null;
  private ready = false;
  private batch: CatFileBatch | null = null;

  /** the URL carries a credential of its own (which the process list shows: serve says so) */
  readonly urlCredential: boolean;
  private readonly run: GitRun;

  /**
   * `run` runs its git commands (default: spawned from this process; `slipway serve` passes a GitRunner's,
   * whose helper process spawns them so that the fork does not hold requests); `env` is added to the
   * environment of those that reach the repository (git-auth.ts).
   */
  constructor(repo: string, branch: string, cacheDir: string, cwd = process.cwd(), run: GitRun = (dir, args, env) => git(dir, args, { env }), env?: Record<string, string>) {
    this.run = env ? (dir, args) => run(dir, args, env) : run;
    if (repo.startsWith('-')) throw new UsageError(`--repo: '${repo}' is not a path or URL`);
    if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.startsWith('-') || branch.includes('..') || branch.endsWith('/') || branch.endsWith('.lock')) {
      throw new UsageError(`--branch: '${branch}' is not a valid branch name`);
    }
    const remote = isRemote(repo) || isScpLike(repo);
    this.localPath = remote ? null : isAbsolute(repo) ? repo : resolve(cwd, repo);
    this.repo = this.localPath ?? repo;
    this.display = this.repo;
    const cred = URL_CREDENTIAL.exec(this.repo);
    this.urlCredential = cred !== null;
    if (cred) {
      // https://user:token@host/…: keep the token out of /-/status, logs and git's error messages
      for (const part of cred[2].split(':')) registerSecret(decodeURIComponent(part));
      registerSecret(cred[2]);
      this.display = this.repo.replace(cred[0], `${cred[1]}***@`);
    }
    this.branch = branch;
    this.cacheDir = cacheDir;
  }

  /**
   * A local path that is not a repository git can fetch from (a typo, the wrong directory, a subdirectory of
   * the clone) is a usage error at start: the server would otherwise run Degraded, fetching it forever.
   * A URL is not checked here: its failures can pass, and the reconciles report them.
   */
  async assertLocalRepository(): Promise<void> {
    if (this.localPath === null) return;
    try {
      await this.run(dirname(this.cacheDir), ['ls-remote', '--heads', '--', this.localPath]);
    } catch (e) {
      const why = /fatal: ([^\n]*)/.exec((e as Error).message)?.[1] ?? (e as Error).message;
      throw new UsageError(`--repo ${this.localPath}: git cannot read a repository there (${why}); give the directory of a clone of the GitOps repository, or its URL`);
    }
  }

  /** Fetches the branch; returns the commit at its head. */
  async fetch(): Promise<string> {
    if (!this.ready) {
      await mkdir(this.cacheDir, { recursive: true });
      if ((await this.maybe(['rev-parse', '--is-bare-repository']))?.trim() !== 'true') await this.run(this.cacheDir, ['init', '--bare', '--quiet']);
      this.ready = true;
    }
    try {
      await this.run(this.cacheDir, ['fetch', '--quiet', '--no-tags', '--force', '--', this.repo, `+refs/heads/${this.branch}:${HEAD_REF}`]);
    } catch (e) {
      const message = (e as Error).message;
      if (/could not read Username|Authentication failed|returned error: 40[13]/.test(message)) {
        throw new ExternalError(`${message}\nThe repository needs credentials: for GitHub, a plain https:// URL and a token that can read it in SLIPWAY_GITHUB_TOKEN (docs/serve.md, Private repositories)`);
      }
      if (!/couldn't find remote ref/.test(message)) throw e;
      // the repository is there but not the branch: name the ones it has (a repository whose default is master, say)
      const heads = (await this.maybe(['ls-remote', '--heads', '--', this.repo])) ?? '';
      const names = heads.split('\n').map((l) => l.split('\trefs/heads/')[1]).filter(Boolean);
      throw new ExternalError(`the repository has no branch '${this.branch}' (${names.length ? `its branches: ${names.join(', ')}` : 'it has no branches yet'}): give the branch that holds environments/ with --branch`);
    }
    return (await this.run(this.cacheDir, ['rev-parse', '--verify', `${HEAD_REF}^{commit}`])).trim();
  }

  /** A file's text at a commit, or null when the commit has no such file. */
  async show(commit: string, path: string): Promise<string | null> {
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error(`not a commit id: ${commit}`);
    const spec = `${commit}:${path}`;
    if (this.ready) {
      // one long-lived `git cat-file --batch`: no process spawn per file
      const o = await (this.batch ??= new CatFileBatch(this.cacheDir)).read(spec).catch(() => undefined);
      if (o !== undefined) return o?.type === 'blob' ? o.content.toString('utf8') : null;
    }
    const type = await this.maybe(['cat-file', '-t', spec]);
    if (type?.trim() !== 'blob') return null;
    return this.run(this.cacheDir, ['show', spec]);
  }

  /** The names of the entries of a directory at a commit ([] when there is none): what a message can offer instead. */
  async names(commit: string, dir: string): Promise<string[]> {
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error(`not a commit id: ${commit}`);
    const out = await this.maybe(['ls-tree', '--name-only', '-z', `${commit}:${dir}`]);
    return (out ?? '').split('\0').filter(Boolean);
  }

  /** git's stdout in the cache, or null where it fails (a probe) */
  private maybe(args: string[]): Promise<string | null> {
    return this.run(this.cacheDir, args).catch(() => null);
  }

  /** Stops the cat-file process (the server's shutdown). */
  close(): void {
    this.batch?.close();
    this.batch = null;
  }
}
