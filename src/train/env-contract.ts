import type { LoadedModel } from '../spec/types.js';

/**
 * The environment a training command gets (docs/train.md). Paths are absolute; remote data stays a
 * URL. Tokens the runner holds are not passed on: training code has no business with them.
 */
export interface TrainEnvInputs {
  model: LoadedModel;
  trainData: string;
  validationData?: string;
  outputDir: string;
  params: Record<string, unknown>;
  seed: number;
  version: string;
  provider?: string;
}

export const WITHHELD = ['GITHUB_TOKEN', 'SLIPWAY_GITHUB_TOKEN', 'INPUT_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'GH_TOKEN'];

export function trainingEnv(base: NodeJS.ProcessEnv, i: TrainEnvInputs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of WITHHELD) delete env[k];
  Object.assign(env, {
    SLIPWAY_MODEL: i.model.spec.name,
    SLIPWAY_MODEL_DIR: i.model.dir,
    SLIPWAY_MODEL_VERSION: i.version,
    SLIPWAY_TASK: i.model.spec.task,
    SLIPWAY_TRAIN_DATA: i.trainData,
    SLIPWAY_VALIDATION_DATA: i.validationData ?? '',
    SLIPWAY_OUTPUT_DIR: i.outputDir,
    SLIPWAY_MODEL_PATH: `${i.outputDir}/model.onnx`,
    SLIPWAY_PARAMS: JSON.stringify(i.params),
    SLIPWAY_SEED: String(i.seed),
    SLIPWAY_FEATURES: JSON.stringify(i.model.features),
    SLIPWAY_TARGET: i.model.target,
    SLIPWAY_SENSITIVE: JSON.stringify(i.model.sensitive),
    SLIPWAY_SCHEMA: i.model.schemaFile,
    PYTHONUNBUFFERED: base.PYTHONUNBUFFERED ?? '1',
  });
  if (i.model.spec.data.positive_label !== undefined) env.SLIPWAY_POSITIVE_LABEL = String(i.model.spec.data.positive_label);
  if (i.provider) env.SLIPWAY_EXECUTION_PROVIDER = i.provider;
  return env;
}
