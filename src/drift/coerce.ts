/**
 * A numeric feature that arrives as text. A CSV column with one value that is not a number ("n/a",
 * "1,234", "?") is read as text, and so is a JSON lines or log column mixing numbers and strings; the
 * reference, or the data contract, says the feature is numeric. Such a side's values are read as numbers
 * where they are numbers, and the others count as missing, as pandas' read_csv and to_numeric(errors="coerce") treat
 * them, so the missing-value check weighs them; the feature's note says how many there were and shows
 * the first. (Before, the check stopped at DuckDB's "Could not convert string 'n/a' to DOUBLE".)
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent } from '../data/duckdb.js';
import { columnTypes, isNumericType } from '../data/profile.js';
import type { CurrentSide, ReferenceSide } from './load.js';
import { clipped } from '../report/escape.js';

export interface Coerced {
  /** both sides, their text columns of numeric features read as DOUBLE (the reference only when it is data) */
  reference: ReferenceSide;
  current: CurrentSide;
  /** feature → the note for its report entry */
  notes: Record<string, string>;
}

/** The features the reference holds as numbers, or the data contract declares as numbers. */
async function numericFeatures(conn: DuckDBConnection, reference: ReferenceSide, declared: string[]): Promise<Set<string>> {
  const out = new Set(declared);
  if (reference.kind === 'package') {
    for (const [c, p] of Object.entries(reference.card.reference.columns)) if (p.kind === 'numeric') out.add(c);
  } else {
    for (const [c, t] of Object.entries(await columnTypes(conn, reference.sql))) if (isNumericType(t)) out.add(c);
  }
  return out;
}

/** One side's relation with its text columns among `numeric` read as numbers, and a note per column holding other values. */
async function coerceSide(conn: DuckDBConnection, sql: string, features: string[], numeric: Set<string>, side: string): Promise<{ sql: string; notes: Record<string, string> }> {
  const types = await columnTypes(conn, sql);
  const text = features.filter((f) => f in types && numeric.has(f) && !isNumericType(types[f]));
  if (!text.length) return { sql, notes: {} };
  // a JSON value's text is its JSON ("\"n/a\""): read strings as their text first
  const asText = (c: string) => (types[c] === 'JSON' ? `coalesce(json_extract_string(${sqlIdent(c)}, '$'), ${sqlIdent(c)}::VARCHAR)` : `${sqlIdent(c)}::VARCHAR`);
  const sel = text.flatMap((c, i) => {
    const bad = `${sqlIdent(c)} IS NOT NULL AND TRY_CAST(${asText(c)} AS DOUBLE) IS NULL`;
    return [`count(*) FILTER (WHERE ${bad}) AS n${i}`, `first(${asText(c)}) FILTER (WHERE ${bad}) AS v${i}`, `count(${sqlIdent(c)}) AS t${i}`];
  });
  const row = (await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${sql}`)).getRowObjects()[0];
  const notes: Record<string, string> = {};
  text.forEach((c, i) => {
    const n = Number(row[`n${i}`]);
    if (n > 0) notes[c] = `${n} of ${Number(row[`t${i}`])} values in the ${side} are not numbers (first: ${JSON.stringify(clipped(String(row[`v${i}`]), 60))}); counted as missing`;
  });
  const replace = text.map((c) => `TRY_CAST(${asText(c)} AS DOUBLE) AS ${sqlIdent(c)}`).join(', ');
  return { sql: `(SELECT * REPLACE (${replace}) FROM ${sql})`, notes };
}

/** `declared`: the features the data contract declares as numbers (type number or integer). */
export async function numbersAsNumbers(conn: DuckDBConnection, reference: ReferenceSide, current: CurrentSide, features: string[], declared: string[]): Promise<Coerced> {
  const numeric = await numericFeatures(conn, reference, declared);
  const cur = await coerceSide(conn, current.sql, features, numeric, 'window');
  const ref = reference.kind === 'data' ? await coerceSide(conn, reference.sql, features, numeric, 'reference') : { sql: '', notes: {} };
  const notes: Record<string, string> = { ...cur.notes };
  for (const [c, n] of Object.entries(ref.notes)) notes[c] = notes[c] ? `${n}; ${notes[c]}` : n;
  return { reference: reference.kind === 'data' ? { ...reference, sql: ref.sql } : reference, current: { ...current, sql: cur.sql }, notes };
}
