import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { gitopsRepos, sh } from '../gitops/repos.js';
import { writeTestPackage } from '../gitops/package.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME } as NodeJS.ProcessEnv;

describe('promote and rollback: the job summary shows the commit headline as escaped code', () => {
  it('the headline and the commit are <code> elements whose text is escaped, not backtick spans a backtick could end', async () => {
    const r = gitopsRepos();
    const p1 = writeTestPackage(join(r.root, 'pkg1'), 'credit-risk', '1.0.0');
    const p2 = writeTestPackage(join(r.root, 'pkg2'), 'credit-risk', '1.1.0');
    expect((await runCli(['promote', '--model', 'credit-risk', '--candidate', p1, '--env', 'staging'], r.a, env)).code).toBe(0);
    const a = await runCli(['promote', '--model', 'credit-risk', '--candidate', p2, '--env', 'staging'], r.a, env);
    expect(a.code, a.stderr).toBe(0);
    const head = sh(r.remote, 'rev-parse', 'main').trim();
    expect(a.summary).toBe(`### Promoted credit-risk 1.1.0 to staging\n\n<code>promote&#40;staging&#41;&#58; credit-risk 1.0.0 -&#62; 1.1.0</code> — commit <code>${head.slice(0, 7)}</code>\n`);
    const rb = await runCli(['rollback', '--env', 'staging', '--model', 'credit-risk'], r.a, env);
    expect(rb.code, rb.stderr).toBe(0);
    const after = sh(r.remote, 'rev-parse', 'main').trim();
    expect(rb.summary).toBe(`### Rolled back credit-risk in staging\n\n<code>rollback&#40;staging&#41;&#58; credit-risk 1.1.0 -&#62; 1.0.0</code> — commit <code>${after.slice(0, 7)}</code>\n`);
  });
});
