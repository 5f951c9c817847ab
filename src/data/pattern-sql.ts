/**
 * JSON Schema `pattern` (an ECMA-262 regular expression, as ajv compiles it with the `u` flag) →
 * an RE2 regular expression for DuckDB's `regexp_matches`, with the same meaning.
 *
 * The two dialects agree on most syntax (`^ $` anchor the whole text without the m flag, `\d \w \b`
 * are ASCII in both). Where they differ this translates:
 * - `.` does not match \n, \r, U+2028, U+2029 in ECMA (RE2's `.` only excludes \n) → an explicit class;
 * - `\s` / `\S` are Unicode white space in ECMA (RE2: ASCII only) → an explicit class;
 * - `\uXXXX`, `\u{X…}`, `\0`, `\cX` → `\x{…}`;
 * - `(?<name>…)` → `(?P<name>…)`.
 * Constructs RE2 cannot run (lookahead, lookbehind, backreferences) are refused with a clear message,
 * never approximated. Examples of violations are re-checked with the JS regex, so a disagreement would show.
 */
export class UnsupportedPatternError extends Error {}

const ECMA_SPACE = '\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const NOT_LINE_TERMINATOR = '[^\\n\\r\\x{2028}\\x{2029}]';

export function ecmaToRe2(pattern: string): string {
  let out = '';
  let inClass = false;
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i];
    if (c === '\\') {
      const d = pattern[i + 1];
      if (d === undefined) throw new UnsupportedPatternError('a trailing backslash');
      if (d === 'u') {
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          if (end < 0) throw new UnsupportedPatternError('an unterminated \\u{…} escape');
          out += `\\x{${pattern.slice(i + 3, end)}}`;
          i = end + 1;
        } else {
          const hex = pattern.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new UnsupportedPatternError('a malformed \\u escape');
          out += `\\x{${hex}}`;
          i += 6;
        }
        continue;
      }
      if (d === 's' || d === 'S') {
        if (inClass) {
          if (d === 'S') throw new UnsupportedPatternError('\\S inside a character class');
          out += ECMA_SPACE;
        } else out += d === 's' ? `[${ECMA_SPACE}]` : `[^${ECMA_SPACE}]`;
        i += 2;
        continue;
      }
      if (d === 'c') {
        const letter = pattern[i + 2];
        if (!letter || !/[A-Za-z]/.test(letter)) throw new UnsupportedPatternError('a malformed \\c escape');
        out += `\\x{${(letter.toUpperCase().charCodeAt(0) % 32).toString(16)}}`;
        i += 3;
        continue;
      }
      if (d === '0' && !/[0-9]/.test(pattern[i + 2] ?? '')) {
        out += '\\x{0}';
        i += 2;
        continue;
      }
      if (/[1-9]/.test(d) && !inClass) throw new UnsupportedPatternError(`the backreference \\${d}`);
      if (d === 'k' && pattern[i + 2] === '<') throw new UnsupportedPatternError('a named backreference \\k<…>');
      if (d === 'b' && inClass) {
        out += '\\x{8}';
        i += 2;
        continue;
      }
      if (d === '/') {
        out += '/';
        i += 2;
        continue;
      }
      out += c + d;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      if (pattern.startsWith('[^]', i)) {
        out += '(?s:.)';
        i += 3;
        continue;
      }
      if (pattern.startsWith('[]', i)) throw new UnsupportedPatternError('an empty class []');
      inClass = true;
      out += c;
      i++;
      // a ']' right after '[' or '[^' is literal in RE2 but ends an empty class in ECMA; ECMA's [] / [^] handled above
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!')) throw new UnsupportedPatternError('a lookahead (?= / (?!');
      if (rest.startsWith('<=') || rest.startsWith('<!')) throw new UnsupportedPatternError('a lookbehind (?<= / (?<!');
      if (rest.startsWith('<')) {
        out += '(?P<';
        i += 3;
        continue;
      }
      out += '(?';
      i += 2;
      continue;
    }
    if (c === '.') {
      out += NOT_LINE_TERMINATOR;
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
