/**
 * The drift issue: one GitHub issue per (model, environment), found by a hidden marker, opened when a
 * scheduled check finds drift, updated on later runs, closed when drift clears; optionally a
 * workflow_dispatch of the retrain workflow with the window as input.
 */
import type { DriftReport } from '../drift/report.js';
import { renderMarkdown } from '../drift/report.js';
import type { RepoClient } from './client.js';
import { closeIssue, createIssue, findIssueByMarker, updateIssue, type IssueRef } from './issues.js';
import { dispatchWorkflow } from './dispatch.js';

/** GitHub's limit on an issue body, with room for the marker and the truncation note. */
export const ISSUE_BODY_MAX = 65_000;
export const DRIFT_LABEL = 'drift';

export function driftMarker(model: string, env: string): string {
  return `<!-- slipway:drift model=${model} env=${env} -->`;
}

export function driftIssueTitle(model: string, env: string): string {
  return `Drift detected: ${model} in ${env}`;
}

export function driftIssueBody(report: DriftReport, env: string, runUrl?: string): string {
  let md = renderMarkdown(report);
  const tail = `\n${runUrl ? `Run: ${runUrl}\n\n` : ''}<sub>Opened and updated by \`slipway drift\`; it closes itself when a later check finds no drift.</sub>\n${driftMarker(report.model, env)}\n`;
  if (md.length + tail.length > ISSUE_BODY_MAX) {
    // whole lines only: a cut inside a table row breaks the table, inside 🔴 leaves half a character
    const note = `\n… truncated: the full report is in the job summary${runUrl ? ' of the run below' : ''}.\n`;
    const end = md.lastIndexOf('\n', ISSUE_BODY_MAX - tail.length - note.length - 1);
    md = md.slice(0, end + 1) + note;
  }
  return md + tail;
}

export interface DriftIssueResult {
  action: 'created' | 'updated' | 'closed' | 'none';
  issue?: IssueRef;
  dispatched: boolean;
}

export interface DriftIssueOptions {
  env: string;
  runUrl?: string;
  /** dispatch this workflow (file name or id) when drift is found */
  dispatch?: { workflow: string; ref: string; inputs: Record<string, string> };
  /** only consider issues opened by this login (the token's identity) */
  author?: string;
}

/** Opens, updates or closes the drift issue for the report's (model, env); dispatches retraining on drift. */
export async function syncDriftIssue(gh: RepoClient, report: DriftReport, opts: DriftIssueOptions): Promise<DriftIssueResult> {
  const marker = driftMarker(report.model, opts.env);
  const open = await findIssueByMarker(gh, marker, { state: 'open', ...(opts.author ? { author: opts.author } : {}) });
  let result: DriftIssueResult;
  if (report.drifted) {
    const body = driftIssueBody(report, opts.env, opts.runUrl);
    const title = driftIssueTitle(report.model, opts.env);
    result = open
      ? { action: 'updated', issue: await updateIssue(gh, open.number, { title, body }), dispatched: false }
      : { action: 'created', issue: await createIssue(gh, { title, body, labels: [DRIFT_LABEL] }), dispatched: false };
    if (opts.dispatch) {
      await dispatchWorkflow(gh, opts.dispatch.workflow, opts.dispatch.ref, opts.dispatch.inputs);
      result.dispatched = true;
    }
  } else if (open) {
    const note = `Drift cleared${opts.runUrl ? ` in ${opts.runUrl}` : ''}: the latest check of ${report.model} in ${opts.env} found no drift. Closing.`;
    result = { action: 'closed', issue: await closeIssue(gh, open.number, note), dispatched: false };
  } else result = { action: 'none', dispatched: false };
  return result;
}
