/**
 * Two samples as the drift tests see them: the distinct values of both, sorted, with how often each
 * occurs in the reference (a) and in the current window (b). Every test on raw values (KS, Wasserstein)
 * is computed on this form, which is exact and also what DuckDB returns from a GROUP BY.
 */
export interface PairedCounts {
  /** distinct values, strictly increasing */
  values: Float64Array;
  a: Float64Array;
  b: Float64Array;
  na: number;
  nb: number;
}

/** Sorts a copy (numeric order) unless `sorted` says the input already is. */
export function sortedCopy(x: Float64Array | number[], sorted = false): Float64Array {
  const out = Float64Array.from(x);
  if (!sorted) out.sort();
  return out;
}

/** Merges two sorted samples into distinct values with counts. Non-finite values must be removed first. */
export function pairSorted(a: Float64Array, b: Float64Array): PairedCounts {
  const cap = a.length + b.length;
  const values = new Float64Array(cap);
  const ca = new Float64Array(cap);
  const cb = new Float64Array(cap);
  let i = 0;
  let j = 0;
  let k = -1;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    k++;
    values[k] = v;
    while (i < a.length && a[i] === v) {
      ca[k]++;
      i++;
    }
    while (j < b.length && b[j] === v) {
      cb[k]++;
      j++;
    }
  }
  const n = k + 1;
  return { values: values.subarray(0, n), a: ca.subarray(0, n), b: cb.subarray(0, n), na: a.length, nb: b.length };
}

/** Raw samples → paired counts (sorting copies). */
export function pairSamples(a: Float64Array | number[], b: Float64Array | number[]): PairedCounts {
  return pairSorted(sortedCopy(a), sortedCopy(b));
}

/** Rows of (value, count in a, count in b) in increasing value order → paired counts. */
export function pairFromRows(rows: [number, number, number][]): PairedCounts {
  const n = rows.length;
  const values = new Float64Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    values[i] = rows[i][0];
    a[i] = rows[i][1];
    b[i] = rows[i][2];
    na += a[i];
    nb += b[i];
  }
  return { values, a, b, na, nb };
}

export function countDistinct(p: PairedCounts): number {
  return p.values.length;
}

/** Population standard deviation of sample a (numpy's np.std, ddof = 0), two-pass. */
export function stdA(p: PairedCounts): number {
  if (p.na === 0) return 0;
  let s = 0;
  for (let i = 0; i < p.values.length; i++) s += p.a[i] * p.values[i];
  const mean = s / p.na;
  let ss = 0;
  for (let i = 0; i < p.values.length; i++) {
    const d = p.values[i] - mean;
    ss += p.a[i] * d * d;
  }
  return Math.sqrt(ss / p.na);
}
