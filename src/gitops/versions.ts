import { gitMaybe } from './git.js';
import { bumpMinor, compareSemver, parseSemver } from './semver.js';

/**
 * Every version of `model` ever pinned in any environment, read from git history in one `git log`
 * (plus the working tree, for uncommitted manifests and a repo without commits).
 */
export async function knownVersions(repoRoot: string, model: string, extra: string[] = []): Promise<string[]> {
  const found = new Set<string>(extra.filter((v) => parseSemver(v)));
  const log = await gitMaybe(repoRoot, ['log', '--all', '--format=', '-p', '--no-color', '--', 'environments/']);
  const text = [log ?? ''];
  const { readdir, readFile } = await import('node:fs/promises');
  try {
    for (const f of await readdir(`${repoRoot}/environments`)) if (f.endsWith('.yaml')) text.push(await readFile(`${repoRoot}/environments/${f}`, 'utf8'));
  } catch {
    /* no environments directory */
  }
  // A model entry is `  <model>:` followed by indented `version: x.y.z` lines (its own and its canary's).
  const entry = new RegExp(`^[ +-]?(\\s*)${model.replace(/[-]/g, '\\-')}:\\s*$`);
  for (const chunk of text) {
    const lines = chunk.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = entry.exec(lines[i]);
      if (!m) continue;
      const indent = m[1].length;
      for (let j = i + 1; j < lines.length; j++) {
        const body = lines[j].replace(/^[ +-]/, '');
        if (body.trim() === '') continue;
        if (body.length - body.trimStart().length <= indent) break;
        const v = /^\s*version:\s*["']?([^"'\s#]+)/.exec(body);
        if (v && parseSemver(v[1])) found.add(v[1]);
      }
    }
  }
  return [...found].sort(compareSemver);
}

/** The next version for a new package of `model`: a minor bump over the highest known, or 1.0.0. */
export async function nextVersion(repoRoot: string, model: string, extra: string[] = []): Promise<string> {
  const all = await knownVersions(repoRoot, model, extra);
  return all.length ? bumpMinor(all[all.length - 1]) : '1.0.0';
}
