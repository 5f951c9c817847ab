import type { DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '../errors.js';
import { sqlIdent, sqlString } from '../data/duckdb.js';
import { columnTypes } from '../data/profile.js';
import type { RowSchema } from '../spec/types.js';

/**
 * Sensitive columns are read as small integer codes computed by DuckDB rather than as strings (a
 * million JS strings per column cost more than the rest of the evaluation): one aggregate query lists
 * each column's distinct values, and the scoring scan selects each row's 1-based position in that
 * list (0 for null). Values are compared as text (CAST … AS VARCHAR): booleans read true/false.
 * A NaN in a floating-point column is missing, like null (its own group, "(missing)"), as the null
 * features count treats it: NumPy and Polars write missing floats as NaN, which DuckDB reads as 'nan'.
 */
export const MAX_GROUPS = 10_000;
/** the longest value a group may have: a category, not free text (the report's schema holds labels of up to 1,000) */
export const MAX_LABEL = 200;

export interface SensitiveCodes {
  /** per column, its distinct values (sorted); code k ≥ 1 is labels[k − 1], code 0 is missing */
  labels: Record<string, string[]>;
  /** the relation to scan: the data plus one code column per sensitive column */
  fromSql: string;
  /** the code column of each sensitive column */
  codeColumn: Record<string, string>;
  /** the contract extended with the code columns (integers) */
  contract: RowSchema;
}

export async function sensitiveCodes(conn: DuckDBConnection, fromSql: string, columns: string[], contract: RowSchema, where: string): Promise<SensitiveCodes> {
  if (columns.length === 0) return { labels: {}, fromSql, codeColumn: {}, contract };
  let row: Record<string, unknown>;
  let text: (c: string) => string;
  try {
    const types = await columnTypes(conn, fromSql);
    const float = (c: string) => /^(DOUBLE|FLOAT|REAL|FLOAT4|FLOAT8)$/i.test(types[c] ?? '');
    text = (c: string) => (float(c) ? `CAST(CASE WHEN isnan(${sqlIdent(c)}) THEN NULL ELSE ${sqlIdent(c)} END AS VARCHAR)` : `CAST(${sqlIdent(c)} AS VARCHAR)`);
    const sel = columns.map((c, i) => `count(DISTINCT ${text(c)}) AS n${i}, list(DISTINCT ${text(c)}) FILTER (WHERE ${text(c)} IS NOT NULL) AS v${i}, max(length(${text(c)})) AS l${i}`);
    row = (await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${fromSql}`)).getRowObjectsJS()[0] as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${where}: cannot read the sensitive column(s) ${columns.join(', ')}: ${(e as Error).message}`);
  }
  const labels: Record<string, string[]> = {};
  const codeColumn: Record<string, string> = {};
  const exprs: string[] = [];
  const properties = { ...contract.properties };
  columns.forEach((c, i) => {
    const n = Number(row[`n${i}`]);
    if (n > MAX_GROUPS) throw new InputError(`${where}: sensitive attribute '${c}' has ${n.toLocaleString('en-US')} distinct values; fairness needs a categorical column (at most ${MAX_GROUPS.toLocaleString('en-US')} groups)`);
    const longest = Number(row[`l${i}`] ?? 0);
    if (longest > MAX_LABEL) throw new InputError(`${where}: sensitive attribute '${c}' has a value of ${longest.toLocaleString('en-US')} characters; fairness needs a categorical column (values of at most ${MAX_LABEL} characters)`);
    const values = ((row[`v${i}`] as (string | null)[] | null) ?? []).filter((v): v is string => v !== null).sort();
    labels[c] = values;
    const name = `__slipway_group_${i}`;
    codeColumn[c] = name;
    properties[name] = { type: 'integer' };
    const list = values.length ? `[${values.map(sqlString).join(', ')}]` : '[]::VARCHAR[]';
    exprs.push(`coalesce(list_position(${list}, ${text(c)}), 0) AS ${sqlIdent(name)}`);
  });
  return { labels, codeColumn, fromSql: `(SELECT *, ${exprs.join(', ')} FROM ${fromSql})`, contract: { ...contract, properties } };
}

/**
 * An intersection has a group per combination present in the data: as for one attribute, at most
 * MAX_GROUPS of them, and labels (the values joined with ' & ') of at most 1,000 characters, what the
 * report's schema accepts (schemas/evaluation-report.schema.json).
 */
export function checkIntersection(name: string, labels: string[], where: string): void {
  if (labels.length > MAX_GROUPS) throw new InputError(`${where}: the intersection ${name} has ${labels.length.toLocaleString('en-US')} groups in the data; fairness compares at most ${MAX_GROUPS.toLocaleString('en-US')} (remove it from evaluate.intersections or use coarser attributes)`);
  const long = labels.find((l) => l.length > 1000);
  if (long !== undefined) throw new InputError(`${where}: the intersection ${name} has a group label of ${long.length.toLocaleString('en-US')} characters (at most 1,000): intersect fewer attributes`);
}
