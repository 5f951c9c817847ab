import { relative, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent } from '../data/duckdb.js';
import { readError } from '../data/read-error.js';
import { InputError } from '../errors.js';
import type { LoadedModel } from '../spec/types.js';

/** What the feature reader says before DuckDB's own message (src/model/features.ts). */
const PREFIX = 'cannot read the features from ';

const EXPECTED: Record<string, string> = { DOUBLE: 'a number', BOOLEAN: 'a boolean (true/false)', VARCHAR: 'text' };

/**
 * The scoring scan's failure in the user's terms. A value the contract's type cannot hold (an "abc" in a
 * number column of a CSV whose type DuckDB inferred as text) is named with its column, its first data
 * row and how many rows hold such values, never as DuckDB's message with the generated SQL in it; other
 * read failures go through readError (the file, the line, what is wrong). Anything else is returned as is.
 */
export async function scanError(e: unknown, conn: DuckDBConnection, scannedSql: string, dataSql: string, dataPath: string, model: LoadedModel): Promise<unknown> {
  const prefix = `${PREFIX}${scannedSql}: `;
  if (!(e instanceof InputError) || !e.message.startsWith(prefix)) return e;
  const original = e.message.slice(prefix.length);
  const cast = /Could not convert string '((?:[^']|'')*)' to ([A-Z]+) when casting from source column (.+)$/m.exec(original);
  const column = cast && (Object.keys(model.schema.properties).find((c) => c === cast[3].trim()) ?? null);
  if (!cast || column === null) return readError(new Error(original), dataPath);
  const type = cast[2];
  let first = '';
  try {
    const v = `CAST(${sqlIdent(column)} AS VARCHAR)`;
    const rows = (
      await conn.runAndReadAll(`SELECT rn, v, count(*) OVER () FROM (SELECT row_number() OVER () AS rn, ${v} AS v FROM ${dataSql}) WHERE v IS NOT NULL AND TRY_CAST(v AS ${type}) IS NULL ORDER BY rn LIMIT 1`)
    ).getRows();
    if (rows.length) first = ` at data row ${Number(rows[0][0]).toLocaleString('en-US')} (${Number(rows[0][2]).toLocaleString('en-US')} row(s) hold such values)`;
  } catch {
    // the message below still names the column and the value
  }
  const contractType = JSON.stringify(model.schema.properties[column]?.type ?? type.toLowerCase());
  return new InputError(
    `${dataPath}: column '${column}' holds ${JSON.stringify(cast[1].replace(/''/g, "'"))}${first}, which is not ${EXPECTED[type] ?? type}: the data contract ${relative(model.repoRoot, model.schemaFile).split(sep).join('/')} gives it type ${contractType}; \`slipway validate\` lists every violation`,
    { cause: e },
  );
}
