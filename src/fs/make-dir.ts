import { access, constants, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Creates a directory and its missing parents, one level at a time. Node 20's `mkdir(…, { recursive: true })`
 * never returns where mkdir answers ENOENT for a parent that exists (anything under /proc: the event loop's
 * thread pool spins, and a flush awaiting it never ends); this one stops at the first level that fails.
 * Throws the failing call's error; a path whose existing part is a file is ENOTDIR.
 */
export async function makeDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    const s = await stat(d).catch((e: NodeJS.ErrnoException) => {
      // ENOTDIR: a file further up, named below
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') throw e;
      return null;
    });
    if (s) {
      // as mkdir's own errors are: code, system call and path (the CLI names them: fs/fs-error.ts)
      if (!s.isDirectory()) throw Object.assign(new Error(`ENOTDIR: ${d} is a file, not a directory`), { code: 'ENOTDIR', syscall: 'mkdir', path: d });
      break;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/** makeDir, then a check that this process may create files in the directory (EACCES, EROFS otherwise). */
export async function makeWritableDir(dir: string): Promise<void> {
  await makeDir(dir);
  await access(dir, constants.W_OK | constants.X_OK);
}
