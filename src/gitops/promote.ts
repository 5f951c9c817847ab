import { ExternalError, InputError } from '../errors.js';
import { assertName } from '../spec/paths.js';
import { readHistory, rolledBackVersions } from './history.js';
import { editManifest, readManifest, type ManifestEdit } from './manifest.js';
import { promotionMessage } from './message.js';
import { assertPrBranchReplaceable } from './pr-branch.js';
import { fetchBranch, remoteOf, revParse } from './repo.js';
import type { BranchWriter, CommitMessage } from './writer.js';

/** Opens (or finds) the pull request for a pushed branch. */
export interface PullRequestOpener {
  open(req: { head: string; base: string; title: string; body: string }): Promise<{ number: number; url: string; created: boolean }>;
}

export interface GitOpsTarget {
  /** the local clone: history is read from here */
  repoRoot: string;
  /** the branch the environments live on (e.g. main) */
  branch: string;
  writer: BranchWriter;
  pullRequests?: PullRequestOpener | null;
  /** bounded retries when another promotion lands first (default 5) */
  maxAttempts?: number;
  log?: (line: string) => void;
}

export interface PromoteRequest {
  env: string;
  model: string;
  version: string;
  digest: string;
  uri?: string;
  weight?: number;
  evaluation?: string;
  approvers?: string[];
  /** override: allow a version that is not newer, or one recorded as rolled back */
  force?: boolean;
  /**
   * Runs once, after every check that can refuse the promotion passed and before anything is committed
   * (the CLI publishes the package here): a refused promotion writes nothing anywhere.
   */
  beforeWrite?: () => Promise<void>;
}

export interface GitOpsResult {
  mode: 'push' | 'pull-request';
  /** the commit made (on the environment branch for push, on the PR branch otherwise); null when nothing changed */
  commit: string | null;
  /** where the commit went */
  branch: string;
  pr: { number: number; url: string; created: boolean } | null;
  from: string | null;
  to: string | null;
  attempts: number;
  unchanged: boolean;
  notes: string[];
  message: CommitMessage | null;
}

export function manifestPath(env: string): string {
  return `environments/${assertName('environment', env)}.yaml`;
}

export function promotionBranch(env: string, model: string, version: string): string {
  return `slipway/promote/${env}/${model}-${version}`;
}

/**
 * One pass of "read the head, apply the pure edit, commit expecting that head", retried while the branch
 * moves. `beforeWrite` runs once, after the plan's checks (and, for a pull-request environment, the check
 * that the promotion branch holds only Slipway's own commit) and before the first write.
 */
export async function landEdit(
  target: GitOpsTarget,
  env: string,
  plan: (text: string, head: string) => Promise<{ edit: ManifestEdit; message: CommitMessage; prBranch: string; extraNotes?: string[] }>,
  beforeWrite?: () => Promise<void>,
): Promise<GitOpsResult> {
  const path = manifestPath(env);
  const log = target.log ?? (() => {});
  const max = target.maxAttempts ?? 5;
  let prepared = false;
  const prepare = async () => {
    if (prepared || !beforeWrite) return;
    await beforeWrite();
    prepared = true;
  };
  for (let attempt = 1; attempt <= max; attempt++) {
    const head = await target.writer.head(target.branch);
    if (!head) throw new ExternalError(`branch '${target.branch}' was not found in ${target.writer.where}: give the branch that holds environments/ with --branch (a repository with no commits yet has no branch)`);
    const text = await target.writer.read(head, path);
    if (text === null) throw new InputError(`environment '${env}' not found: ${path} does not exist on ${target.branch} (${head.slice(0, 7)})`);
    const mode = readManifest(text, env, path).spec.promotion;
    const { edit, message, prBranch, extraNotes = [] } = await plan(text, head);
    const notes = [...edit.notes, ...extraNotes];
    const base = { mode, from: edit.from, to: edit.to, attempts: attempt, notes, message };
    if (edit.unchanged) {
      await prepare();
      return { ...base, commit: null, branch: target.branch, pr: null, unchanged: true };
    }
    if (mode === 'push') {
      await prepare();
      const sha = await target.writer.commit(target.branch, head, { [path]: edit.text }, message);
      if (sha === 'stale') {
        log(`${target.branch} moved while committing (another change landed first); re-applying on the new head (attempt ${attempt + 1} of ${max})`);
        await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 150) * attempt));
        continue;
      }
      const note = (await target.writer.afterLanding?.(target.branch, sha)) ?? null;
      return { ...base, notes: note ? [...notes, note] : notes, commit: sha, branch: target.branch, pr: null, unchanged: false };
    }
    // pull-request: a branch Slipway owns, started at the head, holding the one commit. Replaced only while
    // it holds nothing but Slipway's own commit (pr-branch.ts), and only if it still is what was inspected
    const existing = await target.writer.head(prBranch);
    if (existing) await assertPrBranchReplaceable({ repoRoot: target.repoRoot, branch: prBranch, existing, base: head, baseBranch: target.branch, env, path });
    await prepare();
    if ((await target.writer.resetBranch(prBranch, head, existing)) === 'stale') {
      log(`${prBranch} moved while Slipway replaced it; checking it again (attempt ${attempt + 1} of ${max})`);
      continue;
    }
    const sha = await target.writer.commit(prBranch, head, { [path]: edit.text }, message);
    if (sha === 'stale') {
      log(`${prBranch} moved while committing; retrying (attempt ${attempt + 1} of ${max})`);
      continue;
    }
    let pr: GitOpsResult['pr'] = null;
    if (target.pullRequests) {
      pr = await target.pullRequests.open({
        head: prBranch,
        base: target.branch,
        title: message.headline,
        body: `${message.body.split('\n\n')[0]}\n\nMerging this pull request is the approval: the merge puts it into \`${env}\` (see CODEOWNERS).\n\n<!-- slipway:promotion ${env} -->`,
      });
    }
    return { ...base, commit: sha, branch: prBranch, pr, unchanged: false };
  }
  throw new ExternalError(`gave up after ${max} attempts: ${target.branch} kept moving while Slipway tried to commit to ${path}; nothing was changed, run the command again`);
}

/**
 * History of every environment at `head` (one git log). When the head was made elsewhere (through the
 * GitHub API) and the clone lacks it, the branch is fetched first; without it, the local HEAD is used.
 */
export async function historyAt(repoRoot: string, head: string, branch?: string) {
  if (!(await revParse(repoRoot, head)) && branch) {
    const remote = await remoteOf(repoRoot).catch(() => null);
    if (remote) await fetchBranch(repoRoot, remote, branch).catch(() => null);
  }
  const ref = (await revParse(repoRoot, head)) ? head : 'HEAD';
  if (!(await revParse(repoRoot, ref))) return [];
  return readHistory(repoRoot, { ref });
}

/** Pins a published package in an environment: a direct commit (push) or a branch and a PR (pull-request). */
export async function promoteToEnvironment(target: GitOpsTarget, req: PromoteRequest): Promise<GitOpsResult> {
  assertName('model', req.model);
  const path = manifestPath(req.env);
  return landEdit(target, req.env, async (text, head) => {
    const edit = editManifest(text, req.env, {
      kind: 'promote',
      model: req.model,
      version: req.version,
      digest: req.digest,
      uri: req.uri,
      weight: req.weight,
      force: req.force,
    }, path);
    if (!edit.unchanged) {
      const rolledBack = rolledBackVersions(await historyAt(target.repoRoot, head, target.branch), req.model).get(req.version);
      if (rolledBack && !req.force) {
        throw new InputError(
          `refusing to promote ${req.model} ${req.version}: it was rolled back${rolledBack.environment ? ` in ${rolledBack.environment}` : ''} by commit ${rolledBack.sha.slice(0, 7)} (${rolledBack.when}); pass --force to promote it anyway`,
        );
      }
    }
    const message = promotionMessage({
      env: req.env,
      model: req.model,
      from: edit.from,
      to: req.version,
      digest: req.digest,
      weight: req.weight,
      evaluation: req.evaluation,
      approvers: req.approvers ?? [],
      notes: edit.notes,
    });
    return { edit, message, prBranch: promotionBranch(req.env, req.model, req.version) };
  }, req.beforeWrite);
}
