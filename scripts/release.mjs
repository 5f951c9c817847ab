#!/usr/bin/env node
// Cuts a release of the actions:
//   node scripts/release.mjs [--version X.Y.Z] [--remote origin] [--push] [--force-major]
//
// 1. refuses a dirty tree, a version that differs from package.json, or a tag that exists;
// 2. builds dist/ (scripts/build.mjs);
// 3. makes a release commit whose parent is HEAD and whose tree is HEAD's plus dist/ (dist/ is
//    git-ignored on branches; the commit is made with a temporary index, so neither the branch,
//    the index nor the working tree changes);
// 4. tags it vX.Y.Z and moves the major tag vX to it (not backwards: a patch of an older minor
//    leaves vX alone unless --force-major);
// 5. with --push, pushes both tags in one atomic push (the major tag forced).
// Users reference `uses: <owner>/<repo>/actions/<name>@v1`; the bootstrap then imports dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

class ReleaseError extends Error {}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/;

function git(args, opts = {}) {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim();
}

function tryGit(args) {
  try {
    return git(args);
  } catch {
    return undefined;
  }
}

export function parseVersion(v) {
  const m = SEMVER.exec(v);
  if (!m) throw new ReleaseError(`'${v}' is not a semantic version (X.Y.Z)`);
  return { major: +m[1], minor: +m[2], patch: +m[3], pre: m[4] };
}

/** -1, 0 or 1; a pre-release sorts before its release. */
export function compareVersions(a, b) {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (const k of ['major', 'minor', 'patch']) if (x[k] !== y[k]) return x[k] < y[k] ? -1 : 1;
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** The release version the major tag points at now, if any. */
function versionAtMajor(major) {
  const target = tryGit(['rev-parse', '-q', '--verify', `refs/tags/${major}^{commit}`]);
  if (!target) return undefined;
  const tags = (tryGit(['tag', '--points-at', target]) ?? '').split('\n').filter((t) => /^v\d+\.\d+\.\d+/.test(t) && SEMVER.test(t.slice(1)));
  tags.sort((a, b) => compareVersions(a.slice(1), b.slice(1)));
  return tags.at(-1)?.slice(1);
}

export function release(argv, log = (m) => console.log(m)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      version: { type: 'string' },
      remote: { type: 'string', default: 'origin' },
      push: { type: 'boolean', default: false },
      'force-major': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    log('usage: node scripts/release.mjs [--version X.Y.Z] [--remote origin] [--push] [--force-major]');
    return;
  }
  const root = git(['rev-parse', '--show-toplevel']);
  process.chdir(root);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const version = values.version ?? pkg.version;
  const v = parseVersion(version);
  if (version !== pkg.version) throw new ReleaseError(`package.json says ${pkg.version}, not ${version}: bump it in a commit first`);
  if (v.pre && !values['force-major']) log(`${version} is a pre-release: the major tag will not move`);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']);
  if (dirty) throw new ReleaseError(`the working tree has uncommitted changes:\n${dirty}`);
  const tag = `v${version}`;
  const major = `v${v.major}`;
  if (tryGit(['rev-parse', '-q', '--verify', `refs/tags/${tag}`])) throw new ReleaseError(`tag ${tag} exists already`);
  if (values.push && tryGit(['ls-remote', '--exit-code', '--tags', values.remote, `refs/tags/${tag}`]) !== undefined) {
    throw new ReleaseError(`tag ${tag} exists on ${values.remote} already`);
  }
  const head = git(['rev-parse', 'HEAD']);

  log(`building dist/ for ${tag} from ${head.slice(0, 12)}`);
  execFileSync(process.execPath, [join('scripts', 'build.mjs')], { stdio: 'inherit' });
  if (!existsSync('dist') || readdirSync('dist').length === 0) throw new ReleaseError('the build produced no dist/');

  // The release commit: HEAD's tree plus dist/, written through a temporary index.
  const tmp = mkdtempSync(join(tmpdir(), 'slipway-release-'));
  let commit;
  try {
    const env = { ...process.env, GIT_INDEX_FILE: join(tmp, 'index') };
    git(['read-tree', 'HEAD'], { env });
    git(['add', '--force', '--', 'dist'], { env });
    const tree = git(['write-tree'], { env });
    commit = git(['commit-tree', tree, '-p', head, '-m', `release: ${tag}\n\ndist/ built from ${head}.`]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  git(['tag', '-a', tag, commit, '-m', `Slipway ${tag}`]);
  log(`tagged ${tag} -> ${commit.slice(0, 12)}`);

  const current = versionAtMajor(major);
  const moveMajor = values['force-major'] || (!v.pre && (current === undefined || compareVersions(version, current) > 0));
  if (moveMajor) {
    git(['tag', '-f', '-a', major, commit, '-m', `Slipway ${major} (${tag})`]);
    log(`moved ${major} -> ${tag}${current ? ` (was ${current})` : ''}`);
  } else {
    log(`left ${major} at ${current ?? 'nothing'}: ${version} is not newer`);
  }

  if (values.push) {
    const refs = [`refs/tags/${tag}:refs/tags/${tag}`];
    if (moveMajor) refs.push(`+refs/tags/${major}:refs/tags/${major}`);
    git(['push', '--atomic', values.remote, ...refs]);
    log(`pushed ${moveMajor ? `${tag} and ${major}` : tag} to ${values.remote}`);
  } else {
    log(`not pushed; to publish: git push --atomic ${values.remote} refs/tags/${tag}${moveMajor ? ` +refs/tags/${major}` : ''}`);
  }
  return { tag, major: moveMajor ? major : undefined, commit };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    release(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ReleaseError) {
      console.error(`release: ${e.message}`);
      process.exitCode = 2;
    } else if (e?.stderr) {
      console.error(`release: ${e.message}\n${String(e.stderr)}`);
      process.exitCode = 1;
    } else {
      throw e;
    }
  }
}
