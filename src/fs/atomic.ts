import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDir } from './make-dir.js';

/**
 * Writes a file atomically: a temp file in the same directory, then a rename over the target, so a
 * reader sees the old content or the new, never half of it, and a failure leaves the old file.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await makeDir(dirname(file));
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
