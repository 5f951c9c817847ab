/**
 * What the byte scanner (oip-scan.ts) knows before it reads a body: the object keys of the OIP request
 * and the datatypes, as bytes, and per decoding context the columns it accepts (by their UTF-8 bytes),
 * which are features, which are nullable, and which datatypes each one's contract type accepts.
 */
import { columnInfo, DATATYPES, nameSets, type DecodeContext } from './oip-columns.js';
import type { Row, Scalar } from './oip-decode.js';
import type { Layout } from './oip-scan-layout.js';

/** A failed scan: the caller falls back to JSON.parse + decodeRequest. */
export const DECLINE = Symbol('decline');
export type Declined = typeof DECLINE;

const ascii8 = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
export const K_ID = ascii8('id');
export const K_INPUTS = ascii8('inputs');
export const K_NAME = ascii8('name');
export const K_SHAPE = ascii8('shape');
export const K_DATATYPE = ascii8('datatype');
export const K_DATA = ascii8('data');

/** A name recognised by its bytes, without making a string. */
export interface NameEntry {
  name: string;
  bytes: Uint8Array;
}

/** What the scanner needs of one allowed input column, worked out once per context. */
export interface ColumnPlan extends NameEntry {
  feature: boolean;
  nullable: boolean;
  /** by index into DATATYPES: whether the contract's type accepts that datatype */
  accepts: boolean[];
}

export interface Plan {
  columns: ColumnPlan[];
  features: number;
  /** the request layout last accepted in this context (oip-scan-layout.ts) */
  layout?: Layout;
}

const plans = new WeakMap<DecodeContext, Plan>();

/** The plan of a context (pass the same context object on every call: it is the cache key). */
export function planFor(ctx: DecodeContext): Plan {
  let plan = plans.get(ctx);
  if (!plan) {
    const { features, allowed } = nameSets(ctx);
    const columns = [...allowed].map((name) => {
      const { types, datatypes } = columnInfo(ctx.contract, name);
      return { name, bytes: new Uint8Array(Buffer.from(name, 'utf8')), feature: features.has(name), nullable: types.has('null'), accepts: DATATYPES.map((d) => datatypes.includes(d)) };
    });
    plans.set(ctx, (plan = { columns, features: features.size }));
  }
  return plan;
}

export const DATATYPE_BYTES: NameEntry[] = DATATYPES.map((name) => ({ name, bytes: ascii8(name) }));

/** Rows from the scanned inputs: input c's values are values[starts[c]] … values[starts[c] + n - 1]. */
export function rowsOf(columns: readonly NameEntry[], starts: readonly number[], values: readonly Scalar[], n: number): Row[] {
  const rows: Row[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row: Row = {};
    for (let c = 0; c < columns.length; c++) row[columns[c].name] = values[starts[c] + r];
    rows[r] = row;
  }
  return rows;
}
