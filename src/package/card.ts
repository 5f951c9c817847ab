import { InputError } from '../errors.js';
import { semverProblem } from '../gitops/semver.js';
import type { Task } from '../spec/types.js';
import type { Profile, ColumnProfile } from '../drift/profile.js';

/** The model package's card, `slipway.json`. Training writes it; everything after reads it. */
export const CARD_FILE = 'slipway.json';
export const MODEL_FILE = 'model.onnx';

export type TensorType = 'float32' | 'float64' | 'int64' | 'int32' | 'string' | 'bool';

export interface TensorInfo {
  name: string;
  type: TensorType;
  /** -1 or a name for dynamic dimensions */
  shape: (number | string)[];
}

/**
 * How the table maps to the model's tensors (DESIGN.md): `matrix` is one float input [N, F] with the
 * features in order; `columns` is one [N, 1] input per feature named after its column.
 */
export interface Signature {
  convention: 'matrix' | 'columns';
  features: string[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** the output that holds predictions/probabilities */
  output: string;
}

export interface GpuInfo {
  name: string;
  memory_mb: number | null;
  driver: string | null;
}

export interface Hardware {
  cpu: { model: string; cores: number };
  gpus: GpuInfo[];
  /** which execution provider verified/scored the model */
  execution_provider?: string;
}

export interface DataRef {
  uri: string;
  /** sha256:… of the file bytes (local files), or null for remote data that could not be hashed */
  digest: string | null;
  rows: number;
}

export interface Lineage {
  git: { commit: string | null; dirty: boolean; branch?: string | null; repository?: string | null };
  data: { train: DataRef; validation?: DataRef; test?: DataRef };
  params: Record<string, unknown>;
  seed: number;
  /** the training command, or `builtin:<name>` */
  command: string;
  hardware: Hardware;
  runner?: { name?: string; os: string; arch: string; run_url?: string };
  started_at: string;
  finished_at: string;
  duration_s: number;
  tools: Record<string, string>;
}

export interface ModelCard {
  schema_version: 1;
  name: string;
  version: string;
  task: Task;
  created_at: string;
  target: string;
  sensitive: string[];
  /** positive class label for binary classification; class labels in output order for multiclass */
  classes?: (string | number | boolean)[];
  /** decision threshold for binary classification */
  threshold?: number;
  /** true when the card was synthesized for a bare model.onnx (no training lineage, empty reference profile) */
  synthesized?: boolean;
  signature: Signature;
  lineage: Lineage;
  /** metrics measured during training (validation split when there is one) */
  metrics?: Record<string, number>;
  /** reference profile of the training data (features and sensitive columns) for drift checks */
  reference: Profile;
  /** profile of the model's own outputs on the training data, for prediction drift */
  prediction_reference?: ColumnProfile;
}

/**
 * Checks that the package read from `ref` is a version of `model`: its card names that model and its
 * version is a semantic version. Promote, evaluate and drift share it, so none takes one model's package
 * for another's.
 */
export function assertPackageOf(pkg: { card: Pick<ModelCard, 'name' | 'version'> }, model: string, ref: string): void {
  if (pkg.card.name !== model) throw new InputError(`${ref}: the package is model '${pkg.card.name}', not '${model}'`);
  const problem = semverProblem(pkg.card.version);
  if (problem) throw new InputError(`${ref}: the package version ${JSON.stringify(pkg.card.version)} ${problem}`);
}
