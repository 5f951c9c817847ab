import { describe, expect, it } from 'vitest';
import { auditRows } from '../../src/gitops/audit.js';
import { readHistory, rolledBackVersions } from '../../src/gitops/history.js';
import { readManifest } from '../../src/gitops/manifest.js';
import { promoteToEnvironment, type GitOpsTarget } from '../../src/gitops/promote.js';
import { rollbackInEnvironment } from '../../src/gitops/rollback.js';
import { GitCliWriter } from '../../src/gitops/writer.js';
import { digest, gitopsRepos, sh } from './repos.js';

const target = (repo: string): GitOpsTarget => ({ repoRoot: repo, branch: 'main', writer: new GitCliWriter(repo, 'origin') });
const pinned = (repo: string, env: string) => readManifest(sh(repo, 'show', `main:environments/${env}.yaml`), env).spec.models?.m ?? null;

/** Merges a promotion branch the way GitHub's merge button does. */
function mergePr(repo: string, n: number, branch: string): string {
  sh(repo, 'fetch', '--quiet', 'origin');
  sh(repo, 'merge', '--quiet', '--no-ff', '-m', `Merge pull request #${n} from acme/${branch}`, `origin/${branch}`);
  return sh(repo, 'rev-parse', 'HEAD').trim();
}

describe('audit and rollback read reverts made outside Slipway', () => {
  it("a revert of a promotion PR's merge (GitHub's Revert button) is a rollback", async () => {
    // it names the merge commit, which is no promotion: audit showed nothing, the version was not recorded as
    // rolled back, and 'slipway rollback' tried to revert the same promotion again ("would not change")
    const r = gitopsRepos();
    await promoteToEnvironment(target(r.a), { env: 'production', model: 'm', version: '1.0.0', digest: digest('a') });
    mergePr(r.a, 1, 'slipway/promote/production/m-1.0.0');
    sh(r.a, 'push', '--quiet', 'origin', 'main');
    const promo = await promoteToEnvironment(target(r.a), { env: 'production', model: 'm', version: '1.1.0', digest: digest('b') });
    const merge = mergePr(r.a, 2, 'slipway/promote/production/m-1.1.0');
    sh(r.a, 'revert', '--no-edit', '-m', '1', merge);
    sh(r.a, 'push', '--quiet', 'origin', 'main');

    const events = await readHistory(r.a, { env: 'production' });
    const rows = auditRows(events);
    expect(rows[0]).toMatchObject({ kind: 'rollback', model: 'm', from: '1.1.0', to: '1.0.0', rollback_of: ['1.1.0'] });
    expect(rows[1]).toMatchObject({ kind: 'promote', to: '1.1.0', commit: promo.commit, rolled_back_by: rows[0].commit, pr: 2 });
    expect([...rolledBackVersions(events, 'm').keys()]).toEqual(['1.1.0']);
    await expect(promoteToEnvironment(target(r.a), { env: 'production', model: 'm', version: '1.1.0', digest: digest('b') })).rejects.toThrow(/refusing to promote m 1\.1\.0: it was rolled back/);
  });

  it('a revert of a rollback puts the version back: audit shows a promotion, and the next rollback reverts that', async () => {
    // the rollback stayed in effect as far as Slipway knew: the reinstated 1.1.0 was still refused, and
    // 'slipway rollback' reverted the 1.0.0 promotion instead, taking the model out of staging entirely
    const r = gitopsRepos();
    await promoteToEnvironment(target(r.a), { env: 'staging', model: 'm', version: '1.0.0', digest: digest('a') });
    const promo = await promoteToEnvironment(target(r.a), { env: 'staging', model: 'm', version: '1.1.0', digest: digest('b') });
    sh(r.a, 'revert', '--no-edit', promo.commit!);
    const rollback = sh(r.a, 'rev-parse', 'HEAD').trim();
    sh(r.a, 'revert', '--no-edit', rollback);
    sh(r.a, 'push', '--quiet', 'origin', 'main');
    expect(pinned(r.remote, 'staging')?.version).toBe('1.1.0');

    const events = await readHistory(r.a, { env: 'staging' });
    expect(auditRows(events).slice(0, 2)).toMatchObject([
      { kind: 'promote', from: '1.0.0', to: '1.1.0', digest: digest('b'), reverts: rollback },
      { kind: 'rollback', commit: rollback, rollback_of: ['1.1.0'], rolled_back_by: events[0].sha },
    ]);
    expect(rolledBackVersions(events, 'm').size).toBe(0);

    const res = await rollbackInEnvironment(target(r.a), { env: 'staging', model: 'm' });
    expect(res.message?.headline).toBe('rollback(staging): m 1.1.0 -> 1.0.0');
    expect(pinned(r.remote, 'staging')).toEqual({ version: '1.0.0', digest: digest('a') });
  });

  it("promotion and rollback PRs squash-merged with GitHub's 'pull request title' message (no trailers) are still events", async () => {
    // the squash commit holds only 'promote(production): m 1.0.0 -> 1.1.0 (#8)': audit showed nothing,
    // 'slipway rollback' found no promotion, and a version rolled back that way was promoted again
    const r = gitopsRepos();
    const squash = (n: number, branch: string) => {
      sh(r.a, 'fetch', '--quiet', 'origin');
      const subject = sh(r.a, 'log', '-1', '--format=%s', `origin/${branch}`).trim();
      sh(r.a, 'merge', '--quiet', '--squash', `origin/${branch}`);
      sh(r.a, 'commit', '--quiet', '-m', `${subject} (#${n})`);
      sh(r.a, 'push', '--quiet', 'origin', 'main');
    };
    await promoteToEnvironment(target(r.a), { env: 'production', model: 'm', version: '1.0.0', digest: digest('a') });
    squash(7, 'slipway/promote/production/m-1.0.0');
    await promoteToEnvironment(target(r.a), { env: 'production', model: 'm', version: '1.1.0', digest: digest('b'), weight: 10 });
    squash(8, 'slipway/promote/production/m-1.1.0');
    expect(auditRows(await readHistory(r.a, { env: 'production' }))).toMatchObject([
      { kind: 'canary', model: 'm', from: '1.0.0', to: '1.1.0', weight: 10, pr: 8, digest: null },
      { kind: 'promote', model: 'm', from: 'none', to: '1.0.0', pr: 7 },
    ]);

    const rb = await rollbackInEnvironment(target(r.a), { env: 'production', model: 'm' });
    expect(rb.message?.headline).toBe('rollback(production): m canary 1.1.0 out, 1.0.0 stays');
    squash(9, rb.branch);
    expect(pinned(r.remote, 'production')).toEqual({ version: '1.0.0', digest: digest('a') });
    const events = await readHistory(r.a, { env: 'production' });
    expect(auditRows(events)[0]).toMatchObject({ kind: 'rollback', from: '1.0.0', to: '1.0.0', rollback_of: ['1.1.0'], pr: 9 });
    await expect(promoteToEnvironment(target(r.a), { env: 'production', model: 'm', version: '1.1.0', digest: digest('b') })).rejects.toThrow(/refusing to promote m 1\.1\.0: it was rolled back/);
  });
});
