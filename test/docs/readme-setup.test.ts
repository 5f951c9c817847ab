// The README's set-up commands are the first thing a newcomer runs on a fresh clone. On Linux x64 a plain
// `npm ci` runs onnxruntime-node's install script, which downloads the CUDA libraries from api.nuget.org and
// fails where that host cannot be reached; .ci/run skips it with ONNXRUNTIME_NODE_INSTALL=skip, and the
// README's commands must do what CI does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(join(REPO, file), 'utf8');

/** The lines of the first ```sh block under the README's "## Set up", comments dropped. */
function setUpCommands(): string[] {
  const readme = read('README.md');
  const section = readme.slice(readme.indexOf('\n## Set up\n'));
  const block = /```sh\n([\s\S]*?)\n```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

describe("the README's set-up commands", () => {
  const lines = setUpCommands();

  it('are found (a check of the reader)', () => {
    expect(lines.some((l) => l.includes('npm run demo'))).toBe(true);
    expect(lines.some((l) => /\bnpm test\b/.test(l))).toBe(true);
  });

  it('name npm scripts that package.json has', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = lines.flatMap((l) => [...l.matchAll(/\bnpm (?:run (\S+)|(test))\b/g)].map((m) => m[1] ?? m[2]));
    expect(named.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  it('install as .ci/run does: every npm ci runs with ONNXRUNTIME_NODE_INSTALL=skip', () => {
    const ci = read('.ci/run');
    expect(ci).toMatch(/^export ONNXRUNTIME_NODE_INSTALL=skip\b/m);
    const unskipped = lines.filter((l, i) => /\bnpm ci\b/.test(l) && !lines.slice(0, i + 1).some((p) => /(^|\s)(export )?ONNXRUNTIME_NODE_INSTALL=skip\b/.test(p)));
    expect(unskipped).toEqual([]);
  });

  it("say how to make the example model's data, which is not committed (a fresh clone's 'slipway validate --model credit-risk' finds no file)", () => {
    expect(read('.gitignore').split('\n')).toContain('models/*/data/');
    expect(read('README.md').replace(/\s+/g, ' ')).toContain('`npx slipway generate --model credit-risk`');
  });
});
