import { call, type RepoClient } from './client.js';

export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required';

export interface CheckOutput {
  title: string;
  /** markdown, at most 65,535 bytes (UTF-8); longer is cut with a note */
  summary: string;
  text?: string;
}

export interface CheckRunInput {
  name: string;
  headSha: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: CheckConclusion;
  detailsUrl?: string;
  externalId?: string;
  output?: CheckOutput;
}

/** GitHub's limit on a check run's output.summary and output.text, in UTF-8 bytes ('summary exceeds a maximum bytesize of 65535'). */
export const MAX_CHECK_TEXT = 65_535;

const TRUNCATED = '\n\n… (truncated)';

/** `s` cut to at most `max` UTF-8 bytes with a note, at a character boundary; as it is when it fits. */
export function cutToBytes(s: string, max: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= max) return s;
  let end = max - Buffer.byteLength(TRUNCATED);
  // never end inside a character: back up to the first byte of the one that does not fit
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8') + TRUNCATED;
}

function outputOf(o: CheckOutput | undefined) {
  if (!o) return undefined;
  return { title: o.title.slice(0, 1000).replace(/[\ud800-\udbff]$/, ''), summary: cutToBytes(o.summary, MAX_CHECK_TEXT), ...(o.text !== undefined ? { text: cutToBytes(o.text, MAX_CHECK_TEXT) } : {}) };
}

export async function createCheckRun(gh: RepoClient, input: CheckRunInput): Promise<{ id: number; url: string }> {
  const res = await call(`create check run '${input.name}'`, () =>
    gh.octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      owner: gh.owner,
      repo: gh.repo,
      name: input.name,
      head_sha: input.headSha,
      ...(input.conclusion ? { status: 'completed' as const, conclusion: input.conclusion } : { status: input.status ?? 'in_progress' }),
      ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
      ...(input.externalId ? { external_id: input.externalId } : {}),
      ...(input.output ? { output: outputOf(input.output) } : {}),
    }),
  );
  return { id: Number(res.data.id), url: res.data.html_url ?? res.data.url };
}

export async function updateCheckRun(gh: RepoClient, id: number, input: Partial<Omit<CheckRunInput, 'headSha'>>): Promise<void> {
  await call(`update check run ${id}`, () =>
    gh.octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      owner: gh.owner,
      repo: gh.repo,
      check_run_id: id,
      ...(input.name ? { name: input.name } : {}),
      ...(input.conclusion ? { status: 'completed' as const, conclusion: input.conclusion } : input.status ? { status: input.status } : {}),
      ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
      ...(input.output ? { output: outputOf(input.output) } : {}),
    }),
  );
}
