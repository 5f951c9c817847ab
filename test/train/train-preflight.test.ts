import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { cudaLibraryDir, probeCuda } from '../../src/model/provider.js';
import { loadModel } from '../../src/spec/model.js';
import { openStore } from '../../src/store/open.js';
import { trainBuiltin } from '../../src/train/builtin/index.js';
import { makeStage } from '../../src/train/preflight.js';
import { trainModel } from '../../src/train/train.js';
import { runCli } from '../support/cli.js';
import { shellQuote } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';
import { writeGoldenModel } from './fixtures.js';

/**
 * What would fail only after a training command ran (hours of GPU time, the model then lost) is
 * refused before it runs: the command below leaves a marker file when it runs at all.
 */
const env = { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };
const { dir: repo } = tempDir('slipway-train-pre-');
const prebuilt = join(repo, 'prebuilt.onnx');

function model(name: string, extra = ''): string {
  const command = `touch ran.txt; cp ${shellQuote(prebuilt)} "$SLIPWAY_OUTPUT_DIR/model.onnx"`;
  return writeGoldenModel(repo, { name, train: `command: ${JSON.stringify(command)}\ntimeout: 20s`, extra });
}

beforeAll(async () => {
  writeGoldenModel(repo, { name: 'seed', train: 'builtin: logistic-regression' });
  const m = await loadModel(repo, 'seed');
  writeFileSync(prebuilt, (await trainBuiltin('logistic-regression', await openDuckDB(), readerSql(join(m.dir, 'data/train.csv')), m, {})).onnx);
});

describe('slipway train: checks before the training command runs', () => {
  it.skipIf(cudaLibraryDir() !== null)('--provider cuda without CUDA is exit 2 before training, not after it', async () => {
    const dir = model('pre-cuda');
    const r = await runCli(['train', '--model', 'pre-cuda', '--provider', 'cuda'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: before training: CUDA was required \(SLIPWAY_EXECUTION_PROVIDER=cuda or provider 'cuda'\) but (the CUDA provider libraries are not installed|this onnxruntime-node build has no CUDA provider)/);
    expect(r.stderr).not.toContain('running `');
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    // the same from the environment, and a value that is no provider at all
    const e = await runCli(['train', '--model', 'pre-cuda'], repo, { ...env, SLIPWAY_EXECUTION_PROVIDER: 'cuda' });
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('before training: CUDA was required');
    const g = await runCli(['train', '--model', 'pre-cuda'], repo, { ...env, SLIPWAY_EXECUTION_PROVIDER: 'gpu' });
    expect(g.code).toBe(2);
    expect(g.stderr).toContain("execution provider must be auto, cpu or cuda, got 'gpu' (SLIPWAY_EXECUTION_PROVIDER)");
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
  });

  it.skipIf(cudaLibraryDir() !== null)("the CUDA probe runs in a child process (its CUDA context is not held while training runs) and brings back ONNX Runtime's reason", async () => {
    const reason = await probeCuda();
    expect(reason).toMatch(/cuda/i);
    expect(reason).not.toContain('\n');
  });

  it('a model store that cannot be written is exit 2 before training', async () => {
    const dir = model('pre-store');
    writeFileSync(join(repo, 'a-file'), 'x');
    const r = await runCli(['train', '--model', 'pre-store', '--store', join(repo, 'a-file', 'store')], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: the model store ${join(repo, 'a-file', 'store')} cannot be written: a part of the path is a file, not a directory (ENOTDIR); nothing was trained`);
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
  });

  it('training data without rows is exit 2 before training', async () => {
    const dir = model('pre-empty');
    writeFileSync(join(dir, 'data', 'train.csv'), readFileSync(join(dir, 'data', 'train.csv'), 'utf8').split('\n')[0] + '\n');
    const r = await runCli(['train', '--model', 'pre-empty'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: models/pre-empty/data/train.csv: the training data has no rows; nothing was trained');
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
  });

  it('a temporary directory that cannot be made names TMPDIR and the fix', async () => {
    writeFileSync(join(repo, 'not-a-dir'), 'x');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(repo, 'not-a-dir');
    try {
      await expect(makeStage()).rejects.toThrow(`cannot create a temporary directory in ${join(repo, 'not-a-dir')}: a part of the path is a file, not a directory (ENOTDIR); set TMPDIR to a writable directory`);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('slipway train: what the log says while and after a command runs', () => {
  it('a silent command gets a still-running line; a checkout git cannot read is a notice; a validation set in one class still gets metrics', async () => {
    const dir = model('pre-silent', '');
    // validation rows all in class 0: measured (log-loss, accuracy), not refused as training data would be
    const rows = readFileSync(join(dir, 'data', 'train.csv'), 'utf8').trim().split('\n');
    const label = rows[0].split(',').indexOf('label');
    writeFileSync(join(dir, 'data', 'val.csv'), [rows[0], ...rows.slice(1).filter((l) => l.split(',')[label] === '0')].join('\n') + '\n');
    const yaml = join(dir, 'model.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('  test: data/test.csv', '  test: data/test.csv\n  validation: data/val.csv').replace('touch ran.txt;', 'sleep 1.5;'));
    const lines: string[] = [];
    const m = await loadModel(repo, 'pre-silent');
    const r = await trainModel({ repoRoot: repo, model: m, store: openStore(join(repo, 'store'), repo), version: '1.0.0', env, log: (l) => lines.push(l), heartbeatMs: 400, provider: 'cpu' });
    const still = lines.filter((l) => l.startsWith('the training command is still running: '));
    expect(still.length).toBeGreaterThan(0);
    expect(still[0]).toMatch(/^the training command is still running: \d+s so far, no output for \d+s \(timeout 20s\)$/);
    // the temporary repository is not a git repository
    expect(lines).toContainEqual(expect.stringMatching(/^notice: the package records no git commit: git rev-parse --is-inside-work-tree failed in .*: fatal: not a git repository/));
    expect(r.card.lineage.git.commit).toBeNull();
    expect(r.card.lineage.data.validation!.uri).toBe('models/pre-silent/data/val.csv');
    expect(r.card.metrics!.accuracy).toBeGreaterThan(0);
    expect(r.card.metrics!.log_loss).toBeGreaterThan(0);
  });
});
