/**
 * Jensen–Shannon distance (scipy.spatial.distance.jensenshannon) — Evidently's test for large samples,
 * with base 2 (so it lies in [0, 1]) and drift at ≥ 0.1. Evidently uses SciPy's default natural log:
 * its distance is this one × √ln 2, so its 0.1 is 0.1201 here (docs/drift.md).
 */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/** sqrt(JS divergence) of two (unnormalised) frequency vectors on the same categories. */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new Error('jensenshannon: vectors differ in length');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  let js = left + right;
  if (base) js /= Math.log(base);
  // rounding can leave a tiny negative sum for identical vectors; SciPy would return NaN there
  return Math.sqrt(Math.max(0, js / 2));
}
