import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { fileSystemError } from '../../src/fs/fs-error.js';
import { tempDir } from '../support/tmp.js';
import { canMountTmpfs, withFullDisk } from './full-disk.js';

describe('writeFileAtomic', () => {
  it.skipIf(!canMountTmpfs)('a full disk is an input error naming the file; the old file stays and no temp file is left', async () => {
    // ENOSPC from write(2) carries no path: the CLI printed "internal error (a bug in slipway…)" with a stack
    await withFullDisk(async (dir) => {
      const file = join(dir, 'report.json');
      writeFileSync(file, 'old\n');
      const e = await writeFileAtomic(file, Buffer.alloc(2 << 20, 1)).then(
        () => null,
        (err: unknown) => err,
      );
      expect(fileSystemError(e)?.message).toBe(`cannot write ${file}: no space left on the device (ENOSPC)`);
      expect(readFileSync(file, 'utf8')).toBe('old\n');
      expect(readdirSync(dir)).toEqual(['report.json']);
    });
  });

  it("removes the file's temp files a killed process left once they are an hour old, and nothing else", async () => {
    const t = tempDir('slipway-atomic-');
    const old = new Date(Date.now() - 2 * 3600_000);
    const stale = t.write('report.json.tmp-0123456789ab', '{"half');
    utimesSync(stale, old, old);
    t.write('report.json.tmp-aaaaaaaaaaaa', '{"another writer, now');
    const other = t.write('summary.md.tmp-0123456789ab', '# half');
    utimesSync(other, old, old);
    await writeFileAtomic(join(t.dir, 'report.json'), '{}\n');
    expect(readdirSync(t.dir).sort()).toEqual(['report.json', 'report.json.tmp-aaaaaaaaaaaa', 'summary.md.tmp-0123456789ab']);
    expect(existsSync(stale)).toBe(false);
    expect(readFileSync(join(t.dir, 'report.json'), 'utf8')).toBe('{}\n');
  });
});

const canDropRoot = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('writeFileAtomic in a directory this user may write to but not list', () => {
  it.skipIf(!canDropRoot)('writes the file and succeeds: the directory is flushed where it can be opened, and only there', async () => {
    // the directory's fsync opened it for reading: in a -wx directory the file was written and the write reported failed
    const t = tempDir('slipway-atomic-');
    chmodSync(t.dir, 0o755);
    const dir = join(t.dir, 'drop');
    mkdirSync(dir, { mode: 0o333 });
    chmodSync(dir, 0o333);
    chownSync(dir, 65534, 65534);
    const script = join(t.dir, 'write.mts');
    writeFileSync(script, `import { writeFileAtomic } from ${JSON.stringify(join(process.cwd(), 'src/fs/atomic.ts'))};\nawait writeFileAtomic(${JSON.stringify(join(dir, 'x.json'))}, '{}\\n');\n`);
    chmodSync(script, 0o644);
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', script], { cwd: process.cwd(), stdio: 'pipe' });
    expect(readFileSync(join(dir, 'x.json'), 'utf8')).toBe('{}\n');
  });
});
