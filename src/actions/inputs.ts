import { UsageError } from '../errors.js';

/**
 * Action inputs as the runner passes them: `INPUT_<NAME>` with spaces as `_` and upper-cased
 * (hyphens stay), values trimmed; the same rules as @actions/core.
 */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export function getInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[inputEnvName(name)] ?? '').trim();
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

/** A boolean input (YAML 1.2 core schema); empty means `fallback`. */
export function getBooleanInput(env: NodeJS.ProcessEnv, name: string, fallback = false): boolean {
  const v = getInput(env, name);
  if (v === '') return fallback;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new UsageError(`input '${name}' must be true or false, got '${v}'`);
}

/** A list input: one value per line, blank lines dropped. */
export function getMultilineInput(env: NodeJS.ProcessEnv, name: string): string[] {
  return getInput(env, name)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * One line of a multi-line `args`: the whole line is one argument, except that a line `--flag value`
 * is the flag and its value (the rest of the line, quotes around all of it removed), as one
 * writes flags in YAML; `--flag=value` stays one argument, as the CLI reads it.
 */
function lineArgs(line: string): string[] {
  const m = /^(--[A-Za-z0-9][\w-]*)[ \t]+(.+)$/.exec(line);
  if (!m) return [line];
  const quoted = /^(['"])(.*)\1$/.exec(m[2]);
  return [m[1], quoted ? quoted[2] : m[2]];
}

/**
 * Splits the `args` input into argv without a shell: one argument per line when the text has
 * several lines (a line `--flag value` is two: lineArgs); otherwise words separated by blanks,
 * with '…' (literal) and "…" (\" and \\ escapes) quoting. Nothing is expanded.
 */
export function splitArgs(text: string): string[] {
  const t = text.trim();
  if (t === '') return [];
  if (/\r?\n/.test(t)) {
    return t
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .flatMap(lineArgs);
  }
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else if (c === "'") {
      const end = t.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`input 'args': unterminated ' quote at character ${i + 1}`);
      cur += t.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < t.length && t[j] !== '"'; j++) {
        if (t[j] === '\\' && (t[j + 1] === '"' || t[j + 1] === '\\')) j++;
        cur += t[j];
      }
      if (j >= t.length) throw new UsageError(`input 'args': unterminated " quote at character ${i + 1}`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < t.length) {
      cur += t[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
