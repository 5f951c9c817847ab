import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { bool, str } from '../command.js';
import { findRepoRoot } from '../../spec/repo.js';
import { assertName } from '../../spec/paths.js';
import { environmentNames } from '../../spec/environment-checks.js';
import { parseYamlText } from '../../spec/yaml-file.js';
import { InputError, UsageError } from '../../errors.js';
import { auditRows, auditTable } from '../../gitops/audit.js';
import { readHistory } from '../../gitops/history.js';
import { gitMaybe } from '../../gitops/git.js';

/**
 * An environment with no history must at least exist: in the revision read, in its history, or (not yet
 * committed) on disk. Otherwise it is a typo, and the environments there are listed.
 */
async function assertEnvironmentKnown(repoRoot: string, env: string, ref: string): Promise<void> {
  const path = `environments/${env}.yaml`;
  if (existsSync(join(repoRoot, path))) return;
  if ((await gitMaybe(repoRoot, ['cat-file', '-e', `${ref}:${path}`])) !== null) return;
  if ((await gitMaybe(repoRoot, ['rev-list', '-1', ref, '--', path]))?.trim()) return;
  const listed = (await gitMaybe(repoRoot, ['ls-tree', '--name-only', `${ref}:environments`])) ?? '';
  const known = [...new Set([...listed.split('\n'), ...environmentNames(repoRoot).map((n) => `${n}.yaml`)])]
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
  throw new InputError(`environment '${env}' not found: ${path} is not in ${ref} and never was (environments: ${known.join(', ') || 'none'})`);
}

/** The models the environment's manifest pins at `ref` (none when it is absent or unreadable). */
async function pinnedAt(repoRoot: string, env: string, ref: string): Promise<string[]> {
  const text = await gitMaybe(repoRoot, ['show', `${ref}:environments/${env}.yaml`]);
  try {
    const models = text === null ? null : (parseYamlText(text, `environments/${env}.yaml`).value as { models?: unknown }).models;
    return models && typeof models === 'object' ? Object.keys(models) : [];
  } catch {
    return [];
  }
}

export const audit: Command = {
  name: 'audit',
  summary: 'The history of an environment from git: promotions, approvals, rollbacks.',
  options: {
    env: { type: 'string', value: '<env>', description: 'environment', required: true },
    model: { type: 'string', value: '<name>', description: 'only this model' },
    ref: { type: 'string', value: '<rev>', description: 'read the history reachable from this revision', default: 'HEAD' },
    json: { type: 'boolean', description: 'print JSON: {environment, events: […]}, the events newest first' },
  },
  details: [
    'Reads environments/<env>.yaml history with ONE `git log` (custom format + trailers): when it took',
    'effect, committer, approver (Slipway-Approver trailer, else the author of the PR merge), model,',
    'from → to, digest, evaluation link. Reverts of promotions are marked as rollbacks, and the',
    'promotions they took out are flagged.',
    '',
    "An environment that is not in the revision and never was is exit 2, listing those that are. A",
    "--model never promoted there is exit 2, unless models/<name>/ exists or the environment pins it",
    '(then it says there are no promotions of it yet).',
  ].join('\n'),
  async run(opts, _pos, ctx) {
    const repoRoot = findRepoRoot(ctx.cwd);
    const env = assertName('environment', str(opts, 'env')!);
    const model = str(opts, 'model');
    if (model) assertName('model', model);
    const ref = str(opts, 'ref') ?? 'HEAD';
    if (ref.startsWith('-')) throw new UsageError(`--ref must be a revision, got '${ref}'`);
    if ((await gitMaybe(repoRoot, ['rev-parse', '--git-dir'])) === null) throw new UsageError(`${repoRoot} is not a git repository`);
    if ((await gitMaybe(repoRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])) === null) throw new InputError(`no such revision '${ref}' in ${repoRoot}`);
    const events = await readHistory(repoRoot, { env, ref });
    if (!events.length) await assertEnvironmentKnown(repoRoot, env, ref);
    const rows = auditRows(model ? events.filter((e) => e.model === model) : events);
    const seen = [...new Set(events.map((e) => e.model))].sort();
    if (model && !seen.includes(model) && !existsSync(join(repoRoot, 'models', model)) && !(await pinnedAt(repoRoot, env, ref)).includes(model)) {
      throw new InputError(`model '${model}' was never promoted in environments/${env}.yaml at ${ref} and has no models/${model}/ directory (models promoted there: ${seen.join(', ') || 'none'})`);
    }
    if (bool(opts, 'json')) {
      ctx.stdout(JSON.stringify({ environment: env, events: rows }, null, 2) + '\n');
      return 0;
    }
    const none = model && !rows.length ? `No promotions of model '${model}' recorded in environments/${env}.yaml yet (models promoted there: ${seen.join(', ') || 'none'}).\n` : null;
    ctx.stdout(none ?? auditTable(env, rows));
    ctx.appendSummary(none ?? auditTable(env, rows, 'markdown'));
    return 0;
  },
};
