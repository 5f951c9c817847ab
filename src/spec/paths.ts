import { lstatSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Model and environment names become paths and branch names: only this shape is accepted. */
export function assertName(kind: 'model' | 'environment', name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(`invalid ${kind} name ${JSON.stringify(name)}: expected lower-case letters, digits and dashes (at most 63, starting with a letter or digit)`);
  }
  return name;
}

/** True when the string is a URL DuckDB or a store reads (s3://, https://, …) rather than a local path. */
export function isRemote(p: string): boolean {
  return uriScheme(p) !== undefined;
}

/** The scheme of a URI written `<scheme>://…`, lower-cased (`S3://b` → `s3`), or undefined for a plain path. */
export function uriScheme(p: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(p)?.[1]?.toLowerCase();
}

/** Resolves `p` against `base` and returns it only if it stays inside `root`; otherwise null. */
export function resolveInside(root: string, base: string, p: string): string | null {
  const abs = resolve(base, p);
  const rel = relative(resolve(root), abs);
  if (rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))) return abs;
  return null;
}

/** True for a symbolic link, even one to nothing (whose read then says so). */
export function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
