/**
 * Real fixtures for the serve tests: credit-risk model packages made by the real train pipeline
 * (`trainModel`, builtin logistic regression on generated data; different l2 give different,
 * distinguishable models) in a real FileStore; and a GitOps repository (bare remote + working clone).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset } from '../../src/data/generate.js';
import { columnKind } from '../../src/model/features.js';
import { DataType, doubleTensor, writeOnnx, type Tensor } from '../../src/model/onnx-writer.js';
import { CARD_FILE, type ModelCard } from '../../src/package/card.js';
import { writePackage } from '../../src/package/write.js';
import { loadModel } from '../../src/spec/model.js';
import { FileStore } from '../../src/store/file-store.js';
import { trainModel } from '../../src/train/train.js';

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
  // data for the builtin trainer, where model.yaml points (not committed to the GitOps repo)
  writeFileSync(join(work, '.gitignore'), 'models/*/data/\n');
  const dataDir = join(work, 'models', 'credit-risk', 'data');
  mkdirSync(dataDir, { recursive: true });
  await generateDataset(join(dataDir, 'train.parquet'), { rows: opts.rows ?? 2000, seed: 11 });
  await generateDataset(join(dataDir, 'test.parquet'), { rows: 500, seed: 12, idOffset: 1_000_000 });
  const model = await loadModel(work, 'credit-risk');
  const packages: Pkg[] = [];
  const l2s = opts.l2s ?? [1, 300];
  for (let i = 0; i < l2s.length; i++) {
    const version = `1.${i}.0`;
    // the real `slipway train` pipeline (builtin logistic regression): verified, profiled, stored
    const variant = { ...model, spec: { ...model.spec, train: { ...model.spec.train, params: { l2: l2s[i] } } } };
    const r = await trainModel({ repoRoot: work, model: variant, store, version, env: {}, log: () => {}, provider: 'cpu' });
    packages.push({ version, digest: r.digest, dir: r.path });
  }
  // broken: the first package's card with a graph whose output is a constant 7 (not a probability):
  // the digest verifies, ORT loads it, the serving smoke test refuses it
  const strings = new Set(model.features.filter((f) => columnKind(model.schema.properties[f]) === 'string'));
  const card = JSON.parse(readFileSync(join(packages[0].dir, CARD_FILE), 'utf8')) as ModelCard;
  const brokenDir = await writePackage(join(root, 'pkg-broken'), { bytes: constantOnnx(model.features, strings) }, { ...card, version: '9.9.9' });
  const broken = { version: '9.9.9', digest: await store.put(brokenDir), dir: brokenDir };

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

/**
 * A credit-risk package (the first package's card) whose model file holds about `mb` MB: the numeric columns
 * joined, times a [k, M] weight, summed, times 0, plus 0.5 — every row's probability is 0.5, after real work
 * on every run. For what serving does with a large model.
 */
export async function bigPackage(world: World, mb: number, version = '2.0.0'): Promise<Pkg> {
  const model = await loadModel(world.work, 'credit-risk');
  const strings = new Set(model.features.filter((f) => columnKind(model.schema.properties[f]) === 'string'));
  const nums = model.features.filter((f) => !strings.has(f));
  const m = Math.max(1, Math.round((mb * 1e6) / (nums.length * 8)));
  const w = new Float64Array(nums.length * m);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 7919) % 1000) / 1e9;
  const weight: Tensor = { name: 'W', dims: [nums.length, m], data_type: DataType.DOUBLE, raw_data: new Uint8Array(w.buffer) };
  const bytes = writeOnnx({
    name: 'big',
    opset: 19,
    inputs: model.features.map((f) => ({ name: f, type: strings.has(f) ? DataType.STRING : DataType.DOUBLE, shape: ['N', 1] })),
    outputs: [{ name: 'probabilities', type: DataType.DOUBLE, shape: ['N', 1] }],
    nodes: [
      { op: 'Concat', inputs: nums, outputs: ['x'], attrs: { axis: 1 } },
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['h'] },
      { op: 'ReduceSum', inputs: ['h', 'axes'], outputs: ['s'], attrs: { keepdims: 1 } },
      { op: 'Mul', inputs: ['s', 'zero'], outputs: ['z'] },
      { op: 'Add', inputs: ['z', 'half'], outputs: ['probabilities'] },
    ],
    initializers: [weight, { name: 'axes', dims: [1], data_type: DataType.INT64, int64_data: [1] }, doubleTensor('zero', [], [0]), doubleTensor('half', [], [0.5])],
  });
  const card = JSON.parse(readFileSync(join(world.packages[0].dir, CARD_FILE), 'utf8')) as ModelCard;
  const dir = await writePackage(join(world.root, `pkg-big-${version}`), { bytes }, { ...card, version });
  return { version, digest: await world.store.put(dir), dir };
}
