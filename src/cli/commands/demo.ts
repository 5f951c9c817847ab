import type { Command } from '../command.js';
import { bool, int } from '../command.js';
import { runDemo } from '../../demo/run.js';

export const demo: Command = {
  name: 'demo',
  summary: 'Run the whole loop on generated data in a temporary GitOps repository.',
  details: 'Generates data, validates, trains v1, evaluates, promotes to staging and production (a PR merged\nlocally), serves, sends traffic, detects drift, retrains v2, evaluates it against v1, promotes it, swaps,\nrolls back with git revert and prints the audit table. Needs no network.',
  options: {
    keep: { type: 'boolean', description: 'keep the temporary repository and print its path' },
    rows: { type: 'string', value: '<n>', description: 'training rows per version', default: '20000' },
  },
  async run(opts, _pos, ctx) {
    const rows = int(opts, 'rows', 1000, 10_000_000)!;
    await runDemo({ write: ctx.stdout, keep: bool(opts, 'keep'), rows, color: process.stdout.isTTY === true && !ctx.env.NO_COLOR });
    return 0;
  },
};
