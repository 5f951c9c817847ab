import { markdownTable } from 'markdown-table';
import { CONTROL_CHARS, md } from '../report/escape.js';
import type { HistoryEvent } from './history.js';

/** One row of `slipway audit`: what ran when in an environment, and who approved it. */
export interface AuditRow {
  when: string;
  kind: 'promote' | 'canary' | 'rollback';
  model: string;
  from: string | null;
  to: string | null;
  weight: number | null;
  digest: string | null;
  committer: string;
  approver: string | null;
  pr: number | null;
  evaluation: string | null;
  commit: string;
  /** for a promotion later taken out: the rollback commit */
  rolled_back_by: string | null;
  /** for a rollback: the versions it took out and the promotion commit it reverted */
  rollback_of: string[];
  reverts: string | null;
}

export function auditRows(events: HistoryEvent[]): AuditRow[] {
  return events.map((e) => ({
    when: e.when,
    kind: e.kind === 'rollback' ? 'rollback' : e.weight !== null && e.weight < 100 ? 'canary' : 'promote',
    model: e.model,
    from: e.from,
    to: e.to,
    weight: e.weight,
    digest: e.digest,
    committer: e.committer,
    approver: e.approvers.length ? e.approvers.join(', ') : null,
    pr: e.pr,
    evaluation: e.evaluation,
    commit: e.sha,
    rolled_back_by: e.revertedBy,
    rollback_of: e.rollbackOf,
    reverts: e.reverts,
  }));
}

function short(d: string | null): string {
  if (!d) return '';
  return d.startsWith('sha256:') ? d.slice(0, 19) : d.slice(0, 12);
}

/**
 * A cell for the terminal: control characters become spaces (a committer or approver name comes from a
 * commit anyone with push access wrote; a newline in it would start a line of the job's log) and `|` is
 * escaped, so the table stays one row per event.
 */
function textCell(s: string): string {
  return s.replace(CONTROL_CHARS, ' ').replace(/\|/g, '\\|');
}

/**
 * The audit as a table: plain text for the terminal, or (`markdown`) for the job summary with every
 * cell escaped by md(), since names, approvers and versions come from commits and their trailers: a
 * name like `![x](https://…)` or `@team` would otherwise render as an image or ping a team.
 */
export function auditTable(env: string, rows: AuditRow[], format: 'text' | 'markdown' = 'text'): string {
  if (!rows.length) return `No promotions recorded in environments/${env}.yaml yet.\n`;
  const head = ['when', 'event', 'model', 'from → to', 'digest', 'committer', 'approver', 'evaluation', 'commit'];
  const cell = format === 'markdown' ? (c: string) => md(c, 200) : textCell;
  const body = rows.map((r) => {
    const event =
      r.kind === 'rollback'
        ? `⟲ rollback of ${r.rollback_of.join(', ') || '?'}`
        : `${r.kind === 'canary' ? `canary ${r.weight}%` : 'promote'}${r.rolled_back_by ? ` (rolled back in ${r.rolled_back_by.slice(0, 7)})` : ''}`;
    return [
      r.when.replace('T', ' ').replace(/([+-]\d\d:\d\d|Z)$/, ' $1'),
      event,
      r.model,
      `${r.from ?? '∅'} → ${r.to ?? '∅'}`,
      short(r.digest),
      r.committer.replace(/ <.*>$/, ''),
      (r.approver ?? '').replace(/ <.*?>/g, '') + (r.pr !== null && !(r.approver ?? '').includes(`#${r.pr}`) ? ` (PR #${r.pr})` : ''),
      r.evaluation ?? '',
      r.commit.slice(0, 7),
    ].map(cell);
  });
  return `Audit of environments/${env}.yaml (${rows.length} event${rows.length === 1 ? '' : 's'}, newest first)\n\n${markdownTable([head, ...body])}\n`;
}
