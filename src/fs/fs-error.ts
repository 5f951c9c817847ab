/**
 * An operating system's refusal of a file operation (a directory where a file goes, a path through a file,
 * no permission, a full disk) as the input error it is: exit 2 with the path and what is wrong, not an
 * "internal error" with a stack. The CLI applies it to whatever a command let through.
 */
import { InputError } from '../errors.js';

const REASONS: Record<string, string> = {
  EISDIR: 'it is a directory, expected a file',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists, and is not a directory',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'write',
  mkdir: 'create the directory',
  rmdir: 'remove',
  unlink: 'remove',
  scandir: 'list',
  opendir: 'list',
  stat: 'read',
  lstat: 'read',
  realpath: 'resolve',
  access: 'access',
  copyfile: 'copy to',
  symlink: 'link',
  chmod: 'change the mode of',
};

/** A temporary sibling of an atomic write (`<file>.tmp-<hex>`) named as the file the user gave. */
const shown = (p: string) => p.replace(/\.tmp-[0-9a-f]+$/, '');

/** `e` as an InputError when it is such a refusal (an errno code, a system call and a path), else null. */
export function fileSystemError(e: unknown): InputError | null {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (!(err instanceof Error) || typeof err.code !== 'string' || !REASONS[err.code] || typeof err.syscall !== 'string' || typeof err.path !== 'string') return null;
  // a rename's failure is about where it was going
  const path = err.syscall === 'rename' && typeof err.dest === 'string' ? err.dest : err.path;
  return new InputError(`cannot ${VERBS[err.syscall] ?? err.syscall} ${shown(path)}: ${REASONS[err.code]} (${err.code})`, { cause: e });
}
