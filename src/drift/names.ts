import { clipped, CONTROL_CHARS } from '../report/escape.js';

/**
 * Names and values from the data (column names, logged versions) as a message shows them: a name of
 * letters, digits and `_ . + - / @ :` as it is, any other quoted as JSON (a newline in a name would split
 * the line in the job's log, where a next line such as `::warning::…` is a workflow command), cut to
 * `max` characters; a list of them capped, saying how many more there are.
 */
export function shownName(name: string, max = 80): string {
  const cut = clipped(name, max);
  return /^[\w.+\-/@:]+$/.test(name) ? cut : JSON.stringify(cut);
}

export function shownNames(names: string[], count = 20): string {
  const shown = names.slice(0, count).map((n) => shownName(n));
  return shown.join(', ') + (names.length > count ? `, … (${names.length - count} more)` : '');
}

/**
 * Text from the data on one line of a message: control characters and line separators written as escapes
 * (`\n`, `\r`, `\t`, `\u001b`, `\u2028`), so that a newline cannot start a line of the job's log, where
 * `::warning::…` is a workflow command.
 */
export function escapeControls(s: string): string {
  return s.replace(CONTROL_CHARS, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
