import type { ModelSpec } from '../spec/types.js';
import { FAIRNESS_FIGURES, FAIRNESS_RANGE, type FairnessFigure } from './fairness.js';
import { metricsFor, type MetricValues, type TaskName } from './kernel.js';
import type { FairnessAttribute, GateResult, Interval } from './report-types.js';

/**
 * Gates from model.yaml `gates:`. A condition is a comparison such as ">= 0.75".
 * - metrics.<m>: the candidate's metric m;
 * - versus_champion.<m>: the candidate-minus-champion delta of m (its bootstrap CI is shown; the gate
 *   compares the point delta); skipped (ok) on a first deployment, when there is no champion;
 * - fairness.<figure>: applied to every sensitive attribute and configured intersection, one gate each,
 *   named fairness.<attribute>.<figure>;
 * - latency_p99_ms: single-row p99 latency must be ≤ the number.
 * A null observation (an undefined metric) fails its gate, with the reason in words.
 */
export type Op = '>=' | '<=' | '>' | '<' | '==';

export interface Condition {
  op: Op;
  value: number;
  text: string;
}

const CONDITION = /^\s*(>=|<=|>|<|==)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$/;

export function parseCondition(text: string): Condition {
  const m = CONDITION.exec(text);
  if (!m) throw new Error(`expected a comparison such as ">= 0.75" (one of >=, <=, >, <, == and a number), got "${text}"`);
  return { op: m[1] as Op, value: Number(m[2]), text: `${m[1]} ${m[2]}` };
}

export function holds(observed: number, c: Condition): boolean {
  switch (c.op) {
    case '>=':
      return observed >= c.value;
    case '<=':
      return observed <= c.value;
    case '>':
      return observed > c.value;
    case '<':
      return observed < c.value;
    case '==':
      return observed === c.value;
  }
}

export interface GateIssue {
  /** path in model.yaml, e.g. ['gates', 'metrics', 'roc_auc'] */
  path: string[];
  message: string;
}

/** Checks gate names and conditions before any work is done, so a typo is a config error (exit 2). */
export function checkGates(gates: ModelSpec['gates'], task: TaskName, attributes: string[]): GateIssue[] {
  const issues: GateIssue[] = [];
  if (!gates) return issues;
  const infos = metricsFor(task);
  const known = infos.map((m) => m.name);
  /** the condition's syntax, then whether any value the gated figure can take passes it */
  const check = (path: string[], text: string, range: [number, number] | undefined, what: string) => {
    try {
      const problem = range && neverPasses(parseCondition(text), range, what);
      if (problem) issues.push({ path, message: problem });
    } catch (e) {
      issues.push({ path, message: (e as Error).message });
    }
  };
  for (const section of ['metrics', 'versus_champion'] as const) {
    for (const [name, cond] of Object.entries(gates[section] ?? {})) {
      const info = infos.find((m) => m.name === name);
      if (!info) issues.push({ path: ['gates', section, name], message: `unknown metric '${name}' for ${task}; expected one of ${known.join(', ')}` });
      // a change in the metric is within ±(hi − lo)
      const range: [number, number] | undefined = info && (section === 'metrics' ? info.range : [info.range[0] - info.range[1], info.range[1] - info.range[0]]);
      check(['gates', section, name], cond, range, section === 'metrics' ? name : `the change in ${name}`);
    }
  }
  for (const [name, cond] of Object.entries(gates.fairness ?? {})) {
    const figure = (FAIRNESS_FIGURES as readonly string[]).includes(name) ? (name as FairnessFigure) : undefined;
    if (!figure) issues.push({ path: ['gates', 'fairness', name], message: `unknown fairness figure '${name}'; expected one of ${FAIRNESS_FIGURES.join(', ')}` });
    else if (task !== 'binary-classification' && !figure.startsWith('metric_')) {
      // selection rates, TPR and FPR need a positive class: the figure is null on every evaluation, and the gate fails
      issues.push({ path: ['gates', 'fairness', name], message: `'${name}' is defined for binary-classification only (it compares rates of the positive class); for ${task} use metric_difference or metric_ratio (the spread of ${task === 'regression' ? 'mae' : 'accuracy'} between groups)` });
    } else if (attributes.length === 0) issues.push({ path: ['gates', 'fairness', name], message: 'a fairness gate needs sensitive attributes: set data.sensitive' });
    check(['gates', 'fairness', name], cond, figure && FAIRNESS_RANGE[figure], name);
  }
  return issues;
}

/** Why no value within [lo, hi] passes `c` (a gate that fails every evaluation), or undefined when some value does. */
function neverPasses(c: Condition, [lo, hi]: [number, number], what: string): string | undefined {
  const never = c.op === '>=' ? c.value > hi : c.op === '>' ? c.value >= hi : c.op === '<=' ? c.value < lo : c.op === '<' ? c.value <= lo : c.value < lo || c.value > hi;
  if (!never) return undefined;
  const span = lo === -Infinity ? `at most ${hi}` : hi === Infinity ? `at least ${lo}` : `between ${lo} and ${hi}`;
  return `'${c.text}' can never pass: ${what} is ${span}`;
}

export interface GateInputs {
  metrics: MetricValues;
  /** null on a first deployment */
  champion: { env: string; version: string } | null;
  deltas: Record<string, Interval>;
  fairness: Record<string, FairnessAttribute>;
  latencyP99Ms: number | null;
  /** why a metric is undefined, when known (e.g. "the test data has a single class") */
  whyNull?: (metric: string) => string | undefined;
  /** the champion's metrics and why one is undefined: a versus_champion gate without a delta says which model lacks the metric */
  championMetrics?: MetricValues | null;
  whyChampionNull?: (metric: string) => string | undefined;
}

export function evaluateGates(gates: ModelSpec['gates'], inp: GateInputs): GateResult[] {
  const out: GateResult[] = [];
  if (!gates) return out;
  const judge = (name: string, observed: number | null, cond: Condition, whyNull: string): GateResult => {
    if (observed === null || Number.isNaN(observed)) return { name, observed: null, threshold: cond.text, ok: false, reason: `${name} is n/a: ${whyNull}` };
    const ok = holds(observed, cond);
    return { name, observed, threshold: cond.text, ok, ...(ok ? {} : { reason: `${fmt(observed)} is not ${cond.text}` }) };
  };
  for (const [m, text] of Object.entries(gates.metrics ?? {})) {
    out.push(judge(`metrics.${m}`, inp.metrics[m] ?? null, parseCondition(text), inp.whyNull?.(m) ?? 'the metric is undefined on this data'));
  }
  for (const [m, text] of Object.entries(gates.versus_champion ?? {})) {
    const cond = parseCondition(text);
    const name = `versus_champion.${m}`;
    if (!inp.champion) {
      out.push({ name, observed: null, threshold: cond.text, ok: true, skipped: true, reason: 'no champion: first deployment' });
      continue;
    }
    const d = inp.deltas[m];
    const g = judge(name, d ? d.value : null, cond, noDelta(m, inp));
    // no interval without replicates (--bootstrap 0, or the metric undefined on every resample)
    if (d && d.replicates !== 0) g.ci = [d.ci_low, d.ci_high];
    out.push(g);
  }
  for (const [fig, text] of Object.entries(gates.fairness ?? {})) {
    const cond = parseCondition(text);
    for (const [attr, f] of Object.entries(inp.fairness)) {
      const v = (f as unknown as Record<string, number | null | undefined>)[fig] ?? null;
      out.push(judge(`fairness.${attr}.${fig}`, v, cond, whyFairnessNull(fig, f)));
    }
  }
  if (gates.latency_p99_ms !== undefined) {
    out.push(judge('latency_p99_ms', inp.latencyP99Ms, { op: '<=', value: gates.latency_p99_ms, text: `<= ${gates.latency_p99_ms}` }, 'latency was not measured'));
  }
  return out;
}

/** Why a versus_champion gate has no delta: which model lacks the metric, and why when known. */
function noDelta(m: string, inp: GateInputs): string {
  const because = (why: string | undefined) => (why ? ` (${why})` : '');
  if ((inp.metrics[m] ?? null) === null) return `the candidate has no ${m}${because(inp.whyNull?.(m))}`;
  if (inp.championMetrics && (inp.championMetrics[m] ?? null) === null) return `the champion ${inp.champion!.version} has no ${m}${because(inp.whyChampionNull?.(m))}`;
  return `${m} is undefined for the candidate or for the champion ${inp.champion!.version}`;
}

function whyFairnessNull(fig: string, f: FairnessAttribute): string {
  const defined = (key: 'selection_rate' | 'tpr' | 'fpr' | 'metric') => f.groups.filter((g) => g[key] !== null).length;
  if (f.groups.length < 2) return `only ${f.groups.length} group in the data; a comparison needs two`;
  if (fig.startsWith('demographic_parity')) {
    if (defined('selection_rate') < 2) return 'selection rates are undefined for this task';
    return 'every group has a selection rate of 0';
  }
  if (fig.startsWith('metric_')) return `${f.metric_name ?? 'the metric'} is defined in ${defined('metric')} group(s); a comparison needs two (and a ratio a maximum above 0)`;
  const parts = [`TPR is defined in ${defined('tpr')} group(s)`];
  if (fig.startsWith('equalized_odds')) parts.push(`FPR in ${defined('fpr')}`);
  return `${parts.join(', ')}; each needs two groups with data (a group without positives has no TPR, without negatives no FPR), and a ratio a maximum above 0`;
}

export function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}
