/**
 * Population Stability Index, as Evidently computes it: Σ (r − c)·ln(r / c) over buckets, empty
 * buckets filled with a small share (min non-zero / 10⁶ when that is ≤ 0.0001, else 0.0001).
 * Drift at ≥ 0.1 (Evidently's default); ≥ 0.2 is conventionally "significant".
 */
export const PSI_THRESHOLD = 0.1;
export const PSI_SIGNIFICANT = 0.2;

function shares(counts: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  const out = new Float64Array(counts.length);
  let minNonZero = Infinity;
  for (let i = 0; i < counts.length; i++) {
    out[i] = n > 0 ? counts[i] / n : 0;
    if (out[i] > 0 && out[i] < minNonZero) minNonZero = out[i];
  }
  const fill = minNonZero === Infinity ? 0.0001 : minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  if (reference.length !== current.length) throw new Error('psi: vectors differ in length');
  const r = shares(reference);
  const c = shares(current);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (r[i] - c[i]) * Math.log(r[i] / c[i]);
  return s;
}
