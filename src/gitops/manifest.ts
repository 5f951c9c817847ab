import { isMap, isScalar, YAMLMap, type Document } from 'yaml';
import { ConfigError, InputError } from '../errors.js';
import { checkEnvironment } from '../spec/environment.js';
import type { EnvironmentModel, EnvironmentSpec, PinnedVersion } from '../spec/types.js';
import { parseYamlText } from '../spec/yaml-file.js';
import { detachAliasesInto, keepLayout } from './layout.js';
import { compareSemver } from './semver.js';

/**
 * Pure, comment-preserving edits of an environment manifest (environments/<env>.yaml):
 * manifest text + a change → new text, through the `yaml` Document API so that comments, key order
 * and quoting of everything not touched survive. Every result is re-checked with checkEnvironment.
 */

/** Pin a package: a full promotion (no weight, or 100) or a canary (weight 1–99). */
export interface PromoteChange {
  kind: 'promote';
  model: string;
  version: string;
  digest: string;
  uri?: string;
  weight?: number;
  /** allow a version that is not greater than the one pinned (an explicit override) */
  force?: boolean;
}

/** Set a model's whole entry (or remove it with `entry: null`): used by rollbacks. */
export interface SetChange {
  kind: 'set';
  model: string;
  entry: EnvironmentModel | null;
}

export type ManifestChange = PromoteChange | SetChange;

export interface ManifestEdit {
  text: string;
  spec: EnvironmentSpec;
  /** what was pinned before / after for this model (stable version; the canary separately) */
  before: EnvironmentModel | null;
  after: EnvironmentModel | null;
  /** the stable version the change moves away from (null for a first deployment) */
  from: string | null;
  /** the version the change is about (the promoted version, or the stable version after a set) */
  to: string | null;
  /** what happened, in words: 'promote' | 'canary' | 'complete-canary' | 'canary-weight' | 'set' | 'remove' */
  action: 'promote' | 'canary' | 'complete-canary' | 'canary-weight' | 'set' | 'remove';
  /** true when the manifest already said this (no commit needed) */
  unchanged: boolean;
  /** human notes, e.g. a canary dropped because a different version was fully promoted */
  notes: string[];
}

function entryOf(spec: EnvironmentSpec, model: string): EnvironmentModel | null {
  return spec.models?.[model] ?? null;
}

function pinned(version: string, digest: string, uri?: string): PinnedVersion {
  return uri ? { version, digest, uri } : { version, digest };
}

/** Parses and checks a manifest text; ConfigError with located issues when it is invalid. */
export function readManifest(text: string, env: string, display = `environments/${env}.yaml`): { spec: EnvironmentSpec; doc: Document } {
  const parsed = parseYamlText(text, display);
  return { spec: checkEnvironment(parsed, env), doc: parsed.doc };
}

/** The `models` mapping as a block map we can set into (a `models: {}` or `models:` placeholder becomes one). */
function modelsMap(doc: Document): YAMLMap {
  const current = doc.get('models', true);
  if (isMap(current) && current.items.length > 0) return current;
  const fresh = new YAMLMap();
  if (isMap(current)) {
    fresh.commentBefore = current.commentBefore;
    fresh.comment = current.comment;
  }
  doc.set('models', fresh);
  return fresh;
}

function setEntryFields(doc: Document, model: string, entry: PinnedVersion): void {
  const path = ['models', model];
  const existing = doc.getIn(path, true);
  if (!isMap(existing)) {
    const map = modelsMap(doc);
    map.set(model, doc.createNode(entry));
    return;
  }
  for (const key of ['version', 'digest', 'uri'] as const) {
    const v = entry[key];
    if (v === undefined) {
      existing.delete(key);
      continue;
    }
    const node = existing.get(key, true);
    // keep the node (and its comment) when present; only its value changes
    if (isScalar(node)) node.value = v;
    else existing.set(key, v);
  }
}

/** Applies one change to a manifest text. Throws InputError for a refused change, ConfigError if the input is invalid. */
export function editManifest(text: string, env: string, change: ManifestChange, display = `environments/${env}.yaml`): ManifestEdit {
  const { spec, doc } = readManifest(text, env, display);
  const reprinted = doc.toString({ lineWidth: 0 });
  detachAliasesInto(doc, ['models', change.model]);
  const before = entryOf(spec, change.model);
  const notes: string[] = [];
  let action: ManifestEdit['action'];
  let to: string | null;
  let unchanged = false;

  if (change.kind === 'set') {
    to = change.entry?.version ?? null;
    if (change.entry === null) {
      action = 'remove';
      if (before) {
        const map = doc.get('models', true);
        if (isMap(map)) map.delete(change.model);
      } else unchanged = true;
    } else {
      action = 'set';
      const e = change.entry;
      setEntryFields(doc, change.model, pinned(e.version, e.digest, e.uri));
      for (const extra of ['canary', 'shadow'] as const) {
        const v = e[extra];
        if (v) doc.setIn(['models', change.model, extra], doc.createNode(v));
        else if (doc.hasIn(['models', change.model, extra])) doc.deleteIn(['models', change.model, extra]);
      }
      unchanged = before !== null && JSON.stringify(normalize(before)) === JSON.stringify(normalize(e));
    }
  } else {
    const weight = change.weight ?? 100;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) throw new InputError(`--weight must be a whole number from 1 to 100, got ${String(change.weight)}`);
    to = change.version;
    const canary = before?.canary;
    const completing = !!canary && canary.digest === change.digest;
    if (canary && canary.version === change.version && canary.digest !== change.digest) {
      throw new InputError(`${change.model} ${change.version} is already the canary in ${env} with digest ${canary.digest}, not ${change.digest}: a version names one package`);
    }
    if (before && before.version === change.version && before.digest !== change.digest) {
      throw new InputError(`${change.model} ${change.version} is already pinned in ${env} with digest ${before.digest}, not ${change.digest}: a version names one package`);
    }
    if (before && !completing && before.digest !== change.digest && !change.force && compareSemver(change.version, before.version) <= 0) {
      throw new InputError(
        `refusing to promote ${change.model} ${change.version} to ${env}: ${before.version} is pinned there and versions only move forward (use 'slipway rollback' to go back, or --force to override)`,
      );
    }
    if (weight < 100) {
      if (!before) throw new InputError(`${change.model} has no stable version in ${env} yet: a canary needs one to split traffic with; promote without --weight first`);
      if (before.digest === change.digest) throw new InputError(`${change.model} ${change.version} is already the stable version in ${env}; it cannot also be its canary`);
      action = completing ? 'canary-weight' : 'canary';
      if (canary && !completing) notes.push(`replaces the canary ${canary.version} (weight ${canary.weight})`);
      unchanged = completing && canary.weight === weight;
      doc.setIn(['models', change.model, 'canary'], doc.createNode({ ...pinned(change.version, change.digest, change.uri ?? (completing ? canary.uri : undefined)), weight }));
    } else {
      action = completing ? 'complete-canary' : 'promote';
      unchanged = !!before && before.digest === change.digest && !canary;
      if (canary && !completing) notes.push(`drops the canary ${canary.version} (weight ${canary.weight}): ${change.version} replaces the stable version`);
      const uri = change.uri ?? (completing ? canary.uri : undefined);
      setEntryFields(doc, change.model, pinned(change.version, change.digest, uri));
      if (canary) doc.deleteIn(['models', change.model, 'canary']);
    }
  }

  // only the lines the edit changed are re-printed; every other byte is the original's
  const out = unchanged ? text : inLayoutOf(text, keepLayout(text.replace(/^\ufeff/, '').replace(/\r\n/g, '\n'), reprinted, doc.toString({ lineWidth: 0 })));
  let result: EnvironmentSpec;
  try {
    result = readManifest(out, env, display).spec;
  } catch (e) {
    if (e instanceof ConfigError) throw new InputError(`the edited manifest would not be valid:\n${e.message}`);
    throw e;
  }
  const after = entryOf(result, change.model);
  return { text: out, spec: result, before, after, from: before?.version ?? null, to, action, unchanged, notes };
}

/**
 * The edited text with the original's line endings and byte order mark: the YAML library writes LF and no
 * BOM, so a manifest saved on Windows (CRLF) would otherwise change on every line of the commit.
 */
function inLayoutOf(original: string, edited: string): string {
  const crlf = /\r\n/.test(original.slice(0, original.indexOf('\n') + 1));
  const text = crlf ? edited.replace(/\r?\n/g, '\r\n') : edited;
  return original.charCodeAt(0) === 0xfeff ? `\ufeff${text}` : text;
}

function normalize(e: EnvironmentModel): unknown {
  return {
    version: e.version,
    digest: e.digest,
    uri: e.uri ?? null,
    canary: e.canary ? { version: e.canary.version, digest: e.canary.digest, uri: e.canary.uri ?? null, weight: e.canary.weight } : null,
    shadow: e.shadow ? { version: e.shadow.version, digest: e.shadow.digest, uri: e.shadow.uri ?? null } : null,
  };
}
