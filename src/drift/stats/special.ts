/**
 * Special functions the drift tests need: log-gamma, the regularized incomplete gamma functions
 * (chi-square survival function) and the normal survival function. Pure, double precision.
 */

// Lanczos approximation, g = 607/128, 15 terms (Godfrey); relative error ~1e-15 for x > 0.
const LANCZOS_G = 607 / 128;
const LANCZOS = [
  0.9999999999999971, 57.15623566586292, -59.59796035547549, 14.136097974741746,
  -0.4919138160976202, 0.00003399464998481189, 0.00004652362892704858, -0.00009837447530487956,
  0.0001580887032249125, -0.00021026444172410488, 0.00021743961811521265, -0.0001643181065367639,
  0.00008441822398385275, -0.000026190838401581408, 0.0000036899182659531625,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function lgamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  if (x >= 1e6) {
    // Stirling series: the Lanczos sum loses nothing here, but this is cheaper and as exact
    const r = 1 / x;
    const r2 = r * r;
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + r * (1 / 12 - r2 * (1 / 360 - r2 / 1260));
  }
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i);
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 100000;

/** Series for P(a, x), valid for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let ap = a;
  let sum = 1 / a;
  let del = sum;
  for (let n = 0; n < MAX_ITER; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lgamma(a));
}

/** Continued fraction (modified Lentz) for Q(a, x), valid for x >= a + 1. */
function gammaQFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - lgamma(a)) * h;
}

/** Regularized lower incomplete gamma P(a, x) (scipy.special.gammainc). */
export function gammainc(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaPSeries(a, x) : 1 - gammaQFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x) (scipy.special.gammaincc). */
export function gammaincc(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQFraction(a, x);
}

/** Survival function of the chi-square distribution with `df` degrees of freedom (scipy.stats.chi2.sf). */
export function chi2Sf(x: number, df: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return gammaincc(df / 2, x / 2);
}

/** Survival function of the standard normal: P(Z > z), accurate in the tails (erfc via Q(1/2, z²/2)). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === 0) return 0.5;
  const q = 0.5 * gammaincc(0.5, (z * z) / 2);
  return z > 0 ? q : 1 - q;
}

/** ln(n!) */
export function logFactorial(n: number): number {
  return lgamma(n + 1);
}
