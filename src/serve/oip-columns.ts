/**
 * What decoding knows of a context's columns, shared by the OIP decoders (oip-decode.ts) and the byte
 * scanner (oip-scan.ts): the OIP datatypes, which of them a contract column accepts, the allowed input
 * names of a context, and the hot paths' value check. Cached per contract and per (features, extra).
 */
import { FP_LIMIT } from '../model/float-limits.js';
import type { RowSchema } from '../spec/types.js';

export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;
export type Datatype = (typeof DATATYPES)[number];
export const INT_RANGE: Record<string, [number, number]> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export interface DecodeContext {
  /** feature columns in model order */
  features: string[];
  /** other columns a request may carry (sensitive, id): logged, never fed to the model */
  extra: string[];
  contract: RowSchema;
}

export interface ColumnInfo {
  types: Set<string>;
  datatypes: Datatype[];
}

/** Per-contract cache of each column's JSON types and accepted datatypes (decoding is on the hot path). */
const infoCache = new WeakMap<RowSchema, Map<string, ColumnInfo>>();

export function columnInfo(contract: RowSchema, col: string): ColumnInfo {
  let m = infoCache.get(contract);
  if (!m) infoCache.set(contract, (m = new Map()));
  let info = m.get(col);
  if (!info) {
    const t = contract.properties[col]?.type;
    const types = t === undefined ? new Set(['number', 'string', 'boolean', 'integer', 'null']) : new Set(Array.isArray(t) ? t : [t]);
    info = { types, datatypes: datatypesFor(types) };
    m.set(col, info);
  }
  return info;
}

/** The contract's JSON types of a column (a type array means nullable). */
export function columnTypes(contract: RowSchema, col: string): Set<string> {
  return columnInfo(contract, col).types;
}

function datatypesFor(types: Set<string>): Datatype[] {
  const out: Datatype[] = [];
  if (types.has('number') || types.has('integer')) out.push('FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64');
  if (types.has('string')) out.push('BYTES');
  if (types.has('boolean')) out.push('BOOL');
  return out;
}

const nameCache = new WeakMap<string[], WeakMap<string[], { features: Set<string>; allowed: Set<string> }>>();

/** The feature and allowed input names of a context, computed once per (features, extra) arrays. */
export function nameSets(ctx: DecodeContext): { features: Set<string>; allowed: Set<string> } {
  let byExtra = nameCache.get(ctx.features);
  if (!byExtra) nameCache.set(ctx.features, (byExtra = new WeakMap()));
  let c = byExtra.get(ctx.extra);
  if (!c) byExtra.set(ctx.extra, (c = { features: new Set(ctx.features), allowed: new Set([...ctx.features, ...ctx.extra]) }));
  return c;
}

const NUMERIC_DATATYPES = new Set(['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);

/**
 * Whether values[start, stop) all fit an OIP datatype (null only where the column is nullable): the hot
 * paths' check (decodeFast, oip-scan.ts), which says no where decodeFull says why.
 */
export function valuesFit(values: readonly unknown[], start: number, stop: number, datatype: string, nullable: boolean): boolean {
  if (datatype === 'BYTES') {
    for (let i = start; i < stop; i++) if (typeof values[i] !== 'string') return false;
    return true;
  }
  if (datatype === 'BOOL') {
    for (let i = start; i < stop; i++) if (typeof values[i] !== 'boolean') return false;
    return true;
  }
  if (!NUMERIC_DATATYPES.has(datatype)) return false;
  const range = INT_RANGE[datatype];
  if (range) {
    const lo = range[0];
    const hi = range[1];
    for (let i = start; i < stop; i++) {
      const v = values[i];
      if (typeof v !== 'number') {
        if (v === null && nullable) continue;
        return false;
      }
      if (!Number.isInteger(v) || v < lo || v > hi) return false;
    }
    return true;
  }
  // floating point: finite once stored at the datatype's precision (a value past FP_LIMIT becomes Infinity in the model)
  const lim = FP_LIMIT[datatype];
  for (let i = start; i < stop; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      if (v === null && nullable) continue;
      return false;
    }
    if (!(v < lim && v > -lim)) return false;
  }
  return true;
}
