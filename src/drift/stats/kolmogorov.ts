/**
 * The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic D_n (scipy.stats.kstwo),
 * following SciPy's `_kolmogn` (Simard & L'Ecuyer 2011): Ruben–Gambino at the ends, 2·Smirnov for
 * large x, the Durbin matrix (Marsaglia–Tsang–Wang), Pomeranz's recursion, and the Pelz–Good
 * asymptotic series. Used for the asymptotic p-value of the two-sample test, as ks_2samp does.
 */

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const STIRLING = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

const clip = (p: number) => Math.min(1, Math.max(0, p));

function polyval(c: number[], x: number): number {
  let r = 0;
  for (const k of c) r = r * x + k;
  return r;
}

function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * polyval(STIRLING, rn / n);
}

/** Exact one-sided Smirnov survival function P(D+_n ≥ e) (Birnbaum–Tingey), as scipy.special.smirnov. */
export function smirnov(n: number, e: number): number {
  if (!(n > 0 && e >= 0 && e <= 1)) return NaN;
  if (e === 0) return 1;
  const nn = Math.floor(n * (1 - e));
  // Σ C(n,v) (e + v/n)^(v−1) (1 − e − v/n)^(n−v), each term in log space so that neither the
  // binomial nor the powers overflow or underflow on their own
  let p = 0;
  let logc = 0;
  let comp = 0; // Kahan compensation: log C(n, v) accumulates over up to n steps
  for (let v = 0; v <= nn; v++) {
    const evn = e + v / n;
    const omevn = 1 - evn;
    if (omevn > 0 || v === n) {
      const t = logc + (v - 1) * Math.log(evn) + (v === n ? 0 : (n - v) * Math.log(omevn));
      if (t > -745) p += Math.exp(t);
    }
    const y = Math.log((n - v) / (v + 1)) - comp;
    const t2 = logc + y;
    comp = t2 - logc - y;
    logc = t2;
  }
  return p * e;
}

type Matrix = Float64Array[];

function matmul(A: Matrix, B: Matrix): Matrix {
  const m = A.length;
  const C: Matrix = Array.from({ length: m }, () => new Float64Array(m));
  for (let i = 0; i < m; i++) {
    const Ci = C[i];
    const Ai = A[i];
    for (let k = 0; k < m; k++) {
      const a = Ai[k];
      if (a === 0) continue;
      const Bk = B[k];
      for (let j = 0; j < m; j++) Ci[j] += a * Bk[j];
    }
  }
  return C;
}

/** Pr(D_n ≤ d) by the Durbin matrix (MTW). */
function kolmognDMTW(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H: Matrix = Array.from({ length: m }, () => new Float64Array(m));
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r][i] = w[r - i + 1];
  for (let r = 0; r < m; r++) H[r][0] = v[r];
  for (let c = 0; c < m; c++) H[m - 1][c] = v[m - 1 - c];
  let P: Matrix = Array.from({ length: m }, (_, i) => {
    const row = new Float64Array(m);
    row[i] = 1;
    return row;
  });
  let nn = n;
  let expnt = 0;
  let hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H);
      expnt += hexpnt;
    }
    H = matmul(H, H);
    hexpnt *= 2;
    if (Math.abs(H[k - 1][k - 1]) > EP128) {
      for (const row of H) for (let j = 0; j < m; j++) row[j] /= EP128;
      hexpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[k - 1][k - 1];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p *= 2 ** expnt;
  return clip(p);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n ≤ x) by Pomeranz's recursion. */
function kolmognPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  let expnt = 0;
  const gn = g / n;
  const tgn = (2 * g) / n;
  const omtgn = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gn) / m;
    twogpower[m] = (twogpower[m - 1] * tgn) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * omtgn) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // full convolution of V0[k1-V0s : k1-V0s+ln2] with pwrs[:ln2], entries conv_start.. used
      const base = k1 - V0s;
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      for (let q = 0; q < convLen; q++) {
        const idx = convStart + q;
        let s = 0;
        const lo = Math.max(0, idx - ln2 + 1);
        const hi = Math.min(idx, ln2 - 1);
        for (let r = lo; r <= hi; r++) {
          const a = base + r < V0.length ? V0[base + r] : 0;
          s += a * pwrs[idx - r];
        }
        V1[q] = s;
      }
      let mx = -Infinity;
      for (let q = 0; q < V1.length; q++) if (V1[q] > mx) mx = V1[q];
      if (mx > 0 && mx < EM128) {
        for (let q = 0; q < V1.length; q++) V1[q] *= EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans *= 2 ** expnt;
  return clip(ans);
}

/** Pelz–Good approximation of Pr(D_n ≤ x). */
function kolmognPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = Math.pow(q, 8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qp + c[i];
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT2PI) / div[i];
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const s3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = Math.pow(q, k2);
    k2extra += k2 * qp;
    const kpi = Math.PI * k;
    k3extra += (s3z + kpi) * (s3z - kpi) * k2 * qp;
  }
  K[2] += (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT2PI) / (216 * z6);
  for (let i = 0; i < 4; i++) K[i] /= Math.pow(n, i / 2);
  return K[0] + K[1] + K[2] + K[3];
}

/** P(D_n ≥ x): scipy.stats.kstwo.sf(x, n). */
export function kolmognSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    return clip(1 - prob);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnov(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip(1 - kolmognDMTW(n, x));
    if (nx2 <= 4) return clip(1 - kolmognPomeranz(n, x));
    return clip(2 * smirnov(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnov(n, x));
  let cdf: number;
  if (nx2 >= 18) cdf = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = kolmognDMTW(n, x);
  else cdf = kolmognPelzGood(n, x);
  return clip(1 - cdf);
}
