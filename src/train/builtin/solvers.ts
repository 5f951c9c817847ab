import { InputError } from '../../errors.js';

/**
 * Deterministic solvers for the built-in linear models, on a design matrix X (row-major N × D) with
 * an unpenalised intercept. Everything runs in a fixed order in float64, so the same data gives the
 * same coefficients bit for bit.
 */
export interface LinearFit {
  /** coefficients, one per design column */
  weights: Float64Array;
  intercept: number;
  iterations: number;
  /** final value of the objective */
  objective: number;
  converged: boolean;
}

/** Solves A x = b for a symmetric positive definite A (D × D, row-major) by Cholesky; null if A is not SPD. */
export function choleskySolve(A: Float64Array, b: Float64Array, D: number): Float64Array | null {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * D + j];
      for (let k = 0; k < j; k++) s -= L[i * D + k] * L[j * D + k];
      if (i === j) {
        if (!(s > 0)) return null;
        L[i * D + i] = Math.sqrt(s);
      } else L[i * D + j] = s / L[j * D + j];
    }
  }
  const y = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * D + k] * y[k];
    y[i] = s / L[i * D + i];
  }
  const x = new Float64Array(D);
  for (let i = D - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < D; k++) s -= L[k * D + i] * x[k];
    x[i] = s / L[i * D + i];
  }
  return x;
}

function log1pExp(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * L2-penalised logistic regression: minimises Σᵢ log-loss(yᵢ, σ(xᵢ·w + b)) + (l2 / 2)·‖w‖²
 * (scikit-learn's LogisticRegression with C = 1 / l2; the intercept is not penalised) by Newton's
 * method with step halving. y holds 0/1.
 */
export function fitLogistic(
  X: Float64Array,
  y: Float64Array,
  N: number,
  D: number,
  l2: number,
  maxIter = 100,
  tol = 1e-10,
  /** after each Newton step: its number (from 1) and the objective */
  onStep?: (step: number, objective: number) => void,
): LinearFit {
  const P = D + 1; // last parameter is the intercept
  let theta = new Float64Array(P);
  const objective = (t: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < N; i++) {
      let z = t[D];
      for (let j = 0; j < D; j++) z += X[i * D + j] * t[j];
      f += y[i] ? log1pExp(-z) : log1pExp(z);
    }
    let r = 0;
    for (let j = 0; j < D; j++) r += t[j] * t[j];
    return f + 0.5 * l2 * r;
  };
  let f = objective(theta);
  let it = 0;
  let converged = false;
  const row = new Float64Array(P);
  for (; it < maxIter; it++) {
    const g = new Float64Array(P);
    const H = new Float64Array(P * P);
    for (let i = 0; i < N; i++) {
      let z = theta[D];
      for (let j = 0; j < D; j++) {
        row[j] = X[i * D + j];
        z += row[j] * theta[j];
      }
      row[D] = 1;
      const p = sigmoid(z);
      const r = p - y[i];
      const w = p * (1 - p);
      for (let a = 0; a < P; a++) {
        const ra = row[a];
        if (ra === 0) continue;
        g[a] += r * ra;
        const wa = w * ra;
        for (let b = 0; b <= a; b++) H[a * P + b] += wa * row[b];
      }
    }
    for (let a = 0; a < P; a++) for (let b = 0; b < a; b++) H[b * P + a] = H[a * P + b];
    for (let j = 0; j < D; j++) {
      g[j] += l2 * theta[j];
      H[j * P + j] += l2;
    }
    const step = choleskySolve(H, g, P);
    if (!step) throw new InputError(`Newton's method stopped at step ${it + 1}: the Hessian is not positive definite (the model predicts every training row with certainty, so the classes are separated and l2 = ${l2} is too small to hold the coefficients); raise train.params.l2`);
    let t = 1;
    let next = theta;
    let fn = f;
    for (let k = 0; k < 50; k++) {
      next = theta.map((v, j) => v - t * step[j]);
      fn = objective(next);
      if (fn <= f) break;
      t /= 2;
    }
    const maxStep = step.reduce((m, v) => Math.max(m, Math.abs(v * t)), 0);
    theta = next;
    f = fn;
    onStep?.(it + 1, f);
    if (maxStep < tol) {
      converged = true;
      it++;
      break;
    }
  }
  return { weights: theta.slice(0, D), intercept: theta[D], iterations: it, objective: f, converged };
}

/**
 * Ridge regression: minimises Σᵢ (yᵢ − xᵢ·w − b)² + l2·‖w‖² (scikit-learn's Ridge(alpha = l2);
 * the intercept is not penalised), solved exactly from the centred normal equations.
 */
export function fitRidge(X: Float64Array, y: Float64Array, N: number, D: number, l2: number): LinearFit {
  const xm = new Float64Array(D);
  let ym = 0;
  for (let i = 0; i < N; i++) {
    ym += y[i];
    for (let j = 0; j < D; j++) xm[j] += X[i * D + j];
  }
  ym /= N;
  for (let j = 0; j < D; j++) xm[j] /= N;
  const A = new Float64Array(D * D);
  const b = new Float64Array(D);
  const row = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) row[j] = X[i * D + j] - xm[j];
    const yc = y[i] - ym;
    for (let a = 0; a < D; a++) {
      b[a] += row[a] * yc;
      for (let c = 0; c <= a; c++) A[a * D + c] += row[a] * row[c];
    }
  }
  for (let a = 0; a < D; a++) {
    for (let c = 0; c < a; c++) A[c * D + a] = A[a * D + c];
    A[a * D + a] += l2;
  }
  const w = D ? choleskySolve(A, b, D) : new Float64Array(0);
  if (!w) throw new InputError(`the normal equations are not positive definite in floating point (collinear features, and l2 = ${l2} too small next to their scale); raise train.params.l2`);
  let intercept = ym;
  for (let j = 0; j < D; j++) intercept -= xm[j] * w[j];
  let sse = 0;
  for (let i = 0; i < N; i++) {
    let p = intercept;
    for (let j = 0; j < D; j++) p += X[i * D + j] * w[j];
    sse += (y[i] - p) ** 2;
  }
  let r = 0;
  for (let j = 0; j < D; j++) r += w[j] * w[j];
  return { weights: w, intercept, iterations: 1, objective: sse + l2 * r, converged: true };
}
