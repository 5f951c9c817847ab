/**
 * Checks of an environment manifest beyond its JSON Schema that look outside the file: which URI schemes a
 * pin's `uri` may have (from the store and KServe code, never copied here) and, for `slipway check`, that
 * each pinned model exists in the repository.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { KSERVE_SCHEMES } from '../serve/kserve.js';
import { STORE_SCHEMES } from '../store/open.js';
import { uriScheme } from './paths.js';
import type { EnvironmentSpec, PinnedVersion } from './types.js';
import { issueAt, type ParsedYaml } from './yaml-file.js';

/** Schemes a pin's `uri` may have: a model store Slipway publishes to, or a location KServe downloads from. */
export function pinUriSchemes(): string[] {
  return [...new Set([...STORE_SCHEMES, ...KSERVE_SCHEMES])];
}

function pins(spec: EnvironmentSpec): { model: string; role: string[]; pin: PinnedVersion }[] {
  return Object.entries(spec.models ?? {}).flatMap(([model, m]) => [
    { model, role: [] as string[], pin: m as PinnedVersion },
    ...(m.canary ? [{ model, role: ['canary'], pin: m.canary }] : []),
    ...(m.shadow ? [{ model, role: ['shadow'], pin: m.shadow }] : []),
  ]);
}

/** Every pin's `uri` must name a scheme Slipway's stores or KServe understand (`promote` writes the store's). */
export function pinUriIssues(parsed: ParsedYaml, spec: EnvironmentSpec): ConfigIssue[] {
  const schemes = pinUriSchemes();
  const stores = STORE_SCHEMES.map((s) => s + '://').join(', ');
  const kserve = KSERVE_SCHEMES.map((s) => s + '://').join(', ');
  const issues: ConfigIssue[] = [];
  for (const { model, role, pin } of pins(spec)) {
    if (pin.uri === undefined) continue;
    const scheme = uriScheme(pin.uri);
    if (scheme && schemes.includes(scheme)) continue;
    const path = ['models', model, ...role, 'uri'];
    const got = scheme ? `the scheme '${scheme}://' in '${pin.uri}'` : `'${pin.uri}', which has no scheme`;
    issues.push(issueAt(parsed, path, `expected the URI of a model store (${stores}) or of a location KServe can download (${kserve}), got ${got}`));
  }
  return issues;
}

/** The model directories under models/, or null when the repository has no models/ directory. */
export function modelNames(repoRoot: string): string[] | null {
  const dir = join(repoRoot, 'models');
  try {
    return readdirSync(dir)
      .filter((n) => !n.startsWith('.') && isDir(join(dir, n)))
      .sort();
  } catch {
    return null;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Each model the environment pins has a models/<name>/ directory (`known`: the repository's modelNames). A
 * repository with no models/ at all (one that only deploys packages trained elsewhere) is not held to this.
 */
export function pinnedModelIssues(known: string[] | null, parsed: ParsedYaml, spec: EnvironmentSpec): ConfigIssue[] {
  if (known === null) return [];
  return Object.keys(spec.models ?? {})
    .filter((model) => !known.includes(model))
    .map((model) => issueAt(parsed, ['models', model], `model '${model}' has no directory models/${model}/ in this repository (models: ${known.join(', ') || 'none'})`, true));
}

/** The environments with a manifest in environments/ (names of its *.yaml entries), sorted. */
export function environmentNames(repoRoot: string): string[] {
  const dir = join(repoRoot, 'environments');
  if (!existsSync(dir)) return [];
  try {
    return environmentsIn(readdirSync(dir));
  } catch {
    return [];
  }
}

/** The environments that the entries of an environments/ directory (on disk or at a commit) are the manifests of, sorted. */
export function environmentsIn(entries: string[]): string[] {
  return entries
    .filter((n) => n.endsWith('.yaml') && !n.startsWith('.'))
    .map((n) => n.slice(0, -'.yaml'.length))
    .sort();
}
