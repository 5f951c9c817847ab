import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { ModelCard } from '../../src/package/card.js';
import { readPackage } from '../../src/package/read.js';
import { replaceProblem, writePackage } from '../../src/package/write.js';
import { writeTestPackage } from '../gitops/package.js';
import { tempDir } from '../support/tmp.js';

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
