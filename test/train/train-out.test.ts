import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackage } from '../../src/package/read.js';
import { runCli } from '../support/cli.js';
import { gitInitCommit } from '../support/git-repo.js';
import { tempDir } from '../support/tmp.js';
import { writeGoldenModel } from './fixtures.js';

const env = { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };

/** Every file under `dir` but .git (relative path → bytes, or a link's target), to show a refused --out left it exactly as it was. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name === '.git') continue; // git may refresh its index; the files are what matter
      if (e.isSymbolicLink()) out.set(`${rel}${e.name}`, `link to ${readlinkSync(p)}`);
      else if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(p).toString('base64'));
    }
  };
  walk(dir, '');
  return out;
}

describe('slipway train --out never replaces what is not an earlier package', () => {
  const { dir: root } = tempDir('slipway-train-out-');
  const repo = join(root, 'repo');
  mkdirSync(repo);
  const modelDir = writeGoldenModel(repo, { name: 'golden', train: 'builtin: logistic-regression' });
  writeFileSync(join(repo, '.gitignore'), '.slipway/\nout*/\n');
  gitInitCommit(repo);
  const store = join(repo, '.slipway', 'store');

  const refused = async (out: string, pattern: RegExp, keep: string) => {
    const before = snapshot(keep);
    const r = await runCli(['train', '--model', 'golden', '--out', out], repo, env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stdout).toBe('');
    // nothing ran, nothing was stored, and every file is as it was
    expect(r.stderr).not.toContain('hardware:');
    expect(r.stderr).not.toContain('slipway train: training');
    expect(existsSync(store)).toBe(false);
    expect(snapshot(keep)).toEqual(before);
  };

  it("refuses the model's own directory, a path inside it and anything under models/", async () => {
    const files = [...snapshot(modelDir).keys()].sort();
    expect(files).toEqual(['data/test.csv', 'data/train.csv', 'model.yaml', 'schema.json']);
    await refused('models/golden', /--out models\/golden: refusing to write the package there: it is inside the repository's models\/ directory/, modelDir);
    await refused('models/golden/pkg', /--out models\/golden\/pkg: refusing .*inside the repository's models\/ directory/, modelDir);
    expect(existsSync(join(modelDir, 'pkg'))).toBe(false);
    await refused(join(repo, 'models'), /inside the repository's models\/ directory/, modelDir);
    await refused('models/other-pkg', /inside the repository's models\/ directory/, join(repo, 'models'));
    expect(existsSync(join(repo, 'models', 'other-pkg'))).toBe(false);
    // through a symbolic link to models/ as well
    symlinkSync(join(repo, 'models'), join(root, 'models-link'));
    await refused(join(root, 'models-link', 'golden'), /inside the repository's models\/ directory/, modelDir);
  });

  it('refuses a directory of other files, an existing file, a symbolic link and the repository itself', async () => {
    const important = join(root, 'important-dir');
    mkdirSync(join(important, 'sub'), { recursive: true });
    writeFileSync(join(important, 'notes.txt'), 'keep me\n');
    writeFileSync(join(important, 'sub', 'more.txt'), 'me too\n');
    await refused('../important-dir', /--out .*important-dir: refusing to write the package there: the directory holds notes\.txt, sub, which a package does not/, important);

    writeFileSync(join(root, 'data.csv'), 'a,b\n1,2\n');
    await refused('../data.csv', /data\.csv: refusing to write the package there: it is an existing file, not a package directory/, root);
    expect(lstatSync(join(root, 'data.csv')).isFile()).toBe(true);
    expect(readFileSync(join(root, 'data.csv'), 'utf8')).toBe('a,b\n1,2\n');

    symlinkSync(important, join(root, 'link'));
    await refused('../link', /link: refusing .*it is a symbolic link/, important);
    expect(lstatSync(join(root, 'link')).isSymbolicLink()).toBe(true);

    await refused('.', /the directory holds \.git, \.gitignore, models/, modelDir);
  });

  it("refuses a directory that only looks like a package: model.onnx alone, a slipway.json that is not a card", async () => {
    const lone = join(root, 'lone');
    mkdirSync(lone);
    writeFileSync(join(lone, 'model.onnx'), 'my own model');
    await refused('../lone', /holds model\.onnx but no slipway\.json/, lone);

    const fake = join(root, 'fake');
    mkdirSync(fake);
    writeFileSync(join(fake, 'slipway.json'), '{"hello": "world"}\n');
    await refused('../fake', /its slipway\.json is not a package card/, fake);
  });

  it('writes into a new or empty directory, replaces a package it wrote before, and then refuses it once other files are added', async () => {
    mkdirSync(join(repo, 'out-empty'));
    const a = await runCli(['train', '--model', 'golden', '--out', 'out-empty', '--version', '1.0.0'], repo, env);
    expect(a.code, a.stderr).toBe(0);
    expect((await readPackage(join(repo, 'out-empty'))).card.version).toBe('1.0.0');

    const b = await runCli(['train', '--model', 'golden', '--out', 'out-empty', '--version', '1.1.0'], repo, env);
    expect(b.code, b.stderr).toBe(0);
    expect((await readPackage(join(repo, 'out-empty'))).card.version).toBe('1.1.0');
    expect(readdirSync(join(repo, 'out-empty')).sort()).toEqual(['model.onnx', 'slipway.json']);

    const c = await runCli(['train', '--model', 'golden', '--out', 'out-new/deeper', '--version', '1.2.0'], repo, env);
    expect(c.code, c.stderr).toBe(0);
    expect((await readPackage(join(repo, 'out-new', 'deeper'))).card.version).toBe('1.2.0');

    writeFileSync(join(repo, 'out-empty', 'README.md'), 'my notes\n');
    const before = snapshot(join(repo, 'out-empty'));
    const d = await runCli(['train', '--model', 'golden', '--out', 'out-empty', '--version', '1.3.0'], repo, env);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--out out-empty: refusing to write the package there: the directory holds README\.md/);
    expect(snapshot(join(repo, 'out-empty'))).toEqual(before);
  });

  it('refuses a path inside the local model store', async () => {
    expect(existsSync(store)).toBe(true); // the previous test stored packages
    const objects = snapshot(store);
    const r = await runCli(['train', '--model', 'golden', '--out', '.slipway/store/mine'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out \.slipway\/store\/mine: refusing to write the package there: it is inside the model store/);
    expect(snapshot(store)).toEqual(objects);
  });
});
