import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { fileSystemError } from '../../src/fs/fs-error.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { canMountTmpfs, withFullDisk } from './full-disk.js';

/** The error `f` throws. */
async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('fileSystemError', () => {
  it.skipIf(!canMountTmpfs)('a copy onto a full disk names where it was copying to, not the file it read', async () => {
    // copyFile's error names its source first: 'cannot copy to <the source>' for a full destination
    const t = tempDir('slipway-fserr-');
    const src = t.write('model.onnx', 'x'.repeat(2 << 20));
    await withFullDisk(async (disk) => {
      const e = await thrown(() => copyFile(src, join(disk, 'model.onnx')));
      expect(fileSystemError(e)?.message).toBe(`cannot copy to ${join(disk, 'model.onnx')}: no space left on the device (ENOSPC)`);
    });
    const missing = await thrown(() => copyFile(join(t.dir, 'nope'), join(t.dir, 'out')));
    expect(fileSystemError(missing)?.message).toBe(`cannot copy ${join(t.dir, 'nope')} to ${join(t.dir, 'out')}: no such file or directory (ENOENT)`);
  });

  it("names the path and the OS's reason for real refusals; a rename names where it was going, without a temporary suffix", async () => {
    const { dir } = tempDir('slipway-fserr-');
    mkdirSync(join(dir, 'out.csv'));
    writeFileSync(join(dir, 'file'), '');
    writeFileSync(join(dir, 'out.csv.tmp-0a1b2c'), 'x');
    const cases: [unknown, string][] = [
      [await thrown(() => renameSync(join(dir, 'out.csv.tmp-0a1b2c'), join(dir, 'out.csv'))), `cannot write ${join(dir, 'out.csv')}: it is a directory, expected a file (EISDIR)`],
      [await thrown(() => mkdir(join(dir, 'file'))), `cannot create the directory ${join(dir, 'file')}: it exists, and is not a directory (EEXIST)`],
      // GITHUB_STEP_SUMMARY in a directory that does not exist
      [await thrown(() => appendFileSync(join(dir, 'nope', 'summary.md'), 'x')), `cannot open ${join(dir, 'nope', 'summary.md')}: no such file or directory (ENOENT)`],
      [await thrown(() => writeFileSync(join(dir, 'file', 'x.json.tmp-ff00'), 'x')), `cannot open ${join(dir, 'file', 'x.json')}: a part of the path is a file, not a directory (ENOTDIR)`],
    ];
    for (const [e, message] of cases) {
      const mapped = fileSystemError(e);
      expect(mapped).toBeInstanceOf(InputError);
      expect(mapped?.message).toBe(message);
    }
    // not a refusal of a path: left alone (a bug stays a bug)
    expect(fileSystemError(new Error('x'))).toBeNull();
    expect(fileSystemError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }))).toBeNull();
  });

  it('the CLI answers such a refusal with exit 2 and no stack trace', async () => {
    const { dir } = tempDir('slipway-fserr-');
    mkdirSync(join(dir, 'data.csv'));
    const r = await runCli(['generate', '--out', 'data.csv', '--rows', '10'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: cannot write ${join(dir, 'data.csv')}: it is a directory, expected a file (EISDIR)\n`);
  });
});
