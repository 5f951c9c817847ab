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

/** Refusals that are about where a write goes, never what it reads. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

/** A temporary sibling of an atomic write (`<file>.tmp-<hex>`) named as the file the user gave. */
const shown = (p: string) => p.replace(/\.tmp-[0-9a-f]+$/, '');

/** The OS's reason for a refusal, in words with its code ("it is a directory, expected a file (EISDIR)"), or null when `e` is none. */
export function fileSystemReason(e: unknown): string | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return e instanceof Error && typeof code === 'string' && REASONS[code] ? `${REASONS[code]} (${code})` : null;
}

/** `e` as an InputError when it is such a refusal (an errno code, a system call and a path), else null. */
export function fileSystemError(e: unknown): InputError | null {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  const reason = fileSystemReason(e);
  if (!reason || typeof err.syscall !== 'string' || typeof err.path !== 'string') return null;
  const dest = typeof err.dest === 'string' ? err.dest : null;
  // a copy names its source first: a full or read-only disk is about the copy, anything else may be either side
  if (err.syscall === 'copyfile' && dest) {
    const what = FULL.has(err.code ?? '') ? `copy to ${shown(dest)}` : `copy ${shown(err.path)} to ${shown(dest)}`;
    return new InputError(`cannot ${what}: ${reason}`, { cause: e });
  }
  // a rename's failure is about where it was going
  const path = err.syscall === 'rename' && dest ? dest : err.path;
  return new InputError(`cannot ${VERBS[err.syscall] ?? err.syscall} ${shown(path)}: ${reason}`, { cause: e });
}
