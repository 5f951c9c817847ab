import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/gitops/manifest.js';
import { packageDigest } from '../../src/store/digest.js';
import { runCli } from '../support/cli.js';
import { gitopsRepos, sh } from './repos.js';
import { writeTestPackage } from './package.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME } as NodeJS.ProcessEnv;

describe('slipway promote / rollback / audit (CLI, real git)', () => {
  it('promotes, canaries, completes, rolls back and audits a push environment', async () => {
    const r = gitopsRepos();
    const p1 = writeTestPackage(join(r.root, 'pkg1'), 'credit-risk', '1.0.0');
    const p2 = writeTestPackage(join(r.root, 'pkg2'), 'credit-risk', '1.1.0');
    const d1 = await packageDigest(p1);
    const d2 = await packageDigest(p2);

    const a = await runCli(['promote', '--model', 'credit-risk', '--candidate', p1, '--env', 'staging', '--evaluation-url', 'https://ci.example/runs/7', '--approver', '@grace'], r.a, env);
    expect(a.stderr).toContain(`candidate credit-risk 1.0.0 (${d1})`);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^promote\(staging\): credit-risk none -> 1\.0\.0\ncommitted [0-9a-f]{7} to main\n/);
    expect(a.outputs).toMatchObject({ version: '1.0.0', digest: d1, uri: 'file://.slipway/store', branch: 'main' });
    expect(a.outputs.commit).toBe(sh(r.remote, 'rev-parse', 'main').trim());
    // published to the environment's store (the default file store of the clone), verified
    expect(readFileSync(join(r.a, '.slipway/store/sha256', d1.slice(7), 'slipway.json'), 'utf8')).toContain('"version": "1.0.0"');

    // by digest from the store, as a canary, then completed
    const c = await runCli(['promote', '--model', 'credit-risk', '--candidate', p2, '--env', 'staging', '--weight', '10'], r.a, env);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('promote(staging): credit-risk 1.0.0 -> 1.1.0 (canary 10%)');
    let spec = readManifest(sh(r.remote, 'show', 'main:environments/staging.yaml'), 'staging').spec;
    expect(spec.models?.['credit-risk']).toEqual({ version: '1.0.0', digest: d1, uri: 'file://.slipway/store', canary: { version: '1.1.0', digest: d2, uri: 'file://.slipway/store', weight: 10 } });
    const full = await runCli(['promote', '--model', 'credit-risk', '--candidate', d2, '--env', 'staging'], r.b, { ...env, SLIPWAY_STORE: join(r.a, '.slipway/store') });
    expect(full.code).toBe(0);
    spec = readManifest(sh(r.remote, 'show', 'main:environments/staging.yaml'), 'staging').spec;
    // clone b read the package by digest from clone a's store, and published there: the uri says so
    expect(spec.models?.['credit-risk']).toEqual({ version: '1.1.0', digest: d2, uri: `file://${join(r.a, '.slipway/store')}` });
    const again = await runCli(['promote', '--model', 'credit-risk', '--candidate', p2, '--env', 'staging'], r.a, env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already pinned in staging; nothing to do');

    const rb = await runCli(['rollback', '--env', 'staging', '--model', 'credit-risk', '--approver', '@oncall'], r.a, env);
    expect(rb.code).toBe(0);
    expect(rb.stdout).toMatch(/^rollback\(staging\): credit-risk 1\.1\.0 -> 1\.0\.0 \(reverts [0-9a-f]{7}\)\n/);
    expect(rb.outputs).toMatchObject({ version: '1.0.0', 'rolled-back': '1.1.0' });

    // --to the version already live is a no-op, as promoting what is already pinned: exit 0, no commit
    const liveHead = sh(r.remote, 'rev-parse', 'main').trim();
    const same = await runCli(['rollback', '--env', 'staging', '--model', 'credit-risk', '--to', '1.0.0'], r.a, env);
    expect([same.code, same.stdout, same.stderr]).toEqual([0, 'credit-risk 1.0.0 is already what staging runs; nothing to do.\n', '']);
    expect(same.outputs).toMatchObject({ version: '1.0.0', 'rolled-back': '', commit: '', branch: 'main' });
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(liveHead);

    const refused = await runCli(['promote', '--model', 'credit-risk', '--candidate', p2, '--env', 'staging'], r.a, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: refusing to promote credit-risk 1\.1\.0: it was rolled back in staging by commit [0-9a-f]{7} .*; pass --force to promote it anyway$/m);
    expect(refused.stderr).not.toContain('    at ');

    const audit = await runCli(['audit', '--env', 'staging', '--json'], r.a, env);
    expect(audit.code).toBe(0);
    const events = JSON.parse(audit.stdout).events;
    expect(events.map((e: { kind: string; from: string; to: string }) => `${e.kind} ${e.from}->${e.to}`)).toEqual([
      'rollback 1.1.0->1.0.0',
      'promote 1.0.0->1.1.0',
      'canary 1.0.0->1.1.0',
      'promote none->1.0.0',
    ]);
    expect(events[3]).toMatchObject({ approver: '@grace', evaluation: 'https://ci.example/runs/7', digest: d1, committer: 'Ada Lovelace <ada@example.com>' });
    expect(events[1]).toMatchObject({ rolled_back_by: events[0].commit, committer: 'Grace Hopper <grace@example.com>' });
    expect(events[0]).toMatchObject({ approver: '@oncall', rollback_of: ['1.1.0'], reverts: events[1].commit });
    const table = await runCli(['audit', '--env', 'staging'], r.a, env);
    expect(table.stdout).toContain('⟲ rollback of 1.1.0');
    expect(table.stdout).toContain('canary 10%');
  });

  it('opens a branch for a pull-request environment and tells the user what to merge; merge = approval in the audit', async () => {
    const r = gitopsRepos();
    const p1 = writeTestPackage(join(r.root, 'pkg1'), 'credit-risk', '1.0.0');
    const res = await runCli(['promote', '--model', 'credit-risk', '--candidate', p1, '--env', 'production'], r.a, env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('pushed branch slipway/promote/production/credit-risk-1.0.0; open a pull request from it into main');
    expect(res.stdout).toContain('git merge --no-ff origin/slipway/promote/production/credit-risk-1.0.0');
    expect(res.outputs.branch).toBe('slipway/promote/production/credit-risk-1.0.0');
    // a reviewer merges it as GitHub does
    sh(r.b, 'fetch', '--quiet', 'origin');
    sh(r.b, 'merge', '--quiet', '--no-ff', '-m', 'Merge pull request #42 from acme/slipway/promote/production/credit-risk-1.0.0', 'origin/slipway/promote/production/credit-risk-1.0.0');
    sh(r.b, 'push', '--quiet', 'origin', 'main');
    const audit = await runCli(['audit', '--env', 'production', '--json'], r.b, env);
    const [ev] = JSON.parse(audit.stdout).events;
    expect(ev).toMatchObject({ kind: 'promote', to: '1.0.0', pr: 42, approver: 'Grace Hopper (merged PR #42)' });
    // rolling back to the version production already runs opens no branch and no PR
    const branches = sh(r.remote, 'for-each-ref', '--format=%(refname)').trim();
    const same = await runCli(['rollback', '--env', 'production', '--model', 'credit-risk', '--to', '1.0.0'], r.b, env);
    expect([same.code, same.stdout]).toEqual([0, 'credit-risk 1.0.0 is already what production runs; nothing to do.\n']);
    expect(same.outputs).toMatchObject({ version: '1.0.0', commit: '', branch: 'main' });
    expect(same.outputs['pr-url']).toBeUndefined();
    expect(sh(r.remote, 'for-each-ref', '--format=%(refname)').trim()).toBe(branches);
  });

  it('gives clear errors for bad input, exit 2', async () => {
    const r = gitopsRepos();
    const p = writeTestPackage(join(r.root, 'pkg'), 'fraud', '1.0.0');
    const wrong = await runCli(['promote', '--model', 'credit-risk', '--candidate', p, '--env', 'staging'], r.a, env);
    expect([wrong.code, wrong.stderr]).toEqual([2, `error: ${p}: the package is model 'fraud', not 'credit-risk'\n`]);
    const noEnv = await runCli(['promote', '--model', 'fraud', '--candidate', p, '--env', 'qa'], r.a, env);
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toMatch(/environment 'qa' not found/);
    const w = await runCli(['promote', '--model', 'fraud', '--candidate', p, '--env', 'staging', '--weight', '0'], r.a, env);
    expect([w.code, w.stderr]).toEqual([2, 'error: --weight must be between 1 and 100, got 0\n']);
    const url = await runCli(['promote', '--model', 'fraud', '--candidate', p, '--env', 'staging', '--evaluation-url', 'javascript:alert(1)'], r.a, env);
    expect(url.code).toBe(2);
    const nothing = await runCli(['rollback', '--env', 'staging', '--model', 'fraud'], r.a, env);
    expect([nothing.code, nothing.stderr]).toEqual([2, 'error: fraud is not pinned in environments/staging.yaml: nothing to roll back\n']);
    const badTo = await runCli(['rollback', '--env', 'staging', '--model', 'fraud', '--to', 'latest'], r.a, env);
    expect([badTo.code, badTo.stderr]).toEqual([2, "error: --to 'latest' is not a semantic version such as 1.2.0\n"]);
    const hugeTo = await runCli(['rollback', '--env', 'staging', '--model', 'fraud', '--to', '99999999999999999999.0.0'], r.a, env);
    expect([hugeTo.code, hugeTo.stderr]).toEqual([2, "error: --to '99999999999999999999.0.0' has a part above 9007199254740991 (Number.MAX_SAFE_INTEGER, the largest whole number held exactly)\n"]);
    // a package version that is not semver, or whose parts would round, is never pinned
    for (const [version, problem] of [['banana', 'is not a semantic version such as 1.2.0'], ['1.99999999999999999999.0', 'has a part above 9007199254740991']]) {
      const bad = writeTestPackage(join(r.root, `pkg-${version}`), 'fraud', version);
      const res = await runCli(['promote', '--model', 'fraud', '--candidate', bad, '--env', 'staging'], r.a, env);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`error: ${bad}: the package version "${version}" ${problem}`);
    }
    const branch = await runCli(['rollback', '--env', 'staging', '--model', 'fraud', '--branch', 'release'], r.a, env);
    expect([branch.code, branch.stderr]).toEqual([2, "error: branch 'release' was not found in origin (git): give the branch that holds environments/ with --branch (a repository with no commits yet has no branch)\n"]);
    // nothing was committed by any of these
    expect(sh(r.remote, 'rev-list', '--count', 'main').trim()).toBe('1');
  });
});
