import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ExternalError } from '../errors.js';
import { redact } from '../secrets.js';

const run = promisify(execFile);

/** What every git Slipway runs gets in its environment: never a credential prompt (it would hang a job or a server). */
export const GIT_ENV = { GIT_TERMINAL_PROMPT: '0' } as const;
/** The most output read from one git command (bytes). */
export const GIT_MAX_OUTPUT = 256 << 20;

/** Runs git in `cwd`; stdout on success, an ExternalError naming the command and git's message otherwise. */
export async function git(cwd: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const child = run('git', args, { cwd, maxBuffer: GIT_MAX_OUTPUT, env: { ...process.env, ...GIT_ENV, ...options.env } });
    if (options.input !== undefined) child.child.stdin?.end(options.input);
    const { stdout } = await child;
    return stdout;
  } catch (e) {
    throw gitFailure(args, cwd, e as { stderr?: string; message: string; code?: number | string });
  }
}

/** A function that runs git as `git()` does, `env` added to its environment: stdout, or gitFailure's error (the serving side runs it through a helper process: serve/git-runner.ts). */
export type GitRun = (cwd: string, args: string[], env?: Record<string, string>) => Promise<string>;

/** The error for a git command that failed (execFile's error: its code and git's stderr), secrets redacted. */
export function gitFailure(args: string[], cwd: string, err: { stderr?: string; message: string; code?: number | string }): ExternalError {
  if (err.code === 'ENOENT') return new ExternalError('git is not installed or not on PATH');
  return new ExternalError(redact(`git ${args.join(' ')} failed in ${cwd}: ${(err.stderr || err.message).trim()}`));
}

/** git, but returns null instead of throwing (for probes like rev-parse). */
export async function gitMaybe(cwd: string, args: string[]): Promise<string | null> {
  try {
    return await git(cwd, args);
  } catch {
    return null;
  }
}
