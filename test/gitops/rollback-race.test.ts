import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/gitops/manifest.js';
import { promoteToEnvironment, type GitOpsTarget } from '../../src/gitops/promote.js';
import { rollbackInEnvironment } from '../../src/gitops/rollback.js';
import { GitCliWriter } from '../../src/gitops/writer.js';
import { digest, gitopsRepos, sh } from './repos.js';

const target = (repo: string): GitOpsTarget & { writer: GitCliWriter } => ({ repoRoot: repo, branch: 'main', writer: new GitCliWriter(repo, 'origin') });
const atRemote = (remote: string) => readManifest(sh(remote, 'show', 'main:environments/staging.yaml'), 'staging').spec.models?.m;

/** Repositories where staging has promoted m 1.0.0 then 1.1.0, and a rollback target in clone a whose first landing attempt meets `race` (run once, from clone b) first. */
async function racedRollback(race: (b: string) => Promise<unknown>) {
  const r = gitopsRepos();
  await promoteToEnvironment(target(r.a), { env: 'staging', model: 'm', version: '1.0.0', digest: digest('a') });
  await promoteToEnvironment(target(r.a), { env: 'staging', model: 'm', version: '1.1.0', digest: digest('b') });
  const t = target(r.a);
  let raced = false;
  t.writer.beforeLanding = async () => {
    if (raced) return;
    raced = true;
    await race(r.b);
  };
  return { r, t };
}

describe('a rollback racing a promotion', () => {
  it('does not revert a promotion that landed while it was committing: it refuses, and the new version stays', async () => {
    // the rollback was re-planned on the new head and reverted the newest promotion instead: an operator
    // taking out a bad 1.1.0 while CI promoted 1.2.0 put 1.1.0 back into service
    const { r, t } = await racedRollback((b) => promoteToEnvironment(target(b), { env: 'staging', model: 'm', version: '1.2.0', digest: digest('c') }));
    await expect(rollbackInEnvironment(t, { env: 'staging', model: 'm' })).rejects.toThrow(
      /staging changed while rolling back: the last promotion of m is now 1\.1\.0 -> 1\.2\.0 \([0-9a-f]{7}\), not 1\.0\.0 -> 1\.1\.0 \([0-9a-f]{7}\); nothing was changed\. Run the rollback again if 1\.2\.0 is what should be taken out/,
    );
    expect(atRemote(r.remote)).toEqual({ version: '1.2.0', digest: digest('c') });
  });

  it('still lands after another model was promoted meanwhile, re-applied on the new head', async () => {
    const { r, t } = await racedRollback((b) => promoteToEnvironment(target(b), { env: 'staging', model: 'other', version: '3.0.0', digest: digest('d') }));
    const res = await rollbackInEnvironment(t, { env: 'staging', model: 'm' });
    expect(res.attempts).toBe(2);
    expect(res.message?.headline).toBe('rollback(staging): m 1.1.0 -> 1.0.0');
    const models = readManifest(sh(r.remote, 'show', 'main:environments/staging.yaml'), 'staging').spec.models;
    expect(models).toEqual({ m: { version: '1.0.0', digest: digest('a') }, other: { version: '3.0.0', digest: digest('d') } });
  });
});
