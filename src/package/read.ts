import { Ajv } from 'ajv';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ConfigError, InputError } from '../errors.js';
import { SCHEMA_DIR } from '../spec/schemas.js';
import { displayPath, MAX_CONFIG_BYTES, parseYamlText, schemaIssues } from '../spec/yaml-file.js';
import { DIGEST_PATTERN } from '../store/digest.js';
import type { ModelStore } from '../store/types.js';
import type { LoadedModel } from '../spec/types.js';
import { CARD_FILE, MODEL_FILE, type ModelCard, type TensorInfo, type TensorType } from './card.js';
import { deriveSignature } from '../model/session.js';

export interface ModelPackage {
  /** the package directory (for a bare model.onnx: its directory) */
  dir: string;
  card: ModelCard;
  modelPath: string;
  /** sha256:… when the package came from the store (verified) */
  digest?: string;
  /** true when the card was synthesized for a bare model.onnx: no lineage, no reference profile */
  synthesized: boolean;
}

export const packageSchema = JSON.parse(await readFile(join(SCHEMA_DIR, 'package.schema.json'), 'utf8')) as object;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateCard = ajv.compile(packageSchema);

/** Reads and validates a package directory: slipway.json against schemas/package.schema.json, and model.onnx present. */
export async function readPackage(dir: string): Promise<ModelPackage> {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new InputError(`${dir}: not a model package directory`);
  const cardFile = join(abs, CARD_FILE);
  const modelPath = join(abs, MODEL_FILE);
  if (!existsSync(cardFile)) throw new InputError(`${dir}: not a model package: ${CARD_FILE} is missing`);
  if (!existsSync(modelPath)) throw new InputError(`${dir}: not a model package: ${MODEL_FILE} is missing`);
  let card: unknown;
  const text = await readFile(cardFile, 'utf8');
  // the common case first: a valid card read with JSON.parse (a 165 KB card with reference sketches: ~2 ms,
  // against ~80 ms through the YAML parser, which blocked serving while a new version loaded); only a card
  // that fails goes through the YAML parser, whose errors come back with line and column (JSON is YAML)
  let quick: unknown;
  let jsonError: Error | undefined;
  try {
    quick = JSON.parse(text);
  } catch (e) {
    jsonError = e as Error;
  }
  if (!jsonError && validateCard(quick)) {
    card = quick;
  } else if (Buffer.byteLength(text) <= MAX_CONFIG_BYTES) {
    const parsed = parseYamlText(text, displayPath(cardFile));
    const issues = schemaIssues(parsed, packageSchema);
    if (issues.length) throw new ConfigError(issues);
    card = parsed.value;
  } else {
    if (jsonError) throw new InputError(`${cardFile}: invalid JSON: ${jsonError.message}`);
    throw new ConfigError((validateCard.errors ?? []).map((e) => ({ file: cardFile, path: e.instancePath, message: e.message ?? 'invalid' })));
  }
  return { dir: abs, card: card as ModelCard, modelPath, synthesized: (card as ModelCard).synthesized === true };
}

export interface ResolveOptions {
  store: ModelStore;
  repoRoot: string;
  cwd: string;
  /** the model whose contract a bare model.onnx is described with (features, task, target) */
  model?: LoadedModel;
}

/**
 * A package from a reference: a package directory, a `sha256:…` digest (fetched from the store and
 * verified), or a bare `.onnx` file (a card is synthesized, marked `synthesized: true`).
 */
export async function resolvePackage(ref: string, options: ResolveOptions): Promise<ModelPackage> {
  if (ref.startsWith('sha256:')) {
    if (!DIGEST_PATTERN.test(ref)) throw new InputError(`invalid digest ${JSON.stringify(ref)}: expected sha256: followed by 64 lower-case hex digits`);
    const dir = await options.store.get(ref);
    return { ...(await readPackage(dir)), digest: ref };
  }
  const path = resolve(options.cwd, ref);
  if (!existsSync(path)) throw new InputError(`${ref}: no such package directory, model file or digest`);
  if (statSync(path).isDirectory()) return readPackage(path);
  if (path.endsWith('.onnx')) return synthesizePackage(path, options.model);
  throw new InputError(`${ref}: expected a package directory (model.onnx + slipway.json), a .onnx file or a sha256:… digest`);
}

const TYPES: Record<string, TensorType> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', string: 'string', bool: 'bool' };

/** A card for a bare model.onnx: its signature (checked against the model's contract when given) and empty lineage. */
export async function synthesizePackage(modelPath: string, model?: LoadedModel): Promise<ModelPackage> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  } catch (e) {
    throw new InputError(`${modelPath}: onnxruntime could not load the model: ${(e as Error).message}`);
  }
  try {
    const tensors = (ms: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] =>
      ms.filter((m) => m.isTensor && TYPES[m.type]).map((m) => ({ name: m.name, type: TYPES[(m as { type: string }).type], shape: (m as unknown as { shape: (number | string)[] }).shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d ? d : -1)) }));
    const task = model?.spec.task ?? 'binary-classification';
    const signature = model
      ? deriveSignature(modelPath, session.inputMetadata, session.outputMetadata, model.features, model.schema, task)
      : (() => {
          const inputs = tensors(session.inputMetadata);
          const outputs = tensors(session.outputMetadata);
          const output = (outputs.find((o) => o.name === 'probabilities') ?? outputs.find((o) => o.type.startsWith('float')) ?? outputs[0])?.name ?? '';
          return { convention: inputs.length === 1 && inputs[0].shape.length === 2 ? ('matrix' as const) : ('columns' as const), features: inputs.length === 1 ? [] : inputs.map((i) => i.name), inputs, outputs, output };
        })();
    const now = new Date().toISOString();
    const card: ModelCard = {
      schema_version: 1,
      name: model?.spec.name ?? (basename(dirname(modelPath)).toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+/, '') || 'model'),
      version: '0.0.0-unpackaged',
      task,
      created_at: now,
      target: model?.target ?? '',
      sensitive: model?.sensitive ?? [],
      ...(model?.spec.evaluate?.threshold !== undefined ? { threshold: model.spec.evaluate.threshold } : task === 'binary-classification' ? { threshold: 0.5 } : {}),
      synthesized: true,
      signature,
      lineage: {
        git: { commit: null, dirty: false },
        data: { train: { uri: '', digest: null, rows: 0 } },
        params: {},
        seed: 0,
        command: '(unknown: a bare model.onnx with no package)',
        hardware: { cpu: { model: '', cores: 0 }, gpus: [] },
        started_at: now,
        finished_at: now,
        duration_s: 0,
        tools: {},
      },
      reference: { rows: 0, columns: {} },
    };
    return { dir: dirname(modelPath), card, modelPath, synthesized: true };
  } finally {
    await session.release();
  }
}
