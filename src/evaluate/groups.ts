/** Group membership of each row for one sensitive attribute or an intersection of several. */
export interface Groups {
  /** group labels, sorted; for an intersection the values joined with ' & ' */
  labels: string[];
  /** per row, the index of its group in `labels` */
  index: Int32Array;
}

export const MISSING_GROUP = '(missing)';

export function groupLabel(v: unknown): string {
  if (v === null || v === undefined) return MISSING_GROUP;
  if (typeof v === 'number' && Number.isNaN(v)) return MISSING_GROUP;
  return String(v);
}

/** The attribute name of an intersection, e.g. sex&age_band. */
export function intersectionName(columns: string[]): string {
  return columns.join('&');
}

/** Groups rows by the values of one column, or by the combination of several (an intersection). */
export function encodeGroups(columns: ArrayLike<unknown>[]): Groups {
  if (columns.length === 0) throw new Error('encodeGroups needs at least one column');
  const n = columns[0].length;
  const raw: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    raw[i] = columns.length === 1 ? groupLabel(columns[0][i]) : columns.map((c) => groupLabel(c[i])).join(' & ');
  }
  const labels = [...new Set(raw)].sort();
  const pos = new Map(labels.map((l, i) => [l, i]));
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = pos.get(raw[i])!;
  return { labels, index };
}

/** Row indices of each group. */
export function groupRows(g: Groups): Uint32Array[] {
  const sizes = new Uint32Array(g.labels.length);
  for (let i = 0; i < g.index.length; i++) sizes[g.index[i]]++;
  const out = Array.from(sizes, (s) => new Uint32Array(s));
  const fill = new Uint32Array(g.labels.length);
  for (let i = 0; i < g.index.length; i++) {
    const k = g.index[i];
    out[k][fill[k]++] = i;
  }
  return out;
}
