import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, InputError, type ConfigIssue } from '../errors.js';
import { semverProblem } from '../gitops/semver.js';
import { environmentNames, pinUriIssues } from './environment-checks.js';
import { assertName, isLink } from './paths.js';
import { otherNames } from './nearest.js';
import { environmentSchema } from './schemas.js';
import type { EnvironmentSpec } from './types.js';
import { issueAt, parseYamlFile, schemaIssues, type ParsedYaml } from './yaml-file.js';

export function environmentFile(repoRoot: string, env: string): string {
  return join(repoRoot, 'environments', `${assertName('environment', env)}.yaml`);
}

/** Checks an already-parsed environment manifest (used for files on disk and for blobs read from git). */
export function checkEnvironment(parsed: ParsedYaml, env: string): EnvironmentSpec {
  const issues: ConfigIssue[] = schemaIssues(parsed, environmentSchema);
  if (issues.length) throw new ConfigError(issues);
  const spec = parsed.value as EnvironmentSpec;
  if (spec.name !== env) issues.push(issueAt(parsed, ['name'], `must equal the file name '${env}', got '${spec.name}'`));
  for (const [model, m] of Object.entries(spec.models ?? {})) {
    for (const [path, v] of [[[], m.version], [['canary'], m.canary?.version], [['shadow'], m.shadow?.version]] as const) {
      const problem = typeof v === 'string' ? semverProblem(v) : undefined;
      if (problem) issues.push(issueAt(parsed, ['models', model, ...path, 'version'], `'${v}' ${problem}`));
    }
    if (m.canary && m.canary.digest === m.digest) issues.push(issueAt(parsed, ['models', model, 'canary'], 'the canary pins the same digest as the stable version'));
  }
  if (issues.length) throw new ConfigError(issues);
  return spec;
}

/** Loads environments/<env>.yaml with every issue located. Keeps the parsed document for comment-preserving edits. */
export async function loadEnvironment(repoRoot: string, env: string): Promise<{ spec: EnvironmentSpec; parsed: ParsedYaml; file: string }> {
  const file = environmentFile(repoRoot, env);
  if (!existsSync(file) && !isLink(file)) {
    throw new InputError(`environment '${env}' not found: ${file} does not exist${otherNames('environment', env, environmentNames(repoRoot))}`);
  }
  const parsed = await parseYamlFile(file, repoRoot);
  const spec = checkEnvironment(parsed, env);
  const issues = pinUriIssues(parsed, spec);
  if (issues.length) throw new ConfigError(issues);
  return { spec, parsed, file };
}
