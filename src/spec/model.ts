import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputError, type ConfigIssue } from '../errors.js';
import { bootstrapIssues, driftIssues, gateIssues, sortIssues } from './model-checks.js';
import { checkDuration } from './duration.js';
import { assertName, isLink, isRemote, resolveInside } from './paths.js';
import { otherNames } from './nearest.js';
import { modelNames } from './environment-checks.js';
import { contractSchema, modelSchema } from './schemas.js';
import type { LoadedModel, ModelSpec, RowSchema } from './types.js';
import { issueAt, parseYamlFile, schemaIssues, type ParsedYaml } from './yaml-file.js';

export function modelDir(repoRoot: string, name: string): string {
  return join(repoRoot, 'models', assertName('model', name));
}

/** The models of the repository: the directories under models/ that hold a model.yaml. */
function modelsIn(repoRoot: string): string[] {
  return (modelNames(repoRoot) ?? []).filter((n) => existsSync(join(repoRoot, 'models', n, 'model.yaml')));
}

/**
 * Loads models/<name>/model.yaml and its data contract. Every problem in either file comes back at
 * once in one ConfigError, each with file:line:col, the field path and what was expected.
 */
export async function loadModel(repoRoot: string, name: string): Promise<LoadedModel> {
  const dir = modelDir(repoRoot, name);
  const file = join(dir, 'model.yaml');
  if (!existsSync(file) && !isLink(file)) throw new InputError(`model '${name}' not found: ${file} does not exist${otherNames('model', name, modelsIn(repoRoot))}`);
  const parsed = await parseYamlFile(file, repoRoot);
  const issues = schemaIssues(parsed, modelSchema);
  if (issues.length) throw new ConfigError(issues);
  const spec = parsed.value as ModelSpec;
  const at = (path: string[], message: string): ConfigIssue => issueAt(parsed, path, message);

  if (spec.name !== name) issues.push(at(['name'], `must equal the directory name '${name}', got '${spec.name}'`));
  if (!spec.train.command === !spec.train.builtin) issues.push(at(['train'], 'expected exactly one of `command` or `builtin`'));
  const timeout = spec.train.timeout === undefined ? undefined : checkDuration(spec.train.timeout).problem;
  if (timeout) issues.push(at(['train', 'timeout'], `'${spec.train.timeout}' ${timeout}`));
  let schemaPathOk = true;
  for (const key of ['schema', 'train', 'test', 'validation'] as const) {
    const p = spec.data[key];
    if (p === undefined || (key !== 'schema' && isRemote(p))) continue;
    const bad = key === 'schema' && isRemote(p) ? 'expected a path inside the repository, not a URL' : !resolveInside(repoRoot, dir, p) ? `path '${p}' escapes the repository` : null;
    if (bad) {
      issues.push(at(['data', key], bad));
      if (key === 'schema') schemaPathOk = false;
    }
  }
  const sensitive = spec.data.sensitive ?? [];
  issues.push(...gateIssues(parsed, spec, sensitive));
  issues.push(...bootstrapIssues(parsed, spec));
  if (!schemaPathOk) throw new ConfigError(issues);

  // the contract's own problems come together with model.yaml's
  const schemaFile = resolveInside(repoRoot, dir, spec.data.schema)!;
  let contract: ParsedYaml;
  try {
    contract = await loadContract(schemaFile, repoRoot);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError([...issues, ...e.issues]);
    if (e instanceof InputError && issues.length) throw new ConfigError([...issues, at(['data', 'schema'], e.message)]);
    throw e;
  }
  const schema = contract.value as RowSchema;
  const columns = Object.keys(schema.properties);
  const known = (c: string) => columns.includes(c);
  const target = spec.data.target;
  if (!known(target)) issues.push(at(['data', 'target'], `column '${target}' is not in ${contract.display} (columns: ${columns.join(', ')})`));
  sensitive.forEach((c, i) => {
    if (!known(c)) issues.push(at(['data', 'sensitive', String(i)], `column '${c}' is not in ${contract.display}`));
    if (c === target) issues.push(at(['data', 'sensitive', String(i)], 'the target cannot be a sensitive attribute'));
  });
  if (spec.data.id && !known(spec.data.id)) issues.push(at(['data', 'id'], `column '${spec.data.id}' is not in ${contract.display}`));
  const excluded = new Set([target, ...sensitive, ...(spec.data.id ? [spec.data.id] : [])]);
  const features = spec.data.features ?? columns.filter((c) => !excluded.has(c));
  (spec.data.features ?? []).forEach((c, i) => {
    if (!known(c)) issues.push(at(['data', 'features', String(i)], `column '${c}' is not in ${contract.display}`));
    else if (excluded.has(c)) issues.push(at(['data', 'features', String(i)], `'${c}' is the target, the id or a sensitive attribute and cannot be a feature`));
  });
  if (features.length === 0) issues.push(at(['data'], 'no feature columns: the schema has no columns besides the target and sensitive ones'));
  issues.push(...driftIssues(parsed, spec, features));
  if (issues.length) throw new ConfigError(sortIssues(issues));
  return { spec, dir, repoRoot, file, schema, schemaFile, features, sensitive, target };
}

/** Loads a data contract (schema.json); JSON is YAML, so errors are located the same way. */
export async function loadContract(file: string, repoRoot?: string): Promise<ParsedYaml> {
  const parsed = await parseYamlFile(file, repoRoot);
  const issues = schemaIssues(parsed, contractSchema);
  const schema = parsed.value as RowSchema;
  if (schema && typeof schema.properties === 'object' && schema.properties !== null) {
    // checked even when the schema has other issues, so that every problem comes at once
    const columns = Object.keys(schema.properties);
    (Array.isArray(schema.required) ? schema.required : []).forEach((c, i) => {
      if (!columns.includes(c)) issues.push(issueAt(parsed, ['required', String(i)], `required column '${c}' is not under properties`));
    });
    for (const [col, s] of Object.entries(schema.properties)) {
      if (s && typeof s.pattern === 'string') {
        try {
          new RegExp(s.pattern, 'u');
        } catch (e) {
          issues.push(issueAt(parsed, ['properties', col, 'pattern'], `invalid regular expression ${JSON.stringify(s.pattern)}: ${(e as Error).message.replace(/^.*: /, '').toLowerCase()}`));
        }
      }
    }
  }
  if (issues.length) throw new ConfigError(issues);
  return parsed;
}
