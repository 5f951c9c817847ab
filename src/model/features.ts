import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBDoubleVector, DuckDBVarCharVector } from '@duckdb/node-api';
import { InputError } from '../errors.js';
import { columnTypes } from '../data/profile.js';
import { sqlIdent } from '../data/duckdb.js';
import type { ColumnSchema, RowSchema } from '../spec/types.js';

/**
 * Feature columns as the model adapter takes them: numeric, integer and boolean columns as
 * Float64Array (NaN for null, booleans 0/1); string columns as string arrays (null for null).
 */
export type FeatureColumn = Float64Array | (string | null)[];

export interface FeatureBatch {
  rows: number;
  columns: Record<string, FeatureColumn>;
}

export type ColumnKind = 'number' | 'integer' | 'boolean' | 'string';

/** The kind of a contract column: its first non-null JSON Schema type (number when untyped). */
export function columnKind(schema: ColumnSchema | undefined): ColumnKind {
  const types = schema?.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const t = types.find((x) => x !== 'null');
  if (t === 'integer' || t === 'boolean' || t === 'string' || t === 'number') return t;
  if (t === undefined && schema?.enum?.length) {
    const first = schema.enum.find((v) => v !== null);
    if (typeof first === 'string') return 'string';
    if (typeof first === 'boolean') return 'boolean';
  }
  return 'number';
}

export function isNumericKind(kind: ColumnKind): boolean {
  return kind !== 'string';
}

function contractColumn(contract: RowSchema, column: string): ColumnSchema {
  const s = contract.properties[column];
  if (!s) throw new InputError(`feature '${column}' is not a column of the data contract (columns: ${Object.keys(contract.properties).join(', ')})`);
  return s;
}

/** The SELECT expression reading one feature as DOUBLE (never null: NaN) or VARCHAR. */
function selectExpr(column: string, kind: ColumnKind): string {
  const c = sqlIdent(column);
  if (kind === 'string') return `CAST(${c} AS VARCHAR)`;
  if (kind === 'boolean') return `coalesce(CAST(CAST(${c} AS BOOLEAN) AS DOUBLE), 'NaN'::DOUBLE)`;
  return `coalesce(CAST(${c} AS DOUBLE), 'NaN'::DOUBLE)`;
}

async function checkColumns(conn: DuckDBConnection, fromSql: string, columns: string[]): Promise<void> {
  let types: Record<string, string>;
  try {
    types = await columnTypes(conn, fromSql);
  } catch (e) {
    throw new InputError(`cannot read ${fromSql}: ${(e as Error).message}`);
  }
  const missing = columns.filter((c) => !(c in types));
  if (missing.length) throw new InputError(`${fromSql}: missing feature column(s) ${missing.map((c) => `'${c}'`).join(', ')} (the data has: ${Object.keys(types).join(', ')})`);
}

/** Copies the items of a DOUBLE vector that has no nulls (our SELECT coalesces them to NaN). */
function doubleItems(vector: unknown, rows: number): Float64Array {
  if (vector instanceof DuckDBDoubleVector) {
    // The vector's backing Float64Array is a view on DuckDB's chunk memory: copy it out in one go.
    const items = (vector as unknown as { items?: unknown }).items;
    if (items instanceof Float64Array && items.length === rows) return items.slice();
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) out[i] = vector.getItem(i) ?? NaN;
    return out;
  }
  throw new Error('expected a DOUBLE vector');
}

function stringItems(vector: unknown, rows: number): (string | null)[] {
  if (!(vector instanceof DuckDBVarCharVector)) throw new Error('expected a VARCHAR vector');
  const out = new Array<string | null>(rows);
  for (let i = 0; i < rows; i++) out[i] = vector.getItem(i);
  return out;
}

function concat(parts: FeatureColumn[], rows: number, numeric: boolean): FeatureColumn {
  if (parts.length === 1) return parts[0];
  if (numeric) {
    const out = new Float64Array(rows);
    let at = 0;
    for (const p of parts as Float64Array[]) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  return ([] as (string | null)[]).concat(...(parts as (string | null)[][]));
}

/**
 * Streams the feature columns of a relation (`read_parquet('…')`, a table, a subquery) as typed
 * batches of up to `batchSize` rows. Numeric columns are cast to DOUBLE in DuckDB and copied out of
 * its vectors as Float64Arrays (no per-row objects); strings are read per item.
 */
export async function* readFeatureBatches(conn: DuckDBConnection, fromSql: string, columns: string[], contract: RowSchema, batchSize = 65536): AsyncIterable<FeatureBatch> {
  if (!(batchSize >= 1)) throw new InputError(`batch size must be at least 1, got ${batchSize}`);
  const kinds = columns.map((c) => columnKind(contractColumn(contract, c)));
  await checkColumns(conn, fromSql, columns);
  const sql = `SELECT ${columns.map((c, i) => `${selectExpr(c, kinds[i])} AS "c${i}"`).join(', ')} FROM ${fromSql}`;
  let result;
  try {
    result = await conn.stream(sql);
  } catch (e) {
    throw new InputError(`cannot read the features from ${fromSql}: ${(e as Error).message}`);
  }
  let pending: FeatureColumn[][] = columns.map(() => []);
  let pendingRows = 0;
  const flush = (): FeatureBatch => {
    const out: Record<string, FeatureColumn> = {};
    columns.forEach((c, i) => (out[c] = concat(pending[i], pendingRows, isNumericKind(kinds[i]))));
    const batch = { rows: pendingRows, columns: out };
    pending = columns.map(() => []);
    pendingRows = 0;
    return batch;
  };
  for (;;) {
    let chunk;
    try {
      chunk = await result.fetchChunk();
    } catch (e) {
      throw new InputError(`cannot read the features from ${fromSql}: ${(e as Error).message}`);
    }
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    let offset = 0;
    while (offset < n) {
      const take = Math.min(n - offset, batchSize - pendingRows);
      columns.forEach((_, i) => {
        const v = chunk.getColumnVector(i);
        const full = isNumericKind(kinds[i]) ? doubleItems(v, n) : stringItems(v, n);
        pending[i].push(offset === 0 && take === n ? full : full.slice(offset, offset + take));
      });
      pendingRows += take;
      offset += take;
      if (pendingRows === batchSize) yield flush();
    }
  }
  if (pendingRows > 0) yield flush();
}

/** All the feature rows of a relation as one batch. */
export async function readFeatureTable(conn: DuckDBConnection, fromSql: string, columns: string[], contract: RowSchema): Promise<FeatureBatch> {
  const batches: FeatureBatch[] = [];
  for await (const b of readFeatureBatches(conn, fromSql, columns, contract, 1 << 20)) batches.push(b);
  return concatBatches(batches, columns, contract);
}

export function concatBatches(batches: FeatureBatch[], columns: string[], contract: RowSchema): FeatureBatch {
  const rows = batches.reduce((s, b) => s + b.rows, 0);
  const out: Record<string, FeatureColumn> = {};
  for (const c of columns) {
    const numeric = isNumericKind(columnKind(contract.properties[c]));
    out[c] = batches.length ? concat(batches.map((b) => b.columns[c]), rows, numeric) : numeric ? new Float64Array(0) : [];
  }
  return { rows, columns: out };
}

/** The first `n` rows of a batch (views for numeric columns). */
export function sliceBatch(batch: FeatureBatch, start: number, end: number): FeatureBatch {
  const columns: Record<string, FeatureColumn> = {};
  for (const [c, v] of Object.entries(batch.columns)) columns[c] = v instanceof Float64Array ? v.subarray(start, end) : v.slice(start, end);
  return { rows: Math.max(0, Math.min(end, batch.rows) - start), columns };
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

/**
 * Builds a batch from JSON row objects (a serving request). Wrong types are InputErrors naming the
 * row, the column and what was expected; a missing or null value is a null (NaN for numbers).
 */
export function batchFromRows(rows: Record<string, unknown>[], columns: string[], contract: RowSchema): FeatureBatch {
  if (!Array.isArray(rows)) throw new InputError('expected an array of row objects');
  const out: Record<string, FeatureColumn> = {};
  const kinds = columns.map((c) => columnKind(contractColumn(contract, c)));
  // one backing store for every numeric column (views into it): a small typed array costs ~1 µs to allocate,
  // which on the serving path (a batch per event-loop turn) was most of the cost of building a batch
  const backing = new Float64Array(rows.length * kinds.filter((k) => k !== 'string').length);
  let at = 0;
  for (let j = 0; j < columns.length; j++) {
    const c = columns[j];
    const kind = kinds[j];
    if (kind === 'string') {
      const col = new Array<string | null>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = rowAt(rows, i)[c];
        if (v === null || v === undefined) col[i] = null;
        else if (typeof v === 'string') col[i] = v;
        else throw new InputError(`row ${i}, column '${c}': expected a string, got ${describe(v)}`);
      }
      out[c] = col;
      continue;
    }
    const col = backing.subarray(at, at + rows.length);
    at += rows.length;
    for (let i = 0; i < rows.length; i++) {
      const v = rowAt(rows, i)[c];
      if (v === null || v === undefined) col[i] = NaN;
      else if (kind === 'boolean') {
        if (typeof v === 'boolean') col[i] = v ? 1 : 0;
        else if (v === 0 || v === 1) col[i] = v;
        else throw new InputError(`row ${i}, column '${c}': expected a boolean (true/false), got ${describe(v)}`);
      } else if (typeof v === 'number' && Number.isFinite(v)) {
        if (kind === 'integer' && !Number.isInteger(v)) throw new InputError(`row ${i}, column '${c}': expected an integer, got ${v}`);
        col[i] = v;
      } else throw new InputError(`row ${i}, column '${c}': expected ${kind === 'integer' ? 'an integer' : 'a finite number'}, got ${describe(v)}`);
    }
    out[c] = col;
  }
  return { rows: rows.length, columns: out };
}

function rowAt(rows: Record<string, unknown>[], i: number): Record<string, unknown> {
  const r = rows[i];
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InputError(`row ${i}: expected an object of column values, got ${describe(r)}`);
  return r;
}
