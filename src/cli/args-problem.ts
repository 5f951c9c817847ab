/**
 * node:util parseArgs' errors in Slipway's words (whole sentences): the flag, what was wrong with it, and for an unknown
 * flag the nearest known one (a typo) or the flags the command takes. Node's own text advises `--`
 * for positionals that start with a dash, which no Slipway command has.
 */
import type { OptionSpec } from './command.js';
import { nearest } from '../spec/nearest.js';

export function argsProblem(e: unknown, options: Record<string, OptionSpec>): string {
  const message = e instanceof Error ? e.message : String(e);
  const flags = Object.keys(options).map((n) => `--${n}`);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    const given = unknown[1];
    const near = nearest(given.replace(/^-+/, ''), Object.keys(options));
    return `unknown flag ${given}: ${near ? `did you mean --${near}?` : `it takes ${flags.join(', ')}.`}`;
  }
  const missing = /^Option '(-{1,2}[^ ']+)(?: <value>)?' argument (missing|is ambiguous)/.exec(message);
  if (missing) {
    const spec = options[missing[1].replace(/^-+/, '')];
    const what = spec?.value ? ` (${spec.value})` : '';
    if (missing[2] === 'missing') return `${missing[1]} needs a value${what}.`;
    return `${missing[1]} needs a value${what}, and what follows it starts with a dash; to give a value that starts with one, write ${missing[1]}=<value>.`;
  }
  const noValue = /^Option '(-{1,2}[^ ']+)' does not take an argument/.exec(message);
  if (noValue) return `${noValue[1]} is a switch and takes no value.`;
  return message;
}
