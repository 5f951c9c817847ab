/** model.yaml, as validated by schemas/model.schema.json. */
export type Task = 'binary-classification' | 'multiclass-classification' | 'regression';

export interface DriftTestSpec {
  test?: 'auto' | 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';
  threshold?: number;
}

export interface ModelSpec {
  apiVersion: 'slipway/v1';
  kind: 'Model';
  name: string;
  description?: string;
  task: Task;
  owner?: string;
  data: {
    schema: string;
    train: string;
    test: string;
    validation?: string;
    target: string;
    positive_label?: string | number | boolean;
    sensitive?: string[];
    features?: string[];
    id?: string;
  };
  train: {
    command?: string;
    builtin?: 'logistic-regression' | 'linear-regression';
    timeout?: string;
    params?: Record<string, unknown>;
    seed?: number;
  };
  evaluate?: {
    threshold?: number;
    bootstrap?: { samples?: number; seed?: number; confidence?: number };
    min_group_size?: number;
    intersections?: string[][];
  };
  gates?: {
    metrics?: Record<string, string>;
    versus_champion?: Record<string, string>;
    fairness?: Record<string, string>;
    latency_p99_ms?: number;
  };
  drift?: {
    features?: Record<string, DriftTestSpec>;
    prediction?: DriftTestSpec;
    missing_rate_threshold?: number;
    /** share of current rows in categories the reference never saw above which that is drift */
    unseen_category_threshold?: number;
    /** performance drift: how much worse than the card's metric the window may be */
    performance_max_drop?: number;
    share_of_drifted_features?: number;
  };
  serve?: { log_sample_rate?: number; log_sensitive?: 'keep' | 'hash' | 'drop' };
}

/** A model spec after loading: where it lives, and the resolved column roles. */
export interface LoadedModel {
  spec: ModelSpec;
  /** absolute path of models/<name>/ */
  dir: string;
  /** absolute path of the repository root */
  repoRoot: string;
  /** absolute path of model.yaml */
  file: string;
  /** the row JSON Schema (data contract) */
  schema: RowSchema;
  /** absolute path of schema.json */
  schemaFile: string;
  /** feature columns in model input order */
  features: string[];
  sensitive: string[];
  target: string;
}

/** The data contract: JSON Schema of one row, plus Slipway's dataset-level keyword. */
export interface RowSchema {
  $schema?: string;
  type?: 'object';
  properties: Record<string, ColumnSchema>;
  required?: string[];
  additionalProperties?: boolean;
  'x-slipway'?: DatasetExpectations;
  [k: string]: unknown;
}

export interface ColumnSchema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: (string | number | boolean | null)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
  description?: string;
  [k: string]: unknown;
}

export interface DatasetExpectations {
  /** row-count bounds */
  rows?: { min?: number; max?: number };
  /** maximum fraction of nulls per column (a number for all, or per column) */
  max_null_fraction?: number | Record<string, number>;
  /** columns whose values must be unique */
  unique?: string[];
  /** what to do with columns the schema does not know */
  unknown_columns?: 'warn' | 'error' | 'ignore';
}

export interface PinnedVersion {
  version: string;
  digest: string;
  uri?: string;
}

export interface EnvironmentModel extends PinnedVersion {
  canary?: PinnedVersion & { weight: number };
  shadow?: PinnedVersion;
}

/** environments/<env>.yaml */
export interface EnvironmentSpec {
  apiVersion: 'slipway/v1';
  kind: 'Environment';
  name: string;
  promotion: 'pull-request' | 'push';
  store?: string;
  models?: Record<string, EnvironmentModel> | null;
}
