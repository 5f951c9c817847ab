import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readEnv } from '../env.js';

/**
 * Uploads the package directory as a workflow artifact with @actions/artifact. The runtime token
 * it needs exists only inside node and docker actions (not in composite `run:` steps): without it
 * the upload is skipped with a notice, never failed.
 */
export async function uploadPackageArtifact(name: string, dir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<{ uploaded: boolean; id?: number }> {
  const e = readEnv(env);
  if (!e.githubActions) return { uploaded: false };
  if (!e.actionsRuntimeToken) {
    log('notice: ACTIONS_RUNTIME_TOKEN is not set (a composite step does not get it), so the package was not uploaded as an artifact; use the slipway train action (actions/train) to upload it');
    return { uploaded: false };
  }
  const { DefaultArtifactClient } = await import('@actions/artifact');
  const files = (await readdir(dir)).map((f) => join(dir, f));
  const r = await new DefaultArtifactClient().uploadArtifact(name, files, dir, { retentionDays: undefined });
  log(`uploaded artifact '${name}'${r.id ? ` (id ${r.id})` : ''}`);
  return { uploaded: true, id: r.id };
}
