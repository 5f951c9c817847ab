import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../cli/command.js';
import { defaultContext, main } from '../cli/main.js';
import { commands } from '../cli/registry.js';
import { nearest } from '../spec/nearest.js';
import { UsageError, EXIT_CHECK_FAILED, EXIT_USAGE } from '../errors.js';
import { redact, registerSecret } from '../secrets.js';
import { actions, actionSpec, EXIT_CODE_OUTPUT, type ActionSpec } from './catalog.js';
import { getBooleanInput, getInput, getMultilineInput, splitArgs } from './inputs.js';
import { inputsOf } from './metadata.js';
import { workflowCommand } from './workflow-commands.js';
import { writeOutput } from '../cli/outputs.js';
import { fileSystemReason } from '../fs/fs-error.js';

export interface ActionIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Invocation {
  argv: string[];
  cwd: string;
  /** files the action chose for empty file inputs: output name → path */
  files: Record<string, string>;
  failOnCheckFailure: boolean;
}

/** The pull request number of the triggering event, if it is about one. */
export function pullRequestFromEvent(env: NodeJS.ProcessEnv): number | undefined {
  const path = env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return undefined;
  let payload: { pull_request?: { number?: unknown }; issue?: { number?: unknown; pull_request?: unknown } };
  try {
    payload = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const n = payload.pull_request?.number ?? (payload.issue?.pull_request ? payload.issue.number : undefined);
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * A fresh directory under RUNNER_TEMP for the files of empty file inputs. One that cannot be made
 * there is the runner's or the workflow's problem (exit 2, naming the variable), not a bug.
 */
function freshTempDir(env: NodeJS.ProcessEnv, dir: string): string {
  const base = env.RUNNER_TEMP || tmpdir();
  try {
    return mkdtempSync(join(base, `slipway-${dir}-`));
  } catch (e) {
    const why = fileSystemReason(e) ?? (e as Error).message;
    throw new UsageError(`${env.RUNNER_TEMP ? `RUNNER_TEMP is '${base}'` : `the temporary directory '${base}'`}, where the action puts the files of empty file inputs, cannot be written: ${why}. The runner sets it to a writable directory; unset it or point it at one.`);
  }
}

/**
 * Maps the action's inputs to the command line: each declared flag of the command is read from
 * the input of the same name (empty = not given), booleans as YAML booleans, lists one per line.
 */
export function invocation(spec: ActionSpec, env: NodeJS.ProcessEnv): Invocation {
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const cwd = resolve(workspace, getInput(env, 'working-directory') || '.');
  const failOnCheckFailure = 'fail-on-check-failure' in spec.extra ? getBooleanInput(env, 'fail-on-check-failure', true) : true;
  if (spec.command === '*') {
    const command = getInput(env, 'command');
    if (!command) throw new UsageError("input 'command' is required (e.g. check, audit, render)");
    const names = commands.map((c) => c.name);
    if (!names.includes(command) && command !== 'help') {
      const near = command.startsWith('-') ? undefined : nearest(command, names);
      throw new UsageError(`input 'command' must be a slipway command, got '${command}'${near ? `: did you mean '${near}'?` : ''} (one of: ${names.join(', ')})`);
    }
    const args = splitArgs(getInput(env, 'args'));
    if (command === 'serve' && !args.some((a) => a === '--help' || a === '-h')) {
      throw new UsageError("input 'command' is 'serve', which runs a server until it is stopped, so the step would never end (until the job's timeout); run it on a machine, or render the environment for KServe with 'render' (docs/serve.md)");
    }
    return { argv: [command, ...args], cwd, files: {}, failOnCheckFailure };
  }
  const argv = [spec.command];
  const files: Record<string, string> = {};
  let tempDir: string | undefined;
  for (const [name, decl] of Object.entries(inputsOf(spec))) {
    const flag = decl.flag;
    if (!flag) continue;
    if (flag.type === 'boolean') {
      if (getBooleanInput(env, name)) argv.push(`--${name}`);
      continue;
    }
    const values = flag.multiple ? getMultilineInput(env, name) : [getInput(env, name)].filter(Boolean);
    if (values.length === 0 && decl.required) throw new UsageError(`input '${name}' is required: ${decl.description}`);
    const fileDefault = spec.fileDefaults?.[name];
    if (values.length === 0 && fileDefault) {
      tempDir ??= freshTempDir(env, spec.dir);
      values.push(join(tempDir, fileDefault.file));
    }
    // a bundle (untrusted input) carries its own PR, checked against the workflow_run event
    if (values.length === 0 && spec.prFromEvent === name && !(spec.untrustedInput && getInput(env, spec.untrustedInput))) {
      const pr = pullRequestFromEvent(env);
      if (pr !== undefined) values.push(String(pr));
    }
    if (fileDefault && values[0]) files[fileDefault.output] = resolve(cwd, values[0]);
    // an input's value is always the flag's value: one that starts with a dash goes as --flag=value,
    // which the CLI reads literally (after --flag alone it would be taken for a flag and refused)
    for (const v of values) argv.push(...(v.startsWith('-') ? [`--${name}=${v}`] : [`--${name}`, v]));
  }
  return { argv, cwd, files, failOnCheckFailure };
}

/**
 * Whether the command line hands the command untrusted content (the flag of an action's
 * untrustedInput, e.g. report --bundle), from that action or from the umbrella action's args.
 */
export function untrustedFlagGiven(argv: string[]): boolean {
  const flag = actions.find((a) => a.command === argv[0])?.untrustedInput;
  return !!flag && argv.slice(1).some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
}

/** Events whose jobs hold a write token while what they read may come from a pull request (another run's artifacts, a fork's head). */
const PRIVILEGED_EVENTS = ['workflow_run', 'pull_request_target'];

/**
 * Whether the command's output is held back from the runner (::stop-commands::): with untrusted
 * content named (untrustedFlagGiven), or when a command that takes such content (report) runs in a
 * privileged event, where every file it reads (an evaluation, a package) came from another run.
 */
export function outputUntrusted(argv: string[], env: NodeJS.ProcessEnv): boolean {
  if (untrustedFlagGiven(argv)) return true;
  return PRIVILEGED_EVENTS.includes(env.GITHUB_EVENT_NAME ?? '') && !!actions.find((a) => a.command === argv[0])?.untrustedInput;
}

/** The first `error:` lines the CLI printed, for the annotation. */
function errorMessage(stderr: string): string {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('error: ') || l.startsWith('internal error'));
  const picked = at >= 0 ? lines.slice(at, at + 20) : lines.filter(Boolean).slice(-20);
  return picked.join('\n').replace(/^error: /, '').trim();
}

/** The runner's files that every action writes: step outputs and the job summary. */
const RUNNER_FILES = ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'] as const;

/**
 * Why a runner file cannot be written (appending nothing creates it, as the runner would), or
 * undefined when it can. The message names the variable and its path: a wrong one is the
 * workflow's mistake, not a failed check.
 */
export function runnerFileProblem(name: (typeof RUNNER_FILES)[number], file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    appendFileSync(file, '');
    return undefined;
  } catch (e) {
    const why = fileSystemReason(e) ?? (e as Error).message;
    return `${name} is '${file}', which cannot be written: ${why}. The runner sets it to a writable file; unset it or point it at one.`;
  }
}

/**
 * Why the working directory cannot be used, naming the input and what it resolved to, or undefined
 * when it is a directory.
 */
export function workingDirectoryProblem(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const given = getInput(env, 'working-directory') || '.';
  const at = `input 'working-directory' is '${given}' (${cwd}, relative to the workspace)`;
  try {
    return statSync(cwd).isDirectory() ? undefined : `${at}, which is not a directory`;
  } catch (e) {
    return `${at}, which cannot be used: ${fileSystemReason(e) ?? (e as Error).message}`;
  }
}

/** A failure before the command ran: the annotation, the exit-code output and a summary section. */
function failEarly(env: NodeJS.ProcessEnv, io: ActionIO, title: string, message: string, files: { output: boolean; summary: boolean } = { output: true, summary: true }): number {
  const text = redact(message);
  io.stdout(workflowCommand('error', text, { title }));
  if (files.output) writeOutput(env.GITHUB_OUTPUT, EXIT_CODE_OUTPUT, String(EXIT_USAGE));
  if (files.summary && env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, summarySection(title, EXIT_USAGE, text, false));
  return EXIT_USAGE;
}

function summarySection(title: string, code: number, message: string, soft: boolean): string {
  return `### ${soft ? '⚠️' : '❌'} \`${title}\` ${code === EXIT_CHECK_FAILED ? 'found a failed check' : 'failed'} (exit code ${code})\n\n\`\`\`text\n${message.replace(/```/g, "'''")}\n\`\`\`\n`;
}

/**
 * Runs one action the way the runner starts it: reads INPUT_* from `env`, masks the token and
 * hands it to the command in the environment, runs `main()` with a context that writes step
 * outputs and the job summary, and turns a failure into an annotation. Returns the exit code
 * for the step.
 */
export async function runAction(dir: string, env: NodeJS.ProcessEnv = process.env, io: ActionIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }): Promise<number> {
  const spec = actionSpec(dir);
  const label = spec.command === '*' ? 'slipway' : `slipway ${spec.command}`;
  const [outputProblem, summaryProblem] = RUNNER_FILES.map((name) => runnerFileProblem(name, env[name]));
  if (outputProblem || summaryProblem) {
    return failEarly(env, io, label, [outputProblem, summaryProblem].filter(Boolean).join('\n'), { output: !outputProblem, summary: !summaryProblem });
  }
  let inv: Invocation;
  try {
    if (spec.token) {
      const token = getInput(env, 'token') || undefined;
      if (token) {
        io.stdout(workflowCommand('add-mask', token));
        registerSecret(token);
        env.SLIPWAY_GITHUB_TOKEN = token;
      } else if (env.INPUT_TOKEN !== undefined) {
        // The runner passes the default (the job's token) unless the workflow gave a value: an
        // empty one is a secret that is not set, which the command's own message cannot name.
        io.stdout(workflowCommand('warning', "input 'token' is empty (a secret that is not set? pull requests from forks get no secrets): the command runs without a GitHub token; leave the input out to use the job's token", { title: label }));
      }
      // The command reads the token from SLIPWAY_GITHUB_TOKEN; the processes it starts (git, a
      // training command) have no use for the input's copy.
      delete env.INPUT_TOKEN;
    }
    if (spec.gpu) {
      const gpu = getInput(env, 'gpu') || 'false';
      if (gpu === 'cuda12' || gpu === 'true') env.SLIPWAY_EXECUTION_PROVIDER = 'cuda';
      else if (gpu !== 'false' && gpu !== 'cpu') throw new UsageError(`input 'gpu' must be 'cuda12' or 'false', got '${gpu}'`);
    }
    inv = invocation(spec, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return failEarly(env, io, label, e.message);
  }
  const title = `slipway ${inv.argv[0]}`;
  const base = defaultContext(env);
  let stderr = '';
  const set = new Set<string>();
  // With untrusted content in play, the command's output is not read for workflow commands: its
  // stderr joins stdout (one stream, so nothing overtakes the resume line) between
  // ::stop-commands:: and a resume token the content cannot guess.
  const guard = outputUntrusted(inv.argv, env) ? randomBytes(16).toString('hex') : undefined;
  const ctx: CommandContext = {
    ...base,
    setOutput: (name, value) => {
      set.add(name);
      base.setOutput(name, value);
    },
    stdout: io.stdout,
    stderr: (t) => {
      stderr += t;
      (guard ? io.stdout : io.stderr)(t);
    },
    cwd: inv.cwd,
  };
  const cwdProblem = workingDirectoryProblem(env, inv.cwd);
  if (cwdProblem) return failEarly(env, io, title, cwdProblem);
  if (env === process.env) process.chdir(inv.cwd);
  io.stdout(`${redact(['slipway', ...inv.argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' '))}\n`);
  if (guard) io.stdout(workflowCommand('stop-commands', guard));
  let code: number;
  try {
    code = await main(inv.argv, ctx);
  } finally {
    if (guard) io.stdout(`::${guard}::\n`);
  }
  for (const [output, path] of Object.entries(inv.files)) if (!set.has(output) && existsSync(path)) ctx.setOutput(output, path);
  ctx.setOutput(EXIT_CODE_OUTPUT, String(code));
  if (code === 0) return 0;
  const message = errorMessage(stderr) || `exited with code ${code}`;
  const soft = code === EXIT_CHECK_FAILED && !inv.failOnCheckFailure;
  io.stdout(workflowCommand(soft ? 'warning' : 'error', message, { title }));
  ctx.appendSummary(summarySection(title, code, message, soft));
  return soft ? 0 : code;
}
