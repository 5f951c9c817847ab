import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
// One hook per test file, registered as the file imports this module (vitest evaluates it once per file):
// a hook registered from inside a running test, where most tempDir() calls are, would never run.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory removed after the test file's tests; `write` creates files with parents. */
export function tempDir(prefix = 'slipway-'): { dir: string; write: (rel: string, text: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return {
    dir,
    write(rel, text) {
      const p = join(dir, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      return p;
    },
  };
}
