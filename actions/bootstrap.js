// The first code an action runs: plain JavaScript with no dependencies, committed as is.
//
// Slipway's native dependencies (onnxruntime-node, @duckdb/node-api) cannot be bundled into one
// file, so on first use this installs the production dependencies with `npm ci` into the runner's
// tool cache (keyed by the package-lock.json hash, platform and Node version), links them in as
// node_modules next to the action, and then imports the entry point: dist/actions/<name>.js when
// the release built it, else the TypeScript source through tsx.
//
// Parallel jobs on one machine share the cache safely: one installs under a lock directory
// (mkdir is atomic) into a temporary directory that is renamed into place when complete; the
// others wait for it. Nothing here reads an input the action does not declare.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, appendFileSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STALE_LOCK_MS = 20 * 60 * 1000;

// The CLI's exit codes (src/errors.ts, src/cli/main.ts): 1 means "a check failed" (a gate, drift),
// so a crash must never exit 1, or a workflow would read a bug as a failed gate.
const EXIT_USAGE = 2; // the runner or the workflow must change something
const EXIT_INTERNAL = 70; // an unexpected exception: a bug in slipway

/** A problem with the runner or the install that the user can act on: exit 2, message only. */
export class SetupError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'SetupError';
  }
}

function escapeData(s) {
  return String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function input(name) {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** The dependencies are all there (and the CUDA provider when asked for). */
export function dependenciesPresent(root, cuda) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const nm = join(root, 'node_modules');
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (!existsSync(join(nm, dep, 'package.json'))) return false;
  }
  return !cuda || hasCudaProvider(nm);
}

function hasCudaProvider(nodeModules) {
  return existsSync(join(nodeModules, 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
}

/** The cache entry name: lock file hash, platform, Node ABI and flavour. */
export function cacheKey(root, cuda) {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex').slice(0, 16);
  return `${hash}-${process.platform}-${process.arch}-node${process.versions.modules}-${cuda ? 'cuda12' : 'cpu'}`;
}

/**
 * How to run npm: the npm-cli.js that ships beside this Node (the runner's own on Linux and macOS:
 * externals/node24/lib/node_modules/npm; a Windows install keeps it in node_modules/ beside
 * node.exe), run by this Node; else npm on PATH. On Windows that is npm.cmd, which Node spawns
 * only through a shell (EINVAL without one since Node 18.20.2 and 20.12.2); the arguments are
 * this file's own fixed words, so the shell parses nothing from outside.
 */
export function npmCommand(platform = process.platform, execPath = process.execPath) {
  const dir = dirname(execPath);
  for (const cli of [join(dir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js')]) {
    if (existsSync(cli)) return { file: execPath, pre: [cli], shell: false };
  }
  return platform === 'win32' ? { file: 'npm.cmd', pre: [], shell: true } : { file: 'npm', pre: [], shell: false };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withLock(lockDir, isDone, log, fn) {
  for (;;) {
    try {
      mkdirSync(lockDir);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (isDone()) return;
      let age = 0;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        continue; // released between the two calls
      }
      if (age > STALE_LOCK_MS) {
        log(`removing a stale install lock (${Math.round(age / 1000)} s old): ${lockDir}`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      await sleep(500);
      continue;
    }
    try {
      writeFileSync(join(lockDir, 'owner'), `${hostname()} ${process.pid}\n`);
      if (!isDone()) await fn();
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
    return;
  }
}

/**
 * The tokens a job can hold. onnxruntime-node's install script is third-party code and needs none
 * of them: with ACTIONS_RUNTIME_TOKEN it could write the repository's Actions cache, with the others
 * use the API. (npm runs with --ignore-scripts, so no package's code runs in it; it keeps what an
 * .npmrc may refer to.)
 */
export const WITHHELD_FROM_INSTALL_SCRIPT = ['INPUT_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN', 'SLIPWAY_GITHUB_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'];

/** The environment of a dependency's install script: `env` less the job's tokens. */
export function installScriptEnv(env) {
  const out = { ...env };
  for (const k of WITHHELD_FROM_INSTALL_SCRIPT) delete out[k];
  return out;
}

function install(dir, cuda, log) {
  const npm = npmCommand();
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: cuda ? 'cuda12' : 'skip', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  delete env.INPUT_TOKEN;
  const run = (args) => execFileSync(npm.file, [...npm.pre, ...args], { cwd: dir, env, stdio: ['ignore', 2, 2], shell: npm.shell });
  const flags = ['--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'];
  try {
    run(['ci', ...flags]);
  } catch {
    // A lock file written on one platform can miss another platform's optional packages; npm ci
    // refuses those. npm install resolves just them and keeps every version the lock pins.
    process.stdout.write(`::warning title=slipway::npm ci failed; retrying with npm install (the pinned versions of package-lock.json are kept)\n`);
    try {
      run(['install', '--no-save', ...flags]);
    } catch (e) {
      throw new SetupError(`installing Slipway's dependencies failed (npm install: ${e?.message ?? e}); npm's output is above`, { cause: e });
    }
  }
  if (cuda) {
    // --ignore-scripts skipped onnxruntime-node's postinstall; run it for the CUDA 12 provider only.
    log('installing the CUDA 12 execution provider of onnxruntime-node');
    try {
      execFileSync(process.execPath, [join('script', 'install.js')], { cwd: join(dir, 'node_modules', 'onnxruntime-node'), env: installScriptEnv(env), stdio: ['ignore', 2, 2] });
    } catch (e) {
      throw new SetupError(`installing the CUDA 12 provider of onnxruntime-node failed (${e?.message ?? e}); its output is above`, { cause: e });
    }
    if (!hasCudaProvider(join(dir, 'node_modules'))) throw new SetupError('onnxruntime-node did not install its CUDA 12 provider');
  }
}

/** Points root/node_modules at `target` atomically (a link created aside, then renamed over). */
function link(root, target) {
  const nm = join(root, 'node_modules');
  let st;
  try {
    st = lstatSync(nm);
  } catch {
    st = undefined;
  }
  if (st && !st.isSymbolicLink()) rmSync(nm, { recursive: true, force: true }); // an incomplete install
  const tmp = join(root, `.node_modules.${process.pid}.${Date.now()}`);
  symlinkSync(target, tmp, 'junction');
  renameSync(tmp, nm);
}

/**
 * Makes sure root/node_modules holds the production dependencies; installs them into the tool
 * cache on first use. Returns 'present', 'cached' or 'installed'.
 */
export async function ensureDependencies(root, { cuda = false, env = process.env, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  if (dependenciesPresent(root, cuda)) return 'present';
  if (cuda && !(process.platform === 'linux' && process.arch === 'x64')) {
    throw new SetupError(`gpu: cuda12 needs a Linux x64 runner; this one is ${process.platform}/${process.arch}`);
  }
  const key = cacheKey(root, cuda);
  const cacheRoot = writableCacheRoot(env, key, log);
  const target = join(cacheRoot, key);
  const complete = () => existsSync(join(target, '.complete'));
  let result = 'cached';
  if (!complete()) {
    await withLock(`${target}.lock`, complete, log, async () => {
      process.stdout.write(`::group::Installing Slipway's dependencies (first use on this runner; cached as ${key})\n`);
      const t0 = Date.now();
      try {
        const staging = mkdtempSync(`${target}.tmp-`);
        copyFileSync(join(root, 'package.json'), join(staging, 'package.json'));
        copyFileSync(join(root, 'package-lock.json'), join(staging, 'package-lock.json'));
        try {
          install(staging, cuda, log);
          writeFileSync(join(staging, '.complete'), `${new Date().toISOString()} ${hostname()}\n`);
          rmSync(target, { recursive: true, force: true }); // a half-written entry from a crashed run
          renameSync(staging, target);
        } catch (e) {
          rmSync(staging, { recursive: true, force: true });
          throw e;
        }
      } finally {
        process.stdout.write('::endgroup::\n');
      }
      log(`installed Slipway's dependencies in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      result = 'installed';
    });
  }
  link(root, join(target, 'node_modules'));
  if (!dependenciesPresent(root, cuda)) throw new SetupError(`the dependency cache ${target} is incomplete; delete it and re-run`);
  return result;
}

/** Why `dir` cannot be written (made if missing), or null when it can. */
function unwritable(dir) {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return null;
  } catch (e) {
    return `${e?.code ?? 'error'}: ${e?.message ?? e}`;
  }
}

/**
 * Where the dependencies are cached: RUNNER_TOOL_CACHE/slipway-deps (shared by the runner's jobs). A shared
 * cache mounted read-only (docs/gpu-runners.md, The tool cache) that lacks this release's entry, or one this
 * user cannot write, is not a bug: the job installs into its own RUNNER_TEMP instead (≈ 30 s), and says so.
 */
function writableCacheRoot(env, key, log) {
  const shared = join(env.RUNNER_TOOL_CACHE || join(tmpdir(), 'slipway-tool-cache'), 'slipway-deps');
  if (existsSync(join(shared, key, '.complete'))) return shared;
  const why = unwritable(shared);
  if (!why) return shared;
  const own = env.RUNNER_TEMP ? join(env.RUNNER_TEMP, 'slipway-deps') : null;
  if (!own) throw new SetupError(`the tool cache ${shared} cannot be written (${why}) and has no entry for this release (${key}); give RUNNER_TOOL_CACHE a writable directory`);
  const ownWhy = unwritable(own);
  if (ownWhy) throw new SetupError(`neither the tool cache ${shared} (${why}) nor this job's ${own} (${ownWhy}) can be written; give RUNNER_TOOL_CACHE a writable directory`);
  log(`notice: the tool cache ${shared} cannot be written (${why}) and has no entry for this release: installing into this job's ${own} instead`);
  return own;
}

/** Imports the action's entry point: the built one when there is one, else the sources via tsx. */
export async function loadEntry(root, entry) {
  const built = join(root, 'dist', 'actions', `${entry}.js`);
  if (existsSync(built) && !process.env.SLIPWAY_FROM_SOURCE) return import(pathToFileURL(built).href);
  const { register } = await import('tsx/esm/api'); // resolved from root/node_modules, linked above
  register();
  return import(pathToFileURL(join(root, 'src', 'actions', `${entry}.ts`)).href);
}

/** Sets the `exit-code` output every action declares, as the entry point would have. */
function setExitCodeOutput(code) {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  try {
    appendFileSync(file, `exit-code=${code}\n`);
  } catch {
    // the annotation and the step's exit code still say it
  }
}

/** The values of the `gpu` input that src/actions/run-action.ts accepts. */
const GPU_VALUES = ['cuda12', 'true', 'false', 'cpu'];

/**
 * Runs an action: `entry` names src/actions/<entry>.ts; `gpu` says whether the action declares a
 * `gpu` input (so that nothing undeclared is read). The entry point masks the token.
 *
 * The entry point turns every error a user can cause into an annotation and an exit code of its
 * own; what reaches the catch here is a setup problem (exit 2) or a bug (exit 70, as the CLI's
 * internal error, with the stack), never 1, which means a check failed.
 */
export async function runAction(entry, { gpu = false } = {}) {
  try {
    const wanted = gpu ? input('gpu') || 'false' : 'false';
    // Checked here too (the entry point checks it again), so that a typo fails before a first-use
    // install of the wrong flavour, not after it.
    if (!GPU_VALUES.includes(wanted)) throw new SetupError(`input 'gpu' must be 'cuda12' or 'false', got '${wanted}'`);
    const cuda = wanted === 'cuda12' || wanted === 'true';
    await ensureDependencies(ROOT, { cuda });
    const mod = await loadEntry(ROOT, entry);
    process.exitCode = await mod.run();
  } catch (e) {
    const setup = e instanceof SetupError;
    const code = setup ? EXIT_USAGE : EXIT_INTERNAL;
    const message = setup ? e.message : `internal error (a bug in slipway, please report it): ${e?.stack ?? e?.message ?? String(e)}`;
    process.stdout.write(`::error title=slipway::${escapeData(message)}\n`);
    setExitCodeOutput(code);
    process.exitCode = code;
  }
}
