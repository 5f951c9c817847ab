import type { Dirent } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { ConfigError, InputError, SlipwayError, formatIssue, type ConfigIssue } from '../../errors.js';
import { loadModel } from '../../spec/model.js';
import { loadEnvironment } from '../../spec/environment.js';
import { modelNames, pinnedModelIssues } from '../../spec/environment-checks.js';
import { findRepoRoot } from '../../spec/repo.js';

/** What check will look at under models/ or environments/, and what it finds there that it cannot check. */
interface Found {
  names: string[];
  problems: string[];
}

async function entries(dir: string, shown: string, problems: string[]): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`${shown}: ${code === 'ENOTDIR' ? 'is a file, expected a directory' : `cannot read (${code ?? String(e)})`}`);
    return [];
  }
}

/** models/<name>/ directories (or links to one); a link to nothing is a problem, plain files are not models. */
async function findModels(root: string): Promise<Found> {
  const found: Found = { names: [], problems: [] };
  for (const e of await entries(join(root, 'models'), 'models', found.problems)) {
    if (e.isDirectory()) found.names.push(e.name);
    else if (e.isSymbolicLink()) {
      const target = await stat(join(root, 'models', e.name)).catch(() => null);
      if (target?.isDirectory()) found.names.push(e.name);
      else if (!target) found.problems.push(`models/${e.name}: a symbolic link to '${await readlink(join(root, 'models', e.name)).catch(() => '?')}', which does not exist`);
    }
  }
  return found;
}

/** Every environments/*.yaml entry, whatever it is (a directory or a dangling link is reported when loaded); *.yml is a problem. */
async function findEnvironments(root: string): Promise<Found> {
  const found: Found = { names: [], problems: [] };
  for (const e of await entries(join(root, 'environments'), 'environments', found.problems)) {
    if (e.name.endsWith('.yaml')) found.names.push(e.name.slice(0, -'.yaml'.length));
    else if (e.name.endsWith('.yml')) found.problems.push(`environments/${e.name}: not read: environment files are named <env>.yaml; rename it to ${e.name.slice(0, -'.yml'.length)}.yaml`);
  }
  return found;
}

async function assertDirectory(dir: string, given: string): Promise<void> {
  const st = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (st instanceof Error) throw new InputError(`--repo ${given}: ${st.code === 'ENOENT' ? 'no such directory' : `cannot read (${st.code ?? st.message})`}`);
  if (!st.isDirectory()) throw new InputError(`--repo ${given}: not a directory`);
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export const check: Command = {
  name: 'check',
  summary: 'Check model.yaml, schema.json and environment files against their schemas; report every problem at once.',
  options: {
    model: { type: 'string', value: '<name>', description: 'check only this model' },
    env: { type: 'string', value: '<env>', description: 'check only this environment' },
    repo: { type: 'string', value: '<dir>', description: 'repository root (default: found from the current directory)' },
  },
  details: [
    'Checks every models/<name>/ (model.yaml and its data contract, gate metric and fairness names,',
    'drift feature names) and every environments/<env>.yaml (pins, store URIs, pinned models that have',
    'no models/<name>/). Exit codes: 0 all valid, 2 a problem found, or nothing to check.',
  ].join('\n'),
  async run(opts, _pos, ctx) {
    const repo = str(opts, 'repo');
    const root = repo !== undefined ? resolve(ctx.cwd, repo) : findRepoRoot(ctx.cwd);
    if (repo !== undefined) await assertDirectory(root, repo);
    const only = { model: str(opts, 'model'), env: str(opts, 'env') };
    const all = !only.model && !only.env;
    const models: Found = only.model ? { names: [only.model], problems: [] } : only.env ? { names: [], problems: [] } : await findModels(root);
    const envs: Found = only.env ? { names: [only.env], problems: [] } : only.model ? { names: [], problems: [] } : await findEnvironments(root);
    if (all && !models.names.length && !envs.names.length && !models.problems.length && !envs.problems.length) {
      throw new InputError(`nothing to check in ${root}: it has no models/<name>/ directories and no environments/<env>.yaml files`);
    }
    const issues: ConfigIssue[] = [];
    const other: string[] = [...models.problems, ...envs.problems];
    const collect = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
        ctx.stdout(`ok  ${what}\n`);
      } catch (e) {
        if (e instanceof ConfigError) issues.push(...e.issues);
        // messages that begin with the file they are about are not prefixed with it again
        else if (e instanceof SlipwayError) other.push(e.message.startsWith(what) ? e.message : `${what}: ${e.message}`);
        else throw e;
      }
    };
    for (const m of models.names) await collect(`models/${m}`, () => loadModel(root, m));
    // listed once for every environment's pins
    const known = envs.names.length ? modelNames(root) : null;
    for (const e of envs.names) {
      await collect(`environments/${e}.yaml`, async () => {
        const { spec, parsed } = await loadEnvironment(root, e);
        const missing = pinnedModelIssues(known, parsed, spec);
        if (missing.length) throw new ConfigError(missing);
      });
    }
    const checked = `checked ${count(models.names.length, 'model')}, ${count(envs.names.length, 'environment')}`;
    if (issues.length || other.length) {
      ctx.stderr([...issues.map(formatIssue), ...other].join('\n') + '\n');
      ctx.stderr(`${checked}: ${count(issues.length + other.length, 'problem')} found.\n`);
      return 2;
    }
    ctx.stdout(`${checked}: ok\n`);
    return 0;
  },
};
