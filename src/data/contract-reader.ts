import type { DuckDBConnection } from '@duckdb/node-api';
import type { ModelCard } from '../package/card.js';
import type { ColumnSchema, RowSchema } from '../spec/types.js';
import { declaredTypes } from './contract-sql.js';
import { detectFormat, readerSql, type DataFormat } from './duckdb.js';
import { columnTypes } from './profile.js';

/** Whether the contract says a column holds text: 'string' among its types, and no number or boolean. */
function isText(c: ColumnSchema): boolean {
  const types = new Set(declaredTypes(c));
  return types.has('string') && !types.has('number') && !types.has('integer') && !types.has('boolean');
}

/**
 * readerSql with the data contract's text columns read as text. DuckDB's CSV sniffer guesses a column's type
 * from its values: a text column of yes/no or T/F reads as BOOLEAN and comes back as 'true'/'false', so a
 * model trained or evaluated on it would see other values than the ones serving receives (an unseen category
 * for every request). Parquet and JSON lines carry their own types. The file's columns are read once (the
 * sniffer's guess) to name only the text columns it would get wrong: DuckDB refuses a type for a column the
 * file lacks.
 */
export async function contractReaderSql(conn: DuckDBConnection, path: string, contract: RowSchema | undefined, format: DataFormat = detectFormat(path)): Promise<string> {
  const base = readerSql(path, format);
  if (format !== 'csv' || !contract) return base;
  const text = Object.entries(contract.properties ?? {})
    .filter(([, c]) => isText(c))
    .map(([name]) => name);
  if (!text.length) return base;
  const guessed = await columnTypes(conn, base);
  const wrong = text.filter((name) => name in guessed && guessed[name] !== 'VARCHAR');
  return wrong.length ? readerSql(path, format, Object.fromEntries(wrong.map((name) => [name, 'VARCHAR']))) : base;
}

/**
 * The text columns of the package's model, as a contract for reading a CSV window (contractReaderSql): the
 * features its per-column signature takes as strings, which training read as text (a column of yes/no is
 * not a boolean there).
 */
export function textColumnsOf(card: ModelCard): RowSchema {
  const properties: RowSchema['properties'] = {};
  if (card.signature.convention === 'columns') for (const i of card.signature.inputs) if (i.type === 'string') properties[i.name] = { type: ['string', 'null'] };
  return { type: 'object', properties };
}
