import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { makeDir, makeWritableDir } from '../../src/fs/make-dir.js';
import { tempDir } from '../support/tmp.js';

describe('makeDir', () => {
  it('creates missing parents, accepts an existing directory, and refuses a path through a file', async () => {
    const { dir } = tempDir('slipway-mkdir-');
    const deep = join(dir, 'a', 'b', 'c');
    await makeDir(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    await makeDir(deep);
    await makeWritableDir(join(dir, 'a'));
    writeFileSync(join(dir, 'file'), '');
    await expect(makeDir(join(dir, 'file', 'x'))).rejects.toMatchObject({ code: 'ENOTDIR', message: `ENOTDIR: ${join(dir, 'file')} is a file, not a directory` });
    expect(existsSync(join(dir, 'file', 'x'))).toBe(false);
  });

  // Node 20's mkdir(…, { recursive: true }) never settles here: a test of it would hang, not fail
  it.runIf(existsSync('/proc/self'))('fails (rather than hanging) where mkdir answers ENOENT for a parent that exists, and so does an atomic write there', async () => {
    await expect(makeDir('/proc/slipway-nope/a')).rejects.toMatchObject({ code: 'ENOENT' });
    // every atomic write makes its directory this way
    await expect(writeFileAtomic('/proc/slipway-nope/x.json', '{}')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
