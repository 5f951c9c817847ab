/**
 * What serving takes from `models/<name>/` at the reconciled commit: the `serve:` settings of
 * model.yaml (log sampling, sensitive columns policy) and the data contract. Read with `git show`,
 * checked with the same JSON Schemas and located errors as files on disk.
 */
import { posix } from 'node:path';
import { ConfigError } from '../errors.js';
import { contractSchema, modelSchema } from '../spec/schemas.js';
import type { ModelSpec, RowSchema } from '../spec/types.js';
import { parseYamlText, schemaIssues } from '../spec/yaml-file.js';
import type { GitSource } from './git-source.js';
import { DEFAULT_LOG_SAMPLE_RATE, DEFAULT_LOG_SENSITIVE, type SensitivePolicy } from './log-writer.js';

export interface ModelSettings {
  spec: ModelSpec | null;
  contract: RowSchema | null;
  logSampleRate: number;
  logSensitive: SensitivePolicy;
  /** the row id column, kept in logs to join labels later */
  id?: string;
}

export async function readModelSettings(source: Pick<GitSource, 'show'>, commit: string, model: string): Promise<ModelSettings> {
  const short = commit.slice(0, 12);
  const yamlPath = `models/${model}/model.yaml`;
  const text = await source.show(commit, yamlPath);
  if (text === null) return { spec: null, contract: null, logSampleRate: DEFAULT_LOG_SAMPLE_RATE, logSensitive: DEFAULT_LOG_SENSITIVE };
  const parsed = parseYamlText(text, `${yamlPath}@${short}`);
  const issues = schemaIssues(parsed, modelSchema);
  if (issues.length) throw new ConfigError(issues);
  const spec = parsed.value as ModelSpec;
  let contract: RowSchema | null = null;
  const schemaPath = posix.normalize(posix.join(`models/${model}`, spec.data.schema));
  if (!schemaPath.startsWith('../') && !posix.isAbsolute(schemaPath)) {
    const schemaText = await source.show(commit, schemaPath);
    if (schemaText !== null) {
      const p = parseYamlText(schemaText, `${schemaPath}@${short}`);
      const ci = schemaIssues(p, contractSchema);
      if (ci.length) throw new ConfigError(ci);
      contract = p.value as RowSchema;
    }
  }
  return {
    spec,
    contract,
    logSampleRate: spec.serve?.log_sample_rate ?? DEFAULT_LOG_SAMPLE_RATE,
    logSensitive: spec.serve?.log_sensitive ?? DEFAULT_LOG_SENSITIVE,
    id: spec.data.id,
  };
}
