import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseYamlText } from '../spec/yaml-file.js';
import { gitMaybe } from './git.js';
import { bumpMinor, compareSemver, parseSemver } from './semver.js';

/**
 * Every version of `model` Slipway has seen, from ONE `git log` over all branches: the Slipway-Version
 * and Slipway-Rollback-Of trailers of promotion and rollback commits (with Slipway-Model: <model>),
 * plus every `version:` line added or removed under the model's entry in environments/*.yaml patches
 * (hand edits, block or flow style, canaries included), plus the manifests in the working tree
 * (uncommitted edits, a repository without commits) and `extra`.
 */
export async function knownVersions(repoRoot: string, model: string, extra: string[] = []): Promise<string[]> {
  const found = new Set<string>(extra.filter((v) => parseSemver(v)));
  const mark = '\u0001slipway-commit\u0001';
  const log = await gitMaybe(repoRoot, ['log', '--all', '-p', '--no-color', '--no-ext-diff', '-U1000', `--format=${mark}%n%(trailers:only,unfold)`, '--', 'environments/']);
  for (const chunk of (log ?? '').split(mark)) {
    const [trailerText, ...rest] = chunk.split('\ndiff --git ');
    fromTrailers(trailerText, model, found);
    fromPatch(rest.join('\n'), model, found);
  }
  try {
    for (const f of await readdir(join(repoRoot, 'environments'))) {
      if (!f.endsWith('.yaml')) continue;
      try {
        const parsed = parseYamlText(await readFile(join(repoRoot, 'environments', f), 'utf8'), f);
        const entry = (parsed.value as { models?: Record<string, { version?: unknown; canary?: { version?: unknown }; shadow?: { version?: unknown } }> })?.models?.[model];
        for (const v of [entry?.version, entry?.canary?.version, entry?.shadow?.version]) if (typeof v === 'string' && parseSemver(v)) found.add(v);
      } catch {
        /* an invalid manifest is reported by the commands that load it */
      }
    }
  } catch {
    /* no environments directory */
  }
  return [...found].sort(compareSemver);
}

function fromTrailers(text: string, model: string, found: Set<string>): void {
  const lines = text.split('\n').map((l) => /^([A-Za-z-]+):\s*(.+)$/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null);
  if (!lines.some((m) => m[1].toLowerCase() === 'slipway-model' && m[2].trim() === model)) return;
  for (const m of lines) {
    const k = m[1].toLowerCase();
    if ((k === 'slipway-version' || k === 'slipway-rollback-of') && parseSemver(m[2].trim())) found.add(m[2].trim());
  }
}

/** `version:` values under `<model>:` in a unified diff with full context (-U1000), old and new sides alike. */
function fromPatch(patch: string, model: string, found: Set<string>): void {
  const key = new RegExp(`^(\\s*)${model}:\\s*(.*)$`);
  const lines = patch.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^[ +-]/.test(lines[i]) || /^(\+\+\+|---) /.test(lines[i])) continue;
    const m = key.exec(lines[i].slice(1));
    if (!m) continue;
    const indent = m[1].length;
    // flow style on one line: `credit-risk: { version: 1.4.0, digest: …, canary: { version: 1.5.0, … } }`
    for (const v of m[2].matchAll(/\bversion:\s*["']?([0-9][^"',\s}]*)/g)) if (parseSemver(v[1])) found.add(v[1]);
    for (let j = i + 1; j < lines.length; j++) {
      if (!/^[ +-]/.test(lines[j])) break;
      const body = lines[j].slice(1);
      if (body.trim() === '' || body.trim().startsWith('#')) continue;
      if (body.length - body.trimStart().length <= indent) break;
      for (const v of body.matchAll(/\bversion:\s*["']?([0-9][^"',\s}]*)/g)) if (parseSemver(v[1])) found.add(v[1]);
    }
  }
}

/** The next version for a new package of `model`: a minor bump over the highest known, or 1.0.0. */
export async function nextVersion(repoRoot: string, model: string, extra: string[] = []): Promise<string> {
  const all = await knownVersions(repoRoot, model, extra);
  return all.length ? bumpMinor(all[all.length - 1]) : '1.0.0';
}
