import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAIRNESS_FIGURES } from '../../src/evaluate/fairness.js';
import { metricsFor } from '../../src/evaluate/kernel.js';
import { KSERVE_SCHEMES } from '../../src/serve/kserve.js';
import { STORE_SCHEMES } from '../../src/store/open.js';
import { runCli } from '../support/cli.js';
import { configRepo, GOOD_MODEL } from '../support/config-repo.js';
import { tempDir } from '../support/tmp.js';

/**
 * `slipway check` reports what `evaluate`, `drift` and the environment loaders would reject, says what it
 * checked, and refuses to pass when it checked nothing.
 */
const DIGEST = `sha256:${'a'.repeat(64)}`;
const envFile = (name: string, models = 'models: {}\n') => `apiVersion: slipway/v1\nkind: Environment\nname: ${name}\npromotion: push\n${models}`;
const pin = (model: string, extra = '') => `models:\n  ${model}:\n    version: 1.0.0\n    digest: ${DIGEST}\n${extra}`;

/** A repository with models/m (the example's contract) and the given files. */
const repo = (files: Record<string, string> = {}) => configRepo(files, { withModel: true, prefix: 'slipway-check-' });

const lines = (text: string) => text.trim().split('\n');

describe('check reports the names evaluate and drift would reject, located', () => {
  const binary = metricsFor('binary-classification').map((m) => m.name);

  it('an unknown gate metric, fairness figure and drift feature, all at once, each at its key, with the valid names', async () => {
    const root = repo({
      'models/m/model.yaml': GOOD_MODEL + 'gates:\n  metrics:\n    rocauc: ">= 0.75"\n  fairness:\n    demographic_parity_ration: ">= 0.8"\ndrift:\n  features:\n    incomee: { test: ks }\n',
    });
    const r = await runCli(['check', '--repo', root], root);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `models/m/model.yaml:15:5: /gates/metrics/rocauc: unknown metric 'rocauc' for binary-classification; expected one of ${binary.join(', ')}`,
      `models/m/model.yaml:17:5: /gates/fairness/demographic_parity_ration: unknown fairness figure 'demographic_parity_ration'; expected one of ${FAIRNESS_FIGURES.join(', ')}`,
      "models/m/model.yaml:20:5: /drift/features/incomee: unknown feature 'incomee'; expected 'default' or one of: id, income, debt_ratio, credit_lines, utilization, late_payments, employment_years, loan_amount, term_months, region, home_ownership, purpose, has_cosigner, age_band",
      'checked 1 model, 0 environments: 3 problems found.',
    ]);
    expect(r.stdout).not.toContain('ok  models/m');
  });

  it('evaluate and drift refuse the same model.yaml with the same located message, before any work', async () => {
    const root = repo({ 'models/m/model.yaml': GOOD_MODEL + 'gates:\n  versus_champion:\n    rocauc: ">= -0.01"\n' });
    const expected = `models/m/model.yaml:15:5: /gates/versus_champion/rocauc: unknown metric 'rocauc' for binary-classification; expected one of ${binary.join(', ')}`;
    const checked = await runCli(['check', '--model', 'm'], root);
    expect(lines(checked.stderr)[0]).toBe(expected);
    const evaluated = await runCli(['evaluate', '--model', 'm', '--candidate', 'no-such-package'], root);
    expect(evaluated.code).toBe(2);
    expect(evaluated.stderr).toContain(`error: ${expected}\n`);
    const drifted = await runCli(['drift', '--model', 'm', '--current', 'no-such-file.csv'], root);
    expect(drifted.code).toBe(2);
    expect(drifted.stderr).toContain(`error: ${expected}\n`);
  });

  it('a fairness gate without sensitive attributes, and an intersection of a column that is not one', async () => {
    const root = repo({
      'models/m/model.yaml': GOOD_MODEL.replace('  sensitive: [sex]\n', '') + 'evaluate:\n  intersections: [[sex, region]]\ngates:\n  fairness:\n    demographic_parity_ratio: ">= 0.8"\n',
    });
    const r = await runCli(['check', '--model', 'm'], root);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      "models/m/model.yaml:13:20: /evaluate/intersections/0/0: 'sex' is not a sensitive attribute (data.sensitive: none)",
      "models/m/model.yaml:13:25: /evaluate/intersections/0/1: 'region' is not a sensitive attribute (data.sensitive: none)",
      'checked 1 model, 0 environments: 2 problems found.',
    ]);
  });

  it('the example repository still passes, with a summary', async () => {
    const r = await runCli(['check', '--repo', process.cwd()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^checked 1 model, 2 environments: ok$/m);
  });
});

describe('check: environment pins', () => {
  it("a pin's uri with a scheme neither a store nor KServe reads, or with none, is located with the valid schemes", async () => {
    const shadow = `    shadow: { version: 1.1.0, digest: "sha256:${'b'.repeat(64)}", uri: .slipway/store }`;
    const root = repo({ 'environments/prod.yaml': envFile('prod', pin('m', `    uri: ftp://example.com/m\n${shadow}\n`)) });
    const r = await runCli(['check', '--repo', root], root);
    expect(r.code).toBe(2);
    const valid = `expected the URI of a model store (${STORE_SCHEMES.map((s) => s + '://').join(', ')}) or of a location KServe can download (${KSERVE_SCHEMES.map((s) => s + '://').join(', ')})`;
    expect(lines(r.stderr)).toEqual([
      `environments/prod.yaml:9:10: /models/m/uri: ${valid}, got the scheme 'ftp://' in 'ftp://example.com/m'`,
      `environments/prod.yaml:10:${shadow.indexOf('.slipway') + 1}: /models/m/shadow/uri: ${valid}, got '.slipway/store', which has no scheme`,
      'checked 1 model, 1 environment: 2 problems found.',
    ]);
    // the commands that load the environment say the same
    const rendered = await runCli(['render', 'kserve', '--env', 'prod'], root);
    expect(rendered.code).toBe(2);
    expect(rendered.stderr).toContain(`error: environments/prod.yaml:9:10: /models/m/uri: ${valid}, got the scheme 'ftp://'`);
  });

  it('store and KServe locations are accepted as pin uris', async () => {
    const extra = '    uri: file:///srv/store\n    canary: { version: 1.1.0, digest: "sha256:' + 'b'.repeat(64) + '", uri: "s3://bucket/m", weight: 5 }\n    shadow: { version: 1.2.0, digest: "sha256:' + 'c'.repeat(64) + '", uri: "http://127.0.0.1:1/m" }\n';
    const root = repo({ 'environments/prod.yaml': envFile('prod', pin('m', extra)) });
    const r = await runCli(['check', '--repo', root], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a pinned model with no models/<name>/ directory is reported, with the models there are', async () => {
    const root = repo({ 'environments/prod.yaml': envFile('prod', pin('ghost')) });
    const r = await runCli(['check', '--repo', root], root);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe("environments/prod.yaml:6:3: /models/ghost: model 'ghost' has no directory models/ghost/ in this repository (models: m)");
    expect(r.stdout).toContain('ok  models/m');
  });

  it('a repository with no models/ at all (one that only deploys) is not held to that', async () => {
    const t = tempDir('slipway-check-deploy-');
    t.write('environments/prod.yaml', envFile('prod', pin('ghost')));
    const r = await runCli(['check', '--repo', t.dir], t.dir);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok  environments/prod.yaml\nchecked 0 models, 1 environment: ok\n');
    expect(r.code).toBe(0);
  });
});

describe('check says what it checked, and refuses to check nothing', () => {
  it('a --repo that does not exist, or is a file, is exit 2', async () => {
    const t = tempDir('slipway-check-repo-');
    const missing = await runCli(['check', '--repo', join(t.dir, 'nope')], t.dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: --repo ${join(t.dir, 'nope')}: no such directory\n`);
    const file = t.write('a-file', 'x');
    const notDir = await runCli(['check', '--repo', file], t.dir);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toBe(`error: --repo ${file}: not a directory\n`);
  });

  it('an empty directory and an empty git repository have nothing to check: exit 2', async () => {
    const empty = tempDir('slipway-check-empty-').dir;
    const r = await runCli(['check', '--repo', empty], empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: nothing to check in ${empty}: it has no models/<name>/ directories and no environments/<env>.yaml files\n`);
    const git = tempDir('slipway-check-git-').dir;
    execFileSync('git', ['init', '-q', git]);
    mkdirSync(join(git, 'models'));
    const g = await runCli(['check'], git);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain(`nothing to check in ${git}`);
  });

  it('a valid repository prints each file and a summary', async () => {
    const root = repo({ 'environments/prod.yaml': envFile('prod', pin('m')), 'environments/staging.yaml': envFile('staging') });
    const r = await runCli(['check', '--repo', root], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok  models/m\nok  environments/prod.yaml\nok  environments/staging.yaml\nchecked 1 model, 2 environments: ok\n');
  });

  it('a directory or a dangling link named like an environment file, and a .yml file, are reported', async () => {
    const root = repo({ 'environments/staging.yml': envFile('staging') });
    mkdirSync(join(root, 'environments', 'dev.yaml'));
    symlinkSync('nowhere.yaml', join(root, 'environments', 'qa.yaml'));
    const r = await runCli(['check', '--repo', root], root);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'environments/staging.yml: not read: environment files are named <env>.yaml; rename it to staging.yaml',
      'environments/dev.yaml: is a directory, expected a file',
      "environments/qa.yaml: a symbolic link to 'nowhere.yaml', which does not exist",
      'checked 1 model, 2 environments: 3 problems found.',
    ]);
  });

  it('a dangling link in models/ is reported; a plain file there is not a model', async () => {
    const root = repo({ 'models/README.md': '# models\n' });
    symlinkSync('../elsewhere', join(root, 'models', 'gone'));
    const r = await runCli(['check', '--repo', root], root);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["models/gone: a symbolic link to '../elsewhere', which does not exist", 'checked 1 model, 0 environments: 1 problem found.']);
  });

  it('a directory where the contract should be says so once, without the path twice', async () => {
    const root = repo({ 'models/m/model.yaml': GOOD_MODEL.replace('schema: schema.json', 'schema: contract.json') });
    mkdirSync(join(root, 'models', 'm', 'contract.json'));
    const r = await runCli(['check', '--repo', root], root);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe('models/m/contract.json: is a directory, expected a file');
  });

  it('a model or an environment that is not there is listed with the ones that are, and a typo gets the name it likely meant', async () => {
    const root = repo({ 'environments/production.yaml': envFile('production'), 'environments/staging.yaml': envFile('staging') });
    const model = await runCli(['check', '--repo', root, '--model', 'n'], root);
    expect(model.code).toBe(2);
    expect(lines(model.stderr)[0]).toMatch(/^models\/n: model 'n' not found: .*models\/n\/model\.yaml does not exist \(models: m; did you mean m\?\)$/);
    const env = await runCli(['check', '--repo', root, '--env', 'prodution'], root);
    expect(lines(env.stderr)[0]).toMatch(/environment 'prodution' not found: .* does not exist \(environments: production, staging; did you mean production\?\)$/);
    const far = await runCli(['check', '--repo', root, '--env', 'qa'], root);
    expect(lines(far.stderr)[0]).toMatch(/ does not exist \(environments: production, staging\)$/);
    const bare = tempDir('slipway-check-bare-');
    mkdirSync(join(bare.dir, 'models'));
    const none = await runCli(['validate', '--model', 'm'], bare.dir);
    expect(none.stderr).toMatch(/model 'm' not found: .* does not exist \(there are no models\)\n$/);
  });
});
