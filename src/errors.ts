import { constants } from 'node:os';

/**
 * The typed error hierarchy. Every error a user can cause is a SlipwayError: the CLI prints its
 * message (no stack trace) and exits with its exit code. Anything else is a bug and gets a stack.
 *
 * Exit codes: 0 ok, 1 a check failed (gate, drift, contract), 2 usage/config/input error.
 */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

export class SlipwayError extends Error {
  readonly exitCode: number = EXIT_USAGE;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Wrong flags, unknown command, missing argument. */
export class UsageError extends SlipwayError {}

/** One problem found in a config file, located precisely. */
export interface ConfigIssue {
  file: string;
  line?: number;
  column?: number;
  /** JSON pointer-ish path of the field, e.g. `/gates/metrics/roc_auc`. */
  path: string;
  message: string;
}

export function formatIssue(i: ConfigIssue): string {
  const loc = i.line ? `${i.file}:${i.line}:${i.column ?? 1}` : i.file;
  return `${loc}: ${i.path || '(root)'}: ${i.message}`;
}

/** A config file (model.yaml, environment manifest, schema.json) is invalid; carries every issue at once. */
export class ConfigError extends SlipwayError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** Bad input data or an input file that cannot be read. */
export class InputError extends SlipwayError {}

/** A capability that is not built yet. Says so honestly and exits 2. */
export class NotImplementedError extends SlipwayError {}

/** A digest did not match: the artifact is never used. */
export class IntegrityError extends SlipwayError {}

/** Something we depend on (git, GitHub, a store) failed in a way the user must act on. */
export class ExternalError extends SlipwayError {}

/** Work stopped by a signal (Ctrl-C, a cancelled job): the shell's exit code for it, 128 + the signal's number (130, 143). */
export class CancelledError extends SlipwayError {
  override readonly exitCode: number;
  constructor(message: string, signal: NodeJS.Signals) {
    super(message);
    this.exitCode = 128 + (constants.signals[signal] ?? 0);
  }
}

/** A check ran and failed: gate, drift, contract. Exit 1. */
export class CheckFailedError extends SlipwayError {
  override readonly exitCode: number = EXIT_CHECK_FAILED;
}
