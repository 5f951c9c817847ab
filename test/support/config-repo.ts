import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

/** A model.yaml for a model 'm' with the built-in logistic regression: `target`, and `sensitive` columns when given. */
export function modelYaml(target: string, sensitive?: string[]): string {
  return `apiVersion: slipway/v1
kind: Model
name: m
task: binary-classification
data:
  schema: schema.json
  train: data/train.csv
  test: data/test.csv
  target: ${target}
${sensitive ? `  sensitive: [${sensitive.join(', ')}]\n` : ''}train:
  builtin: logistic-regression
`;
}

/** A valid model.yaml for a model 'm' on the credit-risk contract: what the config tests vary. */
export const GOOD_MODEL = modelYaml('default', ['sex']);

/**
 * A temporary repository with models/m/schema.json (the credit-risk contract), GOOD_MODEL as
 * models/m/model.yaml when `withModel`, then `files` (relative path → text) over them.
 */
export function configRepo(files: Record<string, string>, o: { withModel?: boolean; prefix?: string } = {}): string {
  const t = tempDir(o.prefix ?? 'slipway-config-');
  mkdirSync(join(t.dir, 'models', 'm'), { recursive: true });
  copyFileSync('models/credit-risk/schema.json', join(t.dir, 'models', 'm', 'schema.json'));
  if (o.withModel) t.write('models/m/model.yaml', GOOD_MODEL);
  for (const [rel, text] of Object.entries(files)) t.write(rel, text);
  return t.dir;
}
