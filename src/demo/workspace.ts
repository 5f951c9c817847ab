import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from '../gitops/git.js';

/** The Slipway checkout the demo copies its example from (works from src/ and dist/). */
export const SLIPWAY_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Workspace {
  root: string;
  /** the bare "GitHub" remote */
  remote: string;
  /** the team's clone, where commands run */
  clone: string;
  store: string;
  logs: string;
  env: NodeJS.ProcessEnv;
}

const IDENTITY = { GIT_AUTHOR_NAME: 'Ada Lovelace', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada Lovelace', GIT_COMMITTER_EMAIL: 'ada@example.com' };

/**
 * A temporary GitOps repository: a bare remote standing in for GitHub and a clone holding the example
 * model and both environments, as a team's repository would after adopting Slipway.
 */
export async function createWorkspace(base?: string): Promise<Workspace> {
  const root = await mkdtemp(join(base ?? tmpdir(), 'slipway-demo-'));
  const remote = join(root, 'remote.git');
  const clone = join(root, 'repo');
  // the store where commands run in the clone look by default (.slipway/store, ignored by git), so a kept repository works as it is
  const store = join(clone, '.slipway', 'store');
  const ws: Workspace = {
    root,
    remote,
    clone,
    store,
    logs: join(root, 'prediction-logs'),
    env: { ...process.env, ...IDENTITY, SLIPWAY_STORE: store, GITHUB_ACTIONS: '', GITHUB_TOKEN: '', SLIPWAY_GITHUB_TOKEN: '' },
  };
  await git(root, ['init', '-q', '--bare', '-b', 'main', remote]);
  await git(root, ['clone', '-q', remote, clone]);
  for (const rel of ['models/credit-risk/model.yaml', 'models/credit-risk/schema.json', 'environments/staging.yaml', 'environments/production.yaml']) {
    await mkdir(dirname(join(clone, rel)), { recursive: true });
    await copyFile(join(SLIPWAY_ROOT, rel), join(clone, rel));
  }
  await writeFile(join(clone, '.gitignore'), 'models/*/data/\n.slipway/\n');
  await gitIn(ws, ['add', '-A']);
  await gitIn(ws, ['commit', '-q', '-m', 'Adopt Slipway: the credit-risk model and its environments']);
  await gitIn(ws, ['push', '-q', 'origin', 'main']);
  return ws;
}

export function gitIn(ws: Workspace, args: string[]): Promise<string> {
  return git(ws.clone, ['-c', 'user.name=Ada Lovelace', '-c', 'user.email=ada@example.com', ...args], { env: IDENTITY });
}

/** What pressing "Merge pull request" does: a merge commit of the PR branch into main, pushed. */
export async function mergePullRequest(ws: Workspace, branch: string, number: number, approver = 'grace'): Promise<string> {
  await gitIn(ws, ['fetch', '-q', 'origin']);
  await gitIn(ws, ['checkout', '-q', 'main']);
  await gitIn(ws, ['merge', '-q', '--ff-only', 'origin/main']);
  await git(ws.clone, ['-c', `user.name=${approver}`, '-c', `user.email=${approver}@example.com`, 'merge', '-q', '--no-ff', `origin/${branch}`, '-m', `Merge pull request #${number} from acme/${branch}`], {
    env: { GIT_COMMITTER_NAME: approver, GIT_COMMITTER_EMAIL: `${approver}@example.com`, GIT_AUTHOR_NAME: approver, GIT_AUTHOR_EMAIL: `${approver}@example.com` },
  });
  await gitIn(ws, ['push', '-q', 'origin', 'main']);
  return (await gitIn(ws, ['rev-parse', 'HEAD'])).trim();
}

/** What --keep prints: where the repository, its store and its stand-in for GitHub are, and a command to try there. */
export function keptNote(ws: Workspace): string {
  const cli = join(SLIPWAY_ROOT, 'bin', 'slipway.js');
  return [
    `The repository is kept at ${ws.clone}`,
    `(its model store in .slipway/store, where slipway looks by default; its stand-in for GitHub at ${ws.remote};`,
    `the prediction logs at ${ws.logs}). Try:`,
    `  cd ${ws.clone} && git log --oneline && node ${cli} audit --env production`,
  ].join('\n');
}
