import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * `path` as the file system sees it: symbolic links resolved as far as it exists, the rest appended as
 * given (a file about to be written, through its directory). For asking whether two paths are one, or one
 * lies inside another, when either may be reached through a link.
 */
export function realPathAsFar(path: string): string {
  const p = resolve(path);
  try {
    return realpathSync(p);
  } catch {
    const parent = dirname(p);
    return parent === p ? p : join(realPathAsFar(parent), basename(p));
  }
}
