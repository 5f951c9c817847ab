import { appendFileSync, existsSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, IntegrityError } from '../../src/errors.js';
import { FileStore } from '../../src/store/file-store.js';
import { openStore, storeLocation } from '../../src/store/open.js';
import { packageDigest } from '../../src/store/digest.js';
import { tempDir } from '../support/tmp.js';
import { canMakeImmutable, canMountTmpfs, withFullDisk, withImmutable } from '../fs/full-disk.js';

function makePackage(t: ReturnType<typeof tempDir>, name: string, onnx = 'fake-onnx-bytes'): string {
  t.write(`${name}/model.onnx`, onnx);
  t.write(`${name}/slipway.json`, JSON.stringify({ name: 'credit-risk', version: '1.0.0' }));
  return join(t.dir, name);
}

describe('FileStore', () => {
  it('round-trips a package: put returns its digest, get returns a verified copy with the same bytes', async () => {
    const t = tempDir();
    const pkg = makePackage(t, 'pkg');
    const store = new FileStore(join(t.dir, 'store'));
    const digest = await store.put(pkg);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digest).toBe(await packageDigest(pkg));
    const dir = await store.get(digest);
    expect(readFileSync(join(dir, 'model.onnx'), 'utf8')).toBe('fake-onnx-bytes');
    expect(await store.has(digest)).toBe(true);
    expect(await store.list()).toEqual([digest]);
    expect(await store.put(pkg)).toBe(digest); // idempotent
    expect(readdirSync(join(t.dir, 'store')).filter((n) => n.startsWith('.tmp-'))).toEqual([]); // no temp leftovers
  });

  it('the digest covers names and contents: a renamed or changed file changes it', async () => {
    const t = tempDir();
    const a = await packageDigest(makePackage(t, 'a'));
    const b = await packageDigest(makePackage(t, 'b', 'fake-onnx-bytez'));
    t.write('c/model2.onnx', 'fake-onnx-bytes');
    t.write('c/slipway.json', JSON.stringify({ name: 'credit-risk', version: '1.0.0' }));
    const c = await packageDigest(join(t.dir, 'c'));
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('refuses a tampered object on read and never returns it', async () => {
    const t = tempDir();
    const store = new FileStore(join(t.dir, 'store'));
    const digest = await store.put(makePackage(t, 'pkg'));
    appendFileSync(join(t.dir, 'store', 'sha256', digest.slice(7), 'model.onnx'), 'evil');
    await expect(store.get(digest)).rejects.toThrow(IntegrityError);
    await expect(store.get(digest)).rejects.toThrow(/does not verify/);
  });

  it('a tampered object is replaced by a good copy on the next put', async () => {
    const t = tempDir();
    const store = new FileStore(join(t.dir, 'store'));
    const pkg = makePackage(t, 'pkg');
    const digest = await store.put(pkg);
    writeFileSync(join(t.dir, 'store', 'sha256', digest.slice(7), 'slipway.json'), '{}');
    await store.put(pkg);
    expect(readFileSync(join(await store.get(digest), 'model.onnx'), 'utf8')).toBe('fake-onnx-bytes');
  });

  it('a file where an object belongs is replaced by the object on the next put', async () => {
    // the rename of the verified copy onto it failed with ENOTDIR, and the package could never be stored
    const t = tempDir();
    const pkg = makePackage(t, 'pkg');
    const digest = await packageDigest(pkg);
    t.write(`store/sha256/${digest.slice(7)}`, 'not a package');
    const store = new FileStore(join(t.dir, 'store'));
    expect(await store.put(pkg)).toBe(digest);
    expect(readFileSync(join(await store.get(digest), 'model.onnx'), 'utf8')).toBe('fake-onnx-bytes');
    expect(readdirSync(join(t.dir, 'store'))).toEqual(['sha256']);
  });

  it('concurrent puts of the same package all succeed, and readers never miss the object', async () => {
    // two promotions publishing the same package at once: each copied it and renamed it in, and the
    // loser's rename onto the winner's directory failed with a raw ENOTEMPTY
    const t = tempDir();
    const pkg = makePackage(t, 'pkg');
    const digest = await packageDigest(pkg);
    for (let round = 0; round < 5; round++) {
      const store = new FileStore(join(t.dir, `store-${round}`));
      expect(await Promise.all(Array.from({ length: 6 }, () => store.put(pkg)))).toEqual(Array(6).fill(digest));
      const reads = await Promise.all([...Array.from({ length: 4 }, () => store.put(pkg)), ...Array.from({ length: 20 }, () => store.get(digest))]);
      expect(reads.length).toBe(24);
      expect(readdirSync(join(t.dir, `store-${round}`)).filter((n) => n.startsWith('.'))).toEqual([]);
    }
  });

  it.skipIf(!canMountTmpfs)('a full disk is an input error naming the store, not the package copied; nothing is left in the store', async () => {
    // cp's ENOSPC names its source: the CLI said "cannot copy to <the package's model.onnx>"
    const t = tempDir();
    const pkg = makePackage(t, 'pkg', 'x'.repeat(2 << 20));
    await withFullDisk(async (disk) => {
      const store = new FileStore(join(disk, 'store'));
      const e = await store.put(pkg).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toBe(`cannot store ${pkg} in the store ${join(disk, 'store')}: no space left on the device (ENOSPC); nothing was stored`);
      expect(readdirSync(join(disk, 'store'))).toEqual(['sha256']);
      expect(readdirSync(join(disk, 'store', 'sha256'))).toEqual([]);
    });
  });

  it.skipIf(!canMakeImmutable)('a store this process may not write in is an input error naming the store, not its temporary copy', async () => {
    // cp's mkdir of the temporary copy failed: 'cannot create the directory <store>/: operation not permitted'
    const t = tempDir();
    const pkg = makePackage(t, 'pkg');
    const root = join(t.dir, 'store');
    t.write('store/sha256/.keep', '');
    await withImmutable(root, async () => {
      const e = await new FileStore(root).put(pkg).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toBe(`cannot store ${pkg} in the store ${root}: operation not permitted (EPERM); nothing was stored`);
    });
  });

  it('removes what a killed put left in the store once it is an hour untouched; a copy still being written stays', async () => {
    // a put killed (SIGKILL) between its copy and the rename left .tmp-<hex>/ in the store root, never removed
    const t = tempDir();
    const root = join(t.dir, 'store');
    const old = new Date(Date.now() - 2 * 3600_000);
    const aged = (p: string) => utimesSync(p, old, old);
    for (const name of ['.tmp-0123456789ab', '.trash-0123456789ab', '.download-0123456789ab']) {
      aged(t.write(`store/${name}/model.onnx`, 'half'));
      aged(join(root, name));
    }
    // another put's copy: its directory is old, the file in it is being written now
    t.write('store/.tmp-aaaaaaaaaaaa/model.onnx', 'being written');
    aged(join(root, '.tmp-aaaaaaaaaaaa'));
    const digest = await new FileStore(root).put(makePackage(t, 'pkg'));
    expect(readdirSync(root).sort()).toEqual(['.tmp-aaaaaaaaaaaa', 'sha256']);
    expect(await new FileStore(root).list()).toEqual([digest]);
  });

  it('an absent digest and a malformed digest are clear input errors', async () => {
    const t = tempDir();
    const store = new FileStore(join(t.dir, 'store'));
    await expect(store.get(`sha256:${'0'.repeat(64)}`)).rejects.toThrow(/is not in the store/);
    await expect(store.get('sha256:../../etc')).rejects.toThrow(InputError);
    await expect(store.get('sha256:../../etc')).rejects.toThrow(/invalid digest/);
  });

  it('refuses file names with control characters: a newline in a name could give two packages one digest', async () => {
    // the digest hashes '<hex>  <path>' lines: {a: X, b: Y} and {"a\n<sha256 of Y>  b": X} listed the same
    const t = tempDir();
    t.write('one/a', 'X');
    t.write('one/b', 'Y');
    const hexY = createHash('sha256').update('Y').digest('hex');
    t.write(`two/a\n${hexY}  b`, 'X');
    await packageDigest(join(t.dir, 'one'));
    await expect(packageDigest(join(t.dir, 'two'))).rejects.toThrow(InputError);
    await expect(packageDigest(join(t.dir, 'two'))).rejects.toThrow(`${JSON.stringify(`a\n${hexY}  b`)} in ${join(t.dir, 'two')}: a model package's file names may not hold control characters (a newline, a tab, …)`);
  });

  it('refuses packages containing links (no escaping the package through a symlink)', async () => {
    const t = tempDir();
    const pkg = makePackage(t, 'pkg');
    symlinkSync('/etc/passwd', join(pkg, 'passwd'));
    await expect(new FileStore(join(t.dir, 'store')).put(pkg)).rejects.toThrow(/only regular files/);
    expect(existsSync(join(t.dir, 'store', 'sha256'))).toBe(false);
  });
});

describe('store location', () => {
  it('is --store, else SLIPWAY_STORE, else .slipway/store in the repository', () => {
    expect(storeLocation('/x', { SLIPWAY_STORE: '/y' })).toBe('/x');
    expect(storeLocation(undefined, { SLIPWAY_STORE: '/y' })).toBe('/y');
    expect(storeLocation(undefined, {})).toBe('.slipway/store');
    const s = openStore('.slipway/store', '/repo') as FileStore;
    expect(s.root).toBe('/repo/.slipway/store');
    expect((openStore('file:///abs/store', '/repo') as FileStore).root).toBe('/abs/store');
    expect((openStore('file://rel/store', '/repo') as FileStore).root).toBe('/repo/rel/store');
    expect(() => openStore('ftp://x', '/repo')).toThrow("unsupported store 'ftp://x': expected a path or one of file://, github-release://");
    // a store the user did not type on the command line is named by the variable it came from
    expect(() => storeLocation(undefined, { SLIPWAY_STORE: 's3://bucket/x' })).toThrow("SLIPWAY_STORE: unsupported store 's3://bucket/x': expected a path or one of file://, github-release://");
    expect(storeLocation('file:///flag', { SLIPWAY_STORE: 's3://bucket/x' })).toBe('file:///flag');
    expect(storeLocation(undefined, { SLIPWAY_STORE: 'GitHub-Release://acme/models' })).toBe('GitHub-Release://acme/models');
  });
});
