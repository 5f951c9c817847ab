import { chmodSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pushCommit } from '../../src/gitops/repo.js';
import { packageDigest } from '../../src/store/digest.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { writeTestPackage } from './package.js';
import { gitopsRepos, sh } from './repos.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME } as NodeJS.ProcessEnv;
const BRANCH = 'slipway/promote/production/credit-risk-1.0.0';

/** production as a push environment with its own store (an absolute file:// URI). */
function withProductionStore(storeDir: string) {
  return gitopsRepos({
    'environments/production.yaml': `apiVersion: slipway/v1\nkind: Environment\nname: production\npromotion: push\nstore: file://${storeDir}\nmodels: {}\n`,
  });
}

describe('promote checks everything that can refuse before it publishes or commits', () => {
  it('a version rolled back elsewhere is refused and the environment store stays untouched', async () => {
    const store = join(tempDir('slipway-envstore-').dir, 'envstore');
    const rp = withProductionStore(store);
    const p1 = writeTestPackage(join(rp.root, 'pkg1'), 'credit-risk', '1.0.0');
    const p2 = writeTestPackage(join(rp.root, 'pkg2'), 'credit-risk', '1.1.0');
    const d2 = await packageDigest(p2);
    for (const p of [p1, p2]) expect((await runCli(['promote', '--model', 'credit-risk', '--candidate', p, '--env', 'staging'], rp.a, env)).code).toBe(0);
    expect((await runCli(['rollback', '--model', 'credit-risk', '--env', 'staging'], rp.a, env)).code).toBe(0);
    const head = sh(rp.remote, 'rev-parse', 'main').trim();

    const refused = await runCli(['promote', '--model', 'credit-risk', '--candidate', d2, '--env', 'production'], rp.a, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/error: refusing to promote credit-risk 1\.1\.0: it was rolled back in staging by commit [0-9a-f]{7}/);
    expect(refused.stderr).not.toContain('publishing to');
    expect(existsSync(join(store, 'sha256', d2.slice(7)))).toBe(false);
    expect(existsSync(store)).toBe(false);
    expect(sh(rp.remote, 'rev-parse', 'main').trim()).toBe(head);

    // the same package, once allowed, is published there and pinned
    const ok = await runCli(['promote', '--model', 'credit-risk', '--candidate', d2, '--env', 'production', '--force'], rp.a, env);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`publishing to ${pathToFileURL(store).href}`);
    expect(readFileSync(join(store, 'sha256', d2.slice(7), 'slipway.json'), 'utf8')).toContain('"version": "1.1.0"');
  });

  it('refuses a package whose model.onnx ONNX Runtime cannot load, or whose card names inputs it lacks: exit 2, nothing published or committed', async () => {
    const r = gitopsRepos();
    const good = writeTestPackage(join(r.root, 'pkg'), 'credit-risk', '1.0.0');
    const garbage = join(r.root, 'garbage');
    cpSync(good, garbage, { recursive: true });
    writeFileSync(join(garbage, 'model.onnx'), 'garbage not onnx');
    const res = await runCli(['promote', '--model', 'credit-risk', '--candidate', garbage, '--env', 'staging'], r.a, env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^error: ${garbage}: model\\.onnx is not a model ONNX Runtime can load \\(.+\\); refusing to promote it`, 'm'));

    const renamed = join(r.root, 'renamed');
    cpSync(good, renamed, { recursive: true });
    const card = JSON.parse(readFileSync(join(renamed, 'slipway.json'), 'utf8'));
    card.signature.output = 'scores';
    writeFileSync(join(renamed, 'slipway.json'), JSON.stringify(card));
    const res2 = await runCli(['promote', '--model', 'credit-risk', '--candidate', renamed, '--env', 'staging'], r.a, env);
    expect([res2.code, res2.stderr]).toEqual([2, `error: ${renamed}: slipway.json signature.output is 'scores' but model.onnx has outputs 'probabilities'; refusing to promote it: rebuild the package with 'slipway train'\n`]);

    expect(sh(r.remote, 'rev-list', '--count', 'main').trim()).toBe('1');
    expect(existsSync(join(r.a, '.slipway/store'))).toBe(false);
    // the real package goes through
    expect((await runCli(['promote', '--model', 'credit-risk', '--candidate', good, '--env', 'staging'], r.a, env)).code).toBe(0);
  });
});

describe('re-running promote to a pull-request environment', () => {
  it("replaces Slipway's own commit on the promotion branch, never someone else's", async () => {
    const r = gitopsRepos();
    const p1 = writeTestPackage(join(r.root, 'pkg1'), 'credit-risk', '1.0.0');
    const promote = () => runCli(['promote', '--model', 'credit-risk', '--candidate', p1, '--env', 'production'], r.a, env);
    expect((await promote()).code).toBe(0);
    const first = sh(r.remote, 'rev-parse', BRANCH).trim();

    // main moves on; re-running rebuilds the branch on the new head (only Slipway's commit was there)
    sh(r.b, 'pull', '--quiet', 'origin', 'main');
    writeFileSync(join(r.b, 'README.md'), '# models, documented\n');
    sh(r.b, 'commit', '--quiet', '-am', 'docs');
    sh(r.b, 'push', '--quiet', 'origin', 'main');
    const again = await promote();
    expect(again.code).toBe(0);
    const second = sh(r.remote, 'rev-parse', BRANCH).trim();
    expect(second).not.toBe(first);
    expect(sh(r.remote, 'rev-parse', `${BRANCH}^`).trim()).toBe(sh(r.remote, 'rev-parse', 'main').trim());

    // a reviewer pushes a commit onto the branch: re-running refuses and the commit stays
    sh(r.b, 'fetch', '--quiet', 'origin');
    sh(r.b, 'checkout', '--quiet', '-b', 'review', `origin/${BRANCH}`);
    writeFileSync(join(r.b, 'REVIEW.md'), 'looks good, one question\n');
    sh(r.b, 'add', 'REVIEW.md');
    sh(r.b, 'commit', '--quiet', '-m', 'review notes');
    sh(r.b, 'push', '--quiet', 'origin', `review:${BRANCH}`);
    const reviewed = sh(r.remote, 'rev-parse', BRANCH).trim();
    const refused = await promote();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: refusing to replace ${BRANCH}: it holds 1 commit that is not Slipway's own commit (${reviewed.slice(0, 7)} "review notes" by Grace Hopper)`);
    expect(refused.stderr).toContain(`git push origin --delete ${BRANCH}`);
    expect(sh(r.remote, 'rev-parse', BRANCH).trim()).toBe(reviewed);
    expect(sh(r.remote, 'show', `${BRANCH}:REVIEW.md`)).toBe('looks good, one question\n');

    // Slipway's own commit amended by hand to touch another file is not Slipway's any more
    sh(r.b, 'reset', '--quiet', '--hard', second);
    writeFileSync(join(r.b, 'NOTES.md'), 'hand edit\n');
    sh(r.b, 'add', 'NOTES.md');
    sh(r.b, 'commit', '--quiet', '--amend', '--no-edit');
    sh(r.b, 'push', '--quiet', '--force', 'origin', `review:${BRANCH}`);
    const amended = await promote();
    expect(amended.code).toBe(2);
    expect(amended.stderr).toContain(`refusing to replace ${BRANCH}`);

    // once the branch is deleted (the PR closed), promote creates it afresh
    sh(r.b, 'push', '--quiet', 'origin', '--delete', BRANCH);
    expect((await promote()).code).toBe(0);
    expect(sh(r.remote, 'ls-tree', '--name-only', BRANCH).split('\n')).not.toContain('REVIEW.md');
  });

  it('the branch is replaced under a lease: a push that moved it since it was inspected is rejected', async () => {
    const r = gitopsRepos();
    const main = sh(r.a, 'rev-parse', 'HEAD').trim();
    sh(r.a, 'push', '--quiet', 'origin', `${main}:refs/heads/${BRANCH}`);
    writeFileSync(join(r.a, 'OTHER.md'), 'x\n');
    sh(r.a, 'add', 'OTHER.md');
    sh(r.a, 'commit', '--quiet', '-m', 'other');
    const other = sh(r.a, 'rev-parse', 'HEAD').trim();
    sh(r.a, 'push', '--quiet', 'origin', `${other}:refs/heads/${BRANCH}`);
    // Slipway inspected the branch at `main`; someone pushed `other` since
    expect(await pushCommit(r.a, 'origin', main, BRANCH, true, main)).toBe('rejected');
    expect(sh(r.remote, 'rev-parse', BRANCH).trim()).toBe(other);
    expect(await pushCommit(r.a, 'origin', main, BRANCH, true, other)).toBe('ok');
    expect(sh(r.remote, 'rev-parse', BRANCH).trim()).toBe(main);
    // '' leases "does not exist yet"
    expect(await pushCommit(r.a, 'origin', main, 'slipway/promote/production/x-1.0.0', true, '')).toBe('ok');
    expect(await pushCommit(r.a, 'origin', other, 'slipway/promote/production/x-1.0.0', true, '')).toBe('rejected');
  });
});

describe('a push the remote refuses', () => {
  it('a protected branch (a pre-receive hook declines) is exit 2 saying so and what to do, not a retry or git noise', async () => {
    // the message was git's whole push output ('git push origin <sha>:refs/heads/main failed in …: remote: … ! [remote rejected] …')
    const r = gitopsRepos();
    const hook = join(r.remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "error: GH006: Protected branch update failed for refs/heads/main." >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const before = sh(r.remote, 'rev-parse', 'main').trim();
    const pkg = writeTestPackage(join(r.root, 'pkg'), 'credit-risk', '1.0.0');
    const res = await runCli(['promote', '--model', 'credit-risk', '--candidate', pkg, '--env', 'staging'], r.a, { ...env, GITHUB_TOKEN: 'ghp_neverprinted0123456789abcdefghijklmnop' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      "error: origin refused the push to main (pre-receive hook declined): error: GH006: Protected branch update failed for refs/heads/main. Nothing changed on main. If the branch is protected, make the environment 'promotion: pull-request'",
    );
    expect(res.stderr).not.toMatch(/\n\s+at |ghp_|attempt 2/);
    expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(before);
    // a pull-request environment's promotion branch refused: the remedy is about that branch, not 'pull-request'
    const pr = await runCli(['promote', '--model', 'credit-risk', '--candidate', pkg, '--env', 'production'], r.a, env);
    expect(pr.code).toBe(2);
    expect(pr.stderr).toContain(`refused the push to ${BRANCH} (pre-receive hook declined)`);
    expect(pr.stderr).toContain(`A rule or hook refuses pushes to ${BRANCH}: let this identity create and update slipway/* branches`);
  });
});
