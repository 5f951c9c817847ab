/**
 * The report bundle of the fork-PR path (docs/fork-prs.md): a directory uploaded by an
 * unprivileged pull_request run and read by a privileged workflow_run job. Everything in it is
 * untrusted: the layout, sizes and JSON are checked here; the PR it names is checked against the
 * workflow_run event (and the API when the event cannot tell).
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { EvaluationReport } from '../evaluate/report-types.js';
import type { ValidationReport } from '../data/validation-types.js';
import { call, type RepoClient } from '../github/client.js';
import { checkEvaluation, LIMITS, parseChecked, readBounded } from './inputs.js';
import type { CardLineage } from './render.js';

export interface BundlePr {
  number: number;
  head_sha: string;
  model: string;
}

export interface Bundle {
  evaluation: EvaluationReport;
  validation?: ValidationReport;
  card?: CardLineage;
  pr: BundlePr;
}

const FILES: Record<string, { limit: number; required: boolean }> = {
  'evaluation.json': { limit: LIMITS.evaluation, required: true },
  'validation.json': { limit: LIMITS.validation, required: false },
  'card.json': { limit: LIMITS.card, required: false },
  'pr.json': { limit: LIMITS.pr, required: true },
};

export function readBundle(dir: string): Bundle {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    throw new InputError(`bundle ${dir}: not found`);
  }
  if (!st.isDirectory()) throw new InputError(`bundle ${dir}: is not a directory${st.isSymbolicLink() ? ' (symbolic links are refused)' : ''}`);
  const entries = readdirSync(dir, { withFileTypes: true });
  const unexpected = entries.filter((e) => !(e.name in FILES) || !e.isFile());
  if (unexpected.length) {
    const names = unexpected.slice(0, 5).map((e) => JSON.stringify(e.name.slice(0, 80)) + (e.isFile() ? '' : e.isSymbolicLink() ? ' (symbolic link)' : ' (not a regular file)'));
    throw new InputError(`bundle ${dir}: unexpected entries ${names.join(', ')}; a bundle holds only ${Object.keys(FILES).join(', ')} as regular files`);
  }
  const read = (name: string) => {
    const f = FILES[name];
    const path = join(dir, name);
    if (!existsSync(path)) {
      if (f.required) throw new InputError(`bundle ${dir}: ${name} is missing`);
      return undefined;
    }
    return readBounded(path, f.limit, `bundle ${name}`);
  };
  const pr = parseChecked<BundlePr>(read('pr.json')!, 'report-bundle-pr', 'bundle pr.json');
  const evaluation = checkEvaluation(parseChecked<EvaluationReport>(read('evaluation.json')!, 'evaluation-report', 'bundle evaluation.json'), 'bundle evaluation.json');
  const v = read('validation.json');
  const c = read('card.json');
  const validation = v === undefined ? undefined : parseChecked<ValidationReport>(v, 'validation-report', 'bundle validation.json');
  const card = c === undefined ? undefined : parseChecked<CardLineage>(c, 'report-card', 'bundle card.json');
  if (pr.model !== evaluation.model) throw new InputError(`bundle: pr.json names model '${pr.model}' but evaluation.json is about '${evaluation.model}'`);
  if (validation && validation.model !== evaluation.model) throw new InputError(`bundle: validation.json is about model '${validation.model}', not '${evaluation.model}'`);
  if (card && card.name !== evaluation.model) throw new InputError(`bundle: card.json is for model '${card.name}', not '${evaluation.model}'`);
  if (card && card.version !== evaluation.candidate.version) throw new InputError(`bundle: card.json is for version ${card.version}, but evaluation.json judged candidate ${evaluation.candidate.version} (/candidate/version)`);
  return { evaluation, validation, card, pr };
}

/** What the privileged job trusts: the workflow_run event GitHub wrote (GITHUB_EVENT_PATH). */
export interface WorkflowRunEvent {
  id: number;
  headSha: string;
  /** empty for pull requests from forks (a GitHub limitation) */
  pullRequests: number[];
  htmlUrl?: string;
  event?: string;
}

export function readWorkflowRunEvent(path: string): WorkflowRunEvent | undefined {
  let payload: { workflow_run?: { id?: unknown; head_sha?: unknown; html_url?: unknown; event?: unknown; pull_requests?: { number?: unknown }[] } };
  try {
    payload = JSON.parse(readBounded(path, 25 * 1024 * 1024, `event ${path}`));
  } catch (e) {
    throw new InputError(`cannot read the event payload ${path}: ${(e as Error).message}`);
  }
  const run = payload.workflow_run;
  if (!run) return undefined;
  if (typeof run.head_sha !== 'string' || !/^[0-9a-f]{40}$/.test(run.head_sha)) throw new InputError(`event ${path}: workflow_run.head_sha is missing or malformed`);
  return {
    id: Number(run.id),
    headSha: run.head_sha,
    pullRequests: (run.pull_requests ?? []).map((p) => Number(p.number)).filter((n) => Number.isSafeInteger(n) && n > 0),
    htmlUrl: typeof run.html_url === 'string' && /^https?:\/\/[^\s<>()]+$/.test(run.html_url) ? run.html_url : undefined,
    event: typeof run.event === 'string' ? run.event : undefined,
  };
}

export type PrCheck = { ok: true; how: string } | { ok: false; reason: string; stale?: boolean };

/**
 * Checks that the bundle's PR is the one the evaluated run was for: head_sha must be the run's;
 * the number must be among the run's pull_requests, or (forks: the list is empty) the PR fetched
 * from the API must have that head sha.
 */
export async function verifyBundlePr(pr: BundlePr, event: WorkflowRunEvent, gh: RepoClient | undefined): Promise<PrCheck> {
  if (pr.head_sha !== event.headSha) {
    return { ok: false, reason: `pr.json head_sha ${pr.head_sha.slice(0, 12)} is not the commit the workflow run evaluated (${event.headSha.slice(0, 12)})` };
  }
  if (event.pullRequests.length) {
    return event.pullRequests.includes(pr.number)
      ? { ok: true, how: 'listed in the workflow_run event' }
      : { ok: false, reason: `pull request #${pr.number} is not among the workflow run's pull requests (${event.pullRequests.map((n) => '#' + n).join(', ')})` };
  }
  if (!gh) return { ok: false, reason: 'the workflow_run event lists no pull requests (fork) and there is no token to look the pull request up' };
  const res = await call(`read pull request #${pr.number}`, () => gh.octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner: gh.owner, repo: gh.repo, pull_number: pr.number })).catch(
    (e: { status?: number }) => {
      if (e.status === 404) return undefined;
      throw e;
    },
  );
  if (!res) return { ok: false, reason: `pull request #${pr.number} does not exist in ${gh.owner}/${gh.repo}` };
  if (res.data.head.sha !== event.headSha) {
    return { ok: false, stale: true, reason: `pull request #${pr.number} is now at ${res.data.head.sha.slice(0, 12)}, not at the evaluated ${event.headSha.slice(0, 12)} (a newer push will report itself)` };
  }
  return { ok: true, how: 'head sha confirmed through the API' };
}
