import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../src/data/generate.js';
import { batchFromRows } from '../../src/model/features.js';
import { openSession } from '../../src/model/session.js';
import { readPackage } from '../../src/package/read.js';
import type { RowSchema } from '../../src/spec/types.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx, pandas'], { encoding: 'utf8' });
const torchMissing = probe.status !== 0 ? `PyTorch example skipped: /usr/bin/python3 cannot import torch, onnx and pandas (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()})` : '';
if (torchMissing) console.warn(torchMissing);

describe.skipIf(!!torchMissing)('examples/pytorch through slipway train', () => {
  it('trains the PyTorch MLP, exports per-column ONNX and packages it', async () => {
    const { dir: repo } = tempDir('slipway-torch-');
    const model = join(repo, 'models', 'credit-risk-torch');
    mkdirSync(join(model, 'data'), { recursive: true });
    copyFileSync(join(ROOT, 'examples/pytorch/train.py'), join(model, 'train.py'));
    copyFileSync(join(ROOT, 'models/credit-risk/schema.json'), join(model, 'schema.json'));
    writeFileSync(join(model, 'model.yaml'), readFileSync(join(ROOT, 'examples/pytorch/model.yaml'), 'utf8').replace('epochs: 20', 'epochs: 4'));
    await generateDataset(join(model, 'data/train.csv'), { rows: 2000, seed: 5 });
    await generateDataset(join(model, 'data/test.csv'), { rows: 500, seed: 6, idOffset: 2000 });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    // /usr/bin/python3 is the interpreter with python3-torch; put it first so `python3 train.py` finds it
    const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH}`, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };
    const r = await runCli(['train', '--model', 'credit-risk-torch', '--out', 'pkg'], repo, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\| epoch 4\/4 loss \d\.\d+/);
    const { card } = await readPackage(join(repo, 'pkg'));
    expect(card.lineage.command).toBe('python3 train.py');
    expect(card.lineage.seed).toBe(7);
    expect(card.signature.convention).toBe('columns');
    expect(card.signature.output).toBe('probability');
    expect(card.signature.inputs.find((i) => i.name === 'region')).toMatchObject({ type: 'string', shape: ['N', 1] });
    expect(card.signature.inputs.find((i) => i.name === 'income')).toMatchObject({ type: 'float32' });
    expect(Object.keys(card.reference.columns)).toEqual(expect.arrayContaining(['income', 'region', 'sex', 'age_band']));
    expect(card.metrics!.accuracy).toBeGreaterThan(0.6);
    expect(card.prediction_reference?.kind).toBe('numeric');
    // a missing number (null → NaN) is filled as training's fillna(0.0) filled it: a probability, not NaN
    const schema = JSON.parse(readFileSync(join(model, 'schema.json'), 'utf8')) as RowSchema;
    const session = await openSession(join(repo, 'pkg', 'model.onnx'), { provider: 'cpu', features: card.signature.features, contract: schema, task: 'binary-classification' });
    const rows = [Object.fromEntries(card.signature.features.map((f) => [f, schema.properties[f].enum?.[0] ?? (schema.properties[f].type === 'boolean' ? false : 1)]))];
    const p = await session.predict(batchFromRows([{ ...rows[0], income: null }, rows[0]], card.signature.features, schema));
    await session.close();
    expect(Number.isFinite(p.values[0]) && Number.isFinite(p.values[1])).toBe(true);
  }, 120_000);
});
