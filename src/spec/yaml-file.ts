import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, InputError, type ConfigIssue } from '../errors.js';
import { jsonSyntaxError } from './json-syntax.js';

/** YAML aliases may expand to at most this many nodes: a "billion laughs" file is refused, not expanded. */
export const MAX_ALIAS_COUNT = 100;
/** Config files are small; a larger one is refused before parsing. */
export const MAX_CONFIG_BYTES = 1 << 20;

export interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  value: unknown;
  /** the file name as shown in messages (relative to cwd when inside it) */
  display: string;
  /** the source text */
  text: string;
}

export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/**
 * Reads and parses a YAML file; every syntax error comes back located, all at once. Messages name
 * the file relative to `base` (the repository root) when it is inside it, as GitHub annotations do.
 */
export async function parseYamlFile(file: string, base = process.cwd()): Promise<ParsedYaml> {
  const display = displayPath(file, base);
  await assertRegularFile(file, display);
  let src: string;
  try {
    src = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${display}: file not found` : `${display}: cannot read (${code ?? String(e)})`);
  }
  if (Buffer.byteLength(src) > MAX_CONFIG_BYTES) throw new InputError(`${display}: larger than ${MAX_CONFIG_BYTES} bytes; config files are expected to be small`);
  return parseYamlText(src, display);
}

/**
 * Refuses, in words, what is not a readable regular file: a directory, a symbolic link to nothing, a FIFO
 * (which readFile would wait on for ever). A missing file is left to the read, which says "file not found".
 */
export async function assertRegularFile(file: string, display: string): Promise<void> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return; // the read reports it
    const link = await lstat(file).catch(() => null);
    if (link?.isSymbolicLink()) throw new InputError(`${display}: a symbolic link to '${await readlink(file).catch(() => '?')}', which does not exist`);
    return;
  }
  if (st.isDirectory()) throw new InputError(`${display}: is a directory, expected a file`);
  if (!st.isFile()) throw new InputError(`${display}: is not a regular file (a FIFO, socket or device), expected a file`);
}

/** True for a name shown for a .json file (`schema.json`, or `schema.json@<commit>` when read from git). */
function isJsonName(display: string): boolean {
  return /\.json(@[^/]*)?$/i.test(display);
}

/**
 * Parses YAML (JSON is YAML, so .json files come here too, for located errors): every syntax error comes
 * back located, at once. A name ending in .json is held to JSON's grammar and its errors say "invalid JSON".
 * An empty file, or one with only comments, is an error: every config file is a mapping.
 */
export function parseYamlText(text: string, display: string): ParsedYaml {
  // a UTF-8 byte order mark, as Windows editors write one: not part of the text (JSON.parse would refuse it)
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // UTF-16 (PowerShell's `>` and Out-File write it) read as UTF-8: a NUL between characters, its byte order mark as two U+FFFD
  if (src.includes('\u0000') || src.startsWith('\ufffd\ufffd')) {
    throw new ConfigError([{ file: display, line: 1, column: 1, path: '', message: 'the file is UTF-16 (as PowerShell writes with > or Out-File); save it as UTF-8' }]);
  }
  const json = isJsonName(display);
  if (json && src.trim() !== '') {
    let failure: unknown;
    try {
      JSON.parse(src);
    } catch (e) {
      failure = e;
    }
    const at = failure === undefined ? null : jsonSyntaxError(src, failure);
    if (at) throw new ConfigError([{ file: display, line: at.line, column: at.column, path: '', message: `invalid JSON: ${at.message}` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(src, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const issues: ConfigIssue[] = doc.errors.map((err) => {
    const pos = lines.linePos(err.pos[0]);
    return { file: display, line: pos.line, column: pos.col, path: '', message: `invalid ${json ? 'JSON' : 'YAML'}: ${err.message.split('\n')[0]}` };
  });
  if (issues.length) throw new ConfigError(issues);
  if (doc.contents === null) {
    throw new ConfigError([{ file: display, line: 1, column: 1, path: '', message: src.trim() === '' ? 'the file is empty' : 'the file is empty (it holds only comments)' }]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    throw new ConfigError([{ file: display, line: 1, column: 1, path: '', message: `YAML aliases expand too far (${(e as Error).message}); at most ${MAX_ALIAS_COUNT} alias expansions are allowed` }]);
  }
  return { doc, lines, value, display, text: src };
}

/** A config issue at a path of the file, located there (see locate; `onKey`: at the key rather than its value). */
export function issueAt(p: ParsedYaml, path: string[], message: string, onKey = false): ConfigIssue {
  return { file: p.display, ...locate(p, path, onKey), path: '/' + path.join('/'), message };
}

/** Location of the node at a JSON path; for a missing key, its parent; for `key`, the key itself. */
export function locate(p: ParsedYaml, path: (string | number)[], onKey = false): { line?: number; column?: number } {
  let node: unknown = p.doc.contents;
  let best: Node | null = (p.doc.contents as Node | null) ?? null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      if (onKey && i === path.length - 1 && pair.key && (pair.key as Node).range) {
        best = pair.key as Node;
        break;
      }
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
      node = (node as { items: unknown[] }).items[Number(seg)];
    } else break;
    if (node && (node as Node).range) best = node as Node;
  }
  if (!best?.range) return {};
  const pos = p.lines.linePos(best.range[0]);
  return { line: pos.line, column: pos.col };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const s of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

/** The source text of the scalar at a path (as written: `1.0`, not the number 1), or undefined. */
function sourceAt(p: ParsedYaml, path: string[]): string | undefined {
  const node = p.doc.getIn(path, true);
  if (!isScalar(node) || !node.range) return undefined;
  return p.text.slice(node.range[0], node.range[1]).trim();
}

/**
 * A number or boolean where a string is expected (`version: 1.0`, read as the number 1): the quoted value
 * to write instead, completed to the field's pattern where padding with `.0` does it (1.0 → '1.0.0').
 */
function quoteHint(e: ErrorObject, value: unknown, source: string | undefined): string {
  const wanted = String((e.params as { type?: unknown }).type).split(',');
  if (!wanted.includes('string') || (typeof value !== 'number' && typeof value !== 'boolean') || !source) return '';
  const candidates = [source];
  if (/^\d+(\.\d+)?$/.test(source)) candidates.push(source + '.0'.repeat(3 - source.split('.').length));
  const pattern = (e.parentSchema as { pattern?: string } | undefined)?.pattern;
  const fits = pattern === undefined ? source : candidates.find((c) => new RegExp(pattern, 'u').test(c)) ?? source;
  return `; quote it: '${fits}'`;
}

/** Turns one ajv error into a message a person can act on; `source` is the value as written in the file. */
function message(e: ErrorObject, value: unknown, source?: string): string {
  const p = e.params as Record<string, unknown>;
  const desc = (e.parentSchema as { description?: string } | undefined)?.description;
  switch (e.keyword) {
    case 'required':
      return `missing required field '${String(p.missingProperty)}'`;
    case 'additionalProperties':
      return `unknown field '${String(p.additionalProperty)}' (allowed: ${Object.keys((e.parentSchema as { properties?: object })?.properties ?? {}).join(', ')})`;
    case 'type':
      return `expected ${desc ?? String(p.type).replace(',', ' or ')}${desc ? ` (${String(p.type)})` : ''}, got ${typeof value === 'number' && source && Number(source) === value ? `number ${source}` : describe(value)}${quoteHint(e, value, source)}`;
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}, got ${describe(value)}`;
    case 'const':
      return `expected ${JSON.stringify(p.allowedValue)}, got ${describe(value)}`;
    case 'pattern':
      return `expected ${desc ?? `a value matching ${String(p.pattern)}`}, got ${describe(value)}`;
    case 'propertyNames': {
      const rule = (e.parentSchema as { propertyNames?: { pattern?: string; description?: string } } | undefined)?.propertyNames;
      const wanted = rule?.description ?? (rule?.pattern ? `a name matching ${rule.pattern}` : undefined);
      return `invalid name '${String(p.propertyName)}'${wanted ? `: expected ${wanted}` : ''}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `expected a number ${String(p.comparison)} ${String(p.limit)}, got ${describe(value)}`;
    default:
      return `${e.message ?? 'invalid'}${desc ? ` (${desc})` : ''}`;
  }
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const compiled = new Map<object, ValidateFunction>();

/** Validates a parsed YAML value against a JSON Schema, returning every issue located in the source. */
export function schemaIssues(p: ParsedYaml, schema: object): ConfigIssue[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(p.value)) return [];
  const all = validate.errors ?? [];
  // An anyOf reports each failed branch (contiguously, just before itself): fold them into one message.
  const branchOf = new Map<ErrorObject, ErrorObject>();
  const folded = new Map<ErrorObject, string>();
  all.forEach((a, k) => {
    if (a.keyword !== 'anyOf') return;
    const branches: ErrorObject[] = [];
    for (let j = k - 1; j >= 0 && all[j].instancePath === a.instancePath && !branchOf.has(all[j]) && all[j].keyword !== 'anyOf'; j--) branches.unshift(all[j]);
    for (const b of branches) branchOf.set(b, a);
    const wants = branches.map((b) => message(b, undefined).replace(/^expected /, '').replace(/, got .*$/, ''));
    folded.set(a, `expected ${[...new Set(wants)].join(' or ')}, got ${describe(valueAt(p.value, a.instancePath.split('/').slice(1)))}`);
  });
  const inBranch = (e: ErrorObject) => branchOf.has(e);
  const errors = all.filter((e) => e.keyword !== 'if' && !inBranch(e));
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const e of errors) {
    // propertyNames reports twice (the name's own pattern error and the wrapper); keep the wrapper.
    if (e.propertyName !== undefined && e.keyword === 'pattern') continue;
    const segs = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let path = segs;
    let onKey = false;
    if (e.keyword === 'required') path = segs;
    if (e.keyword === 'additionalProperties') {
      path = [...segs, String((e.params as { additionalProperty: string }).additionalProperty)];
      onKey = true;
    }
    if (e.keyword === 'propertyNames') {
      path = [...segs, String((e.params as { propertyName: string }).propertyName)];
      onKey = true;
    }
    const shownPath = e.keyword === 'required' ? [...segs, String((e.params as { missingProperty: string }).missingProperty)] : path;
    const issue: ConfigIssue = {
      file: p.display,
      ...locate(p, path, onKey),
      path: '/' + shownPath.join('/'),
      message: folded.get(e) ?? message(e, valueAt(p.value, segs), e.keyword === 'type' ? sourceAt(p, segs) : undefined),
    };
    const key = `${issue.path}|${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** parse + schema-check; throws ConfigError with every issue. */
export async function loadYamlAgainst<T>(file: string, schema: object, base?: string): Promise<{ value: T; parsed: ParsedYaml }> {
  const parsed = await parseYamlFile(file, base);
  const issues = schemaIssues(parsed, schema);
  if (issues.length) throw new ConfigError(issues);
  return { value: parsed.value as T, parsed };
}
