import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType, writeOnnx } from '../../src/model/onnx-writer.js';
import { runCli } from '../support/cli.js';
import { shellQuote } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';
import { writeGoldenModel } from './fixtures.js';

const { dir: repo } = tempDir('slipway-train-verify-');
const env = { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '', TMPDIR: repo };

describe('slipway train: verification covers every training row, not only the smoke rows', () => {
  it('a model that gives NaN on a row past the first 16 (a null its graph does not handle) fails verification (exit 1)', async () => {
    // P(class 1) = sigmoid(x3): x3 is null in 12 rows of the golden data, none among the first 16
    const features = ['x1', 'x2', 'color', 'x3', 'count', 'flag', 'size'];
    const bytes = writeOnnx({
      name: 'nan-on-null',
      inputs: features.map((f) => ({ name: f, type: f === 'color' || f === 'size' ? DataType.STRING : DataType.DOUBLE, shape: ['N', 1] })),
      outputs: [{ name: 'p', type: DataType.DOUBLE, shape: ['N', 1] }],
      nodes: [{ op: 'Sigmoid', inputs: ['x3'], outputs: ['p'] }],
      initializers: [],
    });
    writeFileSync(join(repo, 'nan-on-null.onnx'), bytes);
    writeGoldenModel(repo, { name: 'nan-late', train: `command: ${JSON.stringify(`cp ${shellQuote(join(repo, 'nan-on-null.onnx'))} "$SLIPWAY_OUTPUT_DIR/model.onnx"`)}` });
    const r = await runCli(['train', '--model', 'nan-late'], repo, env);
    expect(r.stderr).toMatch(/error: scoring models\/nan-late\/data\/train.csv \(400 rows\): 12 row\(s\) give NaN, the first data row 80 \(x3: null\); expected finite probabilities within \[0, 1\]\n/);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });
});
