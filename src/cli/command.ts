import { parseArgs } from 'node:util';
import { argsProblem } from './args-problem.js';
import { UsageError } from '../errors.js';

/** One flag of a command; `--help` is generated from these. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
  /** placeholder shown in help, e.g. `<name>` */
  value?: string;
  required?: boolean;
  /** what a value must be, in words, for the message when one is given blank (default: the `value` placeholder) */
  expected?: string;
}

export interface CommandContext {
  /** where output goes; tests capture it */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** a step output (GITHUB_OUTPUT in Actions; collected by tests; ignored elsewhere) */
  setOutput: (name: string, value: string) => void;
  /** markdown for the job summary (GITHUB_STEP_SUMMARY in Actions; ignored elsewhere): whether there was one to append to */
  appendSummary: (markdown: string) => boolean;
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  summary: string;
  /** extra lines after the flags in --help */
  details?: string;
  options: Record<string, OptionSpec>;
  /** positional arguments allowed (e.g. `render kserve`) */
  positionals?: string;
  /** returns the exit code */
  run(opts: ParsedOptions, positionals: string[], ctx: CommandContext): Promise<number>;
}

export function helpText(cmd: Command): string {
  const lines = [`slipway ${cmd.name}${cmd.positionals ? ' ' + cmd.positionals : ''} [flags]`, '', cmd.summary, '', 'Flags:'];
  const entries = Object.entries(cmd.options).concat([['help', { type: 'boolean', description: 'show this help', short: 'h' }]]);
  const flags = entries.map(([name, o]) => `  ${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' ' + (o.value ?? '<value>') : ''}`);
  // the descriptions start in one column, past the longest flag
  const width = Math.max(34, ...flags.map((f) => f.length + 1));
  for (const [i, [, o]] of entries.entries()) {
    const flag = flags[i];
    const extra = [o.required ? 'required' : '', o.default !== undefined && o.default !== false ? `default: ${String(o.default)}` : '']
      .filter(Boolean)
      .join('; ');
    lines.push(`${flag.padEnd(width)} ${o.description}${extra ? ` (${extra})` : ''}`);
  }
  if (cmd.details) lines.push('', cmd.details.trimEnd());
  return lines.join('\n') + '\n';
}

export function parseCommandArgs(cmd: Command, argv: string[]): { opts: ParsedOptions; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(cmd.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError(`slipway ${cmd.name}: ${argsProblem(e, cmd.options)}\nRun 'slipway ${cmd.name} --help' for the flags.`);
  }
  const opts: ParsedOptions = { ...parsed.values } as ParsedOptions;
  if (opts.help) return { opts, positionals: parsed.positionals, help: true };
  checkTokens(cmd, parsed.tokens);
  for (const [name, o] of Object.entries(cmd.options)) {
    if (opts[name] === undefined && o.default !== undefined) opts[name] = o.default;
    if (o.required && (opts[name] === undefined || opts[name] === '')) {
      throw new UsageError(`slipway ${cmd.name}: --${name} ${o.value ?? '<value>'} is required.\nRun 'slipway ${cmd.name} --help' for the flags.`);
    }
  }
  if (!cmd.positionals && parsed.positionals.length > 0) {
    throw new UsageError(`slipway ${cmd.name}: unexpected argument '${parsed.positionals[0]}'.\nRun 'slipway ${cmd.name} --help' for the flags.`);
  }
  return { opts, positionals: parsed.positionals, help: false };
}

/** What parseArgs lets through: a value flag given twice, a blank value of a flag with no default. */
function checkTokens(cmd: Command, tokens: ReturnType<typeof parseArgs>['tokens'] = []): void {
  // a value flag given twice is a mistake, not "the last one wins": `--env staging … --env production` must not promote to production
  const given = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.value === undefined || cmd.options[t.name]?.multiple) continue;
    given.set(t.name, [...(given.get(t.name) ?? []), t.value]);
  }
  for (const [name, values] of given) {
    if (values.length > 1) {
      throw new UsageError(`slipway ${cmd.name}: --${name} is given more than once (${values.map((v) => `'${v}'`).join(', ')}); it takes one value.\nRun 'slipway ${cmd.name} --help' for the flags.`);
    }
  }
  // a blank value of a flag with no default is not "left out": `--report "$UNSET"` would write no report, `--model ''` filter nothing.
  // (a required flag says it is required; a flag with a default has its value checked by the command)
  for (const t of tokens) {
    const o = t.kind === 'option' ? cmd.options[t.name] : undefined;
    if (t.kind !== 'option' || !o || o.type !== 'string' || o.required || o.default !== undefined || t.value?.trim() !== '') continue;
    throw new UsageError(`--${t.name} is empty: expected ${o.expected ?? o.value ?? 'a value'}`);
  }
}

/** Typed getters so commands do not cast. */
export function str(opts: ParsedOptions, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' ? v : undefined;
}
/** A string flag that, when given, is not blank: `--data ''` is a usage error saying what was `expected`, not the flag left out. */
export function filledStr(opts: ParsedOptions, name: string, expected: string): string | undefined {
  const v = str(opts, name);
  if (v !== undefined && v.trim() === '') throw new UsageError(`--${name} is empty: expected ${expected}`);
  return v;
}
export function bool(opts: ParsedOptions, name: string): boolean {
  return opts[name] === true;
}
export function int(opts: ParsedOptions, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = str(opts, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} expects a whole number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
