import type { Command, OptionSpec } from './command.js';
import { NotImplementedError } from '../errors.js';

/** A command whose capability is not built yet: it has real --help and says honestly that it does nothing yet. */
export function notBuilt(name: string, summary: string, options: Record<string, OptionSpec>, positionals?: string): Command {
  return {
    name,
    summary,
    options,
    positionals,
    async run() {
      throw new NotImplementedError(`slipway ${name}: not built yet in this version of Slipway.`);
    },
  };
}
