import { markdownTable } from 'markdown-table';
import { code, CONTROL_CHARS, md } from '../report/escape.js';
import { fmt } from './gates.js';
import type { EvaluationReport, FairnessAttribute, Interval } from './report-types.js';

const n = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : fmt(x));
const signed = (x: number) => (x > 0 ? '+' : '') + fmt(x);

/**
 * A delta and its interval; when the metric was undefined on some resamples (a resample without a
 * positive has no ROC AUC), how many replicates the interval rests on, since it describes only those.
 */
function deltaText(d: Interval, samples: number, open: string, close: string): string {
  if (d.replicates === 0) return signed(d.value);
  const partial = d.replicates !== undefined && d.replicates < samples ? ` from ${d.replicates} of ${samples} replicates` : '';
  return `${signed(d.value)} ${open}${signed(d.ci_low)}, ${signed(d.ci_high)}${partial}${close}`;
}

/**
 * A value from the test data (a group) on one line of the printed summary: control characters shown as
 * \u escapes (a newline inside a CSV field must not start a line of its own), and quoted when it would
 * begin with '::' — GitHub's runner reads such a line, leading spaces trimmed, as a workflow command.
 */
export function plain(s: string): string {
  const t = s.replace(CONTROL_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return /^\s*::/.test(t) ? `'${t}'` : t;
}

function pad(rows: string[][]): string[] {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => c.padEnd(widths[j])).join('  ').trimEnd());
}

function verdict(r: EvaluationReport): string {
  const failed = r.gates.filter((g) => !g.ok);
  if (!r.gates.length) return 'PASS (no gates configured)';
  // skipped gates (versus_champion on a first deployment) are not counted as passed, as the PR report counts them
  const skipped = r.gates.filter((g) => g.skipped).length;
  const counted = r.gates.length - skipped;
  if (failed.length) return `FAIL: ${failed.length} of ${r.gates.length} gates failed`;
  if (counted === 0) return `PASS: no gate applies (${skipped} skipped: no champion)`;
  return `PASS: all ${counted} gate${counted === 1 ? '' : 's'} pass${skipped ? ` (${skipped} skipped: no champion)` : ''}`;
}

function direction(better: boolean | undefined, d: { value: number; ci_low: number; ci_high: number }): string {
  if (better === undefined || d.ci_low === d.ci_high) return '';
  const up = d.ci_low > 0;
  const down = d.ci_high < 0;
  if (!up && !down) return 'within noise';
  return up === better ? 'better' : 'worse';
}

/** The summary printed to stdout. */
export function renderText(r: EvaluationReport): string {
  const out: string[] = [];
  const champ = r.champion ? `champion ${r.champion.version} (${r.champion.env})` : 'no champion (first deployment)';
  out.push(`${r.model} ${r.candidate.version} (${r.candidate.digest.slice(0, 19)}…) vs ${champ}`);
  out.push(`data: ${r.data.uri}, ${r.data.rows.toLocaleString('en-US')} rows${r.threshold !== undefined ? `, threshold ${r.threshold}` : ''}`);
  for (const w of r.warnings ?? []) out.push(`warning: ${w}`);
  out.push('');
  const pct = Math.round(r.bootstrap.confidence * 100);
  const rows = [['metric', 'candidate', ...(r.metrics.champion ? ['champion', r.bootstrap.samples > 0 ? `delta [${pct}% CI]` : 'delta (bootstrap off: no CI)', ''] : [])]];
  for (const [m, v] of Object.entries(r.metrics.candidate)) {
    const d = r.deltas[m];
    const row = [m, n(v)];
    if (r.metrics.champion) row.push(n(r.metrics.champion[m]), d ? deltaText(d, r.bootstrap.samples, '[', ']') : 'n/a', d && d.replicates !== 0 ? direction(d.higher_is_better, d) : '');
    rows.push(row);
  }
  out.push(...pad(rows));
  if (Object.keys(r.fairness).length) {
    out.push('', `fairness (groups under ${r.min_group_size ?? '?'} rows are marked *):`);
    for (const [attr, f] of Object.entries(r.fairness)) out.push(...fairnessText(attr, f));
  }
  const l = r.latency;
  out.push('', `latency (${l.execution_provider}): single row p50 ${fmt(l.single_p50_ms)} ms, p99 ${fmt(l.single_p99_ms)} ms; batch of ${l.batch_size} p50 ${fmt(l.batch_p50_ms)} ms, p99 ${fmt(l.batch_p99_ms)} ms (${Math.round(l.rows_per_s).toLocaleString('en-US')} rows/s)`);
  out.push('', 'gates:');
  if (!r.gates.length) out.push('  (none configured in model.yaml)');
  for (const g of r.gates) {
    const mark = g.skipped ? '-' : g.ok ? '✓' : '✗';
    const ci = g.ci ? ` [CI ${signed(g.ci[0])}, ${signed(g.ci[1])}]` : '';
    out.push(`  ${mark} ${g.name}: ${g.observed === null ? 'n/a' : fmt(g.observed)}${ci} (needs ${g.threshold})${g.reason && !g.ok ? ` — ${g.reason}` : g.skipped ? ` — skipped: ${g.reason}` : ''}`);
  }
  out.push('', `verdict: ${verdict(r)}`);
  return out.join('\n') + '\n';
}

function fairnessText(attr: string, f: FairnessAttribute): string[] {
  const lines = [`  ${plain(attr)}: demographic parity difference ${n(f.demographic_parity_difference)}, ratio ${n(f.demographic_parity_ratio)}; equalized odds difference ${n(f.equalized_odds_difference)}, ratio ${n(f.equalized_odds_ratio)}; equal opportunity difference ${n(f.equal_opportunity_difference)}`];
  const rows = [['    group', 'count', 'selection', 'TPR', 'FPR', f.metric_name ?? 'metric']];
  for (const g of f.groups) rows.push([`    ${plain(g.group)}${g.small ? ' *' : ''}`, String(g.count), n(g.selection_rate), n(g.tpr), n(g.fpr), n(g.metric)]);
  return lines.concat(pad(rows));
}

/**
 * The short markdown for the job summary (the full PR comment is `slipway report`'s job). Names and
 * messages come from model.yaml, the schema and the data (a fork's PR can set them), so they are escaped
 * as the report's are: a column named `a|b` or `@org/team` must not split a table cell or ping anyone.
 */
export function renderMarkdown(r: EvaluationReport): string {
  const ok = r.ok;
  const lines = [`### ${ok ? '✅' : '❌'} evaluate ${md(r.model, 100)} ${md(r.candidate.version, 100)}: ${verdict(r)}`, ''];
  for (const w of r.warnings ?? []) lines.push(`> [!WARNING]\n> ${md(w, 500)}`, '');
  lines.push(r.champion ? `Compared with ${md(r.champion.version, 100)} pinned in ${code(r.champion.env, 100)} on ${r.data.rows.toLocaleString('en-US')} rows.` : `First deployment (no champion); ${r.data.rows.toLocaleString('en-US')} test rows.`, '');
  if (r.gates.length) {
    lines.push(
      markdownTable([
        ['gate', 'observed', 'threshold', 'result'],
        ...r.gates.map((g) => [md(g.name), `${g.observed === null ? 'n/a' : fmt(g.observed)}${g.ci ? ` [${fmt(g.ci[0])}, ${fmt(g.ci[1])}]` : ''}`, md(g.threshold, 100), g.skipped ? 'skipped' : g.ok ? 'pass' : `**fail**${g.reason ? ` (${md(g.reason)})` : ''}`]),
      ]),
      '',
    );
  }
  const ms = Object.entries(r.metrics.candidate);
  lines.push(
    markdownTable([
      ['metric', 'candidate', ...(r.metrics.champion ? ['champion', 'delta (CI)'] : [])],
      ...ms.map(([m, v]) => {
        const d = r.deltas[m];
        return [md(m, 100), n(v), ...(r.metrics.champion ? [n(r.metrics.champion[m]), d ? deltaText(d, r.bootstrap.samples, '(', ')') : 'n/a'] : [])];
      }),
    ]),
  );
  return lines.join('\n') + '\n';
}
