/** Minimal semantic versions: MAJOR.MINOR.PATCH with an optional pre-release. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre?: string;
}

const RE = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?$/;

export function parseSemver(v: string): SemVer | null {
  const m = RE.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] } : null;
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
  return `${s.major}.${s.minor + 1}.0`;
}
