/**
 * The drift report: the JSON written by `slipway drift --report` and the markdown for the job summary
 * and the drift issue. Pure. Feature names, category values, notes, reasons and sources come from the
 * data and the prediction logs (anyone who can call the model can put a value there), so every one
 * is escaped as the PR report's are (report/escape.ts): no mention, link, image, HTML or extra cell.
 */
import type { FeatureDrift, MissingDrift, UnseenDrift } from './compare.js';
import type { PerformanceDrift } from './performance.js';
import { TESTS } from './tests.js';
import { code, md } from '../report/escape.js';

export interface DriftReport {
  drifted: boolean;
  model: string;
  env: string | null;
  reference: { kind: 'package' | 'data'; source: string; rows: number; version?: string; digest?: string };
  /** skipped_lines: cut-short last lines of log files (file:line), left out */
  current: { kind: 'data' | 'logs'; source: string; rows: number; skipped_lines?: string[] };
  features: Record<string, FeatureDrift>;
  drifted_features: string[];
  share_of_drifted_features: number;
  prediction: FeatureDrift | null;
  performance: PerformanceDrift | null;
  missing: Record<string, MissingDrift>;
  unseen_categories: Record<string, UnseenDrift>;
  /** features the current window lacks entirely */
  missing_columns: string[];
  /** one line per reason the window drifted */
  reasons: string[];
  generated_at: string;
}

export function reasonsOf(r: Omit<DriftReport, 'reasons' | 'drifted'>, featuresDrifted: boolean): string[] {
  const out: string[] = [];
  if (featuresDrifted) out.push(`${r.drifted_features.length} of ${Object.keys(r.features).length} features drifted: ${r.drifted_features.join(', ')}`);
  if (r.prediction?.drifted) out.push(`prediction drift (${r.prediction.test} ${fmt(r.prediction.statistic)})`);
  if (r.performance?.drifted) out.push(`performance drift: ${r.performance.metric} ${fmt(r.performance.current)} vs ${fmt(r.performance.reference)} at training`);
  for (const [f, m] of Object.entries(r.missing)) if (m.drifted) out.push(`missing values in ${f}: ${pct(m.ref_rate)} → ${pct(m.cur_rate)}`);
  for (const [f, u] of Object.entries(r.unseen_categories)) if (u.drifted) out.push(`unseen categories in ${f}: ${pct(u.share)} of rows (${u.categories.slice(0, 3).join(', ')})`);
  if (r.missing_columns.length) out.push(`columns absent from the window: ${r.missing_columns.join(', ')}`);
  return out;
}

/** A statistic as the drift report shows it: 4 decimals, tiny values in exponent form, n/a for none. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  if (v !== 0 && Math.abs(v) < 1e-4) return v.toExponential(2);
  return v.toFixed(4);
}

/** A share as a percentage with 2 decimals. */
export function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

function featureRow(name: string, f: FeatureDrift): string {
  const gate = TESTS[f.test].gate === 'p_value' ? '<' : '≥';
  // a sketch's certified interval, where it is wider than the printed digits
  const bounds = f.bounds && fmt(f.bounds[0]) !== fmt(f.bounds[1]) ? ` (${fmt(f.bounds[0])}–${fmt(f.bounds[1])})` : '';
  const note = f.note ? ` ⚠️ ${md(f.note, 300)}` : '';
  return `| ${md(name, 100)} | ${f.drifted ? '🔴 drift' : '🟢 ok'} | ${f.test} | ${fmt(f.statistic)}${bounds} | ${gate} ${f.threshold} | ${fmt(f.p_value)} | ${f.n_ref} | ${f.n_cur} | ${f.basis}${note} |`;
}

export function renderMarkdown(r: DriftReport): string {
  const lines: string[] = [];
  lines.push(`## ${r.drifted ? '🔴 Drift detected' : '🟢 No drift'}: ${md(r.model, 100)}${r.env ? ` in ${md(r.env, 100)}` : ''}`, '');
  if (r.reasons.length) {
    for (const x of r.reasons) lines.push(`- ${md(x, 1000)}`);
    lines.push('');
  }
  lines.push(`Reference: ${code(r.reference.source, 200)} (${r.reference.rows} rows). Current window: ${code(r.current.source, 200)} (${r.current.rows} rows).`, '');
  const skipped = r.current.skipped_lines ?? [];
  if (skipped.length) lines.push(`Skipped the cut-short last line of ${skipped.length} log file(s) (a write interrupted): ${skipped.slice(0, 5).map((x) => code(x, 200)).join(', ')}${skipped.length > 5 ? ', …' : ''}.`, '');
  lines.push('| feature | verdict | test | statistic | drift if | p-value | n ref | n cur | basis |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, f] of Object.entries(r.features)) lines.push(featureRow(name, f));
  if (r.prediction) lines.push(featureRow('(prediction)', r.prediction));
  lines.push('');
  const miss = Object.entries(r.missing).filter(([, m]) => m.ref_rate > 0 || m.cur_rate > 0);
  if (miss.length) {
    lines.push('**Missing values**', '', '| feature | reference | current | change | drift if | verdict |', '| --- | --- | --- | --- | --- | --- |');
    for (const [f, m] of miss) lines.push(`| ${md(f, 100)} | ${pct(m.ref_rate)} | ${pct(m.cur_rate)} | ${m.difference >= 0 ? '+' : ''}${pct(m.difference)} | > ${pct(m.threshold)} | ${m.drifted ? '🔴' : '🟢'} |`);
    lines.push('');
  }
  const unseen = Object.entries(r.unseen_categories).filter(([, u]) => u.count > 0);
  if (unseen.length) {
    lines.push('**Unseen categories**', '', '| feature | share of rows | categories | verdict |', '| --- | --- | --- | --- |');
    for (const [f, u] of unseen) lines.push(`| ${md(f, 100)} | ${pct(u.share)} | ${u.categories.map((c) => md(c, 60)).join(', ')} | ${u.drifted ? '🔴' : '🟢'} |`);
    lines.push('');
  }
  if (r.performance) {
    const p = r.performance;
    lines.push(`**Performance** (${p.n} labelled predictions): ${p.metric} ${fmt(p.current)} vs ${fmt(p.reference)} at training; drift if worse by more than ${p.threshold}${p.metric === 'rmse' ? ' (relative)' : ''} — ${p.drifted ? '🔴 drift' : '🟢 ok'}`, '');
  }
  lines.push(`<sub>Distance tests (wasserstein, jensenshannon, psi) decide by effect size; their p-values are shown for information. basis: raw = exact on raw values, values = exact value frequencies, sketch = value sketches with certified bounds (shown when wider than the digits), bins = reference histogram bins.</sub>`);
  return lines.join('\n') + '\n';
}
