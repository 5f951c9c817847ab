/**
 * Reading the report's inputs as untrusted JSON: bounded size, parsed, and checked with ajv
 * against the committed schemas (schemas/*.schema.json). Errors name the file, the field and what
 * was expected.
 */
import { lstatSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { InputError } from '../errors.js';
import { SCHEMA_DIR } from '../spec/schemas.js';
import type { EvaluationReport } from '../evaluate/report-types.js';
import type { ValidationReport } from '../data/validation-types.js';
import { CARD_FILE } from '../package/card.js';
import type { CardLineage } from './render.js';
import { parseJsonFile } from '../spec/json-syntax.js';

export const MiB = 1024 * 1024;
export const LIMITS = { evaluation: 32 * MiB, validation: 4 * MiB, card: 8 * MiB, pr: 4096 } as const;

export type SchemaName = 'evaluation-report' | 'validation-report' | 'report-card' | 'report-bundle-pr';

let ajv: Ajv | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    ajv ??= new Ajv({ allErrors: true, strict: false });
    v = ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}.schema.json`), 'utf8')) as object);
    compiled.set(name, v);
  }
  return v;
}

/** Reads at most `max` bytes of a regular file; refuses anything bigger, links and non-files. */
export function readBounded(file: string, max: number, label = file): string {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    throw new InputError(`${label}: file not found`);
  }
  if (st.isSymbolicLink()) throw new InputError(`${label}: is a symbolic link; refusing to follow it`);
  if (!st.isFile()) throw new InputError(`${label}: is not a regular file`);
  if (st.size > max) throw new InputError(`${label}: is ${st.size.toLocaleString('en-US')} bytes; the limit is ${max.toLocaleString('en-US')}`);
  const buf = Buffer.alloc(max + 1);
  const fd = openSync(file, 'r');
  let n = 0;
  try {
    for (let r; n <= max && (r = readSync(fd, buf, n, max + 1 - n, null)) > 0; ) n += r;
  } finally {
    closeSync(fd);
  }
  if (n > max) throw new InputError(`${label}: grew beyond the limit of ${max.toLocaleString('en-US')} bytes while being read`);
  const text = buf.subarray(0, n).toString('utf8');
  if (text.includes('\ufffd') && !buf.subarray(0, n).includes(Buffer.from('\ufffd'))) throw new InputError(`${label}: is not valid UTF-8`);
  return text;
}

/** Parses and validates one JSON input; every schema error is listed (up to 20). */
export function parseChecked<T>(text: string, schema: SchemaName, label: string): T {
  const value = parseJsonFile(label, text);
  const v = validator(schema);
  if (!v(value)) {
    const issues = (v.errors ?? []).slice(0, 20).map((e) => {
      const where = e.instancePath || '(root)';
      const extra = e.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty).slice(0, 60)}'` : '';
      return `  ${label}: ${where}: ${e.message ?? 'invalid'}${extra}`;
    });
    throw new InputError(`${label} does not match schemas/${schema}.schema.json:\n${issues.join('\n')}`);
  }
  return value as T;
}

export function loadEvaluation(file: string): EvaluationReport {
  return checkEvaluation(parseChecked<EvaluationReport>(readBounded(file, LIMITS.evaluation), 'evaluation-report', file), file);
}

/** What the schema cannot say: the candidate and the champion are packages of the evaluated model. */
export function checkEvaluation(e: EvaluationReport, label: string): EvaluationReport {
  if (e.roc_curve && e.roc_curve.fpr.length !== e.roc_curve.tpr.length) throw new InputError(`${label}: /roc_curve: fpr and tpr must have the same length`);
  if (e.candidate.name !== e.model) throw new InputError(`${label}: /candidate/name: is '${e.candidate.name}', expected the evaluated model '${e.model}' (/model)`);
  if (e.champion && e.champion.name !== e.model) throw new InputError(`${label}: /champion/name: is '${e.champion.name}', expected the evaluated model '${e.model}' (/model): a champion is the same model's deployed version`);
  return e;
}

export function loadValidation(file: string): ValidationReport {
  return parseChecked<ValidationReport>(readBounded(file, LIMITS.validation), 'validation-report', file);
}

/** The card of a package directory (its slipway.json), or a card file itself. */
export function loadCard(pathOrDir: string): CardLineage {
  let file = pathOrDir;
  try {
    if (lstatSync(pathOrDir).isDirectory()) file = join(pathOrDir, CARD_FILE);
  } catch {
    throw new InputError(`${pathOrDir}: package not found`);
  }
  return parseChecked<CardLineage>(readBounded(file, LIMITS.card), 'report-card', file);
}
