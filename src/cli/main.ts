import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeOutput } from './outputs.js';
import { commands } from './registry.js';
import { helpText, parseCommandArgs, type Command, type CommandContext } from './command.js';
import { nearest } from '../spec/nearest.js';
import { InputError, SlipwayError, UsageError, EXIT_USAGE } from '../errors.js';
import { fileSystemError, fileSystemReason } from '../fs/fs-error.js';
import { redact } from '../secrets.js';
import { VERSION } from '../version.js';

export { VERSION };

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'slipway — ML models from pull request to production with GitHub Actions and GitOps',
    '',
    'Usage: slipway <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'slipway <command> --help' for a command's flags.",
    '',
  ].join('\n');
}

/**
 * Writes to `stream` until its reader goes away (`slipway audit --json | head`): then the rest is dropped and the
 * command finishes its work with its own exit code. Unheard, the EPIPE was an uncaught 'error' event: a stack
 * trace and exit 1, which reads as a failed check (and a promotion cut short by the pager it was piped to).
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let gone = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    gone = true;
  });
  return (text) => {
    if (!gone && !stream.destroyed) stream.write(text);
  };
}
let processOutput: { stdout: (text: string) => void; stderr: (text: string) => void } | undefined;

/** A write to a file the runner names in `variable`: one that fails says which variable named it (the path alone says nothing of where it came from). */
function toRunnerFile(variable: string, file: string | undefined, write: () => void): void {
  try {
    write();
  } catch (e) {
    const why = fileSystemReason(e);
    if (!why) throw e;
    throw new InputError(`${variable} is '${file}', which cannot be written: ${why}. GitHub Actions sets it to a file of the job; outside Actions, unset it`);
  }
}

export function defaultContext(env: NodeJS.ProcessEnv = process.env): CommandContext {
  processOutput ??= { stdout: writerTo(process.stdout), stderr: writerTo(process.stderr) };
  return {
    stdout: processOutput.stdout,
    stderr: processOutput.stderr,
    cwd: process.cwd(),
    env,
    setOutput: (name, value) => toRunnerFile('GITHUB_OUTPUT', env.GITHUB_OUTPUT, () => writeOutput(env.GITHUB_OUTPUT, name, value)),
    appendSummary: (md) => {
      const file = env.GITHUB_STEP_SUMMARY;
      if (file) toRunnerFile('GITHUB_STEP_SUMMARY', file, () => appendFileSync(file, md.endsWith('\n') ? md : md + '\n'));
      return Boolean(file);
    },
  };
}

/** The command called `name`; an unknown one is a usage error naming the nearest command (a typo). */
function commandNamed(name: string): Command {
  const cmd = commands.find((c) => c.name === name);
  if (cmd) return cmd;
  if (name.startsWith('-')) {
    // a mistyped --version or --help, or a command's flag given before the command
    const near = nearest(name.replace(/^-+/, '').toLowerCase(), ['help', 'version']);
    const hint = near ? `did you mean 'slipway --${near}'?` : `a command's flags come after it: slipway <command> ${name}`;
    throw new UsageError(`slipway: unknown flag '${name}': ${hint}\n\n${topHelp()}`);
  }
  const near = nearest(name, commands.map((c) => c.name));
  throw new UsageError(`slipway: unknown command '${name}'${near ? `: did you mean 'slipway ${near}'?` : '.'}\n\n${topHelp()}`);
}

/** Runs the CLI; returns the exit code. Never throws for user mistakes. */
export async function main(argv: string[], ctx: CommandContext = defaultContext()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      // `slipway help <command>` (and `slipway --help <command>`) is that command's --help
      if (name && rest.length) {
        ctx.stdout(helpText(commandNamed(rest[0])));
        return 0;
      }
      ctx.stdout(topHelp());
      return name ? 0 : EXIT_USAGE;
    }
    if (name === '--version' || name === '-v') {
      ctx.stdout(`${VERSION}\n`);
      return 0;
    }
    const cmd = commandNamed(name);
    const { opts, positionals, help } = parseCommandArgs(cmd, rest);
    if (help) {
      ctx.stdout(helpText(cmd));
      return 0;
    }
    return await cmd.run(opts, positionals, ctx);
  } catch (thrown) {
    const e = fileSystemError(thrown) ?? thrown;
    if (e instanceof SlipwayError) {
      ctx.stderr(`error: ${redact(e.message)}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    ctx.stderr(`internal error (a bug in slipway, please report it): ${redact(err?.stack ?? String(e))}\n`);
    return 70;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
