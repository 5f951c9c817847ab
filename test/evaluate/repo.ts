import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDataset } from '../../src/data/generate.js';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { synthesizePackage } from '../../src/package/read.js';
import { CARD_FILE, MODEL_FILE } from '../../src/package/card.js';
import { loadModel } from '../../src/spec/model.js';
import type { LoadedModel } from '../../src/spec/types.js';
import { trainBuiltin } from '../../src/train/builtin/index.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** A repository with models/credit-risk (the shipped model.yaml and schema) and generated data. */
export async function creditRiskRepo(dir: string, o: { trainRows?: number; testRows?: number; bias?: number } = {}): Promise<string> {
  mkdirSync(join(dir, 'models', 'credit-risk'), { recursive: true });
  mkdirSync(join(dir, 'environments'), { recursive: true });
  for (const f of ['model.yaml', 'schema.json']) copyFileSync(join(ROOT, 'models', 'credit-risk', f), join(dir, 'models', 'credit-risk', f));
  for (const f of ['staging.yaml', 'production.yaml']) copyFileSync(join(ROOT, 'environments', f), join(dir, 'environments', f));
  const data = join(dir, 'models', 'credit-risk', 'data');
  await generateDataset(join(data, 'train.parquet'), { rows: o.trainRows ?? 3000, seed: 11, bias: o.bias ?? 0 });
  await generateDataset(join(data, 'test.parquet'), { rows: o.testRows ?? 1500, seed: 12, bias: o.bias ?? 0, idOffset: 1_000_000 });
  return dir;
}

/**
 * Trains the builtin logistic regression (the train engineer's trainer) on the repo's training data
 * and writes a package directory: the real ONNX model and a card that passes the package schema.
 */
export async function trainPackage(repo: string, out: string, o: { version: string; features?: string[]; l2?: number; builtin?: 'logistic-regression' | 'linear-regression' }): Promise<string> {
  const base = await loadModel(repo, 'credit-risk');
  const model: LoadedModel = o.features ? { ...base, features: o.features } : base;
  const conn = await openDuckDB();
  try {
    const r = await trainBuiltin(o.builtin ?? 'logistic-regression', conn, readerSql(join(model.dir, model.spec.data.train)), model, { l2: o.l2 ?? 1 });
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, MODEL_FILE), r.onnx);
    const { card } = await synthesizePackage(join(out, MODEL_FILE), model);
    delete card.synthesized;
    card.version = o.version;
    card.lineage.command = `builtin:${o.builtin ?? 'logistic-regression'}`;
    writeFileSync(join(out, CARD_FILE), JSON.stringify(card, null, 2));
    return out;
  } finally {
    conn.closeSync();
  }
}

/** Pins a version in environments/<env>.yaml. */
export function pin(repo: string, env: string, version: string, digest: string): void {
  writeFileSync(
    join(repo, 'environments', `${env}.yaml`),
    ['apiVersion: slipway/v1', 'kind: Environment', `name: ${env}`, `promotion: ${env === 'production' ? 'pull-request' : 'push'}`, 'models:', '  credit-risk:', `    version: ${version}`, `    digest: ${digest}`, ''].join('\n'),
  );
}
