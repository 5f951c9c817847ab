/**
 * `s` as one POSIX shell word: wrapped in single quotes, each ' written as '\'' (close, escaped quote, reopen).
 * For temporary paths in `sh -c` strings and git aliases, which may hold spaces or quotes wherever TMPDIR does.
 */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
