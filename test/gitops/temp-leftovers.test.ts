import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles } from '../../src/gitops/repo.js';
import { tempDir } from '../support/tmp.js';
import { gitopsRepos, sh } from './repos.js';

describe('the temporary files of a killed promotion', () => {
  it("are removed by the next commit once an hour untouched; another run's, and anything else, stay", async () => {
    // commitFiles' index (slipway-index-<hex>) and mergeText's directory (slipway-merge-<6>) stayed in the
    // temporary directory forever when the process was killed between creating and removing them
    const r = gitopsRepos();
    const { dir: tmp } = tempDir('slipway-tmpdir-');
    const old = new Date(Date.now() - 2 * 3600_000);
    const make = (name: string, aged: boolean, isDir = false) => {
      const p = join(tmp, name);
      if (isDir) {
        mkdirSync(p);
        writeFileSync(join(p, 'current'), 'x');
        if (aged) utimesSync(join(p, 'current'), old, old);
      } else writeFileSync(p, 'index');
      if (aged) utimesSync(p, old, old);
    };
    make('slipway-index-0123456789abcdef', true);
    make('slipway-merge-a1B2c3', true, true);
    make('slipway-index-fedcba9876543210', false);
    make('someone-elses-file', true);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const head = sh(r.a, 'rev-parse', 'HEAD').trim();
      await commitFiles(r.a, head, { 'environments/staging.yaml': 'changed\n' }, 'test\n');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(tmp).sort()).toEqual(['slipway-index-fedcba9876543210', 'someone-elses-file']);
  });
});
