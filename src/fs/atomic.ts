import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { escapeRegExp, removeStaleTemps, syncPath, withPath } from './durable.js';
import { makeDir } from './make-dir.js';

/**
 * Writes a file atomically and durably: a temp file in the same directory, flushed, then renamed over the
 * target and the directory flushed, so a reader sees the old content or the new, never half of it, a
 * failure (a full disk, a kill) leaves the old file, and a written file survives a power loss. Temp files
 * of this file that a killed process left are removed once an hour old (fs/durable.ts). An OS error names
 * `file`, also where the OS named none (ENOSPC in write(2)).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(file);
  await makeDir(dir);
  await removeStaleTemps(dir, new RegExp(`^${escapeRegExp(basename(file))}\\.tmp-[0-9a-f]{12}$`));
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await syncPath(dir);
  } catch (e) {
    throw withPath(e, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
