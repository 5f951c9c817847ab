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
  // each column to codes (first-seen order), then combined codes, then labels sorted
  const coded = columns.map((col) => {
    const codes = new Int32Array(n);
    const seen = new Map<unknown, number>();
    const labels: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = col[i];
      let k = seen.get(v);
      if (k === undefined) {
        k = labels.length;
        seen.set(v, k);
        labels.push(groupLabel(v));
      }
      codes[i] = k;
    }
    return { codes, labels };
  });
  let combined = coded[0].codes;
  let names = coded[0].labels;
  for (let c = 1; c < coded.length; c++) {
    const next = new Int32Array(n);
    const seen = new Map<number, number>();
    const labels: string[] = [];
    const k2 = coded[c].labels.length;
    for (let i = 0; i < n; i++) {
      const key = combined[i] * k2 + coded[c].codes[i];
      let k = seen.get(key);
      if (k === undefined) {
        k = labels.length;
        seen.set(key, k);
        labels.push(`${names[combined[i]]} & ${coded[c].labels[coded[c].codes[i]]}`);
      }
      next[i] = k;
    }
    combined = next;
    names = labels;
  }
  // distinct raw values can share a label (null and NaN are both missing): merge by label, sorted
  const labels = [...new Set(names)].sort();
  const pos = new Map(labels.map((l, i) => [l, i]));
  const remap = Int32Array.from(names, (l) => pos.get(l)!);
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = remap[combined[i]];
  return { labels, index };
}
