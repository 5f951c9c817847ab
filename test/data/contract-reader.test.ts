/** Reading a CSV as the data contract types it: DuckDB's sniffer would make a text column of yes/no a boolean. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { contractReaderSql, textColumnsOf } from '../../src/data/contract-reader.js';
import { openDuckDB, readerSql } from '../../src/data/duckdb.js';
import type { ModelCard } from '../../src/package/card.js';
import type { RowSchema } from '../../src/spec/types.js';
import { tempDir } from '../support/tmp.js';

const t = tempDir('slipway-contract-reader-');
const csv = join(t.dir, 'window.csv');
t.write('window.csv', 'id,flag,sex,n,zip\n1,yes,T,1.5,007\n2,no,F,2.5,010\n3,yes,,3.5,011\n');
const contract: RowSchema = {
  type: 'object',
  properties: { flag: { type: 'string' }, sex: { type: ['string', 'null'] }, n: { type: 'number' }, zip: { type: 'string' }, absent: { type: 'string' }, either: { type: ['string', 'number'] } },
};

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await openDuckDB();
});
afterAll(() => conn.closeSync());

const rows = async (sql: string) => (await conn.runAndReadAll(`SELECT flag, sex, n, zip FROM ${sql} ORDER BY id`)).getRowObjectsJS();

describe('contractReaderSql', () => {
  it("reads the contract's text columns as text where the sniffer guesses otherwise; numbers stay numbers", async () => {
    // what DuckDB guesses on its own: yes/no and T/F become booleans (training saw true/false, serving gets yes/no)
    expect((await rows(readerSql(csv))).map((r) => [r.flag, r.sex])).toEqual([[true, true], [false, false], [true, null]]);
    const sql = await contractReaderSql(conn, csv, contract);
    expect(await rows(sql)).toEqual([
      { flag: 'yes', sex: 'T', n: 1.5, zip: '007' },
      { flag: 'no', sex: 'F', n: 2.5, zip: '010' },
      { flag: 'yes', sex: null, n: 3.5, zip: '011' },
    ]);
    // only the columns the sniffer got wrong are named (DuckDB refuses a type for a column the file lacks: 'absent')
    expect(sql).toContain("types = {'flag': 'VARCHAR', 'sex': 'VARCHAR'}");
  });

  it('leaves a file alone without a contract, without text columns, or in a format that carries its types', async () => {
    expect(await contractReaderSql(conn, csv, undefined)).toBe(readerSql(csv));
    expect(await contractReaderSql(conn, csv, { type: 'object', properties: { n: { type: 'number' } } })).toBe(readerSql(csv));
    const parquet = join(t.dir, 'w.parquet');
    await conn.run(`COPY (SELECT * FROM ${readerSql(csv)}) TO '${parquet}' (FORMAT parquet)`);
    expect(await contractReaderSql(conn, parquet, contract)).toBe(readerSql(parquet));
  });

  it("textColumnsOf: the features a per-column model takes as strings (what drift reads a CSV window's text columns by)", () => {
    const card = { signature: { convention: 'columns', features: ['flag', 'n'], inputs: [{ name: 'flag', type: 'string', shape: [-1, 1] }, { name: 'n', type: 'float64', shape: [-1, 1] }], outputs: [], output: 'p' } } as unknown as ModelCard;
    expect(textColumnsOf(card).properties).toEqual({ flag: { type: ['string', 'null'] } });
    expect(textColumnsOf({ ...card, signature: { ...card.signature, convention: 'matrix' } } as ModelCard).properties).toEqual({});
  });
});
