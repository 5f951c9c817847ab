import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import type { ModelCard } from '../../src/package/card.js';
import { readPackage } from '../../src/package/read.js';
import { replaceProblem, writePackage } from '../../src/package/write.js';
import { writeTestPackage } from '../gitops/package.js';
import { tempDir } from '../support/tmp.js';
import { canMakeImmutable, canMountTmpfs, withFullDisk, withImmutable } from '../fs/full-disk.js';

const { dir } = tempDir('slipway-write-pkg-');
const card = (version: string): ModelCard => JSON.parse(readFileSync(join(writeTestPackage(join(dir, `src-${version}`), 'm', version), 'slipway.json'), 'utf8')) as ModelCard;

describe('writePackage replaces only an earlier package', () => {
  it('writes a new directory, then replaces it with the next package', async () => {
    const dest = join(dir, 'new', 'pkg');
    await writePackage(dest, { bytes: Buffer.from('one') }, card('1.0.0'));
    await writePackage(dest, { bytes: Buffer.from('two') }, card('1.1.0'));
    expect((await readPackage(dest)).card.version).toBe('1.1.0');
    expect(readFileSync(join(dest, 'model.onnx'), 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'new'))).toEqual(['pkg']); // no temporary sibling left
  });

  it.skipIf(!canMountTmpfs)('a full disk is an input error naming the package directory; the earlier package stays whole', async () => {
    // ENOSPC from write(2) names no file: 'slipway train --out' on a full disk ended in "internal error (a bug in slipway…)"
    await withFullDisk(async (disk) => {
      const dest = join(disk, 'pkg');
      await writePackage(dest, { bytes: Buffer.from('one') }, card('1.0.0'));
      const e = await writePackage(dest, { bytes: Buffer.alloc(2 << 20, 1) }, card('1.1.0')).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toBe(`cannot write the package ${dest}: no space left on the device (ENOSPC); nothing there was replaced`);
      expect((await readPackage(dest)).card.version).toBe('1.0.0');
      expect(readFileSync(join(dest, 'model.onnx'), 'utf8')).toBe('one');
      expect(readdirSync(disk)).toEqual(['pkg']);
    });
  });

  it.skipIf(!canMakeImmutable)('a directory this process may not write in is an input error naming the package, not its hidden temporary', async () => {
    // mkdir of the temporary sibling failed: 'cannot create the directory <parent>/.pkg: operation not permitted'
    const parent = join(dir, 'locked');
    mkdirSync(parent, { recursive: true });
    await withImmutable(parent, async () => {
      const e = await writePackage(join(parent, 'pkg'), { bytes: Buffer.from('one') }, card('1.0.0')).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toBe(`cannot write the package ${join(parent, 'pkg')}: operation not permitted (EPERM); nothing there was replaced`);
    });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('removes the temporary siblings a killed write left once they are an hour untouched, and only those', async () => {
    // a write killed before its rename left .pkg.tmp-<hex>/ (or, between the two renames, .pkg.old-<hex>/) forever
    const parent = join(dir, 'killed');
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const name of ['.pkg.tmp-0123456789ab', '.pkg.old-0123456789ab', '.other.tmp-0123456789ab']) {
      mkdirSync(join(parent, name), { recursive: true });
      writeFileSync(join(parent, name, 'model.onnx'), 'half');
      utimesSync(join(parent, name, 'model.onnx'), old, old);
      utimesSync(join(parent, name), old, old);
    }
    mkdirSync(join(parent, '.pkg.tmp-aaaaaaaaaaaa')); // another writer's, now
    await writePackage(join(parent, 'pkg'), { bytes: Buffer.from('one') }, card('1.0.0'));
    expect(readdirSync(parent).sort()).toEqual(['.other.tmp-0123456789ab', '.pkg.tmp-aaaaaaaaaaaa', 'pkg']);
  });

  it('concurrent writers of one directory all succeed and leave one whole package, never a missing one', async () => {
    // the earlier package was removed and then the new one renamed in: a second writer's package landing in
    // between made the rename fail with a raw ENOTEMPTY, after the earlier package was already gone
    // (and a writer checking the directory while another swapped its package in read it as missing or not a package)
    const versions = ['1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.6.0'];
    const cards = versions.map(card);
    for (let round = 0; round < 10; round++) {
      const dest = join(dir, `race-${round}`, 'pkg');
      await writePackage(dest, { bytes: Buffer.from('v0') }, card('1.0.0'));
      const results = await Promise.allSettled(versions.map((v, i) => writePackage(dest, { bytes: Buffer.from(`model ${v}`) }, cards[i])));
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      const pkg = await readPackage(dest);
      expect(readFileSync(join(dest, 'model.onnx'), 'utf8')).toBe(`model ${pkg.card.version}`);
      expect(readdirSync(join(dir, `race-${round}`))).toEqual(['pkg']); // nothing set aside is left behind
    }
  });

  it('refuses a file or a directory of other files with a UsageError, and leaves them as they were', async () => {
    const file = join(dir, 'data.csv');
    writeFileSync(file, 'a,b\n');
    const other = join(dir, 'sources');
    mkdirSync(other);
    writeFileSync(join(other, 'model.yaml'), 'name: m\n');
    for (const [dest, pattern] of [
      [file, /data\.csv: refusing to write the package there: it is an existing file/],
      [other, /sources: refusing to write the package there: the directory holds model\.yaml/],
    ] as const) {
      const err = await writePackage(dest, { bytes: Buffer.from('x') }, card('1.0.0')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(pattern);
    }
    expect(readFileSync(file, 'utf8')).toBe('a,b\n');
    expect(readdirSync(other)).toEqual(['model.yaml']);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('replaceProblem: absent and empty are fine; a lone model.onnx or a foreign slipway.json is not a package', async () => {
    expect(await replaceProblem(join(dir, 'absent'))).toBeUndefined();
    mkdirSync(join(dir, 'empty'));
    expect(await replaceProblem(join(dir, 'empty'))).toBeUndefined();
    mkdirSync(join(dir, 'lone'));
    writeFileSync(join(dir, 'lone', 'model.onnx'), 'x');
    expect(await replaceProblem(join(dir, 'lone'))).toMatch(/no slipway\.json/);
    mkdirSync(join(dir, 'foreign'));
    writeFileSync(join(dir, 'foreign', 'slipway.json'), '[1, 2]');
    expect(await replaceProblem(join(dir, 'foreign'))).toMatch(/is not a package card/);
  });
});
