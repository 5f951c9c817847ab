/**
 * Where a text stops being JSON, for errors a user can act on. Node 20's `JSON.parse` names no position
 * for its most common failure ("Unexpected token 'N', … is not valid JSON"), so the text is scanned
 * again, only after `JSON.parse` has failed, to find the first byte that breaks RFC 8259's grammar.
 */
import { InputError } from '../errors.js';

/** The line (1-based), column (1-based, in UTF-16 units) and reason of the first syntax error in `text`, or null when it is JSON. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  /** e.g. "unexpected 'N' (NaN is not JSON: send null for a missing value)", "the text ends early" */
  message: string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const ESCAPES = new Set('"\\/bfnrtu'.split('').map((c) => c.charCodeAt(0)));
const HEX = /^[0-9a-fA-F]$/;

function skip(s: string, i: number): number {
  while (i < s.length && WS.has(s.charCodeAt(i))) i++;
  return i;
}

/** A string token at `i` (which must be a quote): the offset after it, or the error offset as ~offset. */
function string(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x22) return ~i;
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return ~i;
    if (c === 0x5c) {
      const e = s.charCodeAt(i + 1);
      if (!ESCAPES.has(e)) return ~(i + 1);
      if (e === 0x75) {
        let k = 0;
        while (k < 4 && HEX.test(s[i + 2 + k] ?? '')) k++;
        if (k < 4) return ~(i + 2 + k);
      }
      i += e === 0x75 ? 5 : 1;
    }
  }
  return ~s.length;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** A number, true, false or null at `i`: the offset after it, or ~offset of the error. */
function scalar(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return string(s, i);
  for (const word of ['true', 'false', 'null']) {
    if (c !== word.charCodeAt(0)) continue;
    for (let k = 1; k < word.length; k++) if (s.charCodeAt(i + k) !== word.charCodeAt(k)) return ~(i + k);
    return i + word.length;
  }
  NUMBER.lastIndex = i;
  if (NUMBER.test(s)) {
    const end = NUMBER.lastIndex;
    // "1." or "1e+": the regex stopped before a fraction or exponent that has no digits
    const next = s.charCodeAt(end);
    const token = s.slice(i, end);
    if (next === 0x2e && !/[.eE]/.test(token)) return ~(end + 1);
    if ((next !== 0x65 && next !== 0x45) || /[eE]/.test(token)) return end;
    const sign = s.charCodeAt(end + 1);
    return ~(end + (sign === 0x2b || sign === 0x2d ? 2 : 1));
  }
  return c === 0x2d ? ~(i + 1) : ~i;
}

/** A key and its colon at `i`: the offset of the value after them, or ~offset of the error. */
function key(s: string, i: number): number {
  const end = string(s, i);
  if (end < 0) return end;
  const colon = skip(s, end);
  return s.charCodeAt(colon) === 0x3a ? skip(s, colon + 1) : ~colon;
}

/** The offset of the first character at which `s` stops being JSON (`s.length` when it ends too early), or -1 when it is JSON. */
export function jsonErrorOffset(s: string): number {
  const open: number[] = []; // 0x5d for an open array, 0x7d for an open object: the closer each expects
  let i = skip(s, 0);
  for (;;) {
    // a value at i
    if (i >= s.length) return s.length;
    const c = s.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      const closer = c + 2;
      i = skip(s, i + 1);
      if (s.charCodeAt(i) !== closer) {
        open.push(closer);
        if (c === 0x7b && (i = key(s, i)) < 0) return ~i;
        continue;
      }
      i++;
    } else if ((i = scalar(s, i)) < 0) {
      return ~i;
    }
    // after a value: close what ends here, then a comma and the next value
    for (;;) {
      i = skip(s, i);
      if (!open.length) return i === s.length ? -1 : i;
      if (i >= s.length) return s.length;
      const top = open[open.length - 1];
      const d = s.charCodeAt(i);
      if (d === top) {
        open.pop();
        i++;
        continue;
      }
      if (d !== 0x2c) return i;
      i = skip(s, i + 1);
      if (top === 0x7d && (i = key(s, i)) < 0) return ~i;
      break;
    }
  }
}

/**
 * Why `text` is not JSON, where, and what to do about the usual mistakes; null when it is JSON. `parseError`,
 * `JSON.parse`'s own error where the caller has it, gives the reason where it names one with a position.
 */
export function jsonSyntaxError(text: string, parseError?: unknown): JsonSyntaxError | null {
  const at = jsonErrorOffset(text);
  if (at < 0) return null;
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k !== -1 && k < at; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  const described = parseError instanceof Error ? /^(.+?)(?: in JSON)? at position \d+$/.exec(parseError.message) : null;
  const v8 = described ? described[1] : '';
  return { line, column: at - lineStart + 1, message: reason(text, at, v8 && v8[0].toLowerCase() + v8.slice(1)) };
}

function reason(text: string, at: number, described: string): string {
  if (at >= text.length) return text.trim() ? 'the text ends before the JSON value does' : 'empty: expected a JSON value';
  const c = text[at];
  const shown = c === "'" ? `"'"` : c.charCodeAt(0) < 0x20 ? JSON.stringify(c) : `'${c}'`;
  // Python's json.dumps writes these by default (allow_nan=True); the scan stops at the N or the I
  if (/^(NaN|Infinity)/.test(text.slice(at, at + 8))) {
    return `unexpected ${shown}: NaN and Infinity are not JSON (Python's json.dumps writes them unless allow_nan=False); send null for a missing value`;
  }
  if ((c === ']' || c === '}') && text.slice(0, at).trimEnd().endsWith(',')) return `unexpected ${shown}: a trailing comma is not JSON`;
  if (c === "'") return `unexpected ${shown}: JSON strings take double quotes`;
  return described ? `${described} (found ${shown})` : `unexpected ${shown}`;
}

/** "<file>:<line>:<column>: not valid JSON: <why>" for a file `JSON.parse` refused with `parseError`. */
export function jsonFileError(file: string, text: string, parseError: unknown): string {
  const at = jsonSyntaxError(text, parseError);
  return at ? `${file}:${at.line}:${at.column}: not valid JSON: ${at.message}` : `${file}: not valid JSON: ${(parseError as Error).message}`;
}

/** `text` (the contents of the file shown as `file`) parsed as JSON, or an InputError that is jsonFileError's message. */
export function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(jsonFileError(file, text, e));
  }
}
