import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPackage, resolvePackage } from '../../src/package/read.js';
import { loadModel } from '../../src/spec/model.js';
import { FileStore } from '../../src/store/file-store.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES, writeGoldenModel } from '../train/fixtures.js';

const { dir: repo } = tempDir('slipway-pkg-');
const store = new FileStore(join(repo, '.slipway/store'));
let digest = '';

beforeAll(async () => {
  writeGoldenModel(repo, { name: 'golden', train: 'builtin: logistic-regression' });
  execFileSync('git', ['init', '-q'], { cwd: repo });
  const r = await runCli(['train', '--model', 'golden', '--out', 'pkg'], repo, { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' });
  expect(r.code, r.stderr).toBe(0);
  digest = r.outputs.digest;
});

function copyPkg(name: string): string {
  const d = join(repo, name);
  cpSync(join(repo, 'pkg'), d, { recursive: true });
  return d;
}

describe('readPackage', () => {
  it('reads a package built by slipway train', async () => {
    const p = await readPackage(join(repo, 'pkg'));
    expect(p.card.name).toBe('golden');
    expect(p.modelPath).toBe(join(repo, 'pkg', 'model.onnx'));
    expect(p.synthesized).toBe(false);
  });

  it('locates card errors (file:line:col, field, expectation) and lists them all', async () => {
    const d = copyPkg('bad-card');
    const card = JSON.parse(readFileSync(join(d, 'slipway.json'), 'utf8'));
    card.task = 'ranking';
    card.lineage.git.dirty = 'yes';
    delete card.signature;
    writeFileSync(join(d, 'slipway.json'), JSON.stringify(card, null, 2));
    const err = await readPackage(d).catch((e: Error) => e);
    const msg = (err as Error).message;
    expect(msg).toMatch(/slipway\.json:\d+:\d+: \/task: expected one of "binary-classification", "multiclass-classification", "regression", got the string "ranking"/);
    expect(msg).toMatch(/slipway\.json:\d+:\d+: \/lineage\/git\/dirty: expected boolean, got the string "yes"/);
    expect(msg).toMatch(/slipway\.json:1:1: \/signature: missing required field 'signature'/);
  });

  it('names what is missing', async () => {
    const d = copyPkg('no-model');
    rmSync(join(d, 'model.onnx'));
    await expect(readPackage(d)).rejects.toThrow(/not a model package: model\.onnx is missing/);
    await expect(readPackage(join(repo, 'nowhere'))).rejects.toThrow(/not a model package directory/);
    const e = copyPkg('not-json');
    writeFileSync(join(e, 'slipway.json'), '{"name": ');
    await expect(readPackage(e)).rejects.toThrow(/slipway\.json/);
  });
});

describe('resolvePackage', () => {
  const opts = () => ({ store, repoRoot: repo, cwd: repo });

  it('resolves a digest from the store, verified', async () => {
    const p = await resolvePackage(digest, opts());
    expect(p.digest).toBe(digest);
    expect(p.card.name).toBe('golden');
    await expect(resolvePackage('sha256:xyz', opts())).rejects.toThrow(/invalid digest "sha256:xyz"/);
    await expect(resolvePackage(`sha256:${'0'.repeat(64)}`, opts())).rejects.toThrow(/is not in the store/);
  });

  it('refuses a tampered store object', async () => {
    const other = new FileStore(join(repo, 'store2'));
    const d = await other.put(join(repo, 'pkg'));
    appendFileSync(join(repo, 'store2/sha256', d.slice(7), 'model.onnx'), 'x');
    await expect(resolvePackage(d, { ...opts(), store: other })).rejects.toThrow(/does not verify/);
  });

  it('resolves a directory, and synthesizes a clearly marked card for a bare model.onnx', async () => {
    expect((await resolvePackage('pkg', opts())).card.version).toBe('1.0.0');
    mkdirSync(join(repo, 'bare'), { recursive: true });
    copyFileSync(join(repo, 'pkg/model.onnx'), join(repo, 'bare/model.onnx'));
    const model = await loadModel(repo, 'golden');
    const p = await resolvePackage('bare/model.onnx', { ...opts(), model });
    expect(p.synthesized).toBe(true);
    expect(p.card.synthesized).toBe(true);
    expect(p.card.version).toBe('0.0.0-unpackaged');
    expect(p.card.signature.convention).toBe('columns');
    expect(p.card.lineage.command).toMatch(/unknown/);
    const loose = await resolvePackage(join(FIXTURES, 'matrix_vector.onnx'), opts());
    expect(loose.card.signature).toMatchObject({ convention: 'matrix', output: 'score' });
    await expect(resolvePackage('models/golden/schema.json', opts())).rejects.toThrow(/expected a package directory \(model\.onnx \+ slipway\.json\), a \.onnx file or a sha256:… digest/);
    await expect(resolvePackage('missing-dir', opts())).rejects.toThrow(/no such package directory, model file or digest/);
  });
});
