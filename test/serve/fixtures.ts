/**
 * Real fixtures for the serve tests: credit-risk model packages trained by the builtin
 * logistic-regression trainer on generated data (different l2 give different, distinguishable
 * models), put in a real FileStore; and a GitOps repository (bare remote + working clone).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '../../src/data/generate.js';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import { profileRelation } from '../../src/data/profile.js';
import { columnKind } from '../../src/model/features.js';
import { DataType, doubleTensor, writeOnnx } from '../../src/model/onnx-writer.js';
import { CARD_FILE, MODEL_FILE, type ModelCard } from '../../src/package/card.js';
import { loadModel } from '../../src/spec/model.js';
import { FileStore } from '../../src/store/file-store.js';
import { trainBuiltin } from '../../src/train/builtin/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

export interface Pkg {
  version: string;
  digest: string;
  dir: string;
}

export interface World {
  root: string;
  /** bare remote the server follows */
  remote: string;
  /** a working clone where the tests commit */
  work: string;
  store: FileStore;
  storePath: string;
  packages: Pkg[];
  /** rewrites environments/<env>.yaml in the clone, commits and pushes; returns the commit */
  pin(models: Record<string, PinSpec> | null, message?: string): string;
  /** a package whose digest verifies but whose model fails the smoke test / signature check */
  broken: Pkg;
}

export interface PinSpec {
  pkg: Pkg;
  canary?: { pkg: Pkg; weight: number };
  shadow?: Pkg;
}

export const ENV = 'staging';

export function manifest(models: Record<string, PinSpec> | null, store?: string): string {
  const lines = ['# staging: pushes land here directly', 'apiVersion: slipway/v1', 'kind: Environment', `name: ${ENV}`, 'promotion: push'];
  if (store) lines.push(`store: ${store}`);
  if (!models || Object.keys(models).length === 0) lines.push('models: {}');
  else {
    lines.push('models:');
    for (const [name, m] of Object.entries(models)) {
      lines.push(`  ${name}:`, `    version: ${m.pkg.version}`, `    digest: ${m.pkg.digest}`);
      if (m.canary) lines.push('    canary:', `      version: ${m.canary.pkg.version}`, `      digest: ${m.canary.pkg.digest}`, `      weight: ${m.canary.weight}`);
      if (m.shadow) lines.push('    shadow:', `      version: ${m.shadow.version}`, `      digest: ${m.shadow.digest}`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Builds the world: `l2s.length` packages (versions 1.0.0, 1.1.0, …) of credit-risk and one broken
 * package, a store holding them, and a GitOps repo whose staging manifest pins nothing yet.
 * `serve` goes into model.yaml's `serve:` block.
 */
export async function buildWorld(opts: { l2s?: number[]; serve?: string; rows?: number } = {}): Promise<World> {
  const root = mkdtempSync(join(tmpdir(), 'slipway-serve-test-'));
  const work = join(root, 'work');
  // the model definition, as in the example repository
  mkdirSync(join(work, 'models', 'credit-risk'), { recursive: true });
  copyFileSync(join(ROOT, 'models', 'credit-risk', 'schema.json'), join(work, 'models', 'credit-risk', 'schema.json'));
  const yaml = execFileSync('cat', [join(ROOT, 'models', 'credit-risk', 'model.yaml')], { encoding: 'utf8' });
  writeFileSync(join(work, 'models', 'credit-risk', 'model.yaml'), yaml + (opts.serve ? `serve:\n${opts.serve}\n` : ''));
  mkdirSync(join(work, 'environments'), { recursive: true });
  writeFileSync(join(work, 'environments', `${ENV}.yaml`), manifest(null));

  const storePath = join(root, 'store');
  const store = new FileStore(storePath);
  const model = await loadModel(work, 'credit-risk');
  const data = join(root, 'train.parquet');
  await generateDataset(data, { rows: opts.rows ?? 2000, seed: 11 });
  const conn = await openDuckDB({ threads: 1 });
  const from = readerSql(data);
  const reference = await profileRelation(conn, from, [...model.features, ...model.sensitive]);
  const packages: Pkg[] = [];
  const strings = new Set(model.features.filter((f) => columnKind(model.schema.properties[f]) === 'string'));
  const l2s = opts.l2s ?? [1, 300];
  for (let i = 0; i < l2s.length; i++) {
    const version = `1.${i}.0`;
    const trained = await trainBuiltin('logistic-regression', conn, from, model, { l2: l2s[i] });
    packages.push(await writePackage(root, store, model.features, model.sensitive, strings, version, trained.onnx, reference));
  }
  // broken: a valid package whose graph produces a constant 7 (not a probability): the smoke test refuses it
  const broken = await writePackage(root, store, model.features, model.sensitive, strings, '9.9.9', constantOnnx(model.features, strings), reference);
  conn.closeSync();

  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', 'remote.git');
  const remote = join(root, 'remote.git');
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'config', 'user.name', 'Serve Test');
  git(work, 'config', 'user.email', 'serve@example.com');
  git(work, 'config', 'commit.gpgsign', 'false');
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'models and environments');
  git(work, 'remote', 'add', 'origin', remote);
  git(work, 'push', '--quiet', 'origin', 'main');

  const pin = (models: Record<string, PinSpec> | null, message = 'pin'): string => {
    writeFileSync(join(work, 'environments', `${ENV}.yaml`), manifest(models));
    git(work, 'add', 'environments');
    git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
    git(work, 'push', '--quiet', 'origin', 'main');
    return git(work, 'rev-parse', 'HEAD').trim();
  };
  return { root, remote, work, store, storePath, packages, pin, broken };
}

async function writePackage(root: string, store: FileStore, features: string[], sensitive: string[], strings: Set<string>, version: string, onnx: Uint8Array, reference: ModelCard['reference']): Promise<Pkg> {
  const dir = join(root, `pkg-${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MODEL_FILE), onnx);
  const now = new Date().toISOString();
  const card: ModelCard = {
    schema_version: 1,
    name: 'credit-risk',
    version,
    task: 'binary-classification',
    created_at: now,
    target: 'default',
    sensitive,
    threshold: 0.5,
    signature: {
      convention: 'columns',
      features,
      inputs: features.map((f) => ({ name: f, type: strings.has(f) ? 'string' : 'float64', shape: [-1, 1] })),
      outputs: [{ name: 'probabilities', type: 'float64', shape: [-1, 2] }],
      output: 'probabilities',
    },
    lineage: {
      git: { commit: null, dirty: false },
      data: { train: { uri: 'train.parquet', digest: null, rows: reference.rows } },
      params: {},
      seed: 0,
      command: 'builtin:logistic-regression',
      hardware: { cpu: { model: 'test', cores: 1 }, gpus: [] },
      started_at: now,
      finished_at: now,
      duration_s: 0,
      tools: {},
    },
    reference,
  };
  writeFileSync(join(dir, CARD_FILE), JSON.stringify(card, null, 2));
  const digest = await store.put(dir);
  return { version, digest, dir };
}

/** A per-column model whose output is a constant 7, not a probability: the smoke test refuses it. */
function constantOnnx(features: string[], strings: Set<string>): Uint8Array {
  const first = features.find((f) => !strings.has(f))!;
  return writeOnnx({
    name: 'broken',
    inputs: features.map((f) => ({ name: f, type: strings.has(f) ? DataType.STRING : DataType.DOUBLE, shape: ['N', 1] })),
    outputs: [{ name: 'probabilities', type: DataType.DOUBLE, shape: ['N', 1] }],
    nodes: [
      { op: 'Mul', inputs: [first, 'zero'], outputs: ['z'] },
      { op: 'Add', inputs: ['z', 'seven'], outputs: ['probabilities'] },
    ],
    initializers: [doubleTensor('zero', [], [0]), doubleTensor('seven', [], [7])],
  });
}
