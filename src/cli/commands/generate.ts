import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { int, str } from '../command.js';
import { UsageError } from '../../errors.js';
import { generateDataset } from '../../data/generate.js';
import { loadModel } from '../../spec/model.js';
import { findRepoRoot } from '../../spec/repo.js';

function fraction(v: string | undefined, name: string, min = -10, max = 10): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} expects a number in [${min}, ${max}], got '${v}'`);
  return n;
}

export const generate: Command = {
  name: 'generate',
  summary: 'Write the seeded synthetic credit-risk dataset (CSV or Parquet), with knobs for bias, drift and contract violations.',
  options: {
    out: { type: 'string', value: '<file.csv|file.parquet>', description: 'output file (or use --model to write its train and test files)' },
    model: { type: 'string', value: '<name>', description: "write the model's data.train and data.test" },
    rows: { type: 'string', value: '<n>', description: 'rows to write', default: '10000' },
    seed: { type: 'string', value: '<n>', description: 'random seed', default: '1' },
    bias: { type: 'string', value: '<log-odds>', description: "effect of sex = 'F' on the label (and an income proxy)", default: '0' },
    'covariate-shift': { type: 'string', value: '<sd>', description: 'mean shift of income and utilization, in standard deviations', default: '0' },
    'label-shift': { type: 'string', value: '<log-odds>', description: 'shift of the base default rate', default: '0' },
    violations: { type: 'string', value: '<fraction>', description: 'fraction of rows that break the data contract', default: '0' },
  },
  async run(opts, _pos, ctx) {
    const knobs = {
      rows: int(opts, 'rows', 1, 100_000_000)!,
      seed: int(opts, 'seed', 0)!,
      bias: fraction(str(opts, 'bias'), 'bias'),
      covariateShift: fraction(str(opts, 'covariate-shift'), 'covariate-shift'),
      labelShift: fraction(str(opts, 'label-shift'), 'label-shift'),
      violations: fraction(str(opts, 'violations'), 'violations', 0, 1),
    };
    const out = str(opts, 'out');
    const model = str(opts, 'model');
    if (!out === !model) throw new UsageError('slipway generate: give exactly one of --out <file> or --model <name>');
    if (out) {
      await generateDataset(resolve(ctx.cwd, out), knobs);
      ctx.stdout(`wrote ${out} (${knobs.rows} rows, seed ${knobs.seed})\n`);
      return 0;
    }
    const m = await loadModel(findRepoRoot(ctx.cwd), model!);
    const testRows = Math.max(1, Math.round(knobs.rows / 4));
    const train = join(m.dir, m.spec.data.train);
    const test = join(m.dir, m.spec.data.test);
    await generateDataset(train, knobs);
    await generateDataset(test, { ...knobs, rows: testRows, seed: knobs.seed + 1_000_003, idOffset: knobs.rows });
    ctx.stdout(`wrote ${train} (${knobs.rows} rows) and ${test} (${testRows} rows)\n`);
    return 0;
  },
};
