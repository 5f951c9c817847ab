import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/tmp.js';

export const STAGING = `# Desired state of the staging deployment.
apiVersion: slipway/v1
kind: Environment
name: staging
promotion: push
models: {}
`;

export const PRODUCTION = `# Desired state of production. Merging a promotion PR is the approval.
apiVersion: slipway/v1
kind: Environment
name: production
promotion: pull-request # see .github/CODEOWNERS
models: {}
`;

export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

/** Local identity only: no global git config is touched. */
export function configure(repo: string, name = 'Ada Lovelace', email = 'ada@example.com'): void {
  sh(repo, 'config', 'user.name', name);
  sh(repo, 'config', 'user.email', email);
  sh(repo, 'config', 'commit.gpgsign', 'false');
}

export interface Repos {
  root: string;
  remote: string;
  a: string;
  b: string;
  clone: (name: string) => string;
}

/** A bare remote seeded with the two environments, and two clones of it. */
export function gitopsRepos(files: Record<string, string> = {}): Repos {
  const { dir } = tempDir('slipway-gitops-');
  const remote = join(dir, 'remote.git');
  sh(dir, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  const seed = join(dir, 'seed');
  sh(dir, 'init', '--quiet', '--initial-branch=main', seed);
  configure(seed, 'Seed', 'seed@example.com');
  const all = { 'environments/staging.yaml': STAGING, 'environments/production.yaml': PRODUCTION, 'README.md': '# models\n', ...files };
  for (const [p, t] of Object.entries(all)) {
    mkdirSync(join(seed, p, '..'), { recursive: true });
    writeFileSync(join(seed, p), t);
  }
  sh(seed, 'add', '.');
  sh(seed, 'commit', '--quiet', '-m', 'environments');
  sh(seed, 'remote', 'add', 'origin', remote);
  sh(seed, 'push', '--quiet', 'origin', 'main');
  const clone = (name: string) => {
    const d = join(dir, name);
    sh(dir, 'clone', '--quiet', remote, d);
    configure(d, name === 'b' ? 'Grace Hopper' : 'Ada Lovelace', name === 'b' ? 'grace@example.com' : 'ada@example.com');
    return d;
  };
  return { root: dir, remote, a: clone('a'), b: clone('b'), clone };
}

export const digest = (c: string) => `sha256:${c.repeat(64)}`;
