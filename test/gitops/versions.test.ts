import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownVersions, nextVersion } from '../../src/gitops/versions.js';
import { promoteToEnvironment } from '../../src/gitops/promote.js';
import { rollbackInEnvironment } from '../../src/gitops/rollback.js';
import { GitCliWriter } from '../../src/gitops/writer.js';
import { digest, gitopsRepos, sh } from './repos.js';

describe('versions from history', () => {
  it('starts at 1.0.0 and bumps the minor over every version ever seen: rolled back, canaries, other branches, hand edits', async () => {
    const r = gitopsRepos();
    expect(await nextVersion(r.a, 'credit-risk')).toBe('1.0.0');
    const t = { repoRoot: r.a, branch: 'main', writer: new GitCliWriter(r.a, 'origin') };
    await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.0.0', digest: digest('a') });
    await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.1.0', digest: digest('b') });
    await promoteToEnvironment(t, { env: 'staging', model: 'credit-risk', version: '1.4.0', digest: digest('c'), weight: 5 });
    await rollbackInEnvironment(t, { env: 'staging', model: 'credit-risk' });
    await promoteToEnvironment(t, { env: 'staging', model: 'fraud', version: '7.0.0', digest: digest('d') });
    expect(await knownVersions(r.a, 'credit-risk')).toEqual(['1.0.0', '1.1.0', '1.4.0']);
    expect(await nextVersion(r.a, 'credit-risk')).toBe('1.5.0');
    expect(await nextVersion(r.a, 'fraud')).toBe('7.1.0');
    // a promotion PR branch that is not merged still reserves its version
    await promoteToEnvironment(t, { env: 'production', model: 'credit-risk', version: '1.5.0', digest: digest('e') });
    sh(r.a, 'fetch', '--quiet', 'origin');
    expect(await nextVersion(r.a, 'credit-risk')).toBe('1.6.0');
    // a hand edit in flow style, not committed yet
    writeFileSync(
      join(r.a, 'environments/production.yaml'),
      'apiVersion: slipway/v1\nkind: Environment\nname: production\npromotion: pull-request\nmodels:\n  credit-risk: { version: 2.3.0, digest: "' + digest('f') + '" }\n',
    );
    expect(await nextVersion(r.a, 'credit-risk')).toBe('2.4.0');
    expect(await nextVersion(r.a, 'credit-risk', ['3.0.1'])).toBe('3.1.0');
    // and the same edit committed on a side branch in flow style is found in the log
    sh(r.a, 'checkout', '--quiet', '-b', 'side');
    sh(r.a, 'commit', '--quiet', '-am', 'hand edit');
    sh(r.a, 'checkout', '--quiet', 'main');
    expect(await knownVersions(r.a, 'credit-risk')).toContain('2.3.0');
    expect(await knownVersions(r.a, 'credit')).toEqual([]);
  });

  it('ignores a version whose parts would round (above Number.MAX_SAFE_INTEGER): the next is not 100000000000000000000.1.0', async () => {
    const r = gitopsRepos();
    expect(await knownVersions(r.a, 'credit-risk', ['99999999999999999999.0.0', '1.2.0'])).toEqual(['1.2.0']);
    expect(await nextVersion(r.a, 'credit-risk', ['99999999999999999999.0.0'])).toBe('1.0.0');
  });
});
