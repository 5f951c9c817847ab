import type { DuckDBConnection } from '@duckdb/node-api';
import { InputError } from '../errors.js';
import { sqlIdent, sqlString } from '../data/duckdb.js';
import type { RowSchema } from '../spec/types.js';

/**
 * Sensitive columns are read as small integer codes computed by DuckDB rather than as strings (a
 * million JS strings per column cost more than the rest of the evaluation): one aggregate query lists
 * each column's distinct values, and the scoring scan selects each row's 1-based position in that
 * list (0 for null). Values are compared as text (CAST … AS VARCHAR): booleans read true/false.
 */
export const MAX_GROUPS = 10_000;

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
  const text = (c: string) => `CAST(${sqlIdent(c)} AS VARCHAR)`;
  const sel = columns.map((c, i) => `count(DISTINCT ${text(c)}) AS n${i}, list(DISTINCT ${text(c)}) FILTER (WHERE ${sqlIdent(c)} IS NOT NULL) AS v${i}`);
  let row: Record<string, unknown>;
  try {
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
