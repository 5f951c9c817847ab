import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, symlinkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cacheKey, ensureDependencies, loadEntry, npmCommand } from '../../actions/bootstrap.js';
import { REPO, parseOutputFile, removeDir } from './support.js';

// The first-use install, for real: npm ci runs into RUNNER_TOOL_CACHE and node_modules is linked
// in. No network: the dependency is a local git repository (git+file://), which npm clones.

const BOOTSTRAP = join(REPO, 'actions', 'bootstrap.js');
let tmp: string;
let depUrl: string;
let lock: string;
const pkgJson = (deps: Record<string, string>) => JSON.stringify({ name: 'fake-action', version: '1.0.0', type: 'module', dependencies: deps }, null, 2);

/** A fresh action checkout: package.json, package-lock.json and actions/bootstrap.js. */
function actionRoot(name: string, lockText = lock, deps: Record<string, string> = { 'tiny-dep': depUrl }): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'actions'), { recursive: true });
  copyFileSync(BOOTSTRAP, join(root, 'actions', 'bootstrap.js'));
  writeFileSync(join(root, 'package.json'), pkgJson(deps));
  writeFileSync(join(root, 'package-lock.json'), lockText);
  writeFileSync(join(root, 'check.mjs'), "import { hello } from 'tiny-dep';\nconsole.log(hello);\n");
  return root;
}

const quiet = { log: () => {} };
const works = (root: string) => execFileSync(process.execPath, ['check.mjs'], { cwd: root, encoding: 'utf8' }).trim();

function gitRepo(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'v1');
  return `git+${pathToFileURL(dir).href}`;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'slipway-bootstrap-'));
  depUrl = gitRepo(join(tmp, 'tiny-dep'), { 'package.json': JSON.stringify({ name: 'tiny-dep', version: '1.0.0', type: 'module', main: 'index.js' }), 'index.js': "export const hello = 'hi from tiny-dep';\n" });
  const seed = join(tmp, 'seed');
  mkdirSync(seed);
  writeFileSync(join(seed, 'package.json'), pkgJson({ 'tiny-dep': depUrl }));
  execFileSync(process.execPath, [join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), 'install', '--package-lock-only', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: seed, stdio: 'ignore' });
  lock = readFileSync(join(seed, 'package-lock.json'), 'utf8');
});
afterAll(() => removeDir(tmp));

describe('first use: dependencies installed into the tool cache and linked in', () => {
  let cache: string;
  let first: string;

  it('installs with npm ci into RUNNER_TOOL_CACHE/slipway-deps/<key>, links node_modules there, and the module imports', async () => {
    cache = join(tmp, 'tool-cache');
    first = actionRoot('first');
    expect(await ensureDependencies(first, { env: { RUNNER_TOOL_CACHE: cache }, ...quiet })).toBe('installed');
    const key = cacheKey(first, false);
    expect(key).toMatch(new RegExp(`^[0-9a-f]{16}-${process.platform}-${process.arch}-node${process.versions.modules}-cpu$`));
    expect(lstatSync(join(first, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(realpathSync(join(first, 'node_modules'))).toBe(realpathSync(join(cache, 'slipway-deps', key, 'node_modules')));
    expect(works(first)).toBe('hi from tiny-dep');
    expect(readdirSync(join(cache, 'slipway-deps'))).toEqual([key]); // no lock or staging left behind
    expect(existsSync(join(cache, 'slipway-deps', key, '.complete'))).toBe(true);
  });

  it('a second checkout with the same lock file reuses the cache without running npm', async () => {
    const second = actionRoot('second');
    expect(await ensureDependencies(second, { env: { RUNNER_TOOL_CACHE: cache }, ...quiet })).toBe('cached');
    expect(readlinkSync(join(second, 'node_modules'))).toBe(readlinkSync(join(first, 'node_modules')));
    expect(works(second)).toBe('hi from tiny-dep');
  });

  it('an installed checkout is used as it is', async () => {
    expect(await ensureDependencies(first, { env: { RUNNER_TOOL_CACHE: join(tmp, 'unused-cache') }, ...quiet })).toBe('present');
    expect(existsSync(join(tmp, 'unused-cache'))).toBe(false);
  });

  it('another lock file is another cache entry', async () => {
    const changed = JSON.parse(lock);
    changed.name = 'fake-action-2';
    const other = actionRoot('other', JSON.stringify(changed, null, 2));
    expect(await ensureDependencies(other, { env: { RUNNER_TOOL_CACHE: cache }, ...quiet })).toBe('installed');
    expect(readdirSync(join(cache, 'slipway-deps')).sort()).toEqual([cacheKey(first, false), cacheKey(other, false)].sort());
  });
});

describe('parallel jobs, stale locks and failures', () => {
  it('three jobs starting at once on an empty cache: one installs, the others wait and reuse it', async () => {
    const cache = join(tmp, 'parallel-cache');
    const roots = ['p1', 'p2', 'p3'].map((n) => actionRoot(n));
    const script = `import { ensureDependencies } from ${JSON.stringify(pathToFileURL(BOOTSTRAP).href)};\nprocess.stdout.write('RESULT ' + await ensureDependencies(process.argv[1], { log() {} }));`;
    const results = await Promise.all(
      roots.map(
        (root) =>
          new Promise<string>((resolve, reject) => {
            const c = spawn(process.execPath, ['--input-type=module', '-e', script, root], { env: { ...process.env, RUNNER_TOOL_CACHE: cache }, stdio: ['ignore', 'pipe', 'inherit'] });
            let out = '';
            c.stdout.on('data', (d) => (out += d));
            c.on('close', (code) => (code === 0 ? resolve(/RESULT (\w+)/.exec(out)?.[1] ?? out) : reject(new Error(`exit ${code}: ${out}`))));
          }),
      ),
    );
    expect(results.sort()).toEqual(['cached', 'cached', 'installed']);
    for (const root of roots) expect(works(root)).toBe('hi from tiny-dep');
    expect(readdirSync(join(cache, 'slipway-deps'))).toEqual([cacheKey(roots[0], false)]);
  });

  it('a lock left by a crashed job is taken over once it is stale', async () => {
    const cache = join(tmp, 'stale-cache');
    const root = actionRoot('stale');
    const lockDir = join(cache, 'slipway-deps', `${cacheKey(root, false)}.lock`);
    mkdirSync(lockDir, { recursive: true });
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(lockDir, hourAgo, hourAgo);
    const logs: string[] = [];
    expect(await ensureDependencies(root, { env: { RUNNER_TOOL_CACHE: cache }, log: (m) => logs.push(m) })).toBe('installed');
    expect(logs.join('\n')).toMatch(/removing a stale install lock \(\d+ s old\)/);
    expect(existsSync(lockDir)).toBe(false);
  });

  it('a lock file npm ci refuses (out of sync with package.json) falls back to npm install', async () => {
    const cache = join(tmp, 'fallback-cache');
    const extra = gitRepo(join(tmp, 'extra-dep'), { 'package.json': JSON.stringify({ name: 'extra-dep', version: '1.0.0' }), 'index.js': '' });
    const root = actionRoot('fallback', lock, { 'tiny-dep': depUrl, 'extra-dep': extra });
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      expect(await ensureDependencies(root, { env: { RUNNER_TOOL_CACHE: cache }, ...quiet })).toBe('installed');
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain('::warning title=slipway::npm ci failed; retrying with npm install');
    expect(written.join('')).toMatch(/::group::Installing Slipway's dependencies[^]*::endgroup::/);
    expect(works(root)).toBe('hi from tiny-dep');
    expect(existsSync(join(root, 'node_modules', 'extra-dep', 'package.json'))).toBe(true);
  });

  it('a failed install leaves no cache entry, no lock, no staging directory and no link', async () => {
    const cache = join(tmp, 'failed-cache');
    const broken = lock.split(depUrl.replace('git+', '')).join(pathToFileURL(join(tmp, 'no-such-repo')).href);
    const root = actionRoot('broken', broken, { 'tiny-dep': `git+${pathToFileURL(join(tmp, 'no-such-repo')).href}` });
    await expect(ensureDependencies(root, { env: { RUNNER_TOOL_CACHE: cache }, ...quiet })).rejects.toThrow();
    expect(readdirSync(join(cache, 'slipway-deps'))).toEqual([]);
    expect(existsSync(join(root, 'node_modules'))).toBe(false);
  });

  it("a tool cache that cannot be written and lacks this release's entry: the job installs into its own RUNNER_TEMP, and says so; with no RUNNER_TEMP a setup error names the cache", async () => {
    // a path that is a file stands for any cache this user cannot write (a read-only shared volume: EROFS)
    const cacheFile = join(tmp, 'cache-is-a-file');
    writeFileSync(cacheFile, '');
    const root = actionRoot('readonly-cache');
    const logs: string[] = [];
    const temp = join(tmp, 'job-temp');
    expect(await ensureDependencies(root, { env: { RUNNER_TOOL_CACHE: cacheFile, RUNNER_TEMP: temp }, log: (m) => logs.push(m) })).toBe('installed');
    expect(works(root)).toBe('hi from tiny-dep');
    expect(realpathSync(join(root, 'node_modules'))).toBe(realpathSync(join(temp, 'slipway-deps', cacheKey(root, false), 'node_modules')));
    expect(logs.join('\n')).toMatch(/^notice: the tool cache .*cache-is-a-file\/slipway-deps cannot be written \(ENOTDIR: .*installing into this job's .*job-temp\/slipway-deps instead$/m);
    const bare = actionRoot('readonly-cache-no-temp');
    const failed = ensureDependencies(bare, { env: { RUNNER_TOOL_CACHE: cacheFile }, ...quiet });
    await expect(failed).rejects.toMatchObject({ name: 'SetupError' });
    await expect(failed).rejects.toThrow(/the tool cache .*cache-is-a-file\/slipway-deps cannot be written \(ENOTDIR: .*give RUNNER_TOOL_CACHE a writable directory$/);
  });

  it("cuda12: onnxruntime-node's install script (third-party code) runs without the job's tokens", async () => {
    if (!(process.platform === 'linux' && process.arch === 'x64')) return; // cuda12 is Linux x64 only
    // a stand-in onnxruntime-node whose install script records its environment and "installs" the provider
    const script = [
      "import { mkdirSync, writeFileSync } from 'node:fs';",
      "writeFileSync(process.env.SLIPWAY_TEST_ENV_DUMP, JSON.stringify(Object.keys(process.env)));",
      "mkdirSync('bin/napi-v6/linux/x64', { recursive: true });",
      "writeFileSync('bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so', '');",
    ].join('\n');
    mkdirSync(join(tmp, 'fake-ort', 'script'), { recursive: true });
    const ortUrl = gitRepo(join(tmp, 'fake-ort'), { 'package.json': JSON.stringify({ name: 'onnxruntime-node', version: '1.0.0', type: 'module' }), 'script/install.js': script });
    const seed = join(tmp, 'seed-ort');
    mkdirSync(seed);
    writeFileSync(join(seed, 'package.json'), pkgJson({ 'onnxruntime-node': ortUrl }));
    execFileSync(process.execPath, [join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), 'install', '--package-lock-only', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: seed, stdio: 'ignore' });
    const root = actionRoot('cuda-tokens', readFileSync(join(seed, 'package-lock.json'), 'utf8'), { 'onnxruntime-node': ortUrl });
    const dump = join(tmp, 'ort-install-env.json');
    const tokens = ['INPUT_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN', 'SLIPWAY_GITHUB_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
    for (const k of tokens) vi.stubEnv(k, `secret-${k}`);
    vi.stubEnv('SLIPWAY_TEST_ENV_DUMP', dump);
    try {
      expect(await ensureDependencies(root, { cuda: true, env: { RUNNER_TOOL_CACHE: join(tmp, 'cuda-cache') }, ...quiet })).toBe('installed');
    } finally {
      vi.unstubAllEnvs();
    }
    const seen = JSON.parse(readFileSync(dump, 'utf8')) as string[];
    expect(seen).toContain('ONNXRUNTIME_NODE_INSTALL');
    expect(seen).toContain('PATH');
    expect(seen.filter((k) => tokens.includes(k))).toEqual([]);
  });

  it('cuda12 is refused off Linux x64 before anything is installed', async () => {
    if (process.platform === 'linux' && process.arch === 'x64') return; // installing the CUDA provider needs the network
    await expect(ensureDependencies(actionRoot('cuda'), { cuda: true, env: { RUNNER_TOOL_CACHE: join(tmp, 'cuda-cache') }, ...quiet })).rejects.toThrow('cuda12 needs a Linux x64 runner');
  });
});

describe('which npm installs', () => {
  it("the npm beside this Node, run by this Node (the runner's own on Linux)", () => {
    const npm = npmCommand();
    expect(npm.file).toBe(process.execPath);
    expect(npm.pre[0]).toMatch(/npm-cli\.js$/);
    expect(npm.shell).toBe(false);
  });

  it("Windows: npm-cli.js in node_modules beside node.exe; else npm.cmd through a shell (Node refuses to spawn a .cmd without one: EINVAL)", () => {
    const bare = join(tmp, 'win-bare');
    mkdirSync(bare, { recursive: true });
    expect(npmCommand('win32', join(bare, 'node.exe'))).toEqual({ file: 'npm.cmd', pre: [], shell: true });
    expect(npmCommand('linux', join(bare, 'node'))).toEqual({ file: 'npm', pre: [], shell: false });
    const installed = join(tmp, 'win-installed');
    mkdirSync(join(installed, 'node_modules', 'npm', 'bin'), { recursive: true });
    writeFileSync(join(installed, 'node_modules', 'npm', 'bin', 'npm-cli.js'), '');
    expect(npmCommand('win32', join(installed, 'node.exe'))).toEqual({ file: join(installed, 'node.exe'), pre: [join(installed, 'node_modules', 'npm', 'bin', 'npm-cli.js')], shell: false });
  });
});

describe('the entry point', () => {
  it('is the release build in dist/ when there is one, else the TypeScript source through tsx', async () => {
    const root = join(tmp, 'entry');
    mkdirSync(join(root, 'dist', 'actions'), { recursive: true });
    mkdirSync(join(root, 'src', 'actions'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'junction');
    writeFileSync(join(root, 'dist', 'actions', 'train.js'), 'export const run = async () => 11;\n');
    writeFileSync(join(root, 'src', 'actions', 'train.ts'), 'const code: number = 22;\nexport const run = async (): Promise<number> => code;\n');
    writeFileSync(join(root, 'src', 'actions', 'drift.ts'), 'const code: number = 33;\nexport const run = async (): Promise<number> => code;\n');
    expect(await (await loadEntry(root, 'train')).run()).toBe(11);
    expect(await (await loadEntry(root, 'drift')).run()).toBe(33); // no build of it: the source
  });
});

describe('what the step exits with when the action cannot run', () => {
  /** Runs runAction(entry) of root's bootstrap in a process of its own, as actions/<name>/index.js does. */
  function runEntry(root: string, entry: string, env: NodeJS.ProcessEnv = {}, opts: { gpu?: boolean } = {}) {
    const output = join(root, 'github-output');
    writeFileSync(output, '');
    const script = `import { runAction } from ${JSON.stringify(pathToFileURL(join(root, 'actions', 'bootstrap.js')).href)};\nawait runAction(${JSON.stringify(entry)}, ${JSON.stringify(opts)});\n`;
    const base = { ...process.env };
    delete base.SLIPWAY_FROM_SOURCE;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...base, GITHUB_OUTPUT: output, ...env }, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, output: parseOutputFile(readFileSync(output, 'utf8')) };
  }

  it('an unexpected exception is an internal error (70, as the CLI), never 1 (a failed check), annotated with its stack', () => {
    const root = actionRoot('crash', lock, {});
    mkdirSync(join(root, 'dist', 'actions'), { recursive: true });
    writeFileSync(join(root, 'dist', 'actions', 'crash.js'), "export const run = async () => { const o = undefined; return o.exitCode; };\n");
    const r = runEntry(root, 'crash');
    expect(r.status).toBe(70);
    const annotation = r.stdout.split('\n').find((l) => l.startsWith('::error title=slipway::'));
    expect(annotation).toMatch(/^::error title=slipway::internal error \(a bug in slipway, please report it\): TypeError: Cannot read properties of undefined.*%0A +at /);
    expect(r.output['exit-code']).toBe('70');
  });

  it('a failed install is a setup problem the user acts on: exit 2 with the message, no stack', () => {
    const missing = `git+${pathToFileURL(join(tmp, 'no-such-repo-either')).href}`;
    const root = actionRoot('install-fails', lock.split(depUrl.replace('git+', '')).join(missing.replace('git+', '')), { 'tiny-dep': missing });
    mkdirSync(join(root, 'dist', 'actions'), { recursive: true });
    writeFileSync(join(root, 'dist', 'actions', 'ok.js'), 'export const run = async () => 0;\n');
    const r = runEntry(root, 'ok', { RUNNER_TOOL_CACHE: join(tmp, 'install-fails-cache') });
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^::error title=slipway::installing Slipway's dependencies failed \(npm install: /m);
    expect(r.stdout).not.toContain('internal error');
    expect(r.output['exit-code']).toBe('2');
  });

  it('a gpu input that is not cuda12 or false fails before the first-use install, naming the input (exit 2)', () => {
    const root = actionRoot('gpu-typo');
    mkdirSync(join(root, 'dist', 'actions'), { recursive: true });
    writeFileSync(join(root, 'dist', 'actions', 'train.js'), 'export const run = async () => 0;\n');
    const cache = join(tmp, 'gpu-typo-cache');
    const r = runEntry(root, 'train', { RUNNER_TOOL_CACHE: cache, INPUT_GPU: 'CUDA 12' }, { gpu: true });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("::error title=slipway::input 'gpu' must be 'cuda12' or 'false', got 'CUDA 12'");
    expect(r.stdout).not.toContain('Installing');
    expect(existsSync(join(cache, 'slipway-deps')) ? readdirSync(join(cache, 'slipway-deps')) : []).toEqual([]);
    expect(r.output['exit-code']).toBe('2');
  });

  it("the entry point's own exit code is the step's", () => {
    const root = actionRoot('gate', lock, {});
    mkdirSync(join(root, 'dist', 'actions'), { recursive: true });
    writeFileSync(join(root, 'dist', 'actions', 'gate.js'), 'export const run = async () => 1;\n');
    expect(runEntry(root, 'gate').status).toBe(1);
  });
});
