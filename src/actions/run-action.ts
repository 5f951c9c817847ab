import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../cli/command.js';
import { defaultContext, main } from '../cli/main.js';
import { UsageError, EXIT_CHECK_FAILED, EXIT_USAGE } from '../errors.js';
import { redact, registerSecret } from '../secrets.js';
import { actionSpec, EXIT_CODE_OUTPUT, type ActionSpec } from './catalog.js';
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
    if (command.startsWith('-')) throw new UsageError(`input 'command' must be a slipway command, got '${command}'`);
    return { argv: [command, ...splitArgs(getInput(env, 'args'))], cwd, files: {}, failOnCheckFailure };
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
    const fileDefault = spec.fileDefaults?.[name];
    if (values.length === 0 && fileDefault) {
      tempDir ??= mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), `slipway-${spec.dir}-`));
      values.push(join(tempDir, fileDefault.file));
    }
    if (values.length === 0 && spec.prFromEvent === name) {
      const pr = pullRequestFromEvent(env);
      if (pr !== undefined) values.push(String(pr));
    }
    if (fileDefault && values[0]) files[fileDefault.output] = resolve(cwd, values[0]);
    for (const v of values) argv.push(`--${name}`, v);
  }
  return { argv, cwd, files, failOnCheckFailure };
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
    io.stdout(workflowCommand('error', redact([outputProblem, summaryProblem].filter(Boolean).join('\n')), { title: label }));
    if (!outputProblem) writeOutput(env.GITHUB_OUTPUT, EXIT_CODE_OUTPUT, String(EXIT_USAGE));
    return EXIT_USAGE;
  }
  let inv: Invocation;
  try {
    if (spec.token) {
      const token = getInput(env, 'token') || undefined;
      if (token) {
        io.stdout(workflowCommand('add-mask', token));
        registerSecret(token);
        env.SLIPWAY_GITHUB_TOKEN = token;
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
    io.stdout(workflowCommand('error', redact(e.message), { title: label }));
    writeOutput(env.GITHUB_OUTPUT, EXIT_CODE_OUTPUT, String(EXIT_USAGE));
    return EXIT_USAGE;
  }
  const title = `slipway ${inv.argv[0]}`;
  const base = defaultContext(env);
  let stderr = '';
  const set = new Set<string>();
  const ctx: CommandContext = {
    ...base,
    setOutput: (name, value) => {
      set.add(name);
      base.setOutput(name, value);
    },
    stdout: io.stdout,
    stderr: (t) => {
      stderr += t;
      io.stderr(t);
    },
    cwd: inv.cwd,
  };
  if (!existsSync(inv.cwd)) {
    io.stdout(workflowCommand('error', `working-directory ${inv.cwd} does not exist`, { title }));
    writeOutput(env.GITHUB_OUTPUT, EXIT_CODE_OUTPUT, String(EXIT_USAGE));
    return EXIT_USAGE;
  }
  if (env === process.env) process.chdir(inv.cwd);
  io.stdout(`${redact(['slipway', ...inv.argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' '))}\n`);
  const code = await main(inv.argv, ctx);
  for (const [output, path] of Object.entries(inv.files)) if (!set.has(output) && existsSync(path)) ctx.setOutput(output, path);
  ctx.setOutput(EXIT_CODE_OUTPUT, String(code));
  if (code === 0) return 0;
  const message = errorMessage(stderr) || `exited with code ${code}`;
  const soft = code === EXIT_CHECK_FAILED && !inv.failOnCheckFailure;
  io.stdout(workflowCommand(soft ? 'warning' : 'error', message, { title }));
  ctx.appendSummary(`### ${soft ? '⚠️' : '❌'} \`${title}\` ${code === EXIT_CHECK_FAILED ? 'found a failed check' : 'failed'} (exit code ${code})\n\n\`\`\`text\n${message.replace(/```/g, "'''")}\n\`\`\`\n`);
  return soft ? 0 : code;
}
