import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real full disk: a 1 MiB tmpfs mounted for `f` and unmounted after (needs root and mount(8); null where
 * the test cannot mount one, e.g. CI without root, and the test is skipped).
 */
export const canMountTmpfs: boolean = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

export async function withFullDisk<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  try {
    return await f(dir);
  } finally {
    execFileSync('umount', [dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `chattr +i` works here (root, on a file system with attributes: ext4, not tmpfs): even root may not write in an immutable directory. */
export const canMakeImmutable: boolean = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-immutable-'));
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** Runs `f` with `dir` immutable (EPERM for any entry made or removed in it, also for root), then makes it writable again. */
export async function withImmutable<T>(dir: string, f: () => Promise<T>): Promise<T> {
  execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
  try {
    return await f();
  } finally {
    execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
  }
}
