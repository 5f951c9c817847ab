import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, IntegrityError } from '../errors.js';
import { refusedWithin, removeStaleTemps, syncPath, syncTree } from '../fs/durable.js';
import { fileSystemReason } from '../fs/fs-error.js';
import { assertDigest, packageDigest } from './digest.js';
import type { ModelStore } from './types.js';

/** What a write into the store leaves in its root while it runs (and a killed one after): see put. */
const TEMPORARY = /^\.(tmp|trash|download)-[0-9a-f]{12}$/;

/**
 * The default store: a directory, `<root>/sha256/<hex>/`. Writes go to a temp dir, flushed to the disk, and
 * are renamed in: an object is whole or absent, also after a crash or a power loss.
 */
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
    // what a put killed midway left (its temp copy, an object set aside): removed once an hour untouched
    await removeStaleTemps(this.root, TEMPORARY);
    const tmp = join(this.root, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await cp(dir, tmp, { recursive: true, errorOnExist: true, verbatimSymlinks: true });
      const copied = await packageDigest(tmp);
      if (copied !== digest) throw new IntegrityError(`${dir} changed while it was being stored (${digest} became ${copied})`);
      // on the disk before its name says it is there: a promotion pins the digest right after
      await syncTree(tmp);
      await this.moveIn(tmp, dest, digest);
      await syncPath(join(this.root, 'sha256'));
    } catch (e) {
      // a full or read-only disk, or no permission in the store: said of the store, not of the temporary copy
      if (!refusedWithin(e, this.root) || !fileSystemReason(e)) throw e;
      throw new InputError(`cannot store ${dir} in the store ${this.root}: ${fileSystemReason(e)}; nothing was stored`, { cause: e });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return digest;
  }

  /**
   * Renames the verified copy into place. Another writer may have put the same package meanwhile (the
   * rename then fails: the object is there, which is success); a corrupt earlier copy is renamed aside
   * first, so a good object never disappears from under a reader and concurrent puts all succeed.
   */
  private async moveIn(tmp: string, dest: string, digest: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await rename(tmp, dest);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // ENOTDIR: a file where the object's directory belongs (not one put made): set aside as a corrupt copy is
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTDIR') throw e;
      }
      if (await this.verifies(dest, digest)) return;
      const trash = join(this.root, `.trash-${randomBytes(6).toString('hex')}`);
      try {
        await rename(dest, trash);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      await rm(trash, { recursive: true, force: true });
    }
    throw new IntegrityError(`could not store ${digest} in ${this.uri}: ${dest} kept being replaced by content that does not verify`);
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
