/**
 * node:util parseArgs' errors in Slipway's words (whole sentences): the flag, what was wrong with it, and for an unknown
 * flag the nearest known one (a typo) or the flags the command takes. Node's own text advises `--`
 * for positionals that start with a dash, which no Slipway command has.
 */
import type { OptionSpec } from './command.js';

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

/** The known name within two edits of `given` (or that one of them starts the other), if exactly one is nearest: what a typo meant. */
export function nearest(given: string, names: string[]): string | undefined {
  const scored = names.map((n) => ({ n, d: n.startsWith(given) || given.startsWith(n) ? 1 : distance(given, n) })).filter((x) => x.d <= 2);
  if (!scored.length) return undefined;
  const best = Math.min(...scored.map((x) => x.d));
  const at = scored.filter((x) => x.d === best);
  return at.length === 1 ? at[0].n : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
