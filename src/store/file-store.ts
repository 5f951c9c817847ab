import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, IntegrityError } from '../errors.js';
import { assertDigest, packageDigest } from './digest.js';
import type { ModelStore } from './types.js';

/** The default store: a directory, `<root>/sha256/<hex>/`. Writes go to a temp dir and are renamed in. */
export class FileStore implements ModelStore {
  readonly root: string;
  readonly uri: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.uri = pathToFileURL(this.root).href;
  }

  private objectDir(digest: string): string {
    return join(this.root, 'sha256', assertDigest(digest).slice('sha256:'.length));
  }

  async put(dir: string): Promise<string> {
    const digest = await packageDigest(dir);
    const dest = this.objectDir(digest);
    if (await this.verifies(dest, digest)) return digest;
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    const tmp = join(this.root, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await cp(dir, tmp, { recursive: true, errorOnExist: true, verbatimSymlinks: true });
      const copied = await packageDigest(tmp);
      if (copied !== digest) throw new IntegrityError(`${dir} changed while it was being stored (${digest} became ${copied})`);
      await rm(dest, { recursive: true, force: true }); // a corrupt earlier copy
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return digest;
  }

  async get(digest: string): Promise<string> {
    const dir = this.objectDir(digest);
    if (!(await exists(dir))) throw new InputError(`${digest} is not in the store ${this.uri}`);
    const actual = await packageDigest(dir);
    if (actual !== digest) throw new IntegrityError(`store object ${digest} in ${this.uri} does not verify (its content hashes to ${actual}); refusing to use it`);
    return dir;
  }

  async has(digest: string): Promise<boolean> {
    return exists(this.objectDir(digest));
  }

  async list(): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, 'sha256'));
      return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`).sort();
    } catch {
      return [];
    }
  }

  private async verifies(dir: string, digest: string): Promise<boolean> {
    if (!(await exists(dir))) return false;
    try {
      return (await packageDigest(dir)) === digest;
    } catch {
      return false;
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
