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
  return columns.map(singleColumn).reduce(intersect);
}

function singleColumn(col: ArrayLike<unknown>): Groups {
  const n = col.length;
  const codes = new Int32Array(n);
  const seen = new Map<unknown, number>();
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = col[i];
    let k = seen.get(v);
    if (k === undefined) {
      k = names.length;
      seen.set(v, k);
      names.push(groupLabel(v));
    }
    codes[i] = k;
  }
  return sortGroups(names, codes);
}

/**
 * Groups from integer codes (code k ≥ 1 is labels[k − 1], 0 is missing), as DuckDB computes them for
 * sensitive columns (sensitive.ts): no per-row strings.
 */
export function groupsFromCodes(codes: Float64Array, labels: string[]): Groups {
  const index = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) index[i] = codes[i];
  return sortGroups([MISSING_GROUP, ...labels], index);
}

/** The intersection of two groupings: one group per combination present in the rows. */
export function intersect(a: Groups, b: Groups): Groups {
  const n = a.index.length;
  const kb = b.labels.length;
  const codes = new Int32Array(n);
  const seen = new Map<number, number>();
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = a.index[i] * kb + b.index[i];
    let k = seen.get(key);
    if (k === undefined) {
      k = names.length;
      seen.set(key, k);
      names.push(`${a.labels[a.index[i]]} & ${b.labels[b.index[i]]}`);
    }
    codes[i] = k;
  }
  return sortGroups(names, codes);
}

/** Keeps the groups that occur, merges equal names (null and NaN are both missing), sorts by name. */
function sortGroups(names: string[], codes: Int32Array): Groups {
  const used = new Uint8Array(names.length);
  for (let i = 0; i < codes.length; i++) used[codes[i]] = 1;
  const labels = [...new Set(names.filter((_, k) => used[k]))].sort();
  const pos = new Map(labels.map((l, i) => [l, i]));
  const remap = Int32Array.from(names, (l) => pos.get(l) ?? -1);
  const index = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) index[i] = remap[codes[i]];
  return { labels, index };
}
