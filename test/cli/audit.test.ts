import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** `slipway audit` on names that are not there: an environment or a model that is a typo is exit 2, with what there is. */
const DIGEST = `sha256:${'a'.repeat(64)}`;
const manifest = (env: string, pinned = '') => `apiVersion: slipway/v1\nkind: Environment\nname: ${env}\npromotion: push\nmodels:${pinned ? `\n${pinned}` : ' {}\n'}`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** staging with one promotion of credit-risk and a hand-pinned 'hand'; production with none; models/fresh/ never promoted; 'retired' deleted after a promotion. */
function repo(): string {
  const t = tempDir('slipway-audit-cli-');
  git(t.dir, 'init', '--quiet', '--initial-branch=main');
  git(t.dir, 'config', 'user.name', 'Ada Lovelace');
  git(t.dir, 'config', 'user.email', 'ada@example.com');
  git(t.dir, 'config', 'commit.gpgsign', 'false');
  t.write('environments/staging.yaml', manifest('staging'));
  t.write('environments/production.yaml', manifest('production'));
  t.write('environments/retired.yaml', manifest('retired'));
  t.write('models/fresh/model.yaml', '# not promoted yet\n');
  git(t.dir, 'add', '.');
  git(t.dir, 'commit', '--quiet', '-m', 'environments');
  const promote = (env: string) => {
    t.write(`environments/${env}.yaml`, manifest(env, `  credit-risk:\n    version: 1.0.0\n    digest: ${DIGEST}\n`));
    git(t.dir, 'commit', '--quiet', '-am', `promote(${env}): credit-risk none -> 1.0.0\n\nSlipway-Model: credit-risk\nSlipway-Environment: ${env}\nSlipway-Version: 1.0.0\nSlipway-From: none\nSlipway-Digest: ${DIGEST}`);
  };
  promote('staging');
  promote('retired');
  git(t.dir, 'rm', '--quiet', 'environments/retired.yaml');
  git(t.dir, 'commit', '--quiet', '-m', 'retire the retired environment');
  t.write('environments/staging.yaml', manifest('staging', `  credit-risk:\n    version: 1.0.0\n    digest: ${DIGEST}\n  hand:\n    version: 2.0.0\n    digest: ${DIGEST}\n`));
  git(t.dir, 'commit', '--quiet', '-am', 'pin hand by hand');
  return t.dir;
}

describe('audit of names that are not there', () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME } as NodeJS.ProcessEnv;

  it('an environment not in the revision and never in it is exit 2, listing the environments there are', async () => {
    const dir = repo();
    const r = await runCli(['audit', '--env', 'nope'], dir, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: environment 'nope' not found: environments/nope.yaml is not in HEAD and never was (environments: production, staging)\n");
    expect(r.stdout).toBe('');
  });

  it('an environment deleted since still shows its history; one with no promotions says so', async () => {
    const dir = repo();
    const retired = await runCli(['audit', '--env', 'retired', '--json'], dir, env);
    expect(retired.code).toBe(0);
    expect(JSON.parse(retired.stdout).events.map((e: { model: string; to: string }) => `${e.model} ${e.to}`)).toEqual(['credit-risk 1.0.0']);
    const production = await runCli(['audit', '--env', 'production'], dir, env);
    expect(production.code).toBe(0);
    expect(production.stdout).toBe('No promotions recorded in environments/production.yaml yet.\n');
  });

  it('a model never promoted there, with no models/<name>/ and no pin, is exit 2 listing the models promoted there', async () => {
    const dir = repo();
    const r = await runCli(['audit', '--env', 'staging', '--model', 'nope'], dir, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: model 'nope' was never promoted in environments/staging.yaml at HEAD and has no models/nope/ directory (models promoted there: credit-risk)\n");
  });

  it('a model of the repository, or one the environment pins, with no promotions there yet, is exit 0 and says so', async () => {
    const dir = repo();
    for (const model of ['fresh', 'hand']) {
      const r = await runCli(['audit', '--env', 'staging', '--model', model], dir, env);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`No promotions of model '${model}' recorded in environments/staging.yaml yet (models promoted there: credit-risk).\n`);
    }
    const json = await runCli(['audit', '--env', 'staging', '--model', 'fresh', '--json'], dir, env);
    expect(JSON.parse(json.stdout)).toEqual({ environment: 'staging', events: [] });
    // --help and docs/promote.md describe that shape (the help said "one object per event", which is JSON lines)
    expect((await runCli(['audit', '--help'])).stdout).toMatch(/^ +--json +print JSON: \{environment, events: \[…\]\}, the events newest first$/m);
    expect(readFileSync('docs/promote.md', 'utf8').replace(/\s+/g, ' ')).toContain('`{"environment": "<env>", "events": []}` with `--json`');
    const found = await runCli(['audit', '--env', 'staging', '--model', 'credit-risk'], dir, env);
    expect(found.stdout).toContain('Audit of environments/staging.yaml (1 event, newest first)');
  });

  it('the terminal gets the table as plain text, the job summary gets it escaped: a committer name is not markdown', async () => {
    const dir = repo();
    git(dir, 'config', 'user.name', 'ops_bot ![x](https://evil.example/p.png) @acme/sre');
    writeFileSync(join(dir, 'environments/production.yaml'), manifest('production', `  credit-risk:\n    version: 1.0.0\n    digest: ${DIGEST}\n`));
    git(dir, 'commit', '--quiet', '-am', `promote(production): credit-risk none -> 1.0.0\n\nSlipway-Model: credit-risk\nSlipway-Environment: production\nSlipway-Version: 1.0.0\nSlipway-From: none\nSlipway-Digest: ${DIGEST}`);
    const r = await runCli(['audit', '--env', 'production'], dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('| ops_bot ![x](https://evil.example/p.png) @acme/sre |');
    expect(r.summary).toContain('| ops&#95;bot &#33;&#91;x&#93;&#40;https&#58;//evil.example/p.png&#41; &#64;&#8203;acme/sre |');
    expect(r.summary).not.toMatch(/!\[|@acme/);
  });
});
