import type { Command } from '../command.js';
import { code } from '../../report/escape.js';
import { bool, int, str } from '../command.js';
import { findRepoRoot } from '../../spec/repo.js';
import { assertName } from '../../spec/paths.js';
import { loadEnvironment } from '../../spec/environment.js';
import { openStore, storeLocation } from '../../store/open.js';
import { releaseStore } from '../../store/github-release.js';
import type { ModelStore } from '../../store/types.js';
import { checkEvaluationUrl, oneLine } from '../../gitops/message.js';
import { packageUri, publish, resolveCandidate } from '../../gitops/publish.js';
import { promoteToEnvironment } from '../../gitops/promote.js';
import { openTarget } from '../../gitops/target.js';

export const gitTargetOptions = {
  branch: { type: 'string', value: '<branch>', description: 'the branch environments live on (default: the current branch, else main)' },
  remote: { type: 'string', value: '<name>', description: 'git remote to push to (default: origin, if any)' },
  via: { type: 'string', value: '<auto|git|api>', description: 'commit with the git CLI or through the GitHub API (verified commits); auto uses the API in Actions', default: 'auto' },
  'github-repo': { type: 'string', value: '<owner/name>', description: 'GitHub repository for PRs and API commits (default: GITHUB_REPOSITORY)' },
} as const;

export const promote: Command = {
  name: 'promote',
  summary: 'Publish a package and pin it in environments/<env>.yaml (a commit, or a PR for pull-request environments).',
  options: {
    model: { type: 'string', value: '<name>', description: 'model name', required: true },
    candidate: { type: 'string', value: '<dir|digest>', description: 'package to promote: a package directory or a sha256:… digest in the store', required: true },
    env: { type: 'string', value: '<env>', description: 'environment', required: true },
    weight: { type: 'string', value: '<1-100>', description: 'promote as a canary with this traffic weight (100 = full)' },
    'evaluation-url': { type: 'string', value: '<url>', description: 'link to the evaluation (recorded as Slipway-Evaluation)' },
    approver: { type: 'string', value: '<who>', description: 'who approved (recorded as Slipway-Approver; repeatable)', multiple: true },
    force: { type: 'boolean', description: 'allow a version that is not newer than the pinned one, or one that was rolled back' },
    store: { type: 'string', value: '<path|uri>', description: "where the candidate is read from when given by digest, and published to when the environment names no store (default: SLIPWAY_STORE or .slipway/store)" },
    ...gitTargetOptions,
  },
  details: [
    'Push environments (promotion: push) get a direct commit on the branch; pull-request environments get',
    'a branch slipway/promote/<env>/<model>-<version> and, with a GitHub token, a pull request (merge = approval).',
    'The commit subject is "promote(<env>): <model> <from> -> <to>" with Slipway-* trailers that',
    "'slipway audit' reads back. If another change lands first, the edit is re-applied on the new head.",
    'The package is checked first (model.onnx must load in ONNX Runtime) and published to the store only',
    'after every check passed: a refused promotion publishes nothing. A promotion branch that holds',
    "commits other than Slipway's own is never overwritten: promote refuses (exit 2).",
    'Outputs: version, digest, uri, commit, branch, pr-url, pr-number.',
  ].join('\n'),
  async run(opts, _pos, ctx) {
    const repoRoot = findRepoRoot(ctx.cwd);
    const model = assertName('model', str(opts, 'model')!);
    const env = assertName('environment', str(opts, 'env')!);
    const weight = int(opts, 'weight', 1, 100);
    const evaluation = str(opts, 'evaluation-url') ? checkEvaluationUrl(str(opts, 'evaluation-url')!) : undefined;
    const approvers = ((opts.approver as string[] | undefined) ?? []).map((a) => oneLine(a, '--approver'));
    const log = (line: string) => ctx.stderr(`${line}\n`);

    const { spec } = await loadEnvironment(repoRoot, env);
    const sourceLocation = storeLocation(str(opts, 'store'), ctx.env);
    const open = (loc: string): ModelStore => (/^github-release:\/\//i.test(loc) ? releaseStore(loc, repoRoot, ctx.env, log) : openStore(loc, repoRoot));
    const source = open(sourceLocation);
    const targetLocation = spec.store ?? sourceLocation;
    const candidate = await resolveCandidate(str(opts, 'candidate')!, model, { source, repoRoot, cwd: ctx.cwd });
    log(`candidate ${model} ${candidate.card.version} (${candidate.digest})`);

    const target = await openTarget({ repoRoot, env: ctx.env, branch: str(opts, 'branch'), remote: str(opts, 'remote'), via: str(opts, 'via'), githubRepo: str(opts, 'github-repo'), log });
    const store = targetLocation === sourceLocation ? source : open(targetLocation);
    const uri = packageUri(targetLocation, candidate.card);

    log(`committing to environments/${env}.yaml on ${target.branch} via ${target.writer.where} …`);
    const res = await promoteToEnvironment(target, {
      env,
      model,
      version: candidate.card.version,
      digest: candidate.digest,
      uri,
      weight,
      evaluation,
      approvers,
      force: bool(opts, 'force'),
      // published only once every check that can refuse the promotion has passed
      beforeWrite: async () => {
        log(`publishing to ${store.uri} …`);
        await publish(candidate, store);
      },
    });
    for (const n of res.notes) log(`note: ${n}`);
    ctx.setOutput('version', candidate.card.version);
    ctx.setOutput('digest', candidate.digest);
    ctx.setOutput('uri', uri);
    ctx.setOutput('branch', res.branch);
    if (res.unchanged) {
      ctx.stdout(`${model} ${candidate.card.version} is already pinned in ${env}; nothing to do.\n`);
      ctx.setOutput('commit', '');
      return 0;
    }
    ctx.setOutput('commit', res.commit ?? '');
    const what = `${res.message?.headline ?? ''}`;
    if (res.mode === 'push') {
      ctx.stdout(`${what}\ncommitted ${res.commit?.slice(0, 7)} to ${target.branch}${res.attempts > 1 ? ` (after ${res.attempts - 1} retr${res.attempts === 2 ? 'y' : 'ies'}: another change landed first)` : ''}\n`);
      ctx.appendSummary(`### Promoted ${model} ${candidate.card.version} to ${env}\n\n${code(what)} — commit ${code(res.commit?.slice(0, 7))}\n`);
    } else if (res.pr) {
      ctx.setOutput('pr-url', res.pr.url);
      ctx.setOutput('pr-number', String(res.pr.number));
      ctx.stdout(`${what}\n${res.pr.created ? 'opened' : 'updated'} pull request #${res.pr.number}: ${res.pr.url}\nmerging it is the approval that puts ${model} ${candidate.card.version} into ${env}\n`);
      ctx.appendSummary(`### Promotion of ${model} ${candidate.card.version} to ${env} awaits approval\n\nPull request [#${res.pr.number}](${res.pr.url})\n`);
    } else {
      const remoteNote = target.writer.hasRemote ? `pushed branch ${res.branch}; open a pull request from it into ${target.branch}` : `created local branch ${res.branch}`;
      ctx.stdout(`${what}\n${remoteNote}\nto approve, merge it: git merge --no-ff ${target.writer.hasRemote ? 'origin/' : ''}${res.branch}\n`);
    }
    return 0;
  },
};
