import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import { runCli } from '../support/cli.js';
import { gitInitCommit } from '../support/git-repo.js';
import { tempDir } from '../support/tmp.js';
import { writeGoldenModel } from './fixtures.js';

/** Training data that cannot be read, or lacks columns: exit 2 naming the file and the reason, never SQL. */
const env = { ...process.env, SLIPWAY_EXECUTION_PROVIDER: 'cpu', GITHUB_ACTIONS: '', SLIPWAY_STORE: '' };

describe('slipway train: unreadable training data', () => {
  const { dir: repo } = tempDir('slipway-train-data-');
  const model = writeGoldenModel(repo, { name: 'golden', train: 'builtin: logistic-regression' });
  const yaml = join(model, 'model.yaml');
  const original = readFileSync(yaml, 'utf8');
  writeFileSync(join(repo, '.gitignore'), '.slipway/\n');
  gitInitCommit(repo);

  /** Trains with data.train pointing at `name` under the model's data/ directory. */
  async function train(name: string): Promise<string> {
    writeFileSync(yaml, original.replace('train: data/train.csv', `train: data/${name}`));
    const r = await runCli(['train', '--model', 'golden'], repo, env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at |LINE 1|read_(parquet|csv|json)|SELECT/);
    return r.stderr.split('\n').find((l) => l.startsWith('error: '))!.slice('error: '.length);
  }

  it('a truncated Parquet file, and a CSV named train.parquet', async () => {
    const whole = join(model, 'data', 'whole.parquet');
    const conn = await openDuckDB();
    await conn.run(`COPY (SELECT * FROM read_csv(${sqlString(join(model, 'data', 'train.csv'))})) TO ${sqlString(whole)} (FORMAT parquet)`);
    conn.closeSync();
    writeFileSync(join(model, 'data', 'trunc.parquet'), readFileSync(whole).subarray(0, 2000));
    expect(await train('trunc.parquet')).toBe('models/golden/data/trunc.parquet: not a Parquet file (no magic bytes at its end: truncated, or another format?)');
    writeFileSync(join(model, 'data', 'train.parquet'), readFileSync(join(model, 'data', 'train.csv')));
    expect(await train('train.parquet')).toBe('models/golden/data/train.parquet: not a Parquet file (no magic bytes at its end: truncated, or another format?)');
  });

  it('a CSV without the feature columns: the file and every missing column by its role', async () => {
    writeFileSync(join(model, 'data', 'wrong.csv'), 'a,b\n1,2\n');
    expect(await train('wrong.csv')).toBe("models/golden/data/wrong.csv: missing column(s): feature 'x1', 'x2', 'color', 'x3', 'count', 'flag', 'size'; target 'label' (the data has: a, b)");
  });
});
