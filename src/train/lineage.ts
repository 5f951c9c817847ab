import { VERSION } from '../version.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { git, gitMaybe } from '../gitops/git.js';
import { isRemote } from '../spec/paths.js';
import { fileSha256 } from '../store/digest.js';

/**
 * The commit training ran at, and whether the working tree had uncommitted changes. `problem` says why
 * there is no commit: not a repository, no commit yet, or git refusing the checkout (a self-hosted
 * runner's checkout owned by another user: git's "dubious ownership", with its safe.directory fix).
 */
export async function gitState(repoRoot: string): Promise<{ commit: string | null; dirty: boolean; branch: string | null; problem?: string }> {
  try {
    await git(repoRoot, ['rev-parse', '--is-inside-work-tree']);
  } catch (e) {
    return { commit: null, dirty: false, branch: null, problem: (e as Error).message };
  }
  const commit = (await gitMaybe(repoRoot, ['rev-parse', '--verify', '-q', 'HEAD']))?.trim() || null;
  const status = await gitMaybe(repoRoot, ['status', '--porcelain', '--untracked-files=normal']);
  const branch = (await gitMaybe(repoRoot, ['rev-parse', '--abbrev-ref', 'HEAD']))?.trim() || null;
  if (!commit) return { commit, dirty: status !== null && status.trim().length > 0, branch: null, problem: 'the repository has no commit yet' };
  return { commit, dirty: status === null ? false : status.trim().length > 0, branch: branch === 'HEAD' ? null : branch };
}

/** sha256:… of a local data file; null for remote data (its bytes are not ours to hash). */
export async function dataDigest(path: string): Promise<string | null> {
  if (isRemote(path)) return null;
  return `sha256:${await fileSha256(path)}`;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    const main = require.resolve(name);
    let dir = main;
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? null;
      } catch {
        /* keep climbing */
      }
    }
  } catch {
    /* not installed */
  }
  return null;
}

/** Versions of the tools that built and verified the package. */
export function toolVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node };
  out.slipway = VERSION;
  for (const p of ['onnxruntime-node', '@duckdb/node-api']) {
    const v = packageVersion(p);
    if (v) out[p] = v;
  }
  return out;
}
