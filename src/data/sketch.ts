/**
 * Builds the value sketch of a numeric column (src/drift/sketch.ts) in one DuckDB GROUP BY: the key
 * floor(log2(|v|) · 1024), mirrored for negative values, with count, sum, min, max and M2 per key; nulls
 * and NaN/±Infinity as groups of their own. Against a reference, each bin also counts its values below
 * the reference's minimum and above its maximum, so that the window's bucket counts stay exact.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { KEY_OFFSET, KEY_SCALE, sketchFromCounts, type ValueSketch } from '../drift/sketch.js';
import { sqlIdent } from './duckdb.js';

const NAN_KEY = 2_147_000_000;

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : v === null || v === undefined ? NaN : Number(v);
}

/** The key expression: monotone in v, 0 for v = 0, NULL for NULL, NAN_KEY for NaN and ±Infinity. */
export function sketchKeySql(v: string): string {
  return `CASE WHEN ${v} IS NULL THEN NULL WHEN NOT isfinite(${v}) THEN ${NAN_KEY} WHEN ${v} = 0 THEN 0 `
    + `WHEN ${v} > 0 THEN ${KEY_OFFSET} + floor(log2(${v}) * ${KEY_SCALE})::INTEGER `
    + `ELSE -${KEY_OFFSET} - floor(log2(-${v}) * ${KEY_SCALE})::INTEGER END`;
}

const INTEGER_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/i;
/** Integer columns spanning at most this many values are grouped by value (far cheaper than by key). */
export const VALUE_GROUP_SPAN = 1 << 20;

/** An integer column of a small span: its exact value counts, or null when its span is too wide. */
async function integerCounts(conn: DuckDBConnection, fromSql: string, column: string): Promise<{ values: number[]; counts: number[]; nulls: number } | null> {
  const c = sqlIdent(column);
  const [lo, hi] = (await conn.runAndReadAll(`SELECT min(${c})::DOUBLE, max(${c})::DOUBLE FROM ${fromSql}`)).getRows()[0].map((x) => (x === null ? null : Number(x)));
  if (lo !== null && hi !== null && (hi - lo > VALUE_GROUP_SPAN || Math.max(Math.abs(lo), Math.abs(hi)) > Number.MAX_SAFE_INTEGER)) return null;
  const r = await conn.runAndReadAll(`SELECT ${c}::DOUBLE AS v, count(*) AS n FROM ${fromSql} GROUP BY 1`);
  const out = { values: [] as number[], counts: [] as number[], nulls: 0 };
  for (const [v, n] of r.getRows()) {
    if (v === null) out.nulls = num(n);
    else {
      out.values.push(num(v));
      out.counts.push(num(n));
    }
  }
  return out;
}

/**
 * The sketch of one column of a relation; `range`: the reference's min and max, to count values outside
 * it; `type`: the column's DuckDB type (integer columns of a small span are grouped by value).
 */
export async function sketchColumn(conn: DuckDBConnection, fromSql: string, column: string, range?: { min: number; max: number }, type?: string): Promise<ValueSketch> {
  if (type && INTEGER_TYPE.test(type)) {
    const ints = await integerCounts(conn, fromSql, column);
    if (ints) return sketchFromCounts(ints.values, ints.counts, { nulls: ints.nulls, range });
  }
  const v = `${sqlIdent(column)}::DOUBLE`;
  const outside = range
    ? `, count(*) FILTER (WHERE ${v} < ${range.min}) AS below, count(*) FILTER (WHERE ${v} > ${range.max}) AS above`
    : '';
  const sql = `SELECT ${sketchKeySql(v)} AS k, count(*) AS n, sum(${v}) AS s, min(${v}) AS lo, max(${v}) AS hi, var_pop(${v}) FILTER (WHERE isfinite(${v})) AS var${outside}
    FROM ${fromSql} GROUP BY k ORDER BY k NULLS FIRST`;
  const r = await conn.runAndReadAll(sql);
  const cols = r.getColumns();
  const s: ValueSketch = { keys: [], n: [], sum: [], min: [], max: [], m2: [], nulls: 0, nans: 0 };
  if (range) {
    s.below = [];
    s.above = [];
  }
  const rows = r.currentRowCount;
  for (let i = 0; i < rows; i++) {
    const k = cols[0][i];
    const n = num(cols[1][i]);
    if (k === null) {
      s.nulls = n;
      continue;
    }
    if (num(k) === NAN_KEY) {
      s.nans = n;
      continue;
    }
    s.keys.push(num(k));
    s.n.push(n);
    s.sum.push(num(cols[2][i]));
    s.min.push(num(cols[3][i]));
    s.max.push(num(cols[4][i]));
    s.m2.push(num(cols[5][i]) * n);
    if (range) {
      s.below!.push(num(cols[6][i]));
      s.above!.push(num(cols[7][i]));
    }
  }
  return s;
}
