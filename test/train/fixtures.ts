import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'train');

/** The data contract of test/fixtures/train/golden_data.csv (see make_golden.py). */
export const GOLDEN_SCHEMA = {
  type: 'object',
  properties: {
    x1: { type: ['number', 'null'] },
    x2: { type: 'number' },
    color: { type: 'string', enum: ['red', 'green', 'blue'] },
    x3: { type: ['number', 'null'] },
    count: { type: 'integer', minimum: 0 },
    flag: { type: 'boolean' },
    size: { type: 'string', enum: ['S', 'M', 'L', 'XL'] },
    label: { type: 'integer', enum: [0, 1] },
    amount: { type: 'number' },
  },
};

export interface ModelYaml {
  name: string;
  task?: string;
  target?: string;
  features?: string[];
  train: string;
  extra?: string;
}

/** Writes models/<name>/{model.yaml,schema.json,data/*.csv} into a repository directory. */
export function writeGoldenModel(repo: string, m: ModelYaml): string {
  const dir = join(repo, 'models', m.name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  copyFileSync(join(FIXTURES, 'golden_data.csv'), join(dir, 'data', 'train.csv'));
  copyFileSync(join(FIXTURES, 'golden_test.csv'), join(dir, 'data', 'test.csv'));
  writeFileSync(join(dir, 'schema.json'), JSON.stringify(GOLDEN_SCHEMA, null, 2));
  const features = m.features ?? ['x1', 'x2', 'color', 'x3', 'count', 'flag', 'size'];
  const yaml = [
    'apiVersion: slipway/v1',
    'kind: Model',
    `name: ${m.name}`,
    `task: ${m.task ?? 'binary-classification'}`,
    'data:',
    '  schema: schema.json',
    '  train: data/train.csv',
    '  test: data/test.csv',
    `  target: ${m.target ?? 'label'}`,
    `  features: [${features.join(', ')}]`,
    'train:',
    ...m.train.split('\n').map((l) => '  ' + l),
    ...(m.extra ? [m.extra] : []),
  ].join('\n');
  writeFileSync(join(dir, 'model.yaml'), yaml + '\n');
  return dir;
}
