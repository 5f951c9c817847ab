import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InputError } from '../errors.js';

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

export function assertDigest(digest: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw new InputError(`invalid digest ${JSON.stringify(digest)}: expected sha256: followed by 64 lower-case hex digits`);
  return digest;
}

export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Every regular file under dir, as sorted posix paths. Links and special files are refused, and so are names
 * with control characters: the digest's listing is one `<hex>  <path>` per line, and a name holding a newline
 * could spell another package's lines (two packages, one digest).
 */
export async function packageFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const abs = join(d, entry.name);
      const rel = relative(dir, abs).split(sep).join('/');
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(entry.name)) throw new InputError(`${JSON.stringify(rel)} in ${dir}: a model package's file names may not hold control characters (a newline, a tab, …)`);
      const st = await lstat(abs);
      if (st.isDirectory()) await walk(abs);
      else if (st.isFile()) out.push(rel);
      else throw new InputError(`${abs}: a model package holds only regular files (found a link or special file)`);
    }
  }
  await walk(dir);
  return out.sort();
}

/**
 * The digest of a package directory: sha256 over its `sha256sum`-style listing
 * (`<hex>  <path>\n` for each file, sorted by path). Names and contents both count.
 */
export async function packageDigest(dir: string): Promise<string> {
  const files = await packageFiles(dir);
  if (files.length === 0) throw new InputError(`${dir}: empty package directory`);
  const listing: [string, string][] = [];
  for (const f of files) listing.push([f, await fileSha256(join(dir, f))]);
  return listingDigest(listing);
}

/** The package digest of files given as [posix path, sha256 hex of the contents] (packageDigest without a directory: an archive's entries). */
export function listingDigest(files: [path: string, hex: string][]): string {
  const h = createHash('sha256');
  for (const [f, hex] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) h.update(`${hex}  ${f}\n`);
  return `sha256:${h.digest('hex')}`;
}
