import { lstat, open, readdir, rm, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';

/**
 * Durability and crash leftovers for the writes that must survive: a rename makes a write atomic, but only
 * an fsync of the file before it and of the directory after it makes it last through a power loss; and a
 * process killed between creating a temporary and renaming it leaves the temporary behind, which the next
 * write to the same place removes once nothing has touched it for STALE_TEMP_MS.
 */

/** How long a temporary must have gone untouched before it counts as left by a process that died (1 hour). */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Flushes a file or a directory to the disk (a directory: the entries renamed into it). Best effort where it
 * cannot be opened to flush (a directory this user may write to but not list, mode -wx): the write itself
 * is done, and reporting it failed would be wrong.
 */
export async function syncPath(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if (['EACCES', 'EPERM', 'EISDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    // file systems that cannot flush a directory (some network and FUSE ones) say so; nothing more to do there
    if (!['EINVAL', 'ENOTSUP', 'EISDIR', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

/** Flushes every file and directory under `dir` (and `dir`), before it is renamed into place. */
export async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(p);
    else if (entry.isFile()) await syncPath(p);
  }
  await syncPath(dir);
}

/** The latest modification time of `path` and everything under it (a temporary still being written changes). */
async function newestChange(path: string): Promise<number> {
  const st = await lstat(path);
  let newest = st.mtimeMs;
  if (st.isDirectory()) {
    for (const name of await readdir(path)) newest = Math.max(newest, await newestChange(join(path, name)).catch(() => Date.now()));
  }
  return newest;
}

/**
 * Removes the entries of `dir` whose names match `temporary` and that nothing has changed for `maxAgeMs`:
 * what a process killed mid-write left. Best effort: a failure to list or remove leaves them for next time.
 * Returns the names removed.
 */
export async function removeStaleTemps(dir: string, temporary: RegExp, maxAgeMs = STALE_TEMP_MS, now = Date.now()): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names.filter((n) => temporary.test(n))) {
    const p = join(dir, name);
    try {
      if (now - (await newestChange(p)) < maxAgeMs) continue;
      await rm(p, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // gone meanwhile, or not ours to remove: left alone
    }
  }
  return removed;
}

/** `s` with the characters a regular expression gives a meaning escaped. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** writeFile, with `path` on its error where the OS gave none (a full disk): see withPath. */
export async function writeFileNamed(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data).catch((e: unknown) => Promise.reject(withPath(e, path)));
}

/**
 * `e` with `path` (and `syscall`) added when the OS's error carries none: a write(2) that fails with ENOSPC
 * names no file, and the CLI can only name what the error does (fs/fs-error.ts).
 */
export function withPath(e: unknown, path: string, syscall = 'write'): unknown {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof Error && typeof err.code === 'string' && typeof err.path !== 'string') {
    err.path = path;
    err.syscall ??= syscall;
  }
  return e;
}

/** Refusals of a write that are about the disk it goes to, whichever path the OS named (a copy names its source). */
const DISK_REFUSALS = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

/**
 * Whether `e` is the OS refusing a write into `dir` (a temporary directory a writer made, or the place it
 * writes to): a full, quota-bound or read-only disk, or any refusal of a path at or under `dir` (no permission
 * there). Writers name what they were writing instead of their temporary's path.
 */
export function refusedWithin(e: unknown, dir: string): boolean {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.code !== 'string') return false;
  if (DISK_REFUSALS.has(err.code)) return true;
  const inside = (p: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
  return typeof err.path === 'string' && inside(err.path);
}
