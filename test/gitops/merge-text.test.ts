import { describe, expect, it } from 'vitest';
import { fileSystemError } from '../../src/fs/fs-error.js';
import { mergeText } from '../../src/gitops/repo.js';
import { canMountTmpfs, withFullDisk } from '../fs/full-disk.js';

describe('mergeText', () => {
  it('reverts a change as git revert computes it', async () => {
    expect(await mergeText('a\nB\nc\nD\n', 'a\nB\nc\nd\n', 'a\nb\nc\nd\n')).toEqual({ text: 'a\nb\nc\nD\n', conflicts: 0 });
  });

  it.skipIf(!canMountTmpfs)('a full temporary directory is an input error naming the file, not an internal error', async () => {
    // a rollback with /tmp full ended in "internal error (a bug in slipway…)": write(2)'s ENOSPC carries no path
    await withFullDisk(async (disk) => {
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = disk;
      try {
        const big = 'x'.repeat(1 << 20) + '\n';
        const e = await mergeText(big, big, big).then(() => null, (err: unknown) => err);
        expect(fileSystemError(e)?.message).toMatch(new RegExp(`^cannot write ${disk}/slipway-merge-\\w+/(current|base|other): no space left on the device \\(ENOSPC\\)$`));
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
    });
  });
});
