import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, CommandContext, ParsedOptions } from '../command.js';
import { int, str } from '../command.js';
import { ExternalError, InputError, UsageError } from '../../errors.js';
import { readEnv, runUrl, type SlipwayEnv } from '../../env.js';
import { githubFromEnv, parseRepository } from '../../github/client.js';
import { createGitHubApi } from '../../github/api.js';
import { VERSION } from '../main.js';
import { loadCard, loadEvaluation, loadValidation, readBounded } from '../../report/inputs.js';
import { readBundle, readWorkflowRunEvent, verifyBundlePr, type Bundle } from '../../report/bundle.js';
import { renderReport, renderSections, verdictOf, type ReportInput } from '../../report/render.js';
import { fitSections, CHECK_SUMMARY_LIMIT, COMMENT_LIMIT, JOB_SUMMARY_LIMIT } from '../../report/truncate.js';
import { reportMarker } from '../../report/escape.js';
import { publishReport } from '../../report/publish.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import { realPathAsFar } from '../../fs/real-path.js';
import { resolveInside } from '../../spec/paths.js';
import { packageDigest } from '../../store/digest.js';

/** How long the report's GitHub calls (checking a bundle's PR, the comment, the check run) may take in all. */
export const GITHUB_DEADLINE_S = 120;
/** Overrides GITHUB_DEADLINE_S (seconds); tests use a fraction of a second. */
export const DEADLINE_VAR = 'SLIPWAY_GITHUB_DEADLINE_S';

/** Rows per table in the PR comment and check run (the job summary and --out show all). */
const COMPACT_ROWS = 50;

export const report: Command = {
  name: 'report',
  summary: 'Render the evaluation as markdown; post the sticky PR comment, job summary and check run.',
  options: {
    evaluation: { type: 'string', value: '<eval.json>', description: 'evaluation report from slipway evaluate (or use --bundle)' },
    validation: { type: 'string', value: '<v.json>', description: 'validation report from slipway validate' },
    package: { type: 'string', value: '<dir>', description: 'candidate package (its slipway.json gives the lineage)' },
    pr: { type: 'string', value: '<n>', description: 'pull request number to comment on (needs a token)' },
    out: { type: 'string', value: '<file.md>', description: 'write the full markdown report here' },
    bundle: { type: 'string', value: '<dir>', description: 'untrusted report bundle from a pull_request run (fork PRs; see docs/fork-prs.md)' },
    repo: { type: 'string', value: '<owner/name>', description: 'repository to comment in (default: GITHUB_REPOSITORY)' },
    sha: { type: 'string', value: '<commit>', description: 'commit for the check run (default: the pull request head of the event, else GITHUB_SHA)' },
  },
  details: `The report always goes to the job summary (GITHUB_STEP_SUMMARY) and, with --out, to a file.
With a token (GITHUB_TOKEN) and --pr, it is posted as one comment per (pull request, model), found by
the hidden marker <!-- slipway:report model=<name> --> and updated in place; a check run named
slipway/<model> carries the verdict (success/failure) where the token may create checks.
The GitHub calls get ${GITHUB_DEADLINE_S} s in all (retries included; ${DEADLINE_VAR} changes it): past it the
command stops with exit code 2, the job summary and --out already written.
Exit code 0 when the report was made (failed gates are the check run's conclusion), 2 on bad input.
Docs: docs/report.md, docs/fork-prs.md.`,
  run: runReport,
};

interface Loaded {
  input: ReportInput;
  pr?: number;
  headSha?: string;
  /** in bundle mode, why nothing may be posted (stale PR) */
  skipPosting?: string;
}

async function runReport(opts: ParsedOptions, _pos: string[], ctx: CommandContext): Promise<number> {
  const env = readEnv(ctx.env);
  const bundleDir = str(opts, 'bundle');
  const evaluationFile = str(opts, 'evaluation');
  if (!bundleDir === !evaluationFile) throw new UsageError('slipway report: give exactly one of --evaluation <eval.json> or --bundle <dir>');
  if (bundleDir) for (const f of ['validation', 'package', 'pr']) if (str(opts, f) !== undefined) throw new UsageError(`slipway report: --${f} cannot be combined with --bundle (the bundle carries it)`);
  const repoFull = str(opts, 'repo') ?? env.githubRepository;
  const repo = repoFull ? parseRepository(repoFull) : undefined;
  const deadline = githubDeadline(ctx.env);
  const octokit = githubFromEnv(env, { log: (m) => ctx.stderr(`${m}\n`), signal: deadline.signal });
  const api = octokit && repo ? createGitHubApi(octokit, repo, env.githubIdentity ? { identity: env.githubIdentity } : {}) : undefined;
  const at = (p: string) => resolve(ctx.cwd, p);

  let loaded: Loaded;
  const out = str(opts, 'out');
  if (out) refuseOverwritingInputs(at(out), { evaluation: evaluationFile, validation: str(opts, 'validation'), package: str(opts, 'package'), bundle: bundleDir }, at);
  if (bundleDir) loaded = await deadline.run(() => fromBundle(at(bundleDir), env, api));
  else {
    const sha = str(opts, 'sha');
    if (sha !== undefined && !/^[0-9a-f]{40}$/.test(sha)) throw new UsageError(`--sha expects a full 40-hex commit, got '${sha}'`);
    const v = str(opts, 'validation');
    const p = str(opts, 'package');
    loaded = {
      input: { evaluation: loadEvaluation(at(evaluationFile!)), ...(v ? { validation: loadValidation(at(v)) } : {}), ...(p ? { card: loadCard(at(p)) } : {}) },
      pr: int(opts, 'pr', 1, 2 ** 31 - 1),
      headSha: sha ?? eventHeadSha(env),
    };
    const model = loaded.input.evaluation.model;
    if (loaded.input.validation && loaded.input.validation.model !== model) throw new InputError(`${v}: is about model '${loaded.input.validation.model}', the evaluation about '${model}'`);
    if (loaded.input.card) await checkPackage(p!, at(p!), loaded.input.card, loaded.input.evaluation, evaluationFile!);
    const run = runUrl(env);
    loaded.input.links = { ...(run ? { run, artifacts: `${run}#artifacts` } : {}), ...(repoFull ? { repository: `${env.githubServerUrl}/${repoFull}` } : {}) };
  }
  const input = loaded.input;
  input.tool = VERSION;
  const e = input.evaluation;
  const marker = reportMarker(e.model);
  const verdict = verdictOf(e);
  const where = input.links?.run ? `the job summary of [the workflow run](${input.links.run}) and its artifacts` : 'the job summary and the report file (--out)';

  // 1. job summary (works everywhere, forks included) and the file
  const summary = fitSections(marker, renderSections(input), JOB_SUMMARY_LIMIT, 'the report file (--out) and artifacts', 'utf8-bytes');
  const summarized = ctx.appendSummary(summary.markdown);
  if (out) {
    await writeFileAtomic(at(out), renderReport(input));
    ctx.setOutput('markdown', at(out));
  } else if (!summarized) {
    notice(ctx, env, 'the report was written nowhere: there is no job summary (GITHUB_STEP_SUMMARY) outside GitHub Actions; give --out <file> to write it');
  }
  ctx.stdout(`${verdict.ok ? 'PASS' : 'FAIL'}: ${e.model} ${e.candidate.version}: ${verdict.headline}\n`);
  ctx.setOutput('verdict', verdict.ok ? 'pass' : 'fail');

  // 2. the PR comment and the check run
  const wantsPosting = loaded.pr !== undefined || loaded.headSha !== undefined;
  if (!wantsPosting) return 0;
  if (loaded.skipPosting) {
    notice(ctx, env, loaded.skipPosting);
    return 0;
  }
  if (!octokit) {
    notice(ctx, env, 'no GitHub token (GITHUB_TOKEN): the report is in the job summary only; no comment or check run.');
    return 0;
  }
  if (!api) {
    if (loaded.pr !== undefined) throw new UsageError('slipway report: --pr needs the repository: set --repo owner/name or GITHUB_REPOSITORY');
    return 0;
  }
  const compact = renderSections(input, { maxRows: COMPACT_ROWS });
  const comment = fitSections(marker, compact, COMMENT_LIMIT, where);
  // GitHub counts a check run's summary in bytes ('summary exceeds a maximum bytesize of 65535'), a comment in characters
  const checkSummary = fitSections('', compact.slice(1), CHECK_SUMMARY_LIMIT, where, 'utf8-bytes');
  const res = await deadline.run(() => publishReport(api, {
    model: e.model,
    ...(loaded.pr !== undefined ? { pr: loaded.pr } : {}),
    ...(loaded.headSha ? { headSha: loaded.headSha } : {}),
    comment: comment.markdown,
    check: { ok: verdict.ok, title: `${e.candidate.version}: ${verdict.headline}`.slice(0, 200), summary: checkSummary.markdown, ...(input.links?.run ? { detailsUrl: input.links.run } : {}) },
  }));
  if (res.comment) {
    ctx.stdout(`comment ${res.comment.action}: ${res.comment.url}${comment.omitted.length ? ` (shortened: ${comment.omitted.join(', ')} left out)` : ''}\n`);
    ctx.setOutput('comment-url', res.comment.url);
  }
  if (res.checkRun) {
    ctx.stdout(`check run slipway/${e.model}: ${verdict.ok ? 'success' : 'failure'}\n`);
    ctx.setOutput('check-run-id', String(res.checkRun.id));
  }
  for (const n of res.notices) notice(ctx, env, n);
  return 0;
}

async function fromBundle(dir: string, env: SlipwayEnv, api: ReturnType<typeof createGitHubApi> | undefined): Promise<Loaded> {
  const b: Bundle = readBundle(dir);
  const input: ReportInput = { evaluation: b.evaluation, ...(b.validation ? { validation: b.validation } : {}), ...(b.card ? { card: b.card } : {}) };
  const event = env.githubEventPath && existsSync(env.githubEventPath) ? readWorkflowRunEvent(env.githubEventPath) : undefined;
  if (env.githubEventPath && !event) throw new InputError(`--bundle is for workflow_run jobs, but the event (${env.githubEventName ?? 'unknown'}) has no workflow_run`);
  // links come from the trusted event, never from the bundle
  input.links = {
    ...(event?.htmlUrl ? { run: event.htmlUrl, artifacts: `${event.htmlUrl}#artifacts` } : {}),
    ...(env.githubRepository ? { repository: `${env.githubServerUrl}/${env.githubRepository}` } : {}),
  };
  if (!event) return { input, pr: b.pr.number, headSha: b.pr.head_sha };
  const check = await verifyBundlePr(b.pr, event, api);
  if (!check.ok) {
    if (check.stale) return { input, pr: b.pr.number, headSha: event.headSha, skipPosting: check.reason };
    throw new InputError(`bundle ${dir}: refused: ${check.reason}`);
  }
  return { input, pr: b.pr.number, headSha: event.headSha };
}

/** The head commit of the pull request in a pull_request event (GITHUB_SHA is the merge commit there). */
function eventHeadSha(env: SlipwayEnv): string | undefined {
  if (env.githubEventPath && existsSync(env.githubEventPath)) {
    try {
      const payload = JSON.parse(readBounded(env.githubEventPath, 25 * 1024 * 1024)) as { pull_request?: { head?: { sha?: unknown } } };
      const sha = payload.pull_request?.head?.sha;
      if (typeof sha === 'string' && /^[0-9a-f]{40}$/.test(sha)) return sha;
    } catch {
      /* fall through to GITHUB_SHA */
    }
  }
  return env.githubActions && env.githubSha && /^[0-9a-f]{40}$/.test(env.githubSha) ? env.githubSha : undefined;
}

function notice(ctx: CommandContext, env: SlipwayEnv, message: string): void {
  ctx.stderr(env.githubActions ? `::notice title=slipway report::${message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n` : `notice: ${message}\n`);
}

/** --out must not be one of the command's input files (nor inside an input directory): the report would replace it. */
function refuseOverwritingInputs(out: string, inputs: Record<string, string | undefined>, at: (p: string) => string): void {
  const target = realPathAsFar(out);
  for (const [flag, given] of Object.entries(inputs)) {
    if (given === undefined) continue;
    const input = realPathAsFar(at(given));
    const isDir = existsSync(input) && statSync(input).isDirectory();
    if (target === input) throw new UsageError(`--out ${out} is the --${flag} file; the report would overwrite its own input: write it elsewhere`);
    if (isDir && resolveInside(input, input, target) !== null) throw new UsageError(`--out ${out} is inside the --${flag} directory ${given}; the report would change its input: write it elsewhere`);
  }
}

/** The --package must be the evaluation's candidate: same model, same version and, for a package directory, the same digest. */
async function checkPackage(flag: string, path: string, card: { name: string; version: string }, e: ReportInput['evaluation'], evaluationFile: string): Promise<void> {
  const c = e.candidate;
  if (card.name !== e.model) throw new InputError(`${flag}: is the package of '${card.name}', the evaluation (${evaluationFile}) is about '${e.model}'`);
  if (card.version !== c.version) throw new InputError(`${flag}: is ${card.name} ${card.version}, but the evaluation (${evaluationFile}) judged candidate ${c.version} (/candidate/version): give the candidate's package`);
  if (!statSync(path).isDirectory()) return; // a card file alone has no digest to compare
  const digest = await packageDigest(path);
  if (digest !== c.digest) throw new InputError(`${flag}: has digest ${digest}, but the evaluation (${evaluationFile}) judged ${c.digest} (/candidate/digest): this is not the package that was evaluated`);
}

/**
 * The deadline of the report's GitHub calls: one signal the client's requests listen to, started by
 * the first call, so that an API that accepts connections but never answers ends in a clear error.
 */
function githubDeadline(processEnv: NodeJS.ProcessEnv): { signal: AbortSignal; run: <T>(fn: () => Promise<T>) => Promise<T> } {
  const raw = processEnv[DEADLINE_VAR];
  if (raw !== undefined && raw !== '' && !(/^\d+(\.\d+)?$/.test(raw) && Number(raw) > 0)) throw new UsageError(`${DEADLINE_VAR}: expected a number of seconds above 0, got '${raw}'`);
  const seconds = raw ? Number(raw) : GITHUB_DEADLINE_S;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  return {
    signal: controller.signal,
    async run(fn) {
      timer ??= setTimeout(() => controller.abort(), seconds * 1000).unref();
      // the race ends the command on time even while a request waits out a rate-limit reset
      const expired = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('deadline')), { once: true }));
      expired.catch(() => {});
      try {
        return await Promise.race([fn(), expired]);
      } catch (e) {
        if (controller.signal.aborted) throw new ExternalError(`GitHub did not answer within ${seconds} s (retries included), so the report was not posted; it is in the job summary and --out. Check GITHUB_API_URL and GitHub's status (${DEADLINE_VAR} sets the deadline)`, { cause: e });
        throw e;
      }
    },
  };
}
