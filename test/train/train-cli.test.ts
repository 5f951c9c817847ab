import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackage } from '../../src/package/read.js';
import { packageDigest } from '../../src/store/digest.js';
import { runCli } from '../support/cli.js';
import { gitInitCommit } from '../support/git-repo.js';
import { tempDir } from '../support/tmp.js';
import { writeGoldenModel } from './fixtures.js';

const env = { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };

describe('slipway train with the builtin logistic regression', () => {
  const { dir: repo } = tempDir('slipway-train-cli-');
  writeGoldenModel(repo, { name: 'golden', train: 'builtin: logistic-regression\nseed: 3\nparams: { l2: 2 }', extra: 'evaluate:\n  threshold: 0.4' });
  writeFileSync(join(repo, '.gitignore'), '.slipway/\nout*/\n');
  gitInitCommit(repo);

  it('builds a verified package, stores it and prints the digest', async () => {
    const r = await runCli(['train', '--model', 'golden', '--out', 'out1'], repo, env);
    expect(r.stderr).toContain('slipway train: training golden 1.0.0');
    expect(r.code, r.stderr).toBe(0);
    const digest = r.stdout.trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs).toEqual({ digest, version: '1.0.0', path: join(repo, 'out1') });
    expect(existsSync(join(repo, '.slipway/store/sha256', digest.slice(7), 'model.onnx'))).toBe(true);
    expect(await packageDigest(join(repo, 'out1'))).toBe(digest);

    const { card } = await readPackage(join(repo, 'out1'));
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo }).toString().trim();
    expect(card).toMatchObject({ name: 'golden', version: '1.0.0', task: 'binary-classification', threshold: 0.4, target: 'label', classes: [1] });
    expect(card.lineage.git).toMatchObject({ commit: head, dirty: false, branch: 'main' });
    expect(card.lineage.command).toBe('builtin:logistic-regression');
    expect(card.lineage.params).toEqual({ l2: 2, max_iter: 100 });
    expect(card.lineage.seed).toBe(3);
    const sha = execFileSync('sha256sum', [join(repo, 'models/golden/data/train.csv')]).toString().split(' ')[0];
    expect(card.lineage.data.train).toEqual({ uri: 'models/golden/data/train.csv', digest: `sha256:${sha}`, rows: 400 });
    expect(card.lineage.hardware.cpu.cores).toBeGreaterThan(0);
    expect(card.lineage.hardware.execution_provider).toBe('cpu');
    expect(card.lineage.tools['onnxruntime-node']).toMatch(/^\d+\.\d+/);
    expect(card.signature.convention).toBe('columns');
    expect(card.signature.features).toEqual(['x1', 'x2', 'color', 'x3', 'count', 'flag', 'size']);
    // reference profile: features (no sensitive columns in this model) with the training data's numbers
    expect(Object.keys(card.reference.columns)).toEqual(card.signature.features);
    expect(card.reference.rows).toBe(400);
    const x3 = card.reference.columns.x3;
    expect(x3.kind === 'numeric' && x3.nulls).toBe(12);
    const color = card.reference.columns.color;
    expect(color.kind === 'categorical' && Object.values(color.frequencies).reduce((a, b) => a + b, 0)).toBe(400);
    // prediction reference: the model's P(class 1) over the 400 training rows
    const pr = card.prediction_reference!;
    expect(pr.kind).toBe('numeric');
    expect(pr.kind === 'numeric' && pr.count).toBe(400);
    expect(pr.kind === 'numeric' && pr.min! >= 0 && pr.max! <= 1).toBe(true);
    expect(card.metrics!.accuracy).toBeGreaterThan(0.6);
    expect(card.metrics!.log_loss).toBeLessThan(0.69);
  });

  it('same data and seed give the same model bytes and, with SOURCE_DATE_EPOCH, the same package digest', async () => {
    const e = { ...env, SOURCE_DATE_EPOCH: '1700000000' };
    const a = await runCli(['train', '--model', 'golden', '--out', 'outA', '--version', '2.0.0'], repo, e);
    const b = await runCli(['train', '--model', 'golden', '--out', 'outB', '--version', '2.0.0'], repo, e);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(readFileSync(join(repo, 'outA/model.onnx')).equals(readFileSync(join(repo, 'outB/model.onnx')))).toBe(true);
    expect(a.stdout).toBe(b.stdout);
    const card = (await readPackage(join(repo, 'outA'))).card;
    expect(card.lineage.started_at).toBe('2023-11-14T22:13:20.000Z');
    // a different parameter gives a different digest
    const yaml = join(repo, 'models/golden/model.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('l2: 2', 'l2: 3'));
    const c = await runCli(['train', '--model', 'golden', '--out', 'outC', '--version', '2.0.0'], repo, e);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).not.toBe(a.stdout);
    expect((await readPackage(join(repo, 'outC'))).card.lineage.git.dirty).toBe(true);
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('l2: 3', 'l2: 2'));
  });

  it('refuses bad flags with exit 2', async () => {
    expect((await runCli(['train', '--model', 'golden', '--version', 'one'], repo, env)).stderr).toMatch(/--version 'one' is not a semantic version such as 1\.2\.0/);
    const r = await runCli(['train', '--model', 'golden', '--timeout', 'soon'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--timeout 'soon' is not a duration such as 90s, 30m or 2h/);
    expect((await runCli(['train', '--model', 'nope'], repo, env)).stderr).toMatch(/model 'nope' not found/);
    // a version part that would round, and timeouts a timer cannot wait for: refused before training starts
    const cases: [string[], string][] = [
      [['--version', '99999999999999999999.0.0'], "--version '99999999999999999999.0.0' has a part above 9007199254740991 (Number.MAX_SAFE_INTEGER"],
      [['--timeout', '600h'], "--timeout '600h' is too long: at most 596h (about 24.8 days, the longest a timer can wait)"],
      [['--timeout', '0s'], "--timeout '0s' must be more than 0"],
    ];
    for (const [flags, message] of cases) {
      const bad = await runCli(['train', '--model', 'golden', ...flags], repo, env);
      expect(bad.code, flags.join(' ')).toBe(2);
      expect(bad.stderr).toContain(`error: ${message}`);
      expect(bad.stderr).not.toContain('slipway train: training');
    }
  });
});
