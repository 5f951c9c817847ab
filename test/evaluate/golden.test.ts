import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BinaryKernel } from '../../src/evaluate/binary.js';
import { encodeGroups, intersectionName, type Groups } from '../../src/evaluate/groups.js';
import { makeKernel, fairnessReport, type Predictions } from '../../src/evaluate/predictions.js';

/** Golden values from scikit-learn 1.2.1: test/fixtures/evaluate/make_golden.py (run with /usr/bin/python3). */
interface Dataset {
  name: string;
  task: Predictions['task'];
  threshold?: number;
  classes?: number;
  y: number[];
  scores: number[] | number[][];
  sensitive: Record<string, (string | null)[]>;
  intersections: string[][];
  min_group_size: number;
  expected: {
    metrics: Record<string, number | null>;
    confusion_matrix?: number[][];
    calibration_bins?: { count: number; mean_predicted: number | null; fraction_positive: number | null }[];
    fairness: Record<string, Record<string, unknown> & { groups: Record<string, unknown>[] }>;
    resample: { indices: number[]; metrics: Record<string, number | null> };
  };
}

const load = (file: string) => JSON.parse(readFileSync(new URL(`../fixtures/evaluate/${file}`, import.meta.url), 'utf8')) as { sklearn: string; datasets: Dataset[] };
const golden = load('golden.json');
/** edge cases: one-row and one-class groups, all predicted positive, all scores tied, many groups, … (make_golden_edges.py) */
const edges = load('golden-edges.json');

/** 1e-9 relative; 1e-12 absolute for values near 0. null must match null exactly. */
function close(actual: unknown, expected: unknown, what: string): void {
  if (expected === null || expected === undefined) {
    expect(actual, `${what}: expected null`).toBeNull();
    return;
  }
  if (typeof expected !== 'number') {
    expect(actual, what).toEqual(expected);
    return;
  }
  expect(typeof actual, `${what}: expected a number, got ${String(actual)}`).toBe('number');
  const a = actual as number;
  const err = Math.abs(a - expected);
  expect(err <= 1e-9 * Math.abs(expected) || err <= 1e-12, `${what}: ${a} vs sklearn ${expected} (error ${err})`).toBe(true);
}

function predictions(d: Dataset): Predictions {
  if (d.task === 'binary-classification') return { task: d.task, y: Uint8Array.from(d.y), p: Float64Array.from(d.scores as number[]), threshold: d.threshold! };
  if (d.task === 'multiclass-classification') return { task: d.task, y: Int32Array.from(d.y), probs: Float64Array.from((d.scores as number[][]).flat()), classes: d.classes! };
  return { task: d.task, y: Float64Array.from(d.y), yhat: Float64Array.from(d.scores as number[]) };
}

function attributes(d: Dataset): Record<string, Groups> {
  const out: Record<string, Groups> = {};
  for (const [name, col] of Object.entries(d.sensitive)) out[name] = encodeGroups([col]);
  for (const combo of d.intersections) out[intersectionName(combo)] = encodeGroups(combo.map((c) => d.sensitive[c]));
  return out;
}

describe(`metrics match scikit-learn ${golden.sklearn} golden values`, () => {
  it('covers the cases the issue names', () => {
    const names = golden.datasets.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['binary_ties', 'binary_perfect', 'multiclass', 'regression', 'binary_one_class']));
    expect(golden.datasets.length).toBeGreaterThanOrEqual(6);
  });

  it('covers the edge cases', () => {
    expect(edges.datasets.map((d) => d.name)).toEqual(
      expect.arrayContaining(['single_row_and_one_class_groups', 'all_predicted_positive', 'all_scores_tied', 'confidently_wrong', 'many_groups', 'multiclass_ties', 'regression_one_row', 'regression_constant_tenths']),
    );
  });

  describe.each([...golden.datasets, ...edges.datasets].map((d) => [d.name, d] as const))('%s', (_name, d) => {
    const pred = predictions(d);
    const kernel = makeKernel(pred);

    it('every metric', () => {
      const m = kernel.metrics(null);
      expect(Object.keys(m).sort()).toEqual(Object.keys(d.expected.metrics).sort());
      for (const [k, v] of Object.entries(d.expected.metrics)) close(m[k], v, `${d.name}.${k}`);
    });

    it('every metric on a bootstrap resample (rows drawn by numpy, passed as counts)', () => {
      const counts = new Uint32Array(d.y.length);
      for (const i of d.expected.resample.indices) counts[i]++;
      const m = kernel.metrics(counts);
      for (const [k, v] of Object.entries(d.expected.resample.metrics)) close(m[k], v, `${d.name}.resample.${k}`);
    });

    if (d.task === 'binary-classification') {
      it('confusion matrix and calibration bins', () => {
        const { extras } = (kernel as BinaryKernel).full();
        expect(extras.confusion_matrix).toEqual(d.expected.confusion_matrix);
        d.expected.calibration_bins!.forEach((b, i) => {
          expect(extras.calibration.bins[i].count).toBe(b.count);
          close(extras.calibration.bins[i].mean_predicted, b.mean_predicted, `bin ${i} mean_predicted`);
          close(extras.calibration.bins[i].fraction_positive, b.fraction_positive, `bin ${i} fraction_positive`);
        });
      });
    }

    it('every fairness figure, per group and between groups', () => {
      const f = fairnessReport(pred, attributes(d), d.min_group_size);
      expect(Object.keys(f).sort()).toEqual(Object.keys(d.expected.fairness).sort());
      for (const [attr, exp] of Object.entries(d.expected.fairness)) {
        const got = f[attr];
        expect(got.groups.map((g) => g.group)).toEqual(exp.groups.map((g) => g.group));
        exp.groups.forEach((g, i) => {
          for (const [k, v] of Object.entries(g)) {
            if (k === 'group') continue;
            close((got.groups[i] as unknown as Record<string, unknown>)[k], v, `${d.name}.${attr}.${String(g.group)}.${k}`);
          }
        });
        for (const [k, v] of Object.entries(exp)) {
          if (k === 'groups') continue;
          close((got as unknown as Record<string, unknown>)[k], v, `${d.name}.${attr}.${k}`);
        }
      }
    });
  });
});
