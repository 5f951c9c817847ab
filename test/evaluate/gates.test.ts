import { describe, expect, it } from 'vitest';
import { checkGates, evaluateGates, parseCondition } from '../../src/evaluate/gates.js';
import type { FairnessAttribute } from '../../src/evaluate/report-types.js';

const attr = (over: Partial<FairnessAttribute>): FairnessAttribute => ({
  groups: [
    { group: 'F', count: 50, selection_rate: 0.2, tpr: 0.5, fpr: 0.1, metric: 0.8, small: false },
    { group: 'M', count: 50, selection_rate: 0.3, tpr: 0.6, fpr: null, metric: 0.82, small: false },
  ],
  demographic_parity_difference: 0.1,
  demographic_parity_ratio: 2 / 3,
  equalized_odds_difference: null,
  equalized_odds_ratio: null,
  equal_opportunity_difference: 0.1,
  ...over,
});

describe('gate conditions', () => {
  it('parses comparisons and rejects anything else', () => {
    expect(parseCondition('>= 0.75')).toEqual({ op: '>=', value: 0.75, text: '>= 0.75' });
    expect(parseCondition('  <-0.005 ')).toMatchObject({ op: '<', value: -0.005 });
    expect(parseCondition('== 1e-3')).toMatchObject({ op: '==', value: 0.001 });
    for (const bad of ['0.75', '=> 0.7', '>= abc', '>= 0.7 or so', '']) expect(() => parseCondition(bad)).toThrow(/expected a comparison/);
  });

  it('flags unknown metrics, figures and fairness gates without sensitive attributes up front', () => {
    const issues = checkGates({ metrics: { roc_auc: '>= 0.7', rocauc: '>= 0.7' }, versus_champion: { mae: '<= 0' }, fairness: { parity: '>= 0.8', demographic_parity_ratio: '>= 0.8' } }, 'binary-classification', []);
    expect(issues.map((i) => i.path.join('.'))).toEqual(['gates.metrics.rocauc', 'gates.versus_champion.mae', 'gates.fairness.parity', 'gates.fairness.demographic_parity_ratio']);
    expect(issues[0].message).toContain("unknown metric 'rocauc' for binary-classification; expected one of roc_auc");
    expect(issues[3].message).toContain('data.sensitive');
    expect(checkGates({ metrics: { r2: '>= 0.5' } }, 'regression', [])).toEqual([]);
  });

  it('flags a rate-based fairness figure on a task without a positive class (null on every evaluation, so the gate always failed)', () => {
    const fairness = { demographic_parity_ratio: '>= 0.8', equalized_odds_difference: '<= 0.1', equal_opportunity_difference: '<= 0.1', metric_ratio: '>= 0.9', metric_difference: '<= 0.05' };
    for (const task of ['multiclass-classification', 'regression'] as const) {
      const issues = checkGates({ fairness }, task, ['sex']);
      expect(issues.map((i) => i.path.join('.'))).toEqual(['gates.fairness.demographic_parity_ratio', 'gates.fairness.equalized_odds_difference', 'gates.fairness.equal_opportunity_difference']);
      expect(issues[0].message).toBe(
        `'demographic_parity_ratio' is defined for binary-classification only (it compares rates of the positive class); for ${task} use metric_difference or metric_ratio (the spread of ${task === 'regression' ? 'mae' : 'accuracy'} between groups)`,
      );
    }
    expect(checkGates({ fairness }, 'binary-classification', ['sex'])).toEqual([]);
  });

  it('flags a gate that no value of its figure can pass (every evaluation would fail it), and only those', () => {
    const never = checkGates(
      {
        metrics: { roc_auc: '>= 1.5', f1: '> 1', log_loss: '< 0', brier: '== -0.1' },
        versus_champion: { roc_auc: '< -1', log_loss: '<= -5' },
        fairness: { demographic_parity_ratio: '> 1', equalized_odds_difference: '<= -0.1', metric_difference: '>= 2' },
      },
      'binary-classification',
      ['sex'],
    );
    expect(never.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      "gates.metrics.roc_auc: '>= 1.5' can never pass: roc_auc is between 0 and 1",
      "gates.metrics.f1: '> 1' can never pass: f1 is between 0 and 1",
      "gates.metrics.log_loss: '< 0' can never pass: log_loss is at least 0",
      "gates.metrics.brier: '== -0.1' can never pass: brier is between 0 and 1",
      "gates.versus_champion.roc_auc: '< -1' can never pass: the change in roc_auc is between -1 and 1",
      "gates.fairness.demographic_parity_ratio: '> 1' can never pass: demographic_parity_ratio is between 0 and 1",
      "gates.fairness.equalized_odds_difference: '<= -0.1' can never pass: equalized_odds_difference is between 0 and 1",
    ]);
    expect(checkGates({ metrics: { r2: '> 1' } }, 'regression', [])[0].message).toBe("'> 1' can never pass: r2 is at most 1");
    // the edges themselves can pass, and a change in an unbounded metric can be anything
    const edges = { metrics: { roc_auc: '>= 1', f1: '<= 0', accuracy: '== 1' }, versus_champion: { roc_auc: '<= -1', log_loss: '<= -5' }, fairness: { demographic_parity_ratio: '>= 1', metric_difference: '>= 2' } };
    expect(checkGates(edges, 'binary-classification', ['sex'])).toEqual([]);
  });
});

describe('evaluateGates', () => {
  const gates = {
    metrics: { roc_auc: '>= 0.75', precision: '>= 0.5' },
    versus_champion: { roc_auc: '>= -0.005' },
    fairness: { demographic_parity_ratio: '>= 0.8', equalized_odds_difference: '<= 0.2' },
    latency_p99_ms: 5,
  };

  it('lists each gate with observed, threshold and pass/fail; null fails with a reason', () => {
    const r = evaluateGates(gates, {
      metrics: { roc_auc: 0.8, precision: null },
      champion: { env: 'production', version: '1.0.0' },
      deltas: { roc_auc: { value: -0.01, ci_low: -0.02, ci_high: 0.001 } },
      fairness: { sex: attr({}) },
      latencyP99Ms: 4.2,
      whyNull: (m) => (m === 'precision' ? 'nothing was predicted positive at the threshold 0.5' : undefined),
    });
    expect(r.map((g) => [g.name, g.observed, g.threshold, g.ok])).toEqual([
      ['metrics.roc_auc', 0.8, '>= 0.75', true],
      ['metrics.precision', null, '>= 0.5', false],
      ['versus_champion.roc_auc', -0.01, '>= -0.005', false],
      ['fairness.sex.demographic_parity_ratio', 2 / 3, '>= 0.8', false],
      ['fairness.sex.equalized_odds_difference', null, '<= 0.2', false],
      ['latency_p99_ms', 4.2, '<= 5', true],
    ]);
    expect(r[1].reason).toBe('metrics.precision is n/a: nothing was predicted positive at the threshold 0.5');
    expect(r[2].ci).toEqual([-0.02, 0.001]);
    expect(r[3].reason).toBe('0.6667 is not >= 0.8');
    expect(r[4].reason).toContain('FPR in 1');
  });

  it('skips versus_champion gates on a first deployment, and applies fairness gates per attribute', () => {
    const r = evaluateGates(gates, {
      metrics: { roc_auc: 0.74, precision: 0.6 },
      champion: null,
      deltas: {},
      fairness: { sex: attr({ demographic_parity_ratio: 0.9, equalized_odds_difference: 0.05 }), age_band: attr({ demographic_parity_ratio: 0.5, equalized_odds_difference: 0.05 }) },
      latencyP99Ms: 7,
    });
    const byName = Object.fromEntries(r.map((g) => [g.name, g]));
    expect(byName['versus_champion.roc_auc']).toMatchObject({ ok: true, skipped: true, observed: null });
    expect(byName['metrics.roc_auc'].ok).toBe(false);
    expect(byName['fairness.sex.demographic_parity_ratio'].ok).toBe(true);
    expect(byName['fairness.age_band.demographic_parity_ratio'].ok).toBe(false);
    expect(byName['latency_p99_ms']).toMatchObject({ ok: false, observed: 7, reason: '7 is not <= 5' });
  });
});

describe('versus_champion gates without a delta', () => {
  it('say which model lacks the metric, and why', () => {
    const inp = { champion: { env: 'production', version: '1.0.0' }, deltas: {}, fairness: {}, latencyP99Ms: 1 };
    const gate = { versus_champion: { precision: '>= 0' } };
    const champ = evaluateGates(gate, { ...inp, metrics: { precision: 0.7 }, championMetrics: { precision: null }, whyChampionNull: () => 'no row was predicted positive at the threshold 0.5' });
    expect(champ[0]).toEqual({ name: 'versus_champion.precision', observed: null, threshold: '>= 0', ok: false, reason: 'versus_champion.precision is n/a: the champion 1.0.0 has no precision (no row was predicted positive at the threshold 0.5)' });
    const cand = evaluateGates(gate, { ...inp, metrics: { precision: null }, championMetrics: { precision: null }, whyNull: () => 'no row was predicted positive at the threshold 0.9' });
    expect(cand[0].reason).toBe('versus_champion.precision is n/a: the candidate has no precision (no row was predicted positive at the threshold 0.9)');
  });
});

describe('versus_champion gates with the bootstrap off', () => {
  it('carry no interval when no replicate was drawn (a CI of [value, value] would look like certainty)', () => {
    const inp = { metrics: { roc_auc: 0.8 }, champion: { env: 'production', version: '1.0.0' }, fairness: {}, latencyP99Ms: 1 };
    const off = evaluateGates({ versus_champion: { roc_auc: '>= -0.01' } }, { ...inp, deltas: { roc_auc: { value: 0.02, ci_low: 0.02, ci_high: 0.02, replicates: 0 } } });
    expect(off[0]).toEqual({ name: 'versus_champion.roc_auc', observed: 0.02, threshold: '>= -0.01', ok: true });
    const on = evaluateGates({ versus_champion: { roc_auc: '>= -0.01' } }, { ...inp, deltas: { roc_auc: { value: 0.02, ci_low: 0.01, ci_high: 0.03, replicates: 200 } } });
    expect(on[0].ci).toEqual([0.01, 0.03]);
  });
});
