import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { canMountTmpfs, withFullDisk } from '../fs/full-disk.js';
import { gitopsRepos, sh } from './repos.js';
import { writeTestPackage } from './package.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME } as NodeJS.ProcessEnv;

describe('slipway promote with its store on a full disk', () => {
  it.skipIf(!canMountTmpfs)('exits 2 naming the store; nothing is committed and nothing is left in the store', async () => {
    const r = gitopsRepos();
    const pkg = writeTestPackage(join(r.root, 'pkg'), 'credit-risk', '1.0.0');
    const head = sh(r.remote, 'rev-parse', 'main').trim();
    await withFullDisk(async (disk) => {
      // fill it: the package's copy is what finds no space
      writeFileSync(join(disk, 'filler'), Buffer.alloc(1 << 20));
      const store = join(disk, 'store');
      const res = await runCli(['promote', '--model', 'credit-risk', '--candidate', pkg, '--env', 'staging', '--store', store], r.a, env);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`error: cannot store ${pkg} in the store ${store}: no space left on the device (ENOSPC); nothing was stored\n`);
      expect(res.stderr).not.toContain('internal error');
      expect(sh(r.remote, 'rev-parse', 'main').trim()).toBe(head);
      expect(readdirSync(store)).toEqual(['sha256']);
      expect(readdirSync(join(store, 'sha256'))).toEqual([]);
    });
  });
});
