/**
 * What `slipway drift` prints and puts in the job summary, besides the markdown of report.ts.
 * stdout is plain text for a terminal and the job's log: the markdown escapes every value as entities
 * (`feature&#95;0001`), which reads badly there. Names and categories from the data are quoted when they
 * are not plain, and sentences (reasons, notes, sources) have their control characters written as escapes
 * and credentials redacted: a newline in a value would start a line of the log, where `::warning::…` is a
 * workflow command. The job summary is the markdown, fitted under GitHub's 1 MiB limit as `report` fits its own.
 */
import type { FeatureDrift } from './compare.js';
import { escapeControls, shownName } from './names.js';
import { fmt, pct, type DriftReport } from './report.js';
import { TESTS } from './tests.js';
import type { Section } from '../report/render.js';
import { fitSections, JOB_SUMMARY_LIMIT } from '../report/truncate.js';
import { redactedClip } from '../report/escape.js';

/** A sentence on one line: control characters and line separators as escapes (`\n`, `\u2028`), credentials redacted, capped. */
export function plainLine(s: string, max = 1000): string {
  return escapeControls(redactedClip(s, max));
}

function featureLine(name: string, f: FeatureDrift): string {
  const gate = TESTS[f.test].gate === 'p_value' ? '<' : '≥';
  const bounds = f.bounds && fmt(f.bounds[0]) !== fmt(f.bounds[1]) ? ` (${fmt(f.bounds[0])}–${fmt(f.bounds[1])})` : '';
  const note = f.note ? ` — ${plainLine(f.note, 300)}` : '';
  return `| ${name} | ${f.drifted ? 'drift' : 'ok'} | ${f.test} | ${fmt(f.statistic)}${bounds} | ${gate} ${f.threshold} | ${fmt(f.p_value)} | ${f.n_ref} | ${f.n_cur} | ${f.basis}${note} |`;
}

/** The report as plain text for stdout. */
export function renderDriftText(r: DriftReport): string {
  const lines: string[] = [`${r.drifted ? 'DRIFT' : 'NO DRIFT'}: ${shownName(r.model)}${r.env ? ` in ${shownName(r.env)}` : ''}`];
  for (const x of r.reasons) lines.push(`- ${plainLine(x)}`);
  lines.push('', `reference: ${plainLine(r.reference.source, 300)} (${r.reference.rows} rows)`, `current window: ${plainLine(r.current.source, 300)} (${r.current.rows} rows)`);
  const skipped = r.current.skipped_lines ?? [];
  if (skipped.length) lines.push(`skipped the cut-short last line of ${skipped.length} log file(s) (a write interrupted): ${skipped.slice(0, 5).map((x) => plainLine(x, 300)).join(', ')}${skipped.length > 5 ? ', …' : ''}`);
  lines.push('', '| feature | verdict | test | statistic | drift if | p-value | n ref | n cur | basis |');
  for (const [name, f] of Object.entries(r.features)) lines.push(featureLine(shownName(name, 100), f));
  if (r.prediction) lines.push(featureLine('(prediction)', r.prediction));
  const miss = Object.entries(r.missing).filter(([, m]) => m.ref_rate > 0 || m.cur_rate > 0);
  if (miss.length) {
    lines.push('', 'missing values:');
    for (const [f, m] of miss) lines.push(`  ${shownName(f, 100)}: ${pct(m.ref_rate)} → ${pct(m.cur_rate)} (${m.difference >= 0 ? '+' : ''}${pct(m.difference)}; drift if > ${pct(m.threshold)}) ${m.drifted ? 'drift' : 'ok'}`);
  }
  const unseen = Object.entries(r.unseen_categories).filter(([, u]) => u.count > 0);
  if (unseen.length) {
    lines.push('', 'unseen categories:');
    for (const [f, u] of unseen) lines.push(`  ${shownName(f, 100)}: ${pct(u.share)} of rows (${u.categories.map((c) => shownName(c, 60)).join(', ')}) ${u.drifted ? 'drift' : 'ok'}`);
  }
  if (r.performance) {
    const p = r.performance;
    lines.push('', `performance (${p.n} labelled predictions): ${p.metric} ${fmt(p.current)} vs ${fmt(p.reference)} at training; drift if worse by more than ${p.threshold}${p.metric === 'rmse' ? ' (relative)' : ''}: ${p.drifted ? 'drift' : 'ok'}`);
  }
  return lines.join('\n') + '\n';
}

/** The parts of the drift markdown after the feature table, each a section the job summary may leave out. */
const PARTS: [RegExp, string][] = [
  [/^\*\*Missing values\*\*/, 'the missing values table'],
  [/^\*\*Unseen categories\*\*/, 'the unseen categories table'],
  [/^\*\*Performance\*\*/, 'the performance line'],
  [/^<sub>/, 'the legend'],
];

/**
 * The drift markdown fitted under the job summary's limit (bytes): the verdict, reasons and feature table
 * come first and are cut at a row if they must be; the tables after them are left out whole; a note
 * says what is missing and that the full report is in the --report file. GitHub drops a step summary
 * over 1 MiB whole, so a model with very many features lost its summary entirely.
 */
export function driftSummary(markdown: string, limit = JOB_SUMMARY_LIMIT): string {
  const sections: Section[] = [];
  for (const block of markdown.trimEnd().split('\n\n')) {
    const part = PARTS.find(([re]) => re.test(block));
    // a table's rows follow its heading after a blank line: they belong to the section before them
    if (part || !sections.length) sections.push({ id: part?.[1] ?? 'features', title: part?.[1] ?? 'the feature table', markdown: block });
    else sections[sections.length - 1].markdown += `\n\n${block}`;
  }
  return fitSections('', sections, limit, 'the --report file', 'utf8-bytes').markdown;
}
