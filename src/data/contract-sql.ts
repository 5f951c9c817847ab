import { ConfigError } from '../errors.js';
import type { ColumnSchema, RowSchema } from '../spec/types.js';
import { sqlIdent, sqlString } from './duckdb.js';
import { ecmaToRe2, UnsupportedPatternError } from './pattern-sql.js';

/**
 * Compiles a data contract (the row JSON Schema) into SQL: one boolean "violates" expression per rule,
 * evaluated for every row in a single aggregate scan. Pure: no I/O.
 *
 * Value semantics follow a JSON Schema validator looking at one row as a JSON object:
 * - null (an empty CSV field, a JSON null, a Parquet null) means the key is absent: only `required`
 *   (for a column whose type does not allow null) and the null-fraction expectation look at it;
 * - in CSV every value is text, so a value counts as a number when DuckDB casts it to a finite DOUBLE,
 *   as a boolean when it is true/false (any case); NaN, Infinity and thousands separators are not numbers;
 * - in Parquet the column's type decides; in JSON lines each value's own JSON type decides.
 */
export interface CompiledRule {
  column: string | null;
  rule: string;
  /** the JSON Schema keyword ajv reports for it (to match its message), or null for dataset-level rules */
  keyword: string | null;
  expected: string;
  severity: 'error' | 'warning';
  /** SQL: true for a row that violates the rule */
  violates: string;
  /** fraction basis: non-null values of the column, or all rows */
  basis: 'nonnull' | 'rows';
  /** where the rule lives in schema.json (for annotations) */
  schemaPath: string[];
  /**
   * A range rule on a column the reader typed as numbers can be screened by the column's min and max:
   * when they pass, no value violates it and it needs no count of its own (counted exactly, in the
   * examples scan, only when they do not). `quick` is a cheaper condition true for every violating value
   * (and maybe some others): when it counts none, no value violates the rule; else the rule is counted exactly.
   */
  screen?: { kind: 'finite' } | { kind: 'low' | 'high'; limit: number; strict: boolean } | { kind: 'quick'; sql: string };
}

/** SQL expressions interpreting one column's values. */
export interface ColumnExprs {
  name: string;
  physical: string;
  isNull: string;
  /** the value as a finite DOUBLE when it is a number, else NULL */
  asNum: string;
  /** the value as BOOLEAN when it is a boolean, else NULL */
  asBool: string;
  /** the value as VARCHAR when it is a string, else NULL */
  asStr: string;
}

export interface CompiledContract {
  rules: CompiledRule[];
  columns: ColumnExprs[];
  /** schema columns missing from the data */
  missing: string[];
  /** data columns the schema does not know */
  unknown: string[];
}

const FLOAT_TYPE = /^(FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;
const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

export function declaredTypes(s: ColumnSchema): string[] {
  if (s.type === undefined) return [];
  return Array.isArray(s.type) ? s.type : [s.type];
}

export function allowsNull(s: ColumnSchema): boolean {
  const t = declaredTypes(s);
  return t.length === 0 || t.includes('null') || (s.enum?.includes(null) ?? false);
}

/**
 * How to read a CSV column on the fast path: BIGINT when the contract only allows integers, DOUBLE when it
 * only allows numbers, else VARCHAR. A value the reader cannot convert (text, `3.0` for BIGINT) sends that
 * column back to VARCHAR, where every rule has the same meaning.
 */
export function csvReadType(s: ColumnSchema | undefined): string {
  if (!s) return 'VARCHAR';
  const t = declaredTypes(s).filter((x) => x !== 'null');
  if (t.length > 0 && t.every((x) => x === 'integer')) return 'BIGINT';
  return t.length > 0 && t.every((x) => x === 'number' || x === 'integer') ? 'DOUBLE' : 'VARCHAR';
}

export function columnExprs(name: string, physical: string, s: ColumnSchema | undefined, textual: boolean): ColumnExprs {
  const c = sqlIdent(name);
  const types = s ? declaredTypes(s) : [];
  if (physical === 'JSON') {
    return {
      name,
      physical,
      isNull: `(${c} IS NULL OR json_type(${c}) = 'NULL')`,
      asNum: `CASE WHEN json_type(${c}) IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND isfinite(TRY_CAST(${c} AS DOUBLE)) THEN TRY_CAST(${c} AS DOUBLE) END`,
      asBool: `CASE WHEN json_type(${c}) = 'BOOLEAN' THEN TRY_CAST(${c} AS BOOLEAN) END`,
      asStr: `CASE WHEN json_type(${c}) = 'VARCHAR' THEN ${c} ->> '$' END`,
    };
  }
  if (NUMERIC_TYPE.test(physical)) {
    const d = physical === 'DOUBLE' ? c : `${c}::DOUBLE`;
    return { name, physical, isNull: `${c} IS NULL`, asNum: `CASE WHEN isfinite(${d}) THEN ${d} END`, asBool: 'NULL', asStr: 'NULL' };
  }
  if (physical === 'BOOLEAN') return { name, physical, isNull: `${c} IS NULL`, asNum: 'NULL', asBool: c, asStr: 'NULL' };
  if (physical === 'VARCHAR') {
    // CSV text is interpreted by the declared types; a Parquet string is a string
    const numeric = textual && (types.includes('number') || types.includes('integer'));
    const boolean = textual && types.includes('boolean');
    const asNum = numeric ? `CASE WHEN isfinite(TRY_CAST(${c} AS DOUBLE)) THEN TRY_CAST(${c} AS DOUBLE) END` : 'NULL';
    const boolParse = `CASE lower(trim(${c})) WHEN 'true' THEN true WHEN 'false' THEN false END`;
    const asBool = boolean ? (numeric ? `CASE WHEN (${asNum}) IS NULL THEN ${boolParse} END` : boolParse) : 'NULL';
    const asStr = numeric || boolean ? `CASE WHEN (${asNum}) IS NULL AND (${asBool}) IS NULL THEN ${c} END` : c;
    return { name, physical, isNull: `${c} IS NULL`, asNum, asBool, asStr };
  }
  if (/^(DATE|TIMESTAMP.*|TIME.*)$/i.test(physical)) {
    return { name, physical, isNull: `${c} IS NULL`, asNum: 'NULL', asBool: 'NULL', asStr: `${c}::VARCHAR` };
  }
  // lists, structs, blobs…: none of the contract's scalar types
  return { name, physical, isNull: `${c} IS NULL`, asNum: 'NULL', asBool: 'NULL', asStr: 'NULL' };
}

function num(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return `${n}::DOUBLE`;
}

function typeOk(e: ColumnExprs, types: string[]): string {
  const parts: string[] = [];
  for (const t of types) {
    if (t === 'number') parts.push(`(${e.asNum}) IS NOT NULL`);
    else if (t === 'integer') parts.push(`((${e.asNum}) IS NOT NULL AND (${e.asNum}) = trunc(${e.asNum}))`);
    else if (t === 'boolean') parts.push(`(${e.asBool}) IS NOT NULL`);
    else if (t === 'string') parts.push(`(${e.asStr}) IS NOT NULL`);
  }
  return parts.length ? parts.join(' OR ') : 'false';
}

function describeTypes(types: string[]): string {
  return types.length === 1 ? types[0] : types.slice(0, -1).join(', ') + ' or ' + types[types.length - 1];
}

const DATE_RE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
// RFC 3339 date-time as ajv-formats checks it: a time zone is required, T/t or a space separate the parts
const DATE_TIME_RE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])$';

export interface CompileContext {
  /** schema.json as shown in messages (for ConfigErrors on untranslatable patterns) */
  schemaDisplay: string;
  locate: (path: string[]) => { line?: number; column?: number };
}

/**
 * Compiles the contract against the columns the data actually has (name → physical DuckDB type).
 */
export function compileContract(schema: RowSchema, physical: Record<string, string>, textual: boolean, ctx: CompileContext): CompiledContract {
  const props = schema.properties;
  const expectations = schema['x-slipway'] ?? {};
  const present = new Set(Object.keys(physical));
  const required = new Set(schema.required ?? []);
  const requiredPath = (c: string) => ['required', String((schema.required ?? []).indexOf(c))];
  const rules: CompiledRule[] = [];
  const columns: ColumnExprs[] = [];
  const missing = Object.keys(props).filter((c) => !present.has(c));
  const unknown = Object.keys(physical).filter((c) => !(c in props));

  for (const [name, s] of Object.entries(props)) {
    if (!present.has(name)) continue;
    const e = columnExprs(name, physical[name], s, textual);
    columns.push(e);
    const types = declaredTypes(s).filter((t) => t !== 'null');
    const at = (k: string) => ['properties', name, k];
    const add = (rule: string, keyword: string, expected: string, cond: string, basis: 'nonnull' | 'rows' = 'nonnull', path = at(keyword), screen?: CompiledRule['screen']) =>
      rules.push({ column: name, rule, keyword, expected, severity: 'error', violates: cond, basis, schemaPath: path, ...(screen ? { screen } : {}) });

    if (required.has(name) && !allowsNull(s)) add('required', 'required', 'a value (the column is required and not nullable)', e.isNull, 'rows', requiredPath(name));
    // Fast paths (same meaning, cheaper SQL): a column the reader already typed as numbers needs no CASE
    // (NaN and ±Infinity are excluded by range: DuckDB orders NaN above +Infinity), and a text column
    // read as-is is its own string value.
    const c = sqlIdent(name);
    const phys = physical[name];
    const floatPhys = FLOAT_TYPE.test(phys);
    const numPhys = NUMERIC_TYPE.test(phys);
    const plainText = phys === 'VARCHAR' && e.asStr === c;
    if (types.length) {
      let cond = `NOT (${e.isNull}) AND NOT (${typeOk(e, types)})`;
      if (numPhys) {
        if (types.includes('number') || (types.includes('integer') && !floatPhys)) cond = floatPhys ? `NOT isfinite(${c})` : '';
        else if (types.includes('integer')) cond = `NOT (isfinite(${c}) AND ${c} = trunc(${c}))`;
        else cond = `${c} IS NOT NULL`;
      } else if ((plainText && types.includes('string')) || (phys === 'BOOLEAN' && types.includes('boolean'))) cond = '';
      else if (textual && phys === 'VARCHAR' && types.length === 1 && types[0] === 'boolean') {
        // the exact spellings first: lower/trim only runs on the rest
        // exact: any case, trimmed; screened by the exact spellings (no per-value string work unless one differs)
        cond = `lower(trim(${c})) NOT IN ('true', 'false')`;
        add('type', 'type', describeTypes(types), cond, 'nonnull', at('type'), { kind: 'quick', sql: `NOT list_contains(['true', 'false'], ${c})` });
        cond = '';
      }
      if (cond) add('type', 'type', describeTypes(types), cond, 'nonnull', at('type'), numPhys && floatPhys && types.includes('number') ? { kind: 'finite' } : undefined);
    }
    const n = e.asNum;
    const low = (cmp: string, m: number) => (numPhys ? `${c} ${cmp} ${num(m)}${floatPhys ? ` AND ${c} >= ${num(-Number.MAX_VALUE)}` : ''}` : `(${n}) ${cmp} ${num(m)}`);
    const high = (cmp: string, m: number) => (numPhys ? `${c} ${cmp} ${num(m)}${floatPhys ? ` AND ${c} <= ${num(Number.MAX_VALUE)}` : ''}` : `(${n}) ${cmp} ${num(m)}`);
    const sc = (kind: 'low' | 'high', limit: number, strict: boolean) => (numPhys ? { kind, limit, strict } : undefined);
    if (s.minimum !== undefined) add('minimum', 'minimum', `>= ${s.minimum}`, low('<', s.minimum), 'nonnull', at('minimum'), sc('low', s.minimum, false));
    if (s.maximum !== undefined) add('maximum', 'maximum', `<= ${s.maximum}`, high('>', s.maximum), 'nonnull', at('maximum'), sc('high', s.maximum, false));
    if (s.exclusiveMinimum !== undefined) add('exclusiveMinimum', 'exclusiveMinimum', `> ${s.exclusiveMinimum}`, low('<=', s.exclusiveMinimum), 'nonnull', at('exclusiveMinimum'), sc('low', s.exclusiveMinimum, true));
    if (s.exclusiveMaximum !== undefined) add('exclusiveMaximum', 'exclusiveMaximum', `< ${s.exclusiveMaximum}`, high('>=', s.exclusiveMaximum), 'nonnull', at('exclusiveMaximum'), sc('high', s.exclusiveMaximum, true));
    if (s.enum && (numPhys || plainText)) {
      // list_contains (NULL for a null value, so not counted) is much faster in DuckDB than NOT IN over strings;
      // literals of the column's own type: comparing an integer column with DOUBLE literals would cast every value
      const nums = s.enum.filter((v): v is number => typeof v === 'number');
      const allowed = numPhys ? (floatPhys ? nums.map(num) : nums.filter(Number.isInteger).map(String)) : s.enum.filter((v): v is string => typeof v === 'string').map(sqlString);
      add('enum', 'enum', `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`, allowed.length ? `NOT list_contains([${allowed.join(', ')}], ${c})` : `${c} IS NOT NULL`);
    } else if (s.enum) {
      const nums = s.enum.filter((v): v is number => typeof v === 'number');
      const strs = s.enum.filter((v): v is string => typeof v === 'string');
      const bools = s.enum.filter((v): v is boolean => typeof v === 'boolean');
      const ok: string[] = [];
      if (nums.length) ok.push(`(${n}) IN (${nums.map(num).join(', ')})`);
      if (strs.length) ok.push(`(${e.asStr}) IN (${strs.map(sqlString).join(', ')})`);
      if (bools.length) ok.push(`(${e.asBool}) IN (${bools.map(String).join(', ')})`);
      const expected = `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
      add('enum', 'enum', expected, `NOT (${e.isNull}) AND NOT coalesce(${ok.length ? ok.join(' OR ') : 'false'}, false)`);
    }
    if (s.pattern !== undefined) {
      let re2: string;
      try {
        re2 = ecmaToRe2(s.pattern);
      } catch (err) {
        if (!(err instanceof UnsupportedPatternError)) throw err;
        throw new ConfigError([{ file: ctx.schemaDisplay, ...ctx.locate(at('pattern')), path: `/properties/${name}/pattern`, message: `the pattern uses ${err.message}, which validate cannot check in SQL (RE2 has no lookaround or backreferences); rewrite it without` }]);
      }
      add('pattern', 'pattern', `matches ${s.pattern}`, `NOT regexp_matches(${e.asStr}, ${sqlString(re2)})`);
    }
    if (s.minLength !== undefined) add('minLength', 'minLength', `at least ${s.minLength} characters`, `length(${e.asStr}) < ${s.minLength}`);
    if (s.maxLength !== undefined) add('maxLength', 'maxLength', `at most ${s.maxLength} characters`, `length(${e.asStr}) > ${s.maxLength}`);
    if (s.format === 'date' && !/^DATE$/i.test(e.physical)) {
      add('format', 'format', 'a date (RFC 3339 full-date, YYYY-MM-DD)', `(${e.asStr}) IS NOT NULL AND NOT (regexp_full_match(${e.asStr}, '${DATE_RE}') AND TRY_CAST(${e.asStr} AS DATE) IS NOT NULL)`);
    }
    if (s.format === 'date-time' && !/^TIMESTAMP/i.test(e.physical)) {
      add('format', 'format', 'a date-time (RFC 3339, with a time zone)', `(${e.asStr}) IS NOT NULL AND NOT (regexp_full_match(${e.asStr}, '${DATE_TIME_RE}') AND TRY_CAST(substr(${e.asStr}, 1, 10) AS DATE) IS NOT NULL)`);
    }
  }
  for (const name of missing) {
    if (required.has(name)) {
      rules.push({ column: name, rule: 'required', keyword: 'required', expected: 'the column to be present', severity: 'error', violates: 'true', basis: 'rows', schemaPath: requiredPath(name) });
    }
  }
  const unknownPolicy = expectations.unknown_columns ?? (schema.additionalProperties === false ? 'error' : 'warn');
  if (unknownPolicy !== 'ignore') {
    for (const name of unknown) {
      rules.push({
        column: name,
        rule: 'unknown_column',
        keyword: null,
        expected: 'only columns the schema declares',
        severity: unknownPolicy === 'error' ? 'error' : 'warning',
        violates: 'true',
        basis: 'rows',
        schemaPath: expectations.unknown_columns ? ['x-slipway', 'unknown_columns'] : schema.additionalProperties === false ? ['additionalProperties'] : ['properties'],
      });
    }
  }
  return { rules, columns, missing, unknown };
}
