import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { readPackage } from '../../src/package/read.js';
import { loadModel } from '../../src/spec/model.js';
import { trainBuiltin } from '../../src/train/builtin/index.js';
import { runCli } from '../support/cli.js';
import { shellQuote } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';
import { FIXTURES, writeGoldenModel } from './fixtures.js';

const { dir: repo } = tempDir('slipway-train-cmd-');
// the runs' temporary directories (a model that fails verification is kept there) go with the test's own
mkdirSync(join(repo, 'tmp'));
const env = { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '', GITHUB_TOKEN: 'ghp_secretsecretsecretsecret1234', TMPDIR: join(repo, 'tmp') };

function model(name: string, command: string, extra = ''): string {
  const dir = writeGoldenModel(repo, { name, train: `command: ${JSON.stringify(command)}\ntimeout: 20s\nseed: 42\nparams: { epochs: 3, lr: 0.1 }`, extra });
  copyFileSync(join(repo, 'prebuilt.onnx'), join(dir, 'prebuilt.onnx'));
  return dir;
}

beforeAll(async () => {
  writeGoldenModel(repo, { name: 'seed', train: 'builtin: logistic-regression' });
  const m = await loadModel(repo, 'seed');
  const r = await trainBuiltin('logistic-regression', await openDuckDB(), readerSql(join(m.dir, 'data/train.csv')), m, {});
  writeFileSync(join(repo, 'prebuilt.onnx'), r.onnx);
});

describe('slipway train running a training command', () => {
  it('passes the SLIPWAY_* contract, withholds tokens, streams logs and packages what it wrote', async () => {
    const dir = model('cmd-ok', 'echo "epoch 1 loss 0.6"; env | grep -E "^(SLIPWAY_|GITHUB_TOKEN)" | sort > seen-env.txt; cp prebuilt.onnx "$SLIPWAY_OUTPUT_DIR/model.onnx"; echo \'{"val_auc": 0.81}\' > "$SLIPWAY_OUTPUT_DIR/metrics.json"');
    const r = await runCli(['train', '--model', 'cmd-ok'], repo, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('  | epoch 1 loss 0.6');
    expect(r.stderr).toMatch(/running `echo .*` in models\/cmd-ok \(timeout 20s\)/);
    const seen = Object.fromEntries(readFileSync(join(dir, 'seen-env.txt'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(seen.GITHUB_TOKEN).toBeUndefined();
    expect(seen).toMatchObject({
      SLIPWAY_MODEL: 'cmd-ok',
      SLIPWAY_MODEL_DIR: dir,
      SLIPWAY_TASK: 'binary-classification',
      SLIPWAY_TRAIN_DATA: join(dir, 'data/train.csv'),
      SLIPWAY_VALIDATION_DATA: '',
      SLIPWAY_PARAMS: '{"epochs":3,"lr":0.1}',
      SLIPWAY_SEED: '42',
      SLIPWAY_TARGET: 'label',
      SLIPWAY_FEATURES: '["x1","x2","color","x3","count","flag","size"]',
      SLIPWAY_SENSITIVE: '[]',
      SLIPWAY_SCHEMA: join(dir, 'schema.json'),
      SLIPWAY_MODEL_VERSION: '1.0.0',
    });
    expect(seen.SLIPWAY_OUTPUT_DIR).toMatch(/slipway-train-/);
    const { card } = await readPackage(r.outputs.path);
    expect(card.lineage.command).toContain('cp prebuilt.onnx');
    expect(card.lineage.params).toEqual({ epochs: 3, lr: 0.1 });
    expect(card.metrics!.val_auc).toBe(0.81);
    expect(card.metrics!.accuracy).toBeGreaterThan(0.5);
  });

  it('a failing command exits 2 with its exit code and last lines', async () => {
    model('cmd-fail', 'echo "Traceback: ValueError: bad shape" >&2; exit 7');
    const r = await runCli(['train', '--model', 'cmd-fail'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the training command exited with code 7: .*\nlast output:\n {2}Traceback: ValueError: bad shape/);
  });

  it('a command that writes no model is a clear error', async () => {
    model('cmd-nomodel', 'echo hi > "$SLIPWAY_OUTPUT_DIR/weights.pt"');
    const r = await runCli(['train', '--model', 'cmd-nomodel'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exited successfully but wrote no model: expected \$SLIPWAY_OUTPUT_DIR\/model\.onnx \(.*\); it wrote weights\.pt/);
  });

  it('metrics.json that is not JSON is an input error naming the line and column', async () => {
    // what Python's json.dump writes for a metric that came out NaN
    model('cmd-nanmetric', 'cp prebuilt.onnx "$SLIPWAY_OUTPUT_DIR/model.onnx"; printf \'{\\n  "val_auc": NaN\\n}\\n\' > "$SLIPWAY_OUTPUT_DIR/metrics.json"');
    const r = await runCli(['train', '--model', 'cmd-nanmetric'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\$SLIPWAY_OUTPUT_DIR\/metrics\.json:2:14: not valid JSON: unexpected 'N': NaN and Infinity are not JSON/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    model('cmd-hugemetric', 'cp prebuilt.onnx "$SLIPWAY_OUTPUT_DIR/model.onnx"; echo \'{"val_auc": 1e999}\' > "$SLIPWAY_OUTPUT_DIR/metrics.json"');
    const h = await runCli(['train', '--model', 'cmd-hugemetric'], repo, env);
    expect(h.code).toBe(2);
    expect(h.stderr).toContain("metrics.json: metric 'val_auc' must be a finite number, got Infinity (a number out of the range of a double)");
  });

  it('the timeout stops the command', async () => {
    model('cmd-slow', 'sleep 30');
    const r = await runCli(['train', '--model', 'cmd-slow', '--timeout', '500ms'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the training command timed out after 500ms and was stopped: sleep 30/);
  });

  it("Ctrl-C (or a cancelled job) stops the command and exits with the shell's code for the signal, 130 or 143", async () => {
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const marker = join(repo, `started-${sig}`);
      model(`cmd-cancel-${sig.toLowerCase()}`, `touch ${shellQuote(marker)}; sleep 30`);
      const run = runCli(['train', '--model', `cmd-cancel-${sig.toLowerCase()}`], repo, env);
      await vi.waitFor(() => expect(existsSync(marker)).toBe(true), { timeout: 15_000 });
      // the listeners the command registered, as the signal would call them (a real one would reach the test runner too)
      process.emit(sig, sig);
      const r = await run;
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toContain(`received ${sig}: stopping the training command`);
      expect(r.stderr).toMatch(new RegExp(`the training command was cancelled: .*sleep 30 \\(stopped by ${sig}\\)`));
    }
  });

  it('a model whose signature does not match the contract is refused before packaging', async () => {
    model('cmd-wrong', `cp ${join(FIXTURES, 'matrix_multiclass.onnx')} "$SLIPWAY_OUTPUT_DIR/model.onnx"`);
    const r = await runCli(['train', '--model', 'cmd-wrong'], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model\.onnx: the model's signature does not match the data contract:\n {2}- input 'X' takes 3 features per row but the contract has 7/);
    expect(r.stdout).toBe('');
  });

  it('a model that fails verification is kept for inspection, and the error names it as model.onnx, not a temporary path', async () => {
    model('cmd-kept', `echo "epoch 20 done"; cp ${shellQuote(join(FIXTURES, 'matrix_multiclass.onnx'))} "$SLIPWAY_OUTPUT_DIR/model.onnx"; echo '{"val_auc": 0.7}' > "$SLIPWAY_OUTPUT_DIR/metrics.json"`);
    const r = await runCli(['train', '--model', 'cmd-kept'], repo, env);
    expect(r.code).toBe(2);
    const error = r.stderr.slice(r.stderr.indexOf('error: '));
    expect(error).toMatch(/^error: model\.onnx: the model's signature does not match the data contract:\n/);
    const kept = /\nthe model\.onnx the training command wrote is kept for inspection: (\S+model\.onnx)\n/.exec(error)?.[1];
    expect(kept).toBeDefined();
    expect(readFileSync(kept!).equals(readFileSync(join(FIXTURES, 'matrix_multiclass.onnx')))).toBe(true);
    expect(kept!.startsWith(join(repo, 'tmp', 'slipway-train-'))).toBe(true);
    expect(existsSync(join(dirname(kept!), 'metrics.json'))).toBe(true);
  });

  it('a store write that fails after training (the path became a file meanwhile) keeps the model and says so', async () => {
    const blocked = join(repo, 'blocked-store');
    model('cmd-store-gone', `cp prebuilt.onnx "$SLIPWAY_OUTPUT_DIR/model.onnx"; touch ${shellQuote(blocked)}`);
    const r = await runCli(['train', '--model', 'cmd-store-gone', '--store', blocked], repo, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`error: cannot create the directory ${blocked}/sha256: a part of the path is a file, not a directory \\(ENOTDIR\\)\nthe model\\.onnx the training command wrote is kept for inspection: \\S+/model\\.onnx\n`));
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('a model giving non-finite outputs fails the smoke test (exit 1)', async () => {
    // Log of a negative feature value gives NaN for some rows: verification must catch it
    const { DataType, writeOnnx } = await import('../../src/model/onnx-writer.js');
    const features = ['x1', 'x2', 'color', 'x3', 'count', 'flag', 'size'];
    const bytes = writeOnnx({
      name: 'nan',
      inputs: features.map((f) => ({ name: f, type: f === 'color' || f === 'size' ? DataType.STRING : DataType.DOUBLE, shape: ['N', 1] })),
      outputs: [{ name: 'p', type: DataType.DOUBLE, shape: ['N', 1] }],
      nodes: [{ op: 'Log', inputs: ['x3'], outputs: ['p'] }],
      initializers: [],
    });
    writeFileSync(join(repo, 'nan.onnx'), bytes);
    model('cmd-nan', `cp ${shellQuote(join(repo, 'nan.onnx'))} "$SLIPWAY_OUTPUT_DIR/model.onnx"`);
    const r = await runCli(['train', '--model', 'cmd-nan'], repo, env);
    expect(r.stderr).toMatch(/smoke inference on 16 training rows: row \d+ gives NaN; expected finite outputs/);
    expect(r.code).toBe(1);
  });
});
