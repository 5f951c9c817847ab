import type { DuckDBConnection } from '@duckdb/node-api';
import type { Profile } from '../drift/profile.js';
import { sqlIdent, sqlString } from './duckdb.js';
import type { ValidationReport } from './validation-types.js';

export type SchemaDrift = NonNullable<ValidationReport['schema_drift']>;

/** At most this many new categories are listed per column (the report stays small). */
export const MAX_NEW_CATEGORIES = 20;

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

/** numeric | categorical, as the reference profile classifies columns. */
export function kindOf(type: string): 'numeric' | 'categorical' {
  return NUMERIC.test(type) ? 'numeric' : 'categorical';
}

/**
 * Column-level drift (pure part): new and missing columns and kind changes against the reference profile.
 * `ignore` lists columns a reference never profiles (the target, the id).
 */
export function compareColumns(reference: Profile, columns: { name: string; kind: 'numeric' | 'categorical'; type: string }[], ignore: string[] = []): Omit<SchemaDrift, 'new_categories'> {
  const ref = reference.columns;
  const have = new Map(columns.map((c) => [c.name, c]));
  const skip = new Set(ignore);
  return {
    new_columns: columns.map((c) => c.name).filter((c) => !(c in ref) && !skip.has(c)),
    missing_columns: Object.keys(ref).filter((c) => !have.has(c)),
    type_changes: Object.entries(ref)
      .filter(([c, p]) => have.has(c) && have.get(c)!.kind !== p.kind)
      .map(([c, p]) => ({ column: c, from: p.kind, to: `${have.get(c)!.kind} (${have.get(c)!.type})` })),
  };
}

/**
 * Values of the reference's categorical columns never seen in the reference, found in one scan
 * (UNPIVOT + GROUP BY, which DuckDB spills to disk if it must), the most frequent first.
 */
export async function newCategories(conn: DuckDBConnection, fromSql: string, reference: Profile, present: Set<string>): Promise<Record<string, string[]>> {
  const cats = Object.entries(reference.columns).filter(([c, p]) => p.kind === 'categorical' && present.has(c));
  if (!cats.length) return {};
  const proj = cats.map(([c], i) => `${sqlIdent(c)}::VARCHAR AS "c${i}"`).join(', ');
  const known = cats
    .map(([, p], i) => {
      const keys = Object.keys((p as { frequencies: Record<string, number> }).frequencies);
      return keys.length ? `(name = 'c${i}' AND value IN (${keys.map(sqlString).join(', ')}))` : null;
    })
    .filter(Boolean);
  const where = known.length ? `WHERE NOT (${known.join(' OR ')})` : '';
  const sql = `SELECT name, value, n FROM (
      SELECT name, value, count(*) AS n FROM (UNPIVOT (SELECT ${proj} FROM ${fromSql}) ON ${cats.map((_, i) => `"c${i}"`).join(', ')} INTO NAME name VALUE value) ${where} GROUP BY ALL
    ) QUALIFY row_number() OVER (PARTITION BY name ORDER BY n DESC, value) <= ${MAX_NEW_CATEGORIES} ORDER BY name, n DESC, value`;
  const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS() as { name: string; value: string }[];
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    const col = cats[Number(r.name.slice(1))][0];
    (out[col] ??= []).push(r.value);
  }
  return out;
}
