import type { Command } from '../command.js';
import { bool, str } from '../command.js';
import { findRepoRoot } from '../../spec/repo.js';
import { assertName } from '../../spec/paths.js';
import { InputError, UsageError } from '../../errors.js';
import { auditRows, auditTable } from '../../gitops/audit.js';
import { readHistory } from '../../gitops/history.js';
import { gitMaybe } from '../../gitops/git.js';

export const audit: Command = {
  name: 'audit',
  summary: 'The history of an environment from git: promotions, approvals, rollbacks.',
  options: {
    env: { type: 'string', value: '<env>', description: 'environment', required: true },
    model: { type: 'string', value: '<name>', description: 'only this model' },
    ref: { type: 'string', value: '<rev>', description: 'read the history reachable from this revision', default: 'HEAD' },
    json: { type: 'boolean', description: 'print JSON (one object per event, newest first)' },
  },
  details: [
    'Reads environments/<env>.yaml history with ONE `git log` (custom format + trailers): when it took',
    'effect, committer, approver (Slipway-Approver trailer, else the author of the PR merge), model,',
    'from → to, digest, evaluation link. Reverts of promotions are marked as rollbacks, and the',
    'promotions they took out are flagged.',
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
    const rows = auditRows(model ? events.filter((e) => e.model === model) : events);
    if (bool(opts, 'json')) {
      ctx.stdout(JSON.stringify({ environment: env, events: rows }, null, 2) + '\n');
      return 0;
    }
    const table = auditTable(env, rows);
    ctx.stdout(table);
    ctx.appendSummary(table);
    return 0;
  },
};
