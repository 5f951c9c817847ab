import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHistory } from '../../src/gitops/history.js';
import { readManifest } from '../../src/gitops/manifest.js';
import { promoteToEnvironment, type GitOpsTarget } from '../../src/gitops/promote.js';
import { rollbackInEnvironment } from '../../src/gitops/rollback.js';
import { GitCliWriter } from '../../src/gitops/writer.js';
import { digest, gitopsRepos, sh } from './repos.js';

function target(repo: string, branch = 'main'): GitOpsTarget & { writer: GitCliWriter } {
  return { repoRoot: repo, branch, writer: new GitCliWriter(repo, 'origin') };
}

const atRemote = (remote: string, env: string) => readManifest(sh(remote, 'show', `main:environments/${env}.yaml`), env).spec;

describe('promote with the git CLI', () => {
  it('commits to a push environment with the subject and trailers audit reads, and brings the checkout along', async () => {
    const r = gitopsRepos();
    const res = await promoteToEnvironment(target(r.a), {
      env: 'staging',
      model: 'credit-risk',
      version: '1.0.0',
      digest: digest('a'),
      uri: 'file://.slipway/store',
      evaluation: 'https://github.com/acme/risk/actions/runs/1',
      approvers: ['@grace'],
    });
    expect(res.mode).toBe('push');
    expect(res.attempts).toBe(1);
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(res.commit);
    const msg = sh(r.remote, 'log', '-1', '--format=%B', 'main');
    expect(msg.split('\n')[0]).toBe('promote(staging): credit-risk none -> 1.0.0');
    const trailers = sh(r.remote, 'log', '-1', '--format=%(trailers:only,unfold)', 'main');
    expect(trailers).toContain('Slipway-Model: credit-risk\n');
    expect(trailers).toContain('Slipway-Version: 1.0.0\n');
    expect(trailers).toContain('Slipway-From: none\n');
    expect(trailers).toContain(`Slipway-Digest: ${digest('a')}\n`);
    expect(trailers).toContain('Slipway-Evaluation: https://github.com/acme/risk/actions/runs/1\n');
    expect(trailers).toContain('Slipway-Approver: @grace\n');
    expect(atRemote(r.remote, 'staging').models?.['credit-risk']).toEqual({ version: '1.0.0', digest: digest('a'), uri: 'file://.slipway/store' });
    // the clone's checkout was fast-forwarded; its file is the committed one, comments kept
    const local = readFileSync(join(r.a, 'environments/staging.yaml'), 'utf8');
    expect(local).toBe(sh(r.remote, 'show', 'main:environments/staging.yaml'));
    expect(local.startsWith('# Desired state of the staging deployment.\n')).toBe(true);
    // only the manifest changed
    expect(sh(r.remote, 'show', '--name-only', '--format=', 'main').trim()).toBe('environments/staging.yaml');
  });

  it('pushes a branch for a pull-request environment, leaving the environment branch alone', async () => {
    const r = gitopsRepos();
    const before = sh(r.remote, 'rev-parse', 'main').trim();
    const res = await promoteToEnvironment(target(r.a), { env: 'production', model: 'credit-risk', version: '1.0.0', digest: digest('a') });
    expect(res.mode).toBe('pull-request');
    expect(res.branch).toBe('slipway/promote/production/credit-risk-1.0.0');
    expect(res.pr).toBeNull();
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(before);
    expect(sh(r.remote, 'rev-parse', res.branch).trim()).toBe(res.commit);
    expect(sh(r.remote, 'rev-parse', `${res.branch}^`).trim()).toBe(before);
    const spec = readManifest(sh(r.remote, 'show', `${res.branch}:environments/production.yaml`), 'production').spec;
    expect(spec.models?.['credit-risk'].version).toBe('1.0.0');
  });

  it('two promotions racing from two clones: one lands, the other re-applies its edit on the new head', async () => {
    const r = gitopsRepos();
    const ta = target(r.a);
    const tb = target(r.b);
    // both build their commit on the same head before either pushes: the race happens for real
    let arrived = 0;
    let release!: () => void;
    const both = new Promise<void>((res) => (release = res));
    const barrier = async () => {
      if (++arrived === 2) release();
      await both;
    };
    ta.writer.beforeLanding = barrier;
    tb.writer.beforeLanding = barrier;
    const [ra, rb] = await Promise.all([
      promoteToEnvironment(ta, { env: 'staging', model: 'credit-risk', version: '1.0.0', digest: digest('a') }),
      promoteToEnvironment(tb, { env: 'staging', model: 'fraud', version: '2.0.0', digest: digest('b') }),
    ]);
    expect([ra.attempts, rb.attempts].sort()).toEqual([1, 2]);
    const spec = atRemote(r.remote, 'staging');
    expect(spec.models?.['credit-risk']?.version).toBe('1.0.0');
    expect(spec.models?.fraud?.version).toBe('2.0.0');
    // linear history: the loser's commit sits on top of the winner's
    const subjects = sh(r.remote, 'log', '--format=%s', 'main').trim().split('\n');
    expect(subjects).toHaveLength(3);
    expect(sh(r.remote, 'rev-list', '--merges', '--count', 'main').trim()).toBe('0');
    expect(readFileSync(join(r.a, 'environments/staging.yaml'), 'utf8')).toContain('# Desired state of the staging deployment.');
  });

  it('the loser of a race for the same model fails with a clear message and changes nothing', async () => {
    const r = gitopsRepos();
    const ta = target(r.a);
    const tb = target(r.b);
    let arrived = 0;
    let release!: () => void;
    const both = new Promise<void>((res) => (release = res));
    const barrier = async () => {
      if (++arrived === 2) release();
      await both;
    };
    ta.writer.beforeLanding = barrier;
    tb.writer.beforeLanding = barrier;
    const results = await Promise.allSettled([
      promoteToEnvironment(ta, { env: 'staging', model: 'credit-risk', version: '1.1.0', digest: digest('a') }),
      promoteToEnvironment(tb, { env: 'staging', model: 'credit-risk', version: '1.1.0', digest: digest('b') }),
    ]);
    const failed = results.filter((x) => x.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(String((failed[0] as PromiseRejectedResult).reason.message)).toMatch(/credit-risk 1\.1\.0 is already pinned in staging with digest sha256:/);
    expect(sh(r.remote, 'rev-list', '--count', 'main').trim()).toBe('2');
  });

  it('gives up after the bounded number of attempts when the branch keeps moving', async () => {
    const r = gitopsRepos();
    const t = target(r.a);
    t.maxAttempts = 2;
    let n = 0;
    t.writer.beforeLanding = async () => {
      // someone else lands a commit every time, just before we push
      sh(r.b, 'pull', '--quiet', 'origin', 'main');
      sh(r.b, 'commit', '--quiet', '--allow-empty', '-m', `other ${++n}`);
      sh(r.b, 'push', '--quiet', 'origin', 'main');
    };
    await expect(promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.0.0', digest: digest('a') })).rejects.toThrow(
      /gave up after 2 attempts: main kept moving .*nothing was changed/,
    );
    expect(atRemote(r.remote, 'staging').models ?? {}).toEqual({});
  });

  it('refuses an older version, and a version recorded as rolled back unless forced', async () => {
    const r = gitopsRepos();
    const t = target(r.a);
    await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.0.0', digest: digest('a') });
    await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.1.0', digest: digest('b') });
    await expect(promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.0.5', digest: digest('c') })).rejects.toThrow(/1\.1\.0 is pinned there/);
    const rb = await rollbackInEnvironment(t, { env: 'staging', model: 'credit-risk' });
    expect(rb.reverted?.to).toBe('1.1.0');
    expect(atRemote(r.remote, 'staging').models?.['credit-risk'].version).toBe('1.0.0');
    await expect(promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.1.0', digest: digest('b') })).rejects.toThrow(
      /refusing to promote credit-risk 1\.1\.0: it was rolled back in staging by commit [0-9a-f]{7}.*--force/,
    );
    // a rolled-back version is refused in other environments too
    await expect(promoteToEnvironment(t, { env: 'production', model: 'credit-risk', version: '1.1.0', digest: digest('b') })).rejects.toThrow(/rolled back in staging/);
    const forced = await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.1.0', digest: digest('b'), force: true });
    expect(forced.commit).not.toBeNull();
  });
});

describe('rollback', () => {
  it('reverts the last promotion exactly as git revert would, with the rollback recorded in a trailer', async () => {
    const r = gitopsRepos();
    const t = target(r.a);
    await promoteToEnvironment(t, { env: 'staging', model: 'fraud', version: '3.0.0', digest: digest('c') });
    await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.0.0', digest: digest('a') });
    const p2 = await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.1.0', digest: digest('b') });
    // later changes elsewhere do not get in the way
    await promoteToEnvironment(t, { env: 'production', model: 'fraud', version: '3.0.0', digest: digest('c') });
    sh(r.b, 'pull', '--quiet', 'origin', 'main');
    sh(r.b, 'commit', '--quiet', '--allow-empty', '-m', 'unrelated');
    sh(r.b, 'push', '--quiet', 'origin', 'main');
    const res = await rollbackInEnvironment(t, { env: 'staging', model: 'credit-risk', approvers: ['@oncall'] });
    expect(res.reverted?.sha).toBe(p2.commit);
    expect(res.from).toBe('1.1.0');
    expect(res.to).toBe('1.0.0');
    expect(res.notes).toEqual([]);
    // the same tree `git revert` makes in another clone
    sh(r.b, 'fetch', '--quiet', 'origin');
    sh(r.b, 'checkout', '--quiet', '--detach', `${res.commit}^`);
    sh(r.b, 'revert', '--no-edit', p2.commit!);
    expect(sh(r.b, 'rev-parse', 'HEAD^{tree}').trim()).toBe(sh(r.remote, 'rev-parse', 'main^{tree}').trim());
    const msg = sh(r.remote, 'log', '-1', '--format=%B', 'main');
    expect(msg.split('\n')[0]).toBe('rollback(staging): credit-risk 1.1.0 -> 1.0.0');
    expect(msg).toContain(`This reverts commit ${p2.commit}.`);
    expect(msg).toContain('Slipway-Rollback-Of: 1.1.0');
    expect(msg).toContain('Slipway-Approver: @oncall');
    // the other model is untouched
    expect(atRemote(r.remote, 'staging').models?.fraud?.version).toBe('3.0.0');
    // a second rollback goes one promotion further back
    const again = await rollbackInEnvironment(t, { env: 'staging', model: 'credit-risk' });
    expect(again.to).toBeNull();
    expect(atRemote(r.remote, 'staging').models?.['credit-risk']).toBeUndefined();
    await expect(rollbackInEnvironment(t, { env: 'staging', model: 'credit-risk' })).rejects.toThrow(/not pinned/);
  });

  it('--to pins an earlier version; a canary rollback takes the canary out', async () => {
    const r = gitopsRepos();
    const t = target(r.a);
    await promoteToEnvironment(t, { env: 'staging', model: 'm', version: '1.0.0', digest: digest('a'), uri: 'u1' });
    await promoteToEnvironment(t, { env: 'staging', model: 'm', version: '1.1.0', digest: digest('b') });
    await promoteToEnvironment(t, { env: 'staging', model: 'm', version: '1.2.0', digest: digest('c') });
    await promoteToEnvironment(t, { env: 'staging', model: 'm', version: '1.3.0', digest: digest('d'), weight: 20 });
    const c = await rollbackInEnvironment(t, { env: 'staging', model: 'm' });
    expect(atRemote(r.remote, 'staging').models?.m).toEqual({ version: '1.2.0', digest: digest('c') });
    expect(sh(r.remote, 'log', '-1', '--format=%B', 'main')).toContain('Slipway-Rollback-Of: 1.3.0');
    // the subject names the canary taken out, not "1.2.0 -> 1.2.0"
    expect(sh(r.remote, 'log', '-1', '--format=%s', 'main').trim()).toBe('rollback(staging): m canary 1.3.0 out, 1.2.0 stays');
    expect(c.commit).not.toBeNull();
    const to = await rollbackInEnvironment(t, { env: 'staging', model: 'm', to: '1.0.0' });
    expect(to.reverted).toBeNull();
    expect(atRemote(r.remote, 'staging').models?.m).toEqual({ version: '1.0.0', digest: digest('a'), uri: 'u1' });
    expect(sh(r.remote, 'log', '-1', '--format=%(trailers:key=Slipway-Rollback-Of,valueonly)', 'main').trim()).toBe('1.2.0');
    await expect(rollbackInEnvironment(t, { env: 'staging', model: 'm', to: '0.9.0' })).rejects.toThrow(/never fully promoted/);
    const events = await readHistory(r.a, { env: 'staging' });
    expect(events.map((e) => e.kind)).toEqual(['rollback', 'rollback', 'promote', 'promote', 'promote', 'promote']);
    expect(events[2].revertedBy).toBe(events[1].sha);
    expect(events[2].weight).toBe(20);
  });

  it('falls back to restoring the entry when a textual revert would conflict', async () => {
    const r = gitopsRepos();
    const t = target(r.a);
    await promoteToEnvironment(t, { env: 'staging', model: 'm', version: '1.0.0', digest: digest('a') });
    const p = await promoteToEnvironment(t, { env: 'staging', model: 'm', version: '1.1.0', digest: digest('b') });
    // a hand edit right next to the promoted lines
    sh(r.b, 'pull', '--quiet', 'origin', 'main');
    const file = join(r.b, 'environments/staging.yaml');
    const text = readFileSync(file, 'utf8').replace(`    digest: ${digest('b')}\n`, `    digest: ${digest('b')} # checked by @grace\n`);
    (await import('node:fs')).writeFileSync(file, text);
    sh(r.b, 'commit', '--quiet', '-am', 'note');
    sh(r.b, 'push', '--quiet', 'origin', 'main');
    const res = await rollbackInEnvironment(t, { env: 'staging', model: 'm' });
    expect(res.reverted?.sha).toBe(p.commit);
    expect(res.notes.join(' ')).toMatch(/restored as it was before the promotion/);
    expect(atRemote(r.remote, 'staging').models?.m).toEqual({ version: '1.0.0', digest: digest('a') });
  });
});
