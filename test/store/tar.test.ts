import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { tarDirectory, untar } from '../../src/store/tar.js';
import { tempDir } from '../support/tmp.js';

/** The archive's entries without its two end blocks, for splicing archives together. */
async function entries(t: ReturnType<typeof tempDir>, files: Record<string, string>): Promise<Buffer> {
  const dir = join(t.dir, `src-${Math.random().toString(16).slice(2)}`);
  for (const [name, text] of Object.entries(files)) t.write(join(dir.slice(t.dir.length + 1), name), text);
  const tar = await tarDirectory(dir);
  return tar.subarray(0, tar.length - 1024);
}

describe('untar refuses an archive that names a path twice', () => {
  // a duplicate entry (or a file where a later entry needs a directory) failed on the second write with a raw
  // EEXIST, which the CLI showed as "cannot open <cache>/.download-<hex>/model.onnx: it exists, and is not a
  // directory": neither the asset nor what is wrong with it
  it.each<[string, Record<string, string>[], string]>([
    ['the same file twice', [{ 'model.onnx': 'one' }, { 'model.onnx': 'two' }], 'asset x.tar: "model.onnx" appears twice in the archive; a package names each file once'],
    ['a file under a file', [{ a: 'file' }, { 'a/b': 'under it' }], 'asset x.tar: "a/b" lies under "a", which is a file in the archive'],
    ['a file where a directory was', [{ 'a/b': 'under it' }, { a: 'file' }], 'asset x.tar: "a" is a file, and also a directory of other entries in the archive'],
  ])('%s', async (_, parts, message) => {
    const t = tempDir('slipway-tar-');
    const archive = Buffer.concat([...(await Promise.all(parts.map((p) => entries(t, p)))), Buffer.alloc(1024)]);
    const dest = join(t.dir, 'out');
    mkdirSync(dest);
    const e = await untar(archive, dest, 'asset x.tar').then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toBe(message);
  });

  it('a "./" prefix names the same file', async () => {
    const t = tempDir('slipway-tar-');
    const one = await entries(t, { 'model.onnx': 'one' });
    const dotted = Buffer.from(one);
    // rename the entry to ./model.onnx and fix its checksum
    dotted.fill(0, 0, 100);
    dotted.write('./model.onnx', 0);
    dotted.write('        ', 148);
    let sum = 0;
    for (const b of dotted.subarray(0, 512)) sum += b;
    dotted.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    const dest = join(t.dir, 'out');
    mkdirSync(dest);
    await expect(untar(Buffer.concat([one, dotted, Buffer.alloc(1024)]), dest)).rejects.toThrow('archive: "model.onnx" appears twice in the archive');
  });
});
