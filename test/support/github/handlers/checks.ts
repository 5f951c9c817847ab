/** Check runs (created by a GitHub App / GITHUB_TOKEN with checks: write). */
import { HttpError, paginate, type GitHubTestServer, type GhRequest } from '../server.js';
import { example } from '../openapi.js';
import { newId, now, type Json } from '../state.js';

function runOr404(req: GhRequest): Json {
  const r = req.repo.checkRuns.get(Number(req.params.check_run_id));
  if (!r) throw new HttpError(404, 'Not Found');
  return r;
}

/**
 * GitHub counts a check run's summary and text in UTF-8 bytes, whatever the OpenAPI description says
 * ("Maximum length: 65535 characters"): 30,000 CJK characters are refused with
 * 'summary exceeds a maximum bytesize of 65535'. The title is counted in characters.
 */
function checkOutputLimits(output: Json | undefined): void {
  if (!output) return;
  for (const f of ['summary', 'text'] as const) {
    if (typeof output[f] === 'string' && Buffer.byteLength(output[f], 'utf8') > 65535) {
      throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'CheckRun', code: 'custom', field: f, message: `${f} exceeds a maximum bytesize of 65535` }] });
    }
  }
  if (typeof output.title === 'string' && output.title.length > 1000) {
    throw new HttpError(422, 'Invalid request.', { errors: [`Only 1000 characters are allowed; ${output.title.length} were supplied.`] });
  }
}

/** Applies a create or update; the output's limits are checked before anything changes. */
function apply(run: Json, b: Json): void {
  checkOutputLimits(b.output);
  for (const k of ['name', 'head_sha', 'details_url', 'external_id', 'started_at'] as const) if (b[k] !== undefined) run[k] = b[k];
  if (b.status !== undefined) run.status = b.status;
  if (b.conclusion !== undefined) {
    run.conclusion = b.conclusion;
    run.status = 'completed';
  }
  if (b.completed_at !== undefined) run.completed_at = b.completed_at;
  if (run.status === 'completed' && !run.completed_at) run.completed_at = now();
  if (run.status === 'completed' && !run.conclusion) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'CheckRun', code: 'missing_field', field: 'conclusion' }] });
  if (b.output !== undefined) {
    run.output = {
      title: b.output.title ?? null,
      summary: b.output.summary ?? null,
      text: b.output.text ?? null,
      annotations_count: (b.output.annotations ?? []).length,
      annotations_url: `${run.url}/annotations`,
    };
  }
}

export function registerCheckHandlers(s: GitHubTestServer): void {
  s.route('POST', '/repos/{owner}/{repo}/check-runs', (req) => {
    const b = req.body;
    const id = newId();
    const run = example('check-run');
    Object.assign(run, {
      id,
      node_id: Buffer.from(`CR${id}`).toString('base64'),
      url: `${req.repo.url}/check-runs/${id}`,
      html_url: `${req.repo.htmlUrl}/runs/${id}`,
      details_url: null,
      external_id: null,
      status: 'queued',
      conclusion: null,
      started_at: now(),
      completed_at: null,
      output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${req.repo.url}/check-runs/${id}/annotations` },
      pull_requests: [],
    });
    apply(run, b);
    req.repo.checkRuns.set(id, run);
    return { status: 201, body: run };
  });
  s.route('GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}', (req) => ({ status: 200, body: runOr404(req) }));
  s.route('PATCH', '/repos/{owner}/{repo}/check-runs/{check_run_id}', (req) => {
    const run = runOr404(req);
    apply(run, req.body ?? {});
    return { status: 200, body: run };
  });
  s.route('GET', '/repos/{owner}/{repo}/commits/{ref}/check-runs', (req) => {
    const name = req.query.get('check_name');
    const runs = [...req.repo.checkRuns.values()].filter((r) => r.head_sha === req.params.ref && (!name || r.name === name));
    const page = paginate(req, runs);
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  });
}
