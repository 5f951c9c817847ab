import { escapeControls, shownName, shownNames } from '../drift/names.js';
import { code, md } from '../report/escape.js';
import type { ValidationReport, Violation } from './validation-types.js';

/** Markdown of a validation report, for the PR comment and the job summary. */
export function validationMarkdown(r: ValidationReport): string {
  const reports = r.datasets ?? [r];
  const errors = reports.reduce((s, d) => s + d.violations.filter((v) => v.severity === 'error').length, 0);
  const warnings = reports.reduce((s, d) => s + d.violations.filter((v) => v.severity === 'warning').length, 0);
  const verdict = r.ok
    ? `✅ **Data contract holds** for \`${r.model}\`${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}`
    : `❌ **Data contract violated** for \`${r.model}\`: ${errors} rule${errors > 1 ? 's' : ''} failed`;
  const out: string[] = [`### Data validation`, '', verdict, ''];
  for (const d of reports) {
    out.push(`#### ${code(d.data)} — ${d.rows.toLocaleString('en-US')} rows × ${d.columns.length} columns (${d.format}, ${(d.duration_ms / 1000).toFixed(1)} s) ${d.ok ? '✅' : '❌'}`, '');
    if (d.violations.length) {
      out.push('| | column | rule | expected | count | % of non-null | % of rows | first rows |', '|---|---|---|---|---:|---:|---:|---|');
      for (const v of d.violations) out.push(violationRow(v));
      out.push('');
      const withExamples = d.violations.filter((v) => v.examples.length);
      if (withExamples.length) {
        out.push('<details><summary>Examples</summary>', '');
        for (const v of withExamples) {
          out.push(`- **${md(v.column ?? '(dataset)')}** ${code(v.rule)}:`);
          for (const e of v.examples) out.push(`  - row ${e.row}: ${md(e.message)}`);
        }
        out.push('', '</details>', '');
      }
    } else out.push('Every rule holds.', '');
    const sd = d.schema_drift;
    if (sd) {
      const items: string[] = [];
      if (sd.new_columns.length) items.push(`- new columns: ${sd.new_columns.map((c) => code(c)).join(', ')}`);
      if (sd.missing_columns.length) items.push(`- missing columns: ${sd.missing_columns.map((c) => code(c)).join(', ')}`);
      for (const t of sd.type_changes) items.push(`- type change: ${code(t.column)} ${md(t.from)} → ${md(t.to)}`);
      for (const [c, vals] of Object.entries(sd.new_categories)) items.push(`- new categories in ${code(c)}: ${vals.map((x) => code(x)).join(', ')}`);
      out.push(`**Schema drift against production**: ${items.length ? '' : 'none'}`, ...items, '');
    }
  }
  return out.join('\n');
}

function pct(x: number): string {
  if (x === 0) return '0%';
  const p = x * 100;
  return p < 0.01 ? '<0.01%' : `${p < 10 ? p.toFixed(2) : p.toFixed(1)}%`;
}

/**
 * Rules counted over all rows, not over a column's values: a null count (required, max_null_fraction),
 * every row of an unknown column, the row count itself (rows, whose count is the rows found).
 */
const OVER_ROWS = new Set(['required', 'max_null_fraction', 'unknown_column']);

function violationRow(v: Violation): string {
  const icon = v.severity === 'error' ? '❌' : '⚠️';
  const rows = v.examples.map((e) => e.row).join(', ');
  const shares = v.rule === 'rows' ? '— | —' : `${OVER_ROWS.has(v.rule) ? '—' : pct(v.fraction)} | ${pct(v.fraction_of_rows)}`;
  return `| ${icon} | ${md(v.column ?? '(dataset)')} | ${code(v.rule)} | ${md(v.expected)} | ${v.count.toLocaleString('en-US')} | ${shares} | ${rows} |`;
}

/** The count of a violation and its shares, in words. */
function countText(v: Violation): string {
  if (v.rule === 'rows') return `found ${v.count}`;
  if (OVER_ROWS.has(v.rule)) return `${v.count} (${pct(v.fraction_of_rows)} of rows)`;
  return `${v.count} (${pct(v.fraction)} of non-null, ${pct(v.fraction_of_rows)} of rows)`;
}

/** Plain-text lines for the terminal. */
export function validationText(d: ValidationReport): string {
  const lines = [`${d.ok ? 'PASS' : 'FAIL'} ${d.data}: ${d.rows} rows, ${d.columns.length} columns, ${d.violations.length} violation(s) (${(d.duration_ms / 1000).toFixed(2)} s)`];
  for (const v of d.violations) {
    lines.push(`  ${v.severity === 'error' ? 'error  ' : 'warning'} ${v.column === null ? '(dataset)' : shownName(v.column)} ${v.rule}: expected ${escapeControls(v.expected)}; ${countText(v)}`);
    for (const e of v.examples) lines.push(`      row ${e.row}: ${escapeControls(e.message)}`);
  }
  const sd = d.schema_drift;
  if (sd) {
    if (sd.new_columns.length) lines.push(`  schema drift: new columns ${shownNames(sd.new_columns)}`);
    if (sd.missing_columns.length) lines.push(`  schema drift: missing columns ${shownNames(sd.missing_columns)}`);
    for (const t of sd.type_changes) lines.push(`  schema drift: ${shownName(t.column)} changed type ${t.from} -> ${t.to}`);
    for (const [c, vals] of Object.entries(sd.new_categories)) lines.push(`  schema drift: new categories in ${shownName(c)}: ${shownNames(vals)}`);
  }
  return lines.join('\n') + '\n';
}
