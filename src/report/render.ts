/**
 * The markdown report reviewers decide from (pure: data in, markdown out). Verdict first, then the
 * evidence: gates, candidate vs champion with CIs, fairness per group, data validation, latency,
 * lineage and links, with Mermaid charts. Every string from the inputs is escaped (escape.ts).
 */
import { markdownTable } from 'markdown-table';
import type { EvaluationReport, FairnessAttribute, GateResult } from '../evaluate/report-types.js';
import type { ValidationReport } from '../data/validation-types.js';
import type { ModelCard } from '../package/card.js';
import { code, md, reportMarker } from './escape.js';
import { arrow, direction, duration, higherIsBetter, missedBy, num, pct, signed } from './format.js';
import { calibrationChart, groupBars, rocChart } from './charts.js';

/** The parts of the model card the report shows. */
export type CardLineage = Pick<ModelCard, 'name' | 'version' | 'lineage'> & Partial<Pick<ModelCard, 'created_at' | 'task'>>;

export interface ReportInput {
  evaluation: EvaluationReport;
  validation?: ValidationReport;
  card?: CardLineage;
  links?: {
    /** the Actions run that evaluated the model */
    run?: string;
    /** where the full report and packages are (the run's artifacts) */
    artifacts?: string;
    /** https://github.com/<owner>/<repo> — to link commits */
    repository?: string;
  };
  /** slipway version, for the footer */
  tool?: string;
}

export interface RenderOptions {
  /** rows per table before "… and N more" (the PR comment uses a cap; the job summary shows all) */
  maxRows?: number;
}

export interface Section {
  id: string;
  title: string;
  markdown: string;
}

const table = (rows: string[][], align?: string[]) => markdownTable(rows, { alignDelimiters: false, ...(align ? { align } : {}) });

function capped<T>(items: T[], max: number): { shown: T[]; more: number } {
  return items.length > max ? { shown: items.slice(0, max), more: items.length - max } : { shown: items, more: 0 };
}

function moreLine(more: number, what: string): string {
  return more > 0 ? `\n\n… and ${more} more ${what} (see the full report in the job summary or artifact).` : '';
}

export function verdictOf(e: EvaluationReport): { ok: boolean; failed: GateResult[]; headline: string } {
  const failed = e.gates.filter((g) => !g.ok);
  const ok = e.ok && failed.length === 0;
  const counted = e.gates.filter((g) => !g.skipped).length;
  const skipped = e.gates.length - counted;
  const headline = !e.gates.length
    ? 'no gates configured'
    : ok && counted === 0
      ? `no gate applies (${skipped} skipped: no champion to compare with)`
      : ok
        ? `all ${counted} gate${counted === 1 ? '' : 's'} pass${skipped ? ` (${skipped} skipped)` : ''}`
        : `${failed.length} of ${e.gates.length} gate${e.gates.length === 1 ? '' : 's'} failed`;
  return { ok, failed, headline };
}

function gateRow(g: GateResult, withMargin: boolean): string[] {
  const status = g.skipped ? '⏭️ skipped' : g.ok ? '✅ pass' : '❌ fail';
  const ci = g.ci ? ` [${signed(g.ci[0])}, ${signed(g.ci[1])}]` : '';
  const row = [status, md(g.name), `${num(g.observed)}${ci}`, md(g.threshold, 100)];
  if (withMargin) {
    const by = missedBy(g.observed, g.threshold);
    row.push(g.ok ? '' : by !== undefined ? num(by) : md(g.reason ?? 'n/a', 300));
  }
  return row;
}

function verdictSection(inp: ReportInput, o: Required<RenderOptions>): Section {
  const e = inp.evaluation;
  const v = verdictOf(e);
  const icon = v.ok ? '✅' : '❌';
  const lines = [`## ${icon} ${md(e.model, 100)} ${md(e.candidate.version, 100)}: ${v.headline}`, ''];
  if (v.failed.length) {
    const { shown, more } = capped(v.failed, o.maxRows);
    lines.push(table([['', 'Failed gate', 'Observed', 'Threshold', 'Missed by'], ...shown.map((g) => gateRow(g, true))]) + moreLine(more, 'failed gates'), '');
  }
  const champ = e.champion
    ? `vs champion **${md(e.champion.version, 100)}** in ${code(e.champion.env, 100)} (${code(short(e.champion.digest))})`
    : 'first deployment: no champion to compare with';
  lines.push(`Candidate **${md(e.candidate.version, 100)}** (${code(short(e.candidate.digest))}) ${champ}.`);
  const pctCi = Math.round(e.bootstrap.confidence * 100);
  lines.push(
    `Test data ${code(e.data.uri, 200)}: ${e.data.rows.toLocaleString('en-US')} rows${e.data.digest ? ` (${code(short(e.data.digest))})` : ''}` +
      (!e.champion
        ? '.'
        : e.bootstrap.samples > 0
          ? `; ${pctCi}% confidence intervals from ${e.bootstrap.samples.toLocaleString('en-US')} paired bootstrap replicates (seed ${e.bootstrap.seed}).`
          : '; the bootstrap was off (`--bootstrap 0`): point deltas only, no confidence intervals.'),
  );
  // evaluate's warnings (a feature mostly null in the test data): the numbers above may not mean what they seem
  for (const w of (e.warnings ?? []).slice(0, o.maxRows)) lines.push('', `⚠️ ${md(w, 300)}`);
  if (inp.validation) {
    const vr = inp.validation;
    const errors = vr.violations.filter((x) => x.severity === 'error').length;
    lines.push(`Data contract: ${vr.ok ? '✅ passed' : `❌ ${errors} violation${errors === 1 ? '' : 's'}`} on ${vr.rows.toLocaleString('en-US')} rows.`);
  }
  return { id: 'verdict', title: 'Verdict', markdown: lines.join('\n') };
}

function short(digest: string): string {
  return digest.length > 19 ? digest.slice(0, 19) + '…' : digest;
}

function gatesSection(e: EvaluationReport, o: Required<RenderOptions>): Section | undefined {
  if (!e.gates.length) return { id: 'gates', title: 'Gates', markdown: '### Gates\n\nNo gates are configured in model.yaml: nothing blocks this model.' };
  const { shown, more } = capped(e.gates, o.maxRows);
  return {
    id: 'gates',
    title: 'Gates',
    markdown: `### Gates\n\n${table([['', 'Gate', 'Observed', 'Threshold', 'Missed by'], ...shown.map((g) => gateRow(g, true))])}${moreLine(more, 'gates')}`,
  };
}

function metricsSection(e: EvaluationReport, o: Required<RenderOptions>): Section {
  const names = Object.keys(e.metrics.candidate);
  const { shown, more } = capped(names, o.maxRows);
  const pctCi = Math.round(e.bootstrap.confidence * 100);
  let body: string;
  if (!e.metrics.champion) {
    body = table([['Metric', 'Candidate'], ...shown.map((m) => [md(m, 100), num(e.metrics.candidate[m])])], ['l', 'r']);
  } else {
    const rows = [['Metric', 'Candidate', 'Champion', 'Δ', `${pctCi}% CI`, 'Direction']];
    /** an interval from fewer replicates than were drawn (the metric was undefined in some resamples) */
    const partial = (k: number | undefined) => k !== undefined && k > 0 && k < e.bootstrap.samples;
    for (const m of shown) {
      const d = e.deltas[m];
      // a delta without replicates has no interval: its sign is shown, but it is neither better nor worse
      const ci = d && d.replicates !== 0;
      const dir = d && ci ? direction(d.ci_low, d.ci_high, higherIsBetter(m, d.higher_is_better)) : undefined;
      rows.push([
        md(m, 100),
        num(e.metrics.candidate[m]),
        num(e.metrics.champion[m]),
        d ? signed(d.value) : 'n/a',
        d && ci ? `[${signed(d.ci_low)}, ${signed(d.ci_high)}]${partial(d.replicates) ? ` (${d.replicates!.toLocaleString('en-US')} of ${e.bootstrap.samples.toLocaleString('en-US')})` : ''}` : 'n/a',
        d && dir ? arrow(d.value, dir) : d ? `${d.value > 0 ? '▲' : d.value < 0 ? '▼' : '＝'} no interval` : 'n/a',
      ]);
    }
    body = table(rows, ['l', 'r', 'r', 'r', 'c', 'l']);
    const anyInterval = Object.values(e.deltas).some((d) => d.replicates !== 0);
    if (shown.some((m) => partial(e.deltas[m]?.replicates))) {
      body += '\n\n(k of N): the metric was undefined in the other resamples (for example one with no predicted positive), so its interval rests on k replicates.';
    }
    body += anyInterval
      ? '\n\n▲/▼: sign of candidate − champion; "better"/"worse" only when the whole confidence interval is on one side of zero.'
      : '\n\n▲/▼: sign of candidate − champion; without confidence intervals no change is called an improvement or a regression.';
  }
  let extra = '';
  if (e.threshold !== undefined) extra += `\n\nDecision threshold: ${num(e.threshold)}.`;
  if (e.confusion_matrix && e.confusion_matrix.length === 2 && e.confusion_matrix.every((r) => r.length === 2)) {
    const [[tn, fp], [fn, tp]] = e.confusion_matrix;
    extra += `\n\n${table([['', 'Predicted 0', 'Predicted 1'], ['**Actual 0**', num(tn), num(fp)], ['**Actual 1**', num(fn), num(tp)]], ['l', 'r', 'r'])}`;
  }
  return { id: 'metrics', title: 'Candidate vs champion', markdown: `### ${e.metrics.champion ? 'Candidate vs champion' : 'Metrics'}\n\n${body}${moreLine(more, 'metrics')}${extra}` };
}

const FIGURES: [keyof FairnessAttribute, string][] = [
  ['demographic_parity_difference', 'demographic parity difference'],
  ['demographic_parity_ratio', 'demographic parity ratio'],
  ['equalized_odds_difference', 'equalized odds difference'],
  ['equalized_odds_ratio', 'equalized odds ratio'],
  ['equal_opportunity_difference', 'equal opportunity difference'],
];

function fairnessSection(e: EvaluationReport, o: Required<RenderOptions>): Section | undefined {
  const attrs = Object.entries(e.fairness);
  if (!attrs.length) return undefined;
  const parts = ['### Fairness'];
  if (e.min_group_size !== undefined) parts.push(`Groups with fewer than ${e.min_group_size} rows are flagged ⚠️: their rates are too noisy to act on. n/a: the rate is undefined for the group (for example no positives).`);
  for (const [attr, f] of attrs) {
    const champ = e.champion_fairness?.[attr];
    const figRows = [['Figure', 'Candidate', ...(champ ? ['Champion'] : [])]];
    for (const [k, label] of FIGURES) figRows.push([label, num(f[k] as number | null), ...(champ ? [num(champ[k] as number | null)] : [])]);
    const metricName = f.metric_name ?? 'metric';
    const { shown, more } = capped(f.groups, o.maxRows);
    const groupRows = [['Group', 'Rows', 'Selection rate', 'TPR', 'FPR', md(metricName, 50)]];
    for (const g of shown) {
      groupRows.push([`${md(g.group, 100)}${g.small ? ' ⚠️ small' : ''}`, g.count.toLocaleString('en-US'), num(g.selection_rate), num(g.tpr), num(g.fpr), num(g.metric)]);
    }
    parts.push(`#### ${md(attr, 100)}`, table(figRows, ['l', 'r', 'r']), table(groupRows, ['l', 'r', 'r', 'r', 'r', 'r']) + moreLine(more, 'groups'));
  }
  return { id: 'fairness', title: 'Fairness', markdown: parts.join('\n\n') };
}

function chartsSection(e: EvaluationReport): Section | undefined {
  const charts = [rocChart(e), calibrationChart(e), ...Object.entries(e.fairness).map(([a, f]) => groupBars(a, f))].filter((c): c is string => !!c);
  if (!charts.length) return undefined;
  return { id: 'charts', title: 'Charts', markdown: `<details><summary>Charts</summary>\n\n${charts.join('\n\n')}\n\n</details>` };
}

function validationSection(v: ValidationReport | undefined, o: Required<RenderOptions>): Section | undefined {
  if (!v) return undefined;
  const errors = v.violations.filter((x) => x.severity === 'error');
  const warnings = v.violations.length - errors.length;
  const parts = [
    `### Data validation: ${v.ok ? '✅ passed' : '❌ failed'}`,
    `${code(v.data, 200)} (${md(v.format, 20)}): ${v.rows.toLocaleString('en-US')} rows, ${v.columns.length} columns; ${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`,
  ];
  if (v.violations.length) {
    const { shown, more } = capped(v.violations, o.maxRows);
    const rows = [['', 'Column', 'Rule', 'Expected', 'Count', '% of non-null', '% of rows', 'Example']];
    for (const x of shown) {
      const ex = x.examples[0];
      rows.push([
        x.severity === 'error' ? '❌' : '⚠️',
        x.column === null ? '(table)' : md(x.column, 100),
        md(x.rule, 50),
        md(x.expected, 100),
        x.count.toLocaleString('en-US'),
        pct(x.fraction, 2),
        pct(x.fraction_of_rows, 2),
        ex ? `row ${ex.row}: ${md(ex.message, 150)}` : '',
      ]);
    }
    parts.push(table(rows) + moreLine(more, 'violations'));
  }
  const d = v.schema_drift;
  if (d) {
    const items: string[] = [];
    if (d.new_columns.length) items.push(`- new columns: ${d.new_columns.slice(0, o.maxRows).map((c) => md(c, 100)).join(', ')}`);
    if (d.missing_columns.length) items.push(`- missing columns: ${d.missing_columns.slice(0, o.maxRows).map((c) => md(c, 100)).join(', ')}`);
    for (const t of d.type_changes.slice(0, o.maxRows)) items.push(`- ${md(t.column, 100)}: type ${md(t.from, 50)} → ${md(t.to, 50)}`);
    for (const [col, cats] of Object.entries(d.new_categories).slice(0, o.maxRows)) {
      if (cats.length) items.push(`- ${md(col, 100)}: new categories ${cats.slice(0, 10).map((c) => md(c, 60)).join(', ')}${cats.length > 10 ? ` (+${cats.length - 10})` : ''}`);
    }
    parts.push(items.length ? `Schema drift against production:\n\n${items.join('\n')}` : 'No schema drift against production.');
  }
  return { id: 'validation', title: 'Data validation', markdown: parts.join('\n\n') };
}

function latencySection(e: EvaluationReport): Section {
  const l = e.latency;
  return {
    id: 'latency',
    title: 'Latency',
    markdown: `### Latency\n\n${table(
      [
        ['', 'p50', 'p99'],
        ['single row', `${num(l.single_p50_ms)} ms`, `${num(l.single_p99_ms)} ms`],
        [`batch of ${l.batch_size}`, `${num(l.batch_p50_ms)} ms`, `${num(l.batch_p99_ms)} ms`],
      ],
      ['l', 'r', 'r'],
    )}\n\nThroughput ${Math.round(l.rows_per_s).toLocaleString('en-US')} rows/s on ${md(l.execution_provider, 50)}.`,
  };
}

function lineageSection(inp: ReportInput): Section {
  const e = inp.evaluation;
  const c = inp.card;
  const rows: string[][] = [['', '']];
  if (!c) {
    rows.push(['Package', `${code(short(e.candidate.digest))} (no package given: pass --package for lineage)`]);
  } else {
    const l = c.lineage;
    const commit = l.git.commit;
    const commitText = commit
      ? inp.links?.repository && /^[0-9a-f]{7,40}$/.test(commit)
        ? `[${commit.slice(0, 12)}](${inp.links.repository}/commit/${commit})`
        : code(commit, 64)
      : 'unknown';
    rows.push(['Commit', `${commitText}${l.git.dirty ? ' (uncommitted changes!)' : ''}${l.git.branch ? ` on ${code(l.git.branch, 100)}` : ''}`]);
    for (const [split, d] of Object.entries(l.data)) {
      if (d) rows.push([`Data: ${md(split, 20)}`, `${code(d.uri, 200)}, ${d.rows.toLocaleString('en-US')} rows, ${d.digest ? code(short(d.digest)) : 'not hashed (remote)'}`]);
    }
    rows.push(['Training command', code(l.command, 300)]);
    const gpus = l.hardware.gpus.length
      ? l.hardware.gpus.map((g) => `${md(g.name, 100)}${g.memory_mb ? ` (${Math.round(g.memory_mb / 1024)} GiB)` : ''}${g.driver ? `, driver ${md(g.driver, 40)}` : ''}`).join('; ')
      : 'none';
    rows.push(['Runner', `${l.runner?.name ? md(l.runner.name, 100) + ', ' : ''}${l.runner ? `${md(l.runner.os, 30)}/${md(l.runner.arch, 30)}` : 'n/a'}`]);
    rows.push(['GPU', gpus]);
    rows.push(['CPU', `${md(l.hardware.cpu.model, 100)}, ${l.hardware.cpu.cores} cores`]);
    rows.push(['Training time', `${duration(l.duration_s)} (${md(l.started_at, 40)} → ${md(l.finished_at, 40)})`]);
    if (l.seed !== undefined) rows.push(['Seed', String(l.seed)]);
    const params = l.params && Object.keys(l.params).length ? JSON.stringify(l.params) : '';
    if (params) rows.push(['Parameters', code(params, 300)]);
    const tools = Object.entries(l.tools ?? {}).slice(0, 12);
    if (tools.length) rows.push(['Tools', tools.map(([k, v]) => `${md(k, 40)} ${md(v, 40)}`).join(', ')]);
  }
  rows.push(['Evaluated on', `${md(e.latency.execution_provider, 50)}; evaluation took ${duration((e.timings_ms?.total ?? NaN) / 1000)}`]);
  return { id: 'lineage', title: 'Lineage', markdown: `### Lineage\n\n${table(rows.slice(1).length ? [['What', 'Value'], ...rows.slice(1)] : rows)}` };
}

function linksSection(inp: ReportInput): Section {
  const l = inp.links ?? {};
  const items: string[] = [];
  if (l.run) items.push(`[Workflow run](${l.run})`);
  if (l.artifacts) items.push(`[Artifacts: full report and model package](${l.artifacts})`);
  const footer = `<sub>Generated by Slipway${inp.tool ? ` ${md(inp.tool, 20)}` : ''}. Update in place on every push; re-run the workflow to refresh.</sub>`;
  return { id: 'links', title: 'Links', markdown: `${items.length ? items.join(' · ') + '\n\n' : ''}${footer}` };
}

/** The report as ordered sections (verdict first). */
export function renderSections(inp: ReportInput, opts: RenderOptions = {}): Section[] {
  const o: Required<RenderOptions> = { maxRows: opts.maxRows ?? Number.POSITIVE_INFINITY };
  const e = inp.evaluation;
  return [
    verdictSection(inp, o),
    gatesSection(e, o),
    metricsSection(e, o),
    fairnessSection(e, o),
    chartsSection(e),
    validationSection(inp.validation, o),
    latencySection(e),
    lineageSection(inp),
    linksSection(inp),
  ].filter((s): s is Section => !!s);
}

/** The report with its hidden marker (the full version: job summary, --out). */
export function renderReport(inp: ReportInput, opts: RenderOptions = {}): string {
  return [reportMarker(inp.evaluation.model), ...renderSections(inp, opts).map((s) => s.markdown)].join('\n\n') + '\n';
}
