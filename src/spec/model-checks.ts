/**
 * The checks of model.yaml that need what evaluate and drift know: gate metric names, fairness figures,
 * drift feature names. They run when the model is loaded (by `check`, `evaluate`, `drift`, `train`, …),
 * so a typo is the same located config error everywhere, before any work is done. The valid names come
 * from evaluate/ and drift/ themselves, never copied here.
 */
import { ConfigError, type ConfigIssue } from '../errors.js';
import { checkDriftSpec } from '../drift/tests.js';
import { bootstrapSamplesProblem } from '../evaluate/bootstrap-samples.js';
import { checkGates } from '../evaluate/gates.js';
import { intersectionName } from '../evaluate/groups.js';
import type { ModelSpec } from './types.js';
import { issueAt, type ParsedYaml } from './yaml-file.js';

/** gates.metrics / versus_champion (metric names for the task), gates.fairness (figure names), evaluate.intersections. */
export function gateIssues(p: ParsedYaml, spec: ModelSpec, sensitive: string[]): ConfigIssue[] {
  const intersections = spec.evaluate?.intersections ?? [];
  const issues: ConfigIssue[] = [];
  intersections.forEach((combo, i) =>
    combo.forEach((c, j) => {
      if (!sensitive.includes(c)) issues.push(issueAt(p, ['evaluate', 'intersections', String(i), String(j)], `'${c}' is not a sensitive attribute (data.sensitive: ${sensitive.join(', ') || 'none'})`));
    }),
  );
  const attributes = [...sensitive, ...intersections.map(intersectionName)];
  for (const g of checkGates(spec.gates, spec.task, attributes)) issues.push(issueAt(p, g.path, g.message, true));
  return issues;
}

/** evaluate.bootstrap.samples: 0 (no intervals) or enough replicates for a percentile interval. */
export function bootstrapIssues(p: ParsedYaml, spec: ModelSpec): ConfigIssue[] {
  const samples = spec.evaluate?.bootstrap?.samples;
  const problem = samples === undefined ? undefined : bootstrapSamplesProblem(samples);
  return problem ? [issueAt(p, ['evaluate', 'bootstrap', 'samples'], problem)] : [];
}

/** drift.features: each key is `default` or a feature of the model, each test known. */
export function driftIssues(p: ParsedYaml, spec: ModelSpec, features: string[]): ConfigIssue[] {
  try {
    checkDriftSpec(p.display, spec.drift?.features, features);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => {
      const path = i.path.split('/').slice(1);
      // the feature's name is the mistake: point at the key; for its test or threshold, at the value
      return issueAt(p, path, i.message, path.length === 3);
    });
  }
}

/** Issues by file (in order of first appearance), then by line and column. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const files = [...new Set(issues.map((i) => i.file))];
  return issues
    .map((i, k) => ({ i, k }))
    .sort((a, b) => files.indexOf(a.i.file) - files.indexOf(b.i.file) || (a.i.line ?? 0) - (b.i.line ?? 0) || (a.i.column ?? 0) - (b.i.column ?? 0) || a.k - b.k)
    .map(({ i }) => i);
}
