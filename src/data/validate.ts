import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnSchema, RowSchema } from '../spec/types.js';
import type { Profile } from '../drift/profile.js';
import { compileContract, csvReadType, declaredTypes, type ColumnExprs, type CompileContext, type CompiledContract, type CompiledRule } from './contract-sql.js';
import { openDuckDB, sqlIdent } from './duckdb.js';
import { openInput, parseSize, type Input } from './read-input.js';
import { readError } from './read-error.js';
import { RowChecker, show } from './recheck.js';
import { compareColumns, kindOf, newCategories } from './schema-drift.js';
import type { ValidationReport, Violation, ViolationExample } from './validation-types.js';

export const MAX_EXAMPLES = 5;

export interface ValidateOptions {
  /** the model's name (for the report) */
  model: string;
  schema: RowSchema;
  /** data file path or URL */
  data: string;
  /** how the data file is named in messages */
  display?: string;
  /** locates a JSON path in schema.json (for errors and annotations) */
  compile: CompileContext;
  /** DuckDB memory limit (default 512MB): bigger work spills to a temp directory */
  memoryLimit?: string;
  threads?: number;
  /** where DuckDB spills (default: a fresh directory under the OS temp dir, removed afterwards) */
  tempDir?: string;
  /** progress lines */
  progress?: (line: string) => void;
  /** the reference profile of the model in production: schema drift is reported against it */
  reference?: Profile;
  /** columns the reference never profiles (target, id): not reported as new */
  driftIgnore?: string[];
}

/** A violation plus where its rule lives in schema.json (for annotations); not part of the JSON report. */
export interface LocatedViolation extends Violation {
  schemaPath: string[];
}

export interface ValidationResult {
  report: ValidationReport;
  located: LocatedViolation[];
  /** the input's columns and DuckDB types (for schema drift) */
  inputColumns: { name: string; type: string }[];
}

function n(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : v === null || v === undefined ? 0 : Number(v);
}

async function query(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJS() as Record<string, unknown>[];
}

/** Validates one data file against a contract. Throws InputError when the file cannot be read. */
export async function validateData(o: ValidateOptions): Promise<ValidationResult> {
  const started = performance.now();
  const memoryLimit = o.memoryLimit ?? '512MB';
  const bytes = parseSize(memoryLimit);
  const ownTemp = o.tempDir ? null : await mkdtemp(join(tmpdir(), 'slipway-duckdb-'));
  // the temporary directory goes on every path, DuckDB refusing its settings included
  let conn: DuckDBConnection | undefined;
  try {
    conn = await openDuckDB({ memoryLimit, threads: o.threads, tempDir: o.tempDir ?? ownTemp! });
    const display = o.display ?? o.data;
    const input = await openInput(conn, o.data, display, { memoryLimit: bytes });
    o.progress?.(`${display}: ${input.format}, ${input.columns.length} columns`);
    if (input.format === 'csv' && input.columns.length === 1 && Object.keys(o.schema.properties).length > 1) {
      o.progress?.(`${display}: only one column, '${input.columns[0].name}': the delimiter is expected to be one of , ; tab |`);
    }
    return await run(conn, input, o, started);
  } finally {
    conn?.closeSync();
    if (ownTemp) await rm(ownTemp, { recursive: true, force: true });
  }
}

/** A rule screened by its column's min and max (rather than by a cheaper condition of its own). */
const byRange = (r: CompiledRule) => r.screen !== undefined && r.screen.kind !== 'quick';

interface Scan {
  contract: CompiledContract;
  types: Record<string, string>;
  row: Record<string, unknown>;
}

/**
 * The one aggregate scan: null counts, every rule's count (range rules on numeric columns screened by the
 * column's min and max instead), and the distinct count of unique columns.
 */
async function scan(conn: DuckDBConnection, input: Input, schema: RowSchema, ctx: CompileContext, o: ValidateOptions): Promise<Scan> {
  const props = schema.properties;
  const types: Record<string, string> = {};
  for (const c of input.columns) types[c.name] = input.format === 'csv' ? csvReadType(props[c.name]) : c.type;
  const unique = (schema['x-slipway']?.unique ?? []).filter((c) => types[c] !== undefined);
  // CSV: numeric columns are parsed as DOUBLE by the reader (as fast as the bare scan); when a value does
  // not parse, that column is re-read as text and the bad values are counted by TRY_CAST instead.
  for (let attempt = 0; ; attempt++) {
    const contract = compileContract(schema, types, input.format === 'csv', ctx);
    const sel = ['count(*) AS "__rows"'];
    contract.columns.forEach((e, i) => sel.push(e.physical === 'JSON' ? `count(*) - count_if(${e.isNull}) AS "__nn_col${i}"` : `count(${sqlIdent(e.name)}) AS "__nn_col${i}"`));
    // range and finiteness rules: the column's min and max (NaN sorts above +Infinity, so a NaN is the max);
    // integer columns keep their type (exact BIGINT in JS), others are compared as DOUBLE
    const screened = new Set(contract.rules.filter(byRange).map((r) => r.column!));
    contract.columns.forEach((e, i) => {
      if (!screened.has(e.name)) return;
      const cast = /INT/i.test(e.physical) ? '' : '::DOUBLE';
      sel.push(`min(${sqlIdent(e.name)})${cast} AS "__min${i}"`, `max(${sqlIdent(e.name)})${cast} AS "__max${i}"`);
    });
    contract.rules.forEach((r, i) => {
      if (r.screen?.kind === 'quick') sel.push(`count_if(${r.screen.sql}) AS "__rule${i}"`);
      else if (r.violates !== 'true' && !r.screen && r.rule !== 'required') sel.push(`count_if(${r.violates}) AS "__rule${i}"`);
    });
    unique.forEach((c, i) => sel.push(`count(DISTINCT ${sqlIdent(c)}) AS "__uniq${i}"`, `count(${sqlIdent(c)}) AS "__nn${i}"`));
    const readTypes = input.format === 'csv' ? types : undefined;
    try {
      const from = input.reader({ types: readTypes });
      if (input.format !== 'parquet') {
        const [row] = await query(conn, `SELECT ${sel.join(', ')} FROM ${from}`);
        return { contract, types, row };
      }
      // Parquet: counts, minima and maxima come from the file's metadata when DuckDB can use it, but only in a
      // query of their own (mixed with per-row rules, DuckDB computes them in the scan). NaN is counted in the
      // scan, not trusted to writers' statistics.
      const meta = sel.filter((x) => /^(count\(\*\)|count\("|min\("|max\(")/.test(x) && !x.startsWith('count(DISTINCT'));
      const rest = sel.filter((x) => !meta.includes(x));
      contract.columns.forEach((e, i) => {
        if (screened.has(e.name) && /^(FLOAT|DOUBLE|REAL)$/i.test(e.physical)) rest.push(`count_if(isnan(${sqlIdent(e.name)})) AS "__nan${i}"`);
      });
      const [a] = await query(conn, `SELECT ${meta.join(', ')} FROM ${from}`);
      const [b] = rest.length ? await query(conn, `SELECT ${rest.join(', ')} FROM ${from}`) : [{}];
      return { contract, types, row: { ...a, ...b } };
    } catch (e) {
      const msg = (e as Error).message ?? '';
      const bad = /converting column "((?:[^"]|"")*)"/.exec(msg)?.[1]?.replace(/""/g, '"');
      if (input.format === 'csv' && /Conversion Error/.test(msg) && attempt < input.columns.length) {
        if (bad !== undefined && types[bad] !== undefined && types[bad] !== 'VARCHAR') {
          o.progress?.(`${input.display}: column '${bad}' has values that are not numbers; counting them as text`);
          types[bad] = 'VARCHAR';
        } else {
          for (const k of Object.keys(types)) types[k] = 'VARCHAR';
        }
        continue;
      }
      throw await readError(e, input);
    }
  }
}

async function run(conn: DuckDBConnection, input: Input, o: ValidateOptions, started: number): Promise<ValidationResult> {
  const { schema } = o;
  const checker = new RowChecker(schema);
  const { contract, types, row } = await scan(conn, input, schema, o.compile, o);
  // examples are read with every CSV column as text, so they show the file's own characters ("Inf", not
  // Infinity); the rules compile to the same meaning over text (TRY_CAST instead of the reader's cast)
  const exTypes: Record<string, string> = input.format === 'csv' ? Object.fromEntries(Object.keys(types).map((k) => [k, 'VARCHAR'])) : types;
  const ex = input.format === 'csv' ? compileContract(schema, exTypes, true, o.compile) : contract;
  // the same rule in the text compilation (a typed column may have fewer rules: a BIGINT column has no type rule)
  const exRules = new Map(ex.rules.map((r) => [`${r.column}\u0000${r.rule}`, r]));
  const exRule = (r: CompiledRule) => exRules.get(`${r.column}\u0000${r.rule}`) ?? r;
  const rows = n(row.__rows);
  o.progress?.(`${input.display}: scanned ${rows} rows, ${contract.rules.length} rules`);
  const nulls: Record<string, number> = {};
  contract.columns.forEach((e, i) => (nulls[e.name] = rows - n(row[`__nn_col${i}`])));
  const colIndex = new Map(contract.columns.map((e, i) => [e.name, i]));
  /** the count of a rule from the scan, or null when its min/max screen failed and it must be counted */
  const scanned = (r: CompiledRule, i: number): number | null => {
    if (r.violates === 'true') return rows;
    if (r.rule === 'required') return nulls[r.column!];
    if (!r.screen) return n(row[`__rule${i}`]);
    if (r.screen.kind === 'quick') return n(row[`__rule${i}`]) === 0 ? 0 : null;
    const k = colIndex.get(r.column!)!;
    // numbers or (integer columns) bigints: JS compares a bigint with a number exactly
    const lo = row[`__min${k}`] as number | bigint | null;
    const hi = row[`__max${k}`] as number | bigint | null;
    if (lo === null || hi === null) return 0; // every value null
    const fin = (x: number | bigint) => typeof x === 'bigint' || Number.isFinite(x);
    const finite = fin(lo) && fin(hi) && !n(row[`__nan${k}`]);
    if (r.screen.kind === 'finite') return finite ? 0 : null;
    if (!finite) return null;
    if (r.screen.kind === 'low') return (r.screen.strict ? lo > r.screen.limit : lo >= r.screen.limit) ? 0 : null;
    return (r.screen.strict ? hi < r.screen.limit : hi <= r.screen.limit) ? 0 : null;
  };
  const nonNull = (c: string | null) => (c && nulls[c] !== undefined ? rows - nulls[c] : rows);
  const frac = (count: number, d: number) => (d > 0 ? count / d : 0);

  interface Pending {
    v: LocatedViolation;
    /** SQL selecting the violating rows, for examples; null when there are none to show */
    where: string | null;
    /** makes the message of one example */
    explain: (r: Record<string, unknown>) => string;
    basis: 'nonnull' | 'rows';
    /** the exact count from the examples scan (for rules whose screen failed) */
    counted?: number;
    /** fetched by a query of its own (a condition with a subquery: DuckDB runs it badly inside FILTER) */
    own?: boolean;
  }
  const setCount = (v: LocatedViolation, count: number, basis: 'nonnull' | 'rows') => {
    v.count = count;
    v.fraction = basis === 'rows' ? frac(count, rows) : frac(count, nonNull(v.column));
    v.fraction_of_rows = frac(count, rows);
  };
  const pending: Pending[] = [];

  contract.rules.forEach((r: CompiledRule, i) => {
    const found = scanned(r, i);
    if (found === 0 && r.violates !== 'true') return;
    const count = found ?? -1; // -1: counted in the examples scan
    const denominator = r.basis === 'rows' ? rows : nonNull(r.column);
    const v: LocatedViolation = {
      column: r.column,
      rule: r.rule,
      expected: r.expected,
      severity: r.severity,
      count,
      fraction: r.basis === 'rows' ? frac(count, rows) : frac(count, denominator),
      fraction_of_rows: frac(count, rows),
      examples: [],
      schemaPath: r.schemaPath,
    };
    const isMissing = r.violates === 'true';
    pending.push({
      v,
      where: isMissing ? null : exRule(r).violates,
      basis: r.basis,
      explain: (ex) => checker.message(ex, r.column!, r.keyword ?? r.rule, r.expected),
    });
  });

  // dataset-level expectations
  const exp = schema['x-slipway'] ?? {};
  if (exp.rows && ((exp.rows.min !== undefined && rows < exp.rows.min) || (exp.rows.max !== undefined && rows > exp.rows.max))) {
    const expected = [exp.rows.min !== undefined ? `>= ${exp.rows.min}` : '', exp.rows.max !== undefined ? `<= ${exp.rows.max}` : ''].filter(Boolean).join(' and ') + ' rows';
    pending.push({ v: { column: null, rule: 'rows', expected, severity: 'error', count: rows, fraction: 1, fraction_of_rows: 1, examples: [], schemaPath: ['x-slipway', 'rows'] }, where: null, basis: 'rows', explain: () => '' });
  }
  if (exp.max_null_fraction !== undefined) {
    for (const e of ex.columns) {
      const limit = typeof exp.max_null_fraction === 'number' ? exp.max_null_fraction : exp.max_null_fraction[e.name];
      if (limit === undefined) continue;
      const count = nulls[e.name];
      if (rows > 0 && count / rows > limit) {
        const path = typeof exp.max_null_fraction === 'number' ? ['x-slipway', 'max_null_fraction'] : ['x-slipway', 'max_null_fraction', e.name];
        pending.push({
          v: { column: e.name, rule: 'max_null_fraction', expected: `at most ${limit} of the rows null`, severity: 'error', count, fraction: count / rows, fraction_of_rows: count / rows, examples: [], schemaPath: path },
          where: e.isNull,
          basis: 'rows',
          explain: () => `${e.name}: null`,
        });
      }
    }
  }
  const unique = (exp.unique ?? []).filter((c) => types[c] !== undefined);
  for (const [i, c] of unique.entries()) {
    const nn = n(row[`__nn${i}`]);
    if (n(row[`__uniq${i}`]) === nn) continue;
    const q = sqlIdent(c);
    const [d] = await query(conn, `SELECT count(*) AS groups, coalesce(sum(k), 0) AS dup_rows FROM (SELECT count(*) AS k FROM ${input.reader({ types })} WHERE ${q} IS NOT NULL GROUP BY ${q} HAVING count(*) > 1)`);
    const count = n(d.dup_rows);
    if (count === 0) continue;
    const dupSet = `(SELECT ${q} FROM ${input.reader({ types })} WHERE ${q} IS NOT NULL GROUP BY ${q} HAVING count(*) > 1)`;
    pending.push({
      v: { column: c, rule: 'unique', expected: 'unique values', severity: 'error', count, fraction: frac(count, nn), fraction_of_rows: frac(count, rows), examples: [], schemaPath: ['x-slipway', 'unique'] },
      // examples read a CSV's columns as text: its values are cast back to the type the counts read them as
      where: `${input.format === 'csv' && types[c] !== 'VARCHAR' ? `TRY_CAST(${q} AS ${types[c]})` : q} IN ${dupSet}`,
      basis: 'nonnull',
      own: true,
      explain: (ex) => `${c}: ${show(ex[c])} appears more than once (${n(d.groups) === 1 ? '1 value is' : `${n(d.groups)} values are`} repeated)`,
    });
  }

  // examples: one more scan, only when something is violated, keeping the first rows in file order
  const withExamples = pending.filter((p) => p.where !== null && p.v.count !== 0);
  if (withExamples.length) {
    o.progress?.(`${input.display}: collecting examples for ${withExamples.length} violated rules`);
    await collectExamples(conn, input, exTypes, ex.columns, withExamples.filter((p) => !p.own));
    for (const p of withExamples.filter((x) => x.own)) await collectExamples(conn, input, exTypes, ex.columns, [p]);
  }
  let schemaDrift: ValidationReport['schema_drift'];
  if (o.reference) {
    const kinds = input.columns.map((c) => {
      const type = input.format === 'csv' ? types[c.name] : c.type;
      const declared = schema.properties[c.name] ? declaredTypes(schema.properties[c.name]).filter((t) => t !== 'null') : [];
      const kind = input.format === 'json' ? (declared.length && declared.every((t) => t === 'number' || t === 'integer') ? 'numeric' : 'categorical') : kindOf(type);
      return { name: c.name, kind: kind as 'numeric' | 'categorical', type };
    });
    const cols = compareColumns(o.reference, kinds, o.driftIgnore);
    const changed = new Set(cols.type_changes.map((t) => t.column));
    const present = new Set(input.columns.map((c) => c.name).filter((c) => !changed.has(c)));
    let categories: Record<string, string[]>;
    try {
      categories = await newCategories(conn, input.reader({ types: input.format === 'csv' ? types : undefined }), o.reference, present);
    } catch (e) {
      throw await readError(e, input);
    }
    schemaDrift = { ...cols, new_categories: categories };
  }
  // rules whose min/max screen failed were counted with the examples; those that were not violated after all go
  for (const p of pending) if (p.v.count < 0) setCount(p.v, p.counted ?? 0, p.basis);
  // an absent required column or an unknown one is a fault of the file even when it has no rows
  const absent = (v: Violation) => v.rule === 'required' && v.column !== null && types[v.column] === undefined;
  const located = pending.filter((p) => p.v.count > 0 || p.v.rule === 'rows' || p.v.rule === 'unknown_column' || absent(p.v)).map((p) => p.v);
  const order = (v: Violation) => (v.severity === 'error' ? 0 : 1);
  located.sort((a, b) => order(a) - order(b));
  const report: ValidationReport = {
    ok: !located.some((v) => v.severity === 'error'),
    model: o.model,
    data: input.display,
    format: input.format,
    rows,
    columns: input.columns.map((c) => c.name),
    violations: located.map(({ schemaPath: _drop, ...v }) => v),
    ...(schemaDrift ? { schema_drift: schemaDrift } : {}),
    duration_ms: Math.round(performance.now() - started),
  };
  return { report, located, inputColumns: input.columns.map((c) => ({ name: c.name, type: input.format === 'csv' ? types[c.name] : c.type })) };

  async function collectExamples(conn: DuckDBConnection, input: Input, types: Record<string, string>, cols: ColumnExprs[], items: Pending[]): Promise<void> {
    // the struct carries each column's raw value and its number/boolean interpretation (as the SQL saw it)
    const fields: string[] = ['"__row" := __row'];
    cols.forEach((e, i) => fields.push(`"r${i}" := ${sqlIdent(e.name)}`, `"n${i}" := ${e.asNum}`, `"b${i}" := ${e.asBool}`));
    const struct = `struct_pack(${fields.join(', ')})`;
    if (!items.length) return;
    const from = input.reader({ types: input.format === 'csv' ? types : undefined, rowNumbers: true });
    // first the row numbers (top-5 per rule, integers only: cheap), then those rows' values
    const sql =
      items.length === 1 && items[0].own
        ? `SELECT list(__row ORDER BY __row) AS "__ex0" FROM (SELECT __row FROM ${from} WHERE ${items[0].where} ORDER BY __row LIMIT ${MAX_EXAMPLES})`
        : `SELECT ${items.map((p, i) => `min(__row, ${MAX_EXAMPLES}) FILTER (WHERE ${p.where}) AS "__ex${i}"${p.v.count < 0 ? `, count_if(${p.where}) AS "__cnt${i}"` : ''}`).join(', ')} FROM ${from}`;
    let res: Record<string, unknown>;
    const byRow = new Map<number, Record<string, unknown>>();
    try {
      [res] = await query(conn, sql);
      items.forEach((p, i) => {
        if (p.v.count < 0) p.counted = n(res[`__cnt${i}`]);
      });
      const wanted = [...new Set(items.flatMap((_, i) => ((res[`__ex${i}`] as unknown[] | null) ?? []).map(n)))];
      if (wanted.length) {
        for (const r of await query(conn, `SELECT ${struct} AS s FROM ${from} WHERE __row IN (${wanted.join(', ')})`)) {
          const s = r.s as Record<string, unknown>;
          byRow.set(n(s.__row), s);
        }
      }
    } catch (e) {
      throw await readError(e, input);
    }
    o.progress?.(`${input.display}: examples fetched`);
    items.forEach((p, i) => {
      const list = ((res[`__ex${i}`] as unknown[] | null) ?? []).map((r) => byRow.get(n(r))!).filter(Boolean);
      p.v.examples = list.map((s): ViolationExample => {
        const obj = rowObject(s, cols, input.format);
        return { row: n(s.__row), value: p.v.column ? (obj.display[p.v.column] ?? null) : null, message: p.explain(obj.json) };
      });
    });
  }
}

/** The example row as ajv sees it (nulls absent) and as shown (raw values). */
function rowObject(s: Record<string, unknown>, cols: ColumnExprs[], format: Input['format']): { json: Record<string, unknown>; display: Record<string, unknown> } {
  const json: Record<string, unknown> = {};
  const display: Record<string, unknown> = {};
  cols.forEach((e, i) => {
    let raw = s[`r${i}`];
    if (raw === null || raw === undefined) return;
    if (format === 'json' && typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch {
        /* keep the text */
      }
      if (raw === null) return;
    }
    const asNum = s[`n${i}`];
    const asBool = s[`b${i}`];
    let v: unknown;
    if (typeof raw === 'bigint') v = Number(raw);
    else if (typeof raw === 'number' && !Number.isFinite(raw)) v = String(raw);
    else if (format === 'csv' && asNum !== null && asNum !== undefined) v = Number(asNum);
    else if (format === 'csv' && typeof asBool === 'boolean') v = asBool;
    else if (raw instanceof Date) v = raw.toISOString();
    else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'toString' in raw && format !== 'json') v = String(raw);
    else v = raw;
    json[e.name] = v;
    display[e.name] = typeof raw === 'bigint' ? Number(raw) : typeof raw === 'number' && !Number.isFinite(raw) ? String(raw) : typeof raw === 'object' && format !== 'json' && raw !== null ? String(raw) : raw;
  });
  return { json, display };
}

export type { ColumnSchema };
