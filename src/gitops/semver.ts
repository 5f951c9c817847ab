import { InputError } from '../errors.js';

/** Minimal semantic versions: MAJOR.MINOR.PATCH with an optional pre-release. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre?: string;
}

const RE = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?$/;

/**
 * MAJOR.MINOR.PATCH[-pre], or null. Like node-semver, a part above Number.MAX_SAFE_INTEGER is not a
 * version: it cannot be held exactly, so comparing or bumping it would round (99999999999999999999.0.0
 * bumped to 100000000000000000000.1.0).
 */
export function parseSemver(v: string): SemVer | null {
  const m = RE.exec(v);
  if (!m) return null;
  const [major, minor, patch] = [m[1], m[2], m[3]].map(Number);
  if (![major, minor, patch].every(Number.isSafeInteger)) return null;
  return { major, minor, patch, pre: m[4] };
}

/**
 * What is wrong with `v` as a version, to follow it in a message (`'1.x' is not a semantic version such
 * as 1.2.0`), or undefined when it is a version parseSemver accepts.
 */
export function semverProblem(v: string): string | undefined {
  if (parseSemver(v)) return undefined;
  if (RE.test(v)) return `has a part above ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER, the largest whole number held exactly)`;
  return 'is not a semantic version such as 1.2.0';
}

export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  const d = x.major - y.major || x.minor - y.minor || x.patch - y.patch;
  if (d) return Math.sign(d);
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre < y.pre ? -1 : 1;
}

export function bumpMinor(v: string): string {
  const s = parseSemver(v);
  if (!s) throw new Error(`not a semantic version: ${v}`);
  if (s.minor + 1 > Number.MAX_SAFE_INTEGER) throw new InputError(`cannot bump the minor version of ${v}: it would pass ${Number.MAX_SAFE_INTEGER} (Number.MAX_SAFE_INTEGER); give the version explicitly`);
  return `${s.major}.${s.minor + 1}.0`;
}
