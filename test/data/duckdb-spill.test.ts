import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp.js';

describe('openDuckDB spilling', () => {
  it('spills under the system temporary directory, not into the current directory, and the spill goes when the process exits', () => {
    const { dir: cwd } = tempDir('slipway-spill-cwd-');
    const { dir: tmp } = tempDir('slipway-spill-tmp-');
    // a sort of ≈ 200 MB of strings under a 64 MB limit: DuckDB must spill
    const script = `
      import { existsSync } from 'node:fs';
      import { openDuckDB, spillDir } from ${JSON.stringify(join(process.cwd(), 'src', 'data', 'duckdb.ts'))};
      const conn = await openDuckDB({ memoryLimit: '64MB', threads: 1 });
      await conn.run('CREATE TABLE x AS SELECT md5(range::varchar) || md5((range + 1)::varchar) AS s FROM range(3000000)');
      await conn.runAndReadAll('SELECT count(*) FROM (SELECT s FROM x ORDER BY s)');
      console.log(JSON.stringify({ dir: spillDir(), spilled: existsSync(spillDir()) }));
      conn.closeSync();`;
    // tsx by its path: the child runs in a directory outside the project
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const out = execFileSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { cwd, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
    const { dir, spilled } = JSON.parse(out.trim().split('\n').pop()!) as { dir: string; spilled: boolean };
    expect(dir.startsWith(tmp + '/')).toBe(true);
    expect(spilled).toBe(true);
    expect(existsSync(join(cwd, '.tmp'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('its cleanup at exit never throws: a TMPDIR that is a file leaves the exit code and stderr to what ran', () => {
    const t = tempDir('slipway-spill-file-');
    const file = t.write('not-a-dir', '');
    // set once the module is loaded: tsx itself keeps its cache under the temporary directory
    const script = `import { spillDir } from ${JSON.stringify(join(process.cwd(), 'src', 'data', 'duckdb.ts'))}; process.env.TMPDIR = ${JSON.stringify(file)}; spillDir(); console.log('done');`;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, 'done', '']);
  });
});
