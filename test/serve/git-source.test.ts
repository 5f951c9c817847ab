/**
 * GitSource against a real repository (bare remote + working clone): files read at a commit through the
 * long-lived `git cat-file --batch` equal `git show`'s, missing paths and directories are null, commits
 * fetched after the batch process started are readable, and the process restarts after close or a crash.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../../src/serve/cat-file.js';
import { GitSource } from '../../src/serve/git-source.js';
import { tempDir } from '../support/tmp.js';
import { git } from './fixtures.js';

const { dir } = tempDir('slipway-git-source-');
const remote = join(dir, 'remote.git');
const work = join(dir, 'work');
git(dir, 'init', '--quiet', '--bare', '-b', 'main', remote);
git(dir, 'clone', '--quiet', remote, work);
git(work, 'config', 'user.email', 't@example.com');
git(work, 'config', 'user.name', 'T');

function commit(files: Record<string, string>, message: string): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '-m', message);
  git(work, 'push', '--quiet', 'origin', 'HEAD:main');
}

const source = new GitSource(remote, 'main', join(dir, 'cache'));
afterAll(() => source.close());

describe('GitSource.show', () => {
  it('reads files at a commit as git show does; a missing path or a directory is null', async () => {
    const big = 'x'.repeat(300_000) + '\n';
    commit({ 'environments/staging.yaml': 'models: {}\n', 'models/a/model.yaml': 'name: a\n# Zürich ✓\n', 'models/a/big.txt': big, 'empty.txt': '' }, 'one');
    const c1 = await source.fetch();
    const reads = await Promise.all(['environments/staging.yaml', 'models/a/model.yaml', 'models/a/big.txt', 'empty.txt'].map((p) => source.show(c1, p)));
    expect(reads).toEqual(['models: {}\n', 'name: a\n# Zürich ✓\n', big, '']);
    expect(await source.show(c1, 'models/a/missing.yaml')).toBeNull();
    expect(await source.show(c1, 'models/a')).toBeNull();
    expect(await source.show(c1, 'models/a/model.yaml\nHEAD:empty.txt')).toBeNull();
    await expect(source.show('not-a-commit', 'x')).rejects.toThrow(/not a commit id/);
  });

  it('reads commits fetched after the batch process started, and after close', async () => {
    commit({ 'models/a/model.yaml': 'name: a\nversion: 2\n' }, 'two');
    const c2 = await source.fetch();
    expect(await source.show(c2, 'models/a/model.yaml')).toBe('name: a\nversion: 2\n');
    source.close();
    expect(await source.show(c2, 'empty.txt')).toBe('');
    commit({ 'models/b/model.yaml': 'name: b\n' }, 'three');
    const c3 = await source.fetch();
    expect(await source.show(c3, 'models/b/model.yaml')).toBe('name: b\n');
  });
});

describe('CatFileBatch', () => {
  it('fails pending reads when its git dies, and starts a new one for the next read', async () => {
    const c = git(work, 'rev-parse', 'HEAD').trim();
    const batch = new CatFileBatch(join(dir, 'cache'));
    try {
      expect((await batch.read(`${c}:models/b/model.yaml`))?.content.toString()).toBe('name: b\n');
      const first = batch.pid!;
      process.kill(first, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      const again = await batch.read(`${c}:models/b/model.yaml`);
      expect(again).toEqual({ type: 'blob', content: Buffer.from('name: b\n') });
      expect(batch.pid).not.toBe(first);
      await expect(batch.read('a\nb')).rejects.toThrow(/line break/);
    } finally {
      batch.close();
    }
  });
});

describe('GitSource.fetch', () => {
  it('a branch the repository does not have is named with the branches it has and the flag to use', async () => {
    commit({ 'models/c/model.yaml': 'name: c\n' }, 'four');
    git(work, 'push', '--quiet', 'origin', 'HEAD:release');
    const wrong = new GitSource(remote, 'master', join(dir, 'cache-wrong'));
    await expect(wrong.fetch()).rejects.toThrow("the repository has no branch 'master' (its branches: main, release): give the branch that holds environments/ with --branch");
    const empty = join(dir, 'empty.git');
    git(dir, 'init', '--quiet', '--bare', empty);
    await expect(new GitSource(empty, 'main', join(dir, 'cache-empty')).fetch()).rejects.toThrow("the repository has no branch 'main' (it has no branches yet)");
    wrong.close();
  });
});
