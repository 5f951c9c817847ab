/**
 * Which logged predictions the reference model made. A window of prediction logs can hold several
 * versions of a model: a canary answering beside the primary, or a promotion inside the window. Feature
 * drift reads every version's rows (a row's inputs do not depend on the model that scored it);
 * prediction drift and performance drift compare one model with its own card, so they read only the
 * rows the reference package scored: matched by digest where both sides have one, else by version.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../data/duckdb.js';
import type { CurrentSide, ReferenceSide } from './load.js';
import { shownName } from './names.js';

/** a logged line without a version */
const NONE = '(none)';

/** Columns of a logs window's relation that carry each row's model version and digest. */
export const VERSION_COLUMN = '__slipway_version';
export const DIGEST_COLUMN = '__slipway_digest';
export const ROLE_COLUMN = '__slipway_role';

export interface ScoredRows {
  /** the current side, its relation narrowed to the rows the reference model scored */
  current: CurrentSide;
  /** rows in the window, and rows the reference model scored */
  total: number;
  matched: number;
  /** rows of other versions, by version (and role), most first */
  others: { version: string; role: string | null; rows: number }[];
}

/** The rows of a logs window that the reference package's model scored (the whole window otherwise). */
export async function scoredByReference(conn: DuckDBConnection, current: CurrentSide, reference: ReferenceSide): Promise<ScoredRows | null> {
  if (current.kind !== 'logs' || reference.kind !== 'package') return null;
  const version = reference.card.version;
  const digest = reference.digest;
  const byVersion = version === undefined ? 'FALSE' : `${VERSION_COLUMN}::VARCHAR = ${sqlString(String(version))}`;
  // a line without a digest (or a reference without one) is matched by its version
  const match = digest ? `coalesce(${DIGEST_COLUMN}::VARCHAR = ${sqlString(digest)}, ${byVersion})` : byVersion;
  const r = await conn.runAndReadAll(`
    SELECT ${VERSION_COLUMN}::VARCHAR, ${ROLE_COLUMN}::VARCHAR, coalesce(${match}, FALSE), count(*) FROM ${current.sql}
    GROUP BY ALL ORDER BY 4 DESC, 1`);
  let total = 0;
  let matched = 0;
  const others: ScoredRows['others'] = [];
  for (const [v, role, ok, n] of r.getRows()) {
    const rows = Number(n);
    total += rows;
    if (ok) matched += rows;
    else others.push({ version: v === null ? NONE : String(v), role: role === null ? null : String(role), rows });
  }
  return { current: { ...current, sql: `(SELECT * FROM ${current.sql} WHERE coalesce(${match}, FALSE))` }, total, matched, others };
}

/** One line for the log and the report's notes: which rows prediction and performance drift read. */
export function describeScored(s: ScoredRows, version: string | undefined): string | null {
  if (!s.others.length) return null;
  const shown = s.others.slice(0, 10).map((o) => `${o.version === NONE ? NONE : shownName(o.version)}${o.role ? ` (${shownName(o.role)})` : ''}: ${o.rows}`);
  const others = shown.join(', ') + (s.others.length > 10 ? `, … (${s.others.length - 10} more versions)` : '');
  if (!s.matched) return `no logged predictions of the reference version ${version ?? '(unversioned)'} in the window (${others}): prediction and performance drift not measured`;
  return `predictions of the reference version ${version} only: ${s.matched} of ${s.total} logged rows (other versions left out: ${others})`;
}
