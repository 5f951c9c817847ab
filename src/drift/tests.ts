/**
 * The drift test registry: each test's name, what its statistic is, its named default threshold, and
 * the default choice by column type and sample size. Evidently's registry (get_default_stattest) is the
 * anchor:
 *
 *   reference ≤ 1000 rows   numeric, > 5 distinct values → ks (p < 0.05)
 *                           numeric 3–5 values, categorical > 2 values → chisquare (p < 0.05)
 *                           2 values → z (two-proportion z-test, p < 0.05)
 *   reference > 1000 rows   numeric, > 5 distinct values → wasserstein (normed, ≥ 0.1)
 *                           numeric ≤ 5 values, categorical → jensenshannon (base 2, ≥ 0.1)
 *   psi available on request (≥ 0.1; ≥ 0.2 reads "significant").
 */
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { DriftTestSpec } from '../spec/types.js';

export type TestName = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';
export type ColumnKind = 'numeric' | 'categorical';

export interface TestInfo {
  name: TestName;
  /** 'p_value': drift when the p-value is below the threshold; 'distance': drift when the statistic is ≥ it */
  gate: 'p_value' | 'distance';
  threshold: number;
  kinds: ColumnKind[];
  title: string;
}

export const TESTS: Record<TestName, TestInfo> = {
  ks: { name: 'ks', gate: 'p_value', threshold: 0.05, kinds: ['numeric'], title: 'Kolmogorov–Smirnov p-value' },
  chisquare: { name: 'chisquare', gate: 'p_value', threshold: 0.05, kinds: ['numeric', 'categorical'], title: 'chi-square p-value' },
  z: { name: 'z', gate: 'p_value', threshold: 0.05, kinds: ['numeric', 'categorical'], title: 'two-proportion z-test p-value' },
  wasserstein: { name: 'wasserstein', gate: 'distance', threshold: 0.1, kinds: ['numeric'], title: 'Wasserstein distance (normed)' },
  jensenshannon: { name: 'jensenshannon', gate: 'distance', threshold: 0.1, kinds: ['numeric', 'categorical'], title: 'Jensen–Shannon distance' },
  psi: { name: 'psi', gate: 'distance', threshold: 0.1, kinds: ['numeric', 'categorical'], title: 'PSI' },
};

/** Evidently's boundary between "small" and "large" reference samples. */
export const SMALL_SAMPLE_MAX = 1000;
/** Numeric columns with at most this many distinct values are tested like categories. */
export const FEW_VALUES_MAX = 5;
/** Default missing-rate check: drift when the share of missing values moves by more than this (absolute). */
export const MISSING_RATE_THRESHOLD = 0.05;
/** Default unseen-category check: drift when more than this share of current rows hold categories the reference never saw. */
export const UNSEEN_SHARE_THRESHOLD = 0.01;
/** Default performance check: drift when the metric is worse than the reference by more than this (absolute). */
export const PERFORMANCE_DROP_THRESHOLD = 0.05;

/** The default test for a column (Evidently's get_default_stattest). `nValues`: distinct values in both samples, when known. */
export function defaultTest(kind: ColumnKind, nRef: number, nValues: number | undefined): TestName {
  const few = nValues !== undefined && nValues <= FEW_VALUES_MAX;
  if (nRef <= SMALL_SAMPLE_MAX) {
    if (kind === 'numeric' && !few) return 'ks';
    if (nValues !== undefined && nValues <= 2) return 'z';
    return 'chisquare';
  }
  if (kind === 'numeric' && !few) return 'wasserstein';
  return 'jensenshannon';
}

export interface ResolvedTest {
  test: TestName;
  threshold: number;
  /** true when model.yaml chose the test (not auto) */
  configured: boolean;
  /** why the test model.yaml chose is not the one run */
  note?: string;
}

/** The test and threshold for a column: model.yaml's entry for the feature, else its `default` entry, else auto. */
export function resolveTest(kind: ColumnKind, nRef: number, nValues: number | undefined, spec: DriftTestSpec | undefined): ResolvedTest {
  const configured = !!spec?.test && spec.test !== 'auto';
  const test = configured ? (spec!.test as TestName) : defaultTest(kind, nRef, nValues);
  if (!TESTS[test].kinds.includes(kind)) {
    // a numeric-only test asked for a categorical column: fall back to the default for its kind
    const fallback = defaultTest(kind, nRef, nValues);
    const note = `${test} is a test of numeric columns and this one is ${kind}: ${fallback} at its default threshold instead`;
    return { test: fallback, threshold: TESTS[fallback].threshold, configured: false, note };
  }
  return { test, threshold: spec?.threshold ?? TESTS[test].threshold, configured };
}

/** Checks model.yaml's drift.features entries name known features (or `default`) and valid tests. */
export function checkDriftSpec(file: string, features: Record<string, DriftTestSpec> | undefined, known: string[]): void {
  const issues: ConfigIssue[] = [];
  for (const [name, spec] of Object.entries(features ?? {})) {
    if (name !== 'default' && !known.includes(name)) {
      issues.push({ file, path: `/drift/features/${name}`, message: `unknown feature '${name}'; expected 'default' or one of: ${known.join(', ')}` });
    }
    if (spec.test && spec.test !== 'auto' && !(spec.test in TESTS)) {
      issues.push({ file, path: `/drift/features/${name}/test`, message: `unknown test '${spec.test}'; expected auto or one of: ${Object.keys(TESTS).join(', ')}` });
    }
    if (spec.threshold !== undefined && spec.test && spec.test !== 'auto' && TESTS[spec.test as TestName]?.gate === 'p_value' && spec.threshold >= 1) {
      issues.push({ file, path: `/drift/features/${name}/threshold`, message: `a p-value threshold must be below 1, got ${spec.threshold}` });
    }
    // a threshold no distance can reach would pass every window, disjoint ones included
    if (spec.threshold !== undefined && spec.test === 'jensenshannon' && spec.threshold > 1) {
      issues.push({ file, path: `/drift/features/${name}/threshold`, message: `the Jensen–Shannon distance (base 2) is at most 1, so a threshold of ${spec.threshold} is never reached` });
    }
  }
  if (issues.length) throw new ConfigError(issues);
}
