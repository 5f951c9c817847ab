import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, removeDir } from '../actions/support.js';

// scripts/release.mjs against a real git repository with a bare remote: it builds dist/, commits
// it on a release commit (not on the branch), tags vX.Y.Z, moves vX, pushes both atomically.

let tmp: string;
let work: string;
let remote: string;
const env = { ...process.env, GIT_AUTHOR_NAME: 'Release Bot', GIT_AUTHOR_EMAIL: 'bot@example.com', GIT_COMMITTER_NAME: 'Release Bot', GIT_COMMITTER_EMAIL: 'bot@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
const release = (...args: string[]) => spawnSync(process.execPath, ['scripts/release.mjs', ...args], { cwd: work, env, encoding: 'utf8' });

function setVersion(v: string): void {
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'slipway', version: v, type: 'module' }, null, 2) + '\n');
  git(work, 'commit', '-qam', `version ${v}`);
  git(work, 'push', '-q', 'origin', 'main');
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'slipway-release-'));
  remote = join(tmp, 'remote.git');
  work = join(tmp, 'work');
  git(tmp, 'init', '-q', '--bare', '-b', 'main', remote);
  mkdirSync(join(work, 'scripts'), { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  copyFileSync(join(REPO, 'scripts', 'release.mjs'), join(work, 'scripts', 'release.mjs'));
  // The project's build, reduced to what the release needs from it: a dist/ that depends on the sources.
  writeFileSync(
    join(work, 'scripts', 'build.mjs'),
    "import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';\nmkdirSync('dist/actions', { recursive: true });\nwriteFileSync('dist/actions/train.js', '// built from ' + readFileSync('src/train.ts', 'utf8'));\n",
  );
  mkdirSync(join(work, 'src'));
  writeFileSync(join(work, 'src', 'train.ts'), 'export const v = 1;\n');
  writeFileSync(join(work, '.gitignore'), 'dist/\nnode_modules/\n');
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'slipway', version: '1.0.0', type: 'module' }, null, 2) + '\n');
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'initial');
  git(work, 'remote', 'add', 'origin', remote);
  git(work, 'push', '-q', 'origin', 'main');
});
afterAll(() => removeDir(tmp));

const remoteTag = (tag: string) => git(remote, 'rev-parse', `refs/tags/${tag}^{commit}`);

describe('scripts/release.mjs', () => {
  it('releases 1.0.0: dist/ in a release commit on top of main, tags v1.0.0 and v1 pushed; the branch and tree untouched', () => {
    const head = git(work, 'rev-parse', 'HEAD');
    const r = release('--push');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('moved v1 -> v1.0.0');
    const commit = remoteTag('v1.0.0');
    expect(remoteTag('v1')).toBe(commit);
    expect(git(remote, 'rev-parse', `${commit}^`)).toBe(head);
    expect(git(remote, 'show', `${commit}:dist/actions/train.js`)).toBe('// built from export const v = 1;');
    expect(git(remote, 'rev-parse', 'refs/heads/main')).toBe(head); // main does not carry dist/
    expect(git(work, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(work, 'status', '--porcelain')).toBe('');
    expect(git(remote, 'cat-file', '-t', 'refs/tags/v1')).toBe('tag'); // annotated
  });

  it('a user checking out @v1 gets the built dist/', () => {
    const user = join(tmp, 'user');
    git(tmp, 'clone', '-q', '--branch', 'v1', remote, user);
    expect(readFileSync(join(user, 'dist', 'actions', 'train.js'), 'utf8')).toContain('built from');
  });

  it('1.1.0 moves v1 forward and leaves v1.0.0 where it was', () => {
    const before = remoteTag('v1.0.0');
    writeFileSync(join(work, 'src', 'train.ts'), 'export const v = 2;\n');
    git(work, 'commit', '-qam', 'train v2');
    setVersion('1.1.0');
    const r = release('--version', '1.1.0', '--push');
    expect(r.status, r.stderr).toBe(0);
    expect(remoteTag('v1')).toBe(remoteTag('v1.1.0'));
    expect(remoteTag('v1.0.0')).toBe(before);
    expect(git(remote, 'show', 'refs/tags/v1:dist/actions/train.js')).toContain('v = 2');
    expect(r.stdout).toContain('moved v1 -> v1.1.0 (was 1.0.0)');
  });

  it('refuses a version that is released already, a version package.json does not say, a dirty tree', () => {
    const again = release('--push');
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('tag v1.1.0 exists already');
    const other = release('--version', '1.2.0');
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('package.json says 1.1.0, not 1.2.0');
    writeFileSync(join(work, 'src', 'train.ts'), 'export const v = 3;\n');
    const dirty = release('--version', '1.1.0');
    expect(dirty.status).toBe(2);
    expect(dirty.stderr).toContain('uncommitted changes');
    git(work, 'checkout', '--', 'src/train.ts');
    expect(release('--version', 'one').stderr).toContain("'one' is not a semantic version");
  });

  it('a patch of an older line does not move the major tag backwards; a new major gets its own tag', () => {
    const v1 = remoteTag('v1');
    setVersion('1.0.1');
    const patch = release('--push');
    expect(patch.status, patch.stderr).toBe(0);
    expect(patch.stdout).toContain('left v1 at 1.1.0: 1.0.1 is not newer');
    expect(remoteTag('v1')).toBe(v1);
    expect(remoteTag('v1.0.1')).not.toBe(v1);
    setVersion('2.0.0');
    const major = release('--push');
    expect(major.status, major.stderr).toBe(0);
    expect(remoteTag('v2')).toBe(remoteTag('v2.0.0'));
    expect(remoteTag('v1')).toBe(v1);
  });

  it('without --push nothing leaves the machine', () => {
    setVersion('2.1.0');
    const r = release();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('not pushed; to publish: git push --atomic origin refs/tags/v2.1.0 +refs/tags/v2');
    expect(spawnSync('git', ['rev-parse', '-q', '--verify', 'refs/tags/v2.1.0'], { cwd: remote }).status).not.toBe(0);
    expect(git(work, 'rev-parse', 'refs/tags/v2^{commit}')).toBe(git(work, 'rev-parse', 'refs/tags/v2.1.0^{commit}'));
  });
});
