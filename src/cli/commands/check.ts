import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { ConfigError, SlipwayError, formatIssue, type ConfigIssue } from '../../errors.js';
import { loadModel } from '../../spec/model.js';
import { loadEnvironment } from '../../spec/environment.js';
import { findRepoRoot } from '../../spec/repo.js';

async function names(dir: string, suffix: string, isDir: boolean): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => (isDir ? e.isDirectory() : e.isFile() && e.name.endsWith(suffix))).map((e) => e.name.slice(0, e.name.length - suffix.length)).sort();
  } catch {
    return [];
  }
}

export const check: Command = {
  name: 'check',
  summary: 'Check model.yaml, schema.json and environment files against their schemas; report every problem at once.',
  options: {
    model: { type: 'string', value: '<name>', description: 'check only this model' },
    env: { type: 'string', value: '<env>', description: 'check only this environment' },
    repo: { type: 'string', value: '<dir>', description: 'repository root (default: found from the current directory)' },
  },
  async run(opts, _pos, ctx) {
    const root = str(opts, 'repo') ?? findRepoRoot(ctx.cwd);
    const only = { model: str(opts, 'model'), env: str(opts, 'env') };
    const models = only.model ? [only.model] : only.env ? [] : await names(join(root, 'models'), '', true);
    const envs = only.env ? [only.env] : only.model ? [] : await names(join(root, 'environments'), '.yaml', false);
    const issues: ConfigIssue[] = [];
    const other: string[] = [];
    const collect = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
        ctx.stdout(`ok  ${what}\n`);
      } catch (e) {
        if (e instanceof ConfigError) issues.push(...e.issues);
        else if (e instanceof SlipwayError) other.push(`${what}: ${e.message}`);
        else throw e;
      }
    };
    for (const m of models) await collect(`models/${m}`, () => loadModel(root, m));
    for (const e of envs) await collect(`environments/${e}.yaml`, () => loadEnvironment(root, e));
    if (issues.length || other.length) {
      ctx.stderr([...issues.map(formatIssue), ...other].join('\n') + '\n');
      ctx.stderr(`${issues.length + other.length} problem(s) found.\n`);
      return 2;
    }
    return 0;
  },
};
