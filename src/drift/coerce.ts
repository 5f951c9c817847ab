/**
 * A window whose numeric feature arrives as text. A CSV column with one value that is not a number
 * ("n/a", "1,234", "?") is read as text, and so is a JSON lines or log column mixing numbers and strings;
 * the reference says the feature is numeric. The window's values are read as numbers where they are
 * numbers, and the others count as missing, as pandas' read_csv and to_numeric(errors="coerce") treat
 * them, so the missing-value check weighs them; the feature's note says how many there were and shows
 * the first. (Before, the check stopped at DuckDB's "Could not convert string 'n/a' to DOUBLE".)
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent } from '../data/duckdb.js';
import { columnTypes, isNumericType } from '../data/profile.js';
import type { CurrentSide, ReferenceSide } from './load.js';

export interface Coerced {
  /** the window, its text columns that the reference has as numbers read as DOUBLE */
  current: CurrentSide;
  /** feature → the note for its report entry */
  notes: Record<string, string>;
}

/** The features the reference holds as numbers. */
async function numericInReference(conn: DuckDBConnection, reference: ReferenceSide): Promise<Set<string>> {
  if (reference.kind === 'package') {
    return new Set(Object.entries(reference.card.reference.columns).filter(([, p]) => p.kind === 'numeric').map(([c]) => c));
  }
  return new Set(Object.entries(await columnTypes(conn, reference.sql)).filter(([, t]) => isNumericType(t)).map(([c]) => c));
}

export async function numbersAsNumbers(conn: DuckDBConnection, reference: ReferenceSide, current: CurrentSide, features: string[]): Promise<Coerced> {
  const curTypes = await columnTypes(conn, current.sql);
  const numeric = await numericInReference(conn, reference);
  const text = features.filter((f) => f in curTypes && numeric.has(f) && !isNumericType(curTypes[f]));
  if (!text.length) return { current, notes: {} };
  // a JSON value's text is its JSON ("\"n/a\""): read strings as their text first
  const asText = (c: string) => (curTypes[c] === 'JSON' ? `coalesce(json_extract_string(${sqlIdent(c)}, '$'), ${sqlIdent(c)}::VARCHAR)` : `${sqlIdent(c)}::VARCHAR`);
  const sel = text.flatMap((c, i) => {
    const bad = `${sqlIdent(c)} IS NOT NULL AND TRY_CAST(${asText(c)} AS DOUBLE) IS NULL`;
    return [`count(*) FILTER (WHERE ${bad}) AS n${i}`, `first(${asText(c)}) FILTER (WHERE ${bad}) AS v${i}`, `count(${sqlIdent(c)}) AS t${i}`];
  });
  const row = (await conn.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${current.sql}`)).getRowObjects()[0];
  const notes: Record<string, string> = {};
  text.forEach((c, i) => {
    const n = Number(row[`n${i}`]);
    if (n > 0) notes[c] = `${n} of ${Number(row[`t${i}`])} values in the window are not numbers (first: ${JSON.stringify(String(row[`v${i}`]))}); counted as missing`;
  });
  const replace = text.map((c) => `TRY_CAST(${asText(c)} AS DOUBLE) AS ${sqlIdent(c)}`).join(', ');
  return { current: { ...current, sql: `(SELECT * REPLACE (${replace}) FROM ${current.sql})` }, notes };
}
