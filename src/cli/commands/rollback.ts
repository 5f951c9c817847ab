import type { Command } from '../command.js';
import { code } from '../../report/escape.js';
import { bool, str } from '../command.js';
import { findRepoRoot } from '../../spec/repo.js';
import { assertName } from '../../spec/paths.js';
import { InputError } from '../../errors.js';
import { oneLine } from '../../gitops/message.js';
import { semverProblem } from '../../gitops/semver.js';
import { rollbackInEnvironment } from '../../gitops/rollback.js';
import { openTarget } from '../../gitops/target.js';
import { gitTargetOptions } from './promote.js';

export const rollback: Command = {
  name: 'rollback',
  summary: 'Revert the last promotion of a model in an environment.',
  options: {
    env: { type: 'string', value: '<env>', description: 'environment', required: true },
    model: { type: 'string', value: '<name>', description: 'model name', required: true },
    to: { type: 'string', value: '<version>', description: 'roll back to this version (one fully promoted in the environment before)' },
    approver: { type: 'string', value: '<who>', description: 'who approved the rollback (recorded as Slipway-Approver; repeatable)', multiple: true },
    force: { type: 'boolean', description: 'allow --to a version that was itself rolled back' },
    ...gitTargetOptions,
  },
  details: [
    'Without --to, the last promotion of the model that is still in effect is reverted (the change',
    '`git revert` would make; if later edits conflict, the entry is restored as it was before it).',
    'The commit "rollback(<env>): <model> <from> -> <to>" says "This reverts commit <sha>." and records',
    'the versions taken out in Slipway-Rollback-Of trailers: promote refuses them again without --force.',
    'Pull-request environments get a branch slipway/rollback/<env>/<model>-<version> and a PR.',
    '--to the version the environment already runs (with no canary) is a no-op: exit 0, no commit, no PR.',
    'Outputs: version (now pinned), rolled-back, commit, branch, pr-url, pr-number.',
  ].join('\n'),
  async run(opts, _pos, ctx) {
    const repoRoot = findRepoRoot(ctx.cwd);
    const env = assertName('environment', str(opts, 'env')!);
    const model = assertName('model', str(opts, 'model')!);
    const to = str(opts, 'to');
    const toProblem = to === undefined ? undefined : semverProblem(to);
    if (toProblem) throw new InputError(`--to '${to}' ${toProblem}`);
    const approvers = ((opts.approver as string[] | undefined) ?? []).map((a) => oneLine(a, '--approver'));
    const log = (line: string) => ctx.stderr(`${line}\n`);
    const target = await openTarget({ repoRoot, env: ctx.env, branch: str(opts, 'branch'), remote: str(opts, 'remote'), via: str(opts, 'via'), githubRepo: str(opts, 'github-repo'), log });
    const res = await rollbackInEnvironment(target, { env, model, to, approvers, force: bool(opts, 'force') });
    for (const n of res.notes) log(`note: ${n}`);
    if (res.unchanged) {
      ctx.setOutput('version', res.to ?? '');
      ctx.setOutput('rolled-back', '');
      ctx.setOutput('commit', '');
      ctx.setOutput('branch', res.branch);
      ctx.stdout(`${model} ${res.to} is already what ${env} runs; nothing to do.\n`);
      return 0;
    }
    const out = (res.message?.body.match(/^Slipway-Rollback-Of: (.+)$/gm) ?? []).map((l) => l.replace('Slipway-Rollback-Of: ', ''));
    ctx.setOutput('version', res.to ?? '');
    ctx.setOutput('rolled-back', out.join(','));
    ctx.setOutput('commit', res.commit ?? '');
    ctx.setOutput('branch', res.branch);
    const headline = res.message?.headline ?? '';
    const reverted = res.reverted ? ` (reverts ${res.reverted.sha.slice(0, 7)})` : '';
    if (res.mode === 'push') {
      ctx.stdout(`${headline}${reverted}\ncommitted ${res.commit?.slice(0, 7)} to ${target.branch}; ${out.join(', ')} will not be promoted again without --force\n`);
      ctx.appendSummary(`### Rolled back ${model} in ${env}\n\n${code(headline)} — commit ${code(res.commit?.slice(0, 7))}\n`);
    } else if (res.pr) {
      ctx.setOutput('pr-url', res.pr.url);
      ctx.setOutput('pr-number', String(res.pr.number));
      ctx.stdout(`${headline}${reverted}\n${res.pr.created ? 'opened' : 'updated'} pull request #${res.pr.number}: ${res.pr.url}\nmerging it takes ${out.join(', ')} out of ${env}\n`);
      ctx.appendSummary(`### Rollback of ${model} in ${env} awaits approval\n\nPull request [#${res.pr.number}](${res.pr.url})\n`);
    } else {
      ctx.stdout(`${headline}${reverted}\n${target.writer.hasRemote ? `pushed branch ${res.branch}` : `created local branch ${res.branch}`}\nto approve, merge it: git merge --no-ff ${target.writer.hasRemote ? 'origin/' : ''}${res.branch}\n`);
    }
    return 0;
  },
};
