import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { RowSchema } from '../spec/types.js';

// ajv-formats is CommonJS: its default export arrives as the module object under some loaders
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv, formats: string[]) => Ajv;

/**
 * Re-checks example rows with ajv (the reference JSON Schema validator) to produce the human message
 * of each violation. The SQL scan counts; ajv explains, and would reveal a disagreement between the two.
 */
export class RowChecker {
  private readonly validate: ValidateFunction;

  constructor(schema: RowSchema) {
    const rowSchema: Record<string, unknown> = { ...schema };
    delete rowSchema['x-slipway'];
    delete rowSchema.$schema;
    delete rowSchema.$id;
    // unknown columns are reported once, at the dataset level, not per row
    delete rowSchema.additionalProperties;
    const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true, allowUnionTypes: true });
    addFormats(ajv, ['date', 'date-time']);
    this.validate = ajv.compile(rowSchema);
  }

  /** Every ajv error for the row. */
  errors(row: Record<string, unknown>): ErrorObject[] {
    return this.validate(row) ? [] : [...(this.validate.errors ?? [])];
  }

  /**
   * The message for one rule on one row: ajv's own words for the matching error; when ajv accepts what
   * SQL flagged, that is said plainly (it would mean the SQL translation and JSON Schema disagree).
   */
  message(row: Record<string, unknown>, column: string, keyword: string, expected: string): string {
    const value = row[column];
    const errs = this.errors(row);
    const match = errs.find((e) =>
      keyword === 'required' ? e.keyword === 'required' && (e.params as { missingProperty?: string }).missingProperty === column : e.instancePath === `/${escapePointer(column)}` && e.keyword === keyword,
    );
    if (!match) return `${column}: SQL flagged ${show(value)} as not ${expected}, but ajv accepts it`;
    if (keyword === 'required') return `${column}: missing (null); the column is required`;
    const hint = typeof value === 'string' && /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(value) ? ' (thousands separators are not part of a number)' : '';
    return `${column}: ${show(value)} ${match.message ?? 'is invalid'}${hint}`;
  }
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v);
  if (v === undefined) return 'null';
  return JSON.stringify(v);
}
