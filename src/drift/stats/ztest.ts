/**
 * Two-proportion z-test (Evidently's test for binary features in small samples): z = (p1 − p2) /
 * sqrt(P(1 − P)(1/n1 + 1/n2)), two-sided p-value, drift at p < 0.05.
 */
import { normalSf } from './special.js';

export function proportionsZTest(k1: number, n1: number, k2: number, n2: number): { statistic: number; pvalue: number } {
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const P = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return { statistic: 0, pvalue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pvalue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}
