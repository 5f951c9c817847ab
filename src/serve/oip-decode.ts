/**
 * Open Inference Protocol v2 (REST) request decoding: a parsed JSON body → rows of named values,
 * with a precise message for every malformed request. Pure: no I/O.
 *
 * Two request forms (docs/serve.md):
 * - raw tensors: one input per column, named after it, shape [N] or [N, 1], an OIP datatype that fits
 *   the column's contract type (numbers: INTn, UINTn or FPn; strings: BYTES, booleans: BOOL); or one
 *   input of shape [N, F] holding every feature in model order;
 * - named columns: one BYTES input of shape [N] whose elements are JSON objects (one row each), marked
 *   with `parameters: {content_type: "json"}` on the input or the request (KServe/MLServer style).
 * Any other `parameters.content_type` is accepted where it means what the decoder does, else refused
 * (requestContentType, inputContentType). The hot paths (decodeFast, oip-scan.ts) decline every request
 * with parameters, so this is decodeFull's alone.
 */
import { columnInfo, columnTypes, DATATYPES, INT_RANGE, nameSets, valuesFit, type DecodeContext, type Datatype } from './oip-columns.js';
import { FP_LIMIT, FP_MAX } from '../model/float-limits.js';

const DATATYPE_SET = new Set<string>(DATATYPES);

export type Scalar = string | number | boolean | null;
export type Row = Record<string, Scalar>;

export interface OipRequestInput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  data: unknown[];
}

export interface OipRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: OipRequestInput[];
  outputs?: { name: string; parameters?: Record<string, unknown> }[];
}

/** A request the server cannot act on: answered 400 with this message. */
/** What a request in Triton's binary tensor data extension (which this server does not offer: `/v2` lists no extensions) is told. */
export const BINARY_UNSUPPORTED = "binary tensor data (Triton's binary data extension) is not supported: send each input's values as JSON in its 'data' (tritonclient: set_data_from_numpy(..., binary_data=False))";

export class BadRequest extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

/** What a request asks for, decoded. */
export interface DecodedRequest {
  id?: string;
  rows: Row[];
  /** requested output names, if the request listed them */
  outputs?: string[];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 30 ? v.slice(0, 30) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The tensor's elements in row-major order, each checked against the datatype. Data comes in the spec's two
 * forms: flat, or nested exactly as `shape` says (each level as long as its dimension, values only at the
 * last). Anything else is refused rather than flattened: a row of two values beside a row of none would
 * otherwise shift every later row onto the wrong input. The walk is as deep as the shape, never as the data.
 */
function flatten(data: unknown[], shape: readonly number[], datatype: Datatype, where: string): Scalar[] {
  // fast path: flat data (the common case) checked in one loop
  let flat = true;
  for (let i = 0; i < data.length; i++) {
    if (Array.isArray(data[i])) {
      flat = false;
      break;
    }
  }
  if (flat) {
    const out = new Array<Scalar>(data.length);
    for (let i = 0; i < data.length; i++) out[i] = checkElement(data[i], datatype, () => `${where}.data[${i}]`);
    return out;
  }
  const dims = JSON.stringify(shape);
  if (data.length !== shape[0]) throw new BadRequest(`${where}.data: nested data holds ${data.length} elements at its first level, but shape ${dims} says ${shape[0]}`);
  const out: Scalar[] = [];
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new BadRequest(`${where}.data${path}: expected a value, got an array: the data is nested deeper than shape ${dims}`);
      out.push(checkElement(v, datatype, () => `${where}.data${path}`));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new BadRequest(`${where}.data${path}: expected an array of ${shape[depth]} (shape ${dims}), got ${Array.isArray(v) ? `an array of ${v.length}` : describe(v)}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  for (let i = 0; i < data.length; i++) walk(data[i], 1, `[${i}]`);
  return out;
}

/** One element checked against its datatype. A null passes whatever the datatype: the caller says whether its column is nullable. */
function checkElement(v: unknown, datatype: Datatype, at: () => string): Scalar {
  if (datatype === 'BYTES') {
    if (typeof v === 'string' || v === null) return v;
    throw new BadRequest(`${at()}: expected a string for datatype BYTES, got ${describe(v)}`);
  }
  if (datatype === 'BOOL') {
    if (typeof v === 'boolean' || v === null) return v;
    throw new BadRequest(`${at()}: expected true or false for datatype BOOL, got ${describe(v)}`);
  }
  if (typeof v !== 'number') {
    if (v === null) return null;
    throw new BadRequest(`${at()}: expected a number for datatype ${datatype}, got ${describe(v)}`);
  }
  const range = INT_RANGE[datatype];
  if (range) {
    // past 2^53 − 1 the parsed number is a rounded one (or Infinity): name the bound, not a value the client never sent
    if (v > Number.MAX_SAFE_INTEGER || v < Number.MIN_SAFE_INTEGER) throw new BadRequest(`${at()}: ${BEYOND_EXACT} is out of range for datatype ${datatype} (${range[0]}..${range[1]})`);
    if (!Number.isInteger(v)) throw new BadRequest(`${at()}: expected an integer for datatype ${datatype}, got ${v}`);
    if (v < range[0] || v > range[1]) throw new BadRequest(`${at()}: ${v} is out of range for datatype ${datatype} (${range[0]}..${range[1]})`);
    return v;
  }
  const lim = FP_LIMIT[datatype];
  if (!(v < lim && v > -lim)) throw new BadRequest(`${at()}: ${Number.isFinite(v) ? v : BEYOND_FP64} is out of range for datatype ${datatype} (finite values within ±${FP_MAX[datatype]})`);
  return v;
}

/** What a number read as Infinity was: JSON text past FP64's range (1e400), which JSON.parse reads as Infinity. */
const BEYOND_FP64 = `a number beyond ±${FP_MAX.FP64} (read as Infinity)`;
/** What an integer past ±(2^53 − 1) was: JSON numbers carry integers exactly only that far, so the parsed value is not the one sent. */
const BEYOND_EXACT = `a number beyond ±${Number.MAX_SAFE_INTEGER} (2^53 − 1, the largest integer a JSON number carries exactly)`;

function checkShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new BadRequest(`${where}.shape: expected a non-empty array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/**
 * `parameters.content_type` (MLServer's codecs, which KServe clients send): the values that mean what this
 * decoder does are accepted, every other one is a 400, never a silent misreading. On the request: "json" (JSON
 * rows), "pd" (one input per column of a table) and "np" (tensors as sent). On an input: "np" (as sent), "str"
 * (BYTES elements as UTF-8 text, what BYTES is here) and "json" (the one input of JSON rows).
 */
function contentType(p: Record<string, unknown> | undefined, where: string): string | undefined {
  const t = p?.content_type;
  if (t === undefined) return undefined;
  if (typeof t !== 'string') throw new BadRequest(`${where}.content_type: expected a string, got ${describe(t)}`);
  return t;
}

const NOT_DECODED = new Map([
  ['base64', 'BYTES elements are read as UTF-8 text, never base64-decoded: send the text itself'],
  ['datetime', 'values are never parsed as dates: send a date as BYTES text'],
]);

const quoted = (t: string) => JSON.stringify(t.length > 30 ? t.slice(0, 30) + '…' : t);

function requestContentType(req: OipRequest): string | undefined {
  const t = contentType(req.parameters, 'parameters');
  if (t === undefined || t === 'json' || t === 'pd' || t === 'np') return t;
  const why = NOT_DECODED.get(t) ?? (t === 'str' ? "it marks a BYTES input: put it in that input's parameters" : undefined);
  throw new BadRequest(`parameters.content_type: ${quoted(t)} is not supported${why ? ` (${why})` : ''}; on the request: "pd" or "np" (the inputs as tensors: one per column, or one [N, F] matrix) or "json" (one BYTES input of JSON rows)`);
}

function inputContentType(inp: OipRequestInput, i: number): string | undefined {
  const where = `inputs[${i}] (${inp.name}).parameters`;
  const t = contentType(inp.parameters, where);
  if (t === undefined || t === 'np' || t === 'json') return t;
  if (t === 'str') {
    if (inp.datatype === 'BYTES') return t;
    throw new BadRequest(`${where}.content_type: "str" is for BYTES inputs, got datatype ${inp.datatype}`);
  }
  const why = NOT_DECODED.get(t) ?? (t === 'pd' ? "it marks a whole request: put it in the request's parameters" : undefined);
  throw new BadRequest(`${where}.content_type: ${quoted(t)} is not supported${why ? ` (${why})` : ''}; on an input: "np" (the tensor as sent), "str" (BYTES as UTF-8 text) or "json" (the one BYTES input of JSON rows)`);
}

/** Checks the body's overall shape (the OIP inference_request object). */
export function parseRequest(body: unknown): OipRequest {
  if (!isPlainObject(body)) throw new BadRequest(`request body: expected a JSON object with "inputs", got ${describe(body)}`);
  if (body.id !== undefined && typeof body.id !== 'string') throw new BadRequest(`id: expected a string, got ${describe(body.id)}`);
  if (body.parameters !== undefined && !isPlainObject(body.parameters)) throw new BadRequest(`parameters: expected an object, got ${describe(body.parameters)}`);
  if (!Array.isArray(body.inputs)) throw new BadRequest(body.inputs === undefined ? 'inputs: required field is missing' : `inputs: expected an array, got ${describe(body.inputs)}`);
  if (body.inputs.length === 0) throw new BadRequest('inputs: expected at least one input');
  body.inputs.forEach((inp, i) => {
    const where = `inputs[${i}]`;
    if (!isPlainObject(inp)) throw new BadRequest(`${where}: expected an object, got ${describe(inp)}`);
    if (inp.data === undefined && isPlainObject(inp.parameters) && inp.parameters.binary_data_size !== undefined) throw new BadRequest(`${where}.parameters.binary_data_size: ${BINARY_UNSUPPORTED}`);
    for (const k of ['name', 'shape', 'datatype', 'data']) if (inp[k] === undefined) throw new BadRequest(`${where}.${k}: required field is missing`);
    if (typeof inp.name !== 'string' || inp.name === '') throw new BadRequest(`${where}.name: expected a non-empty string, got ${describe(inp.name)}`);
    if (typeof inp.datatype !== 'string' || !DATATYPE_SET.has(inp.datatype)) {
      throw new BadRequest(`${where}.datatype: expected one of ${DATATYPES.join(', ')}, got ${describe(inp.datatype)}`);
    }
    checkShape(inp.shape, where);
    if (!Array.isArray(inp.data)) throw new BadRequest(`${where}.data: expected an array, got ${describe(inp.data)}`);
    if (inp.parameters !== undefined && !isPlainObject(inp.parameters)) throw new BadRequest(`${where}.parameters: expected an object, got ${describe(inp.parameters)}`);
  });
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw new BadRequest(`outputs: expected an array, got ${describe(body.outputs)}`);
    body.outputs.forEach((o, i) => {
      if (!isPlainObject(o) || typeof o.name !== 'string') throw new BadRequest(`outputs[${i}]: expected an object with a string "name"`);
    });
  }
  return body as unknown as OipRequest;
}

/**
 * The hot path: the common request (one [N] or [N, 1] input per column, flat data, no parameters) decoded
 * in one pass with no intermediate strings or closures. Returns undefined for anything else — any other
 * form, and anything that would be an error — so that decodeFull answers it with its precise message;
 * where it returns rows, they are the ones decodeFull would return (test/serve/decode-fast.test.ts).
 */
export function decodeFast(body: unknown, ctx: DecodeContext): DecodedRequest | undefined {
  if (!isPlainObject(body) || body.parameters !== undefined) return undefined;
  const id = body.id;
  if (id !== undefined && typeof id !== 'string') return undefined;
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) return undefined;
  let outputs: string[] | undefined;
  // an empty list asks for every output, as absent `outputs` does (Triton and KServe read it so): decided here, where
  // `outputs` is present at all, not on the encoder's every answer
  if (body.outputs !== undefined && !(Array.isArray(body.outputs) && body.outputs.length === 0)) {
    if (!Array.isArray(body.outputs)) return undefined;
    outputs = new Array<string>(body.outputs.length);
    for (let i = 0; i < body.outputs.length; i++) {
      const o: unknown = body.outputs[i];
      if (!isPlainObject(o) || typeof o.name !== 'string') return undefined;
      outputs[i] = o.name;
    }
  }
  const { features, allowed } = nameSets(ctx);
  const names = new Array<string>(inputs.length);
  const cols = new Array<unknown[]>(inputs.length);
  let n = -1;
  let found = 0;
  for (let c = 0; c < inputs.length; c++) {
    const inp: unknown = inputs[c];
    if (!isPlainObject(inp) || inp.parameters !== undefined) return undefined;
    const { name, datatype, shape, data } = inp;
    if (typeof name !== 'string' || !allowed.has(name) || typeof datatype !== 'string' || !Array.isArray(shape) || !Array.isArray(data)) return undefined;
    for (let j = 0; j < c; j++) if (names[j] === name) return undefined;
    const rows = shape[0];
    if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || !Number.isInteger(rows) || rows < 1 || data.length !== rows) return undefined;
    if (n === -1) n = rows;
    else if (rows !== n) return undefined;
    const { types, datatypes } = columnInfo(ctx.contract, name);
    if (!datatypes.includes(datatype as Datatype)) return undefined;
    if (!valuesFit(data, 0, rows, datatype, types.has('null'))) return undefined;
    names[c] = name;
    cols[c] = data;
    if (features.has(name)) found++;
  }
  if (found !== features.size) return undefined;
  const out: Row[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) row[names[c]] = cols[c][r] as Scalar;
    out[r] = row;
  }
  return { id: id as string | undefined, rows: out, outputs };
}

/** Decodes a parsed inference request into rows, checking names, datatypes and shape × data length. */
export function decodeRequest(body: unknown, ctx: DecodeContext): DecodedRequest {
  return decodeFast(body, ctx) ?? decodeFull(body, ctx);
}

/** The general decoder: every request form, and the precise message for every malformed request. */
export function decodeFull(body: unknown, ctx: DecodeContext): DecodedRequest {
  const req = parseRequest(body);
  const outputs = req.outputs?.length ? req.outputs.map((o) => o.name) : undefined;
  const reqType = requestContentType(req);
  let jsonInput = -1;
  for (let i = 0; i < req.inputs.length; i++) if (inputContentType(req.inputs[i], i) === 'json') jsonInput = i;
  if (req.inputs.length === 1 && (jsonInput === 0 || reqType === 'json')) {
    return { id: req.id, rows: decodeJsonRows(req.inputs[0], ctx), outputs };
  }
  if (reqType === 'json') throw new BadRequest('parameters.content_type "json" expects exactly one BYTES input holding one JSON object per row');
  if (jsonInput >= 0) throw new BadRequest(`inputs[${jsonInput}] (${req.inputs[jsonInput].name}).parameters.content_type: "json" marks the one BYTES input of JSON rows, but the request has ${req.inputs.length} inputs`);
  const { features, allowed } = nameSets(ctx);
  // one [N, F] input holding every feature in model order
  if (req.inputs.length === 1 && req.inputs[0].shape.length === 2 && req.inputs[0].shape[1] === ctx.features.length && ctx.features.length > 1 && !allowed.has(req.inputs[0].name)) {
    return { id: req.id, rows: decodeMatrix(req.inputs[0], ctx), outputs };
  }
  let n = -1;
  const columns = new Map<string, Scalar[]>();
  req.inputs.forEach((inp, i) => {
    const where = `inputs[${i}] (${inp.name})`;
    if (!allowed.has(inp.name)) {
      throw new BadRequest(`${where}: unknown input; expected inputs named after the feature columns (${ctx.features.join(', ')}), or one BYTES input of JSON rows with parameters.content_type "json"`);
    }
    if (columns.has(inp.name)) throw new BadRequest(`${where}: input given twice`);
    const shape = inp.shape;
    if (shape.length > 2 || (shape.length === 2 && shape[1] !== 1)) throw new BadRequest(`${where}.shape: expected [N] or [N, 1] for a column input, got ${JSON.stringify(shape)}`);
    const { types, datatypes: ok } = columnInfo(ctx.contract, inp.name);
    if (!ok.includes(inp.datatype as Datatype)) {
      throw new BadRequest(`${where}.datatype: column '${inp.name}' is ${[...types].filter((t) => t !== 'null').join(' or ')} in the data contract; expected ${ok.includes('BYTES') && ok.length === 1 ? 'BYTES' : ok.length === 1 ? ok[0] : `one of ${ok.join(', ')}`}, got ${inp.datatype}`);
    }
    const values = flatten(inp.data, shape, inp.datatype as Datatype, where);
    if (values.length !== shape[0] * (shape[1] ?? 1)) {
      throw new BadRequest(`${where}: shape ${JSON.stringify(shape)} holds ${shape[0] * (shape[1] ?? 1)} elements but data has ${values.length}`);
    }
    if (values.includes(null) && !types.has('null')) throw new BadRequest(`${where}.data[${values.indexOf(null)}]: column '${inp.name}' is not nullable in the data contract, got null`);
    if (n === -1) n = shape[0];
    else if (shape[0] !== n) throw new BadRequest(`${where}.shape: ${shape[0]} rows, but earlier inputs have ${n}; every input must have the same first dimension`);
    columns.set(inp.name, values);
  });
  const missing = [...features].filter((f) => !columns.has(f));
  if (missing.length) throw new BadRequest(`inputs: missing feature column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; the model needs ${ctx.features.join(', ')}`);
  if (n === 0) throw new BadRequest('inputs: the request holds no rows (first dimension is 0)');
  const rows: Row[] = new Array(n);
  const names = [...columns.keys()];
  const cols = names.map((k) => columns.get(k)!);
  for (let r = 0; r < n; r++) {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) row[names[c]] = cols[c][r];
    rows[r] = row;
  }
  return { id: req.id, rows, outputs };
}

function decodeMatrix(inp: OipRequestInput, ctx: DecodeContext): Row[] {
  const where = `inputs[0] (${inp.name})`;
  if (!['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64'].includes(inp.datatype)) {
    throw new BadRequest(`${where}.datatype: a [N, ${ctx.features.length}] feature matrix must be numeric, got ${inp.datatype}`);
  }
  const [n, f] = inp.shape;
  const values = flatten(inp.data, inp.shape, inp.datatype as Datatype, where);
  if (values.length !== n * f) throw new BadRequest(`${where}: shape ${JSON.stringify(inp.shape)} holds ${n * f} elements but data has ${values.length}`);
  if (n === 0) throw new BadRequest('inputs: the request holds no rows (first dimension is 0)');
  const nullable = ctx.features.map((col) => {
    const types = columnTypes(ctx.contract, col);
    if (!types.has('number') && !types.has('integer')) throw new BadRequest(`${where}: feature '${col}' is not numeric in the data contract, so a matrix input cannot carry it; send one input per column`);
    return types.has('null');
  });
  const rows: Row[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row: Row = {};
    for (let c = 0; c < f; c++) {
      const v = values[r * f + c];
      if (v === null && !nullable[c]) throw new BadRequest(`${where}.data: row ${r}, feature '${ctx.features[c]}' (column ${c}): not nullable in the data contract, got null`);
      row[ctx.features[c]] = v;
    }
    rows[r] = row;
  }
  return rows;
}

function decodeJsonRows(inp: OipRequestInput, ctx: DecodeContext): Row[] {
  const where = `inputs[0] (${inp.name})`;
  if (inp.datatype !== 'BYTES') throw new BadRequest(`${where}.datatype: JSON rows (content_type "json") must be BYTES, got ${inp.datatype}`);
  if (inp.shape.length > 2 || (inp.shape.length === 2 && inp.shape[1] !== 1)) throw new BadRequest(`${where}.shape: expected [N] or [N, 1] for JSON rows, got ${JSON.stringify(inp.shape)}`);
  const values = flatten(inp.data, inp.shape, 'BYTES', where) as (string | null)[];
  const none = values.indexOf(null);
  if (none !== -1) throw new BadRequest(`${where}.data[${none}]: expected a string (one row as JSON text), got null`);
  if (values.length !== inp.shape[0]) throw new BadRequest(`${where}: shape ${JSON.stringify(inp.shape)} holds ${inp.shape[0]} elements but data has ${values.length}`);
  if (values.length === 0) throw new BadRequest('inputs: the request holds no rows (first dimension is 0)');
  const { allowed } = nameSets(ctx);
  return values.map((text, i) => {
    let row: unknown;
    try {
      row = JSON.parse(text!);
    } catch (e) {
      throw new BadRequest(`${where}.data[${i}]: not valid JSON (${(e as Error).message})`);
    }
    if (!isPlainObject(row)) throw new BadRequest(`${where}.data[${i}]: expected a JSON object (one row), got ${describe(row)}`);
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) {
      if (!allowed.has(k)) throw new BadRequest(`${where}.data[${i}]: unknown column '${k}'; expected ${[...allowed].join(', ')}`);
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new BadRequest(`${where}.data[${i}].${k}: expected a string, number, boolean or null, got ${describe(v)}`);
      if (v === Infinity || v === -Infinity) throw new BadRequest(`${where}.data[${i}].${k}: ${BEYOND_FP64} is out of range (finite values within ±${FP_MAX.FP64})`);
      const types = columnTypes(ctx.contract, k);
      const jt = v === null ? 'null' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
      const fits = types.has(jt) || (jt === 'integer' && types.has('number'));
      if (!fits) throw new BadRequest(`${where}.data[${i}].${k}: column '${k}' is ${[...types].join(' or ')} in the data contract, got ${describe(v)}`);
      out[k] = v as Scalar;
    }
    for (const f of ctx.features) {
      if (!(f in out)) {
        if (columnTypes(ctx.contract, f).has('null')) out[f] = null;
        else throw new BadRequest(`${where}.data[${i}]: missing feature column '${f}'`);
      }
    }
    return out;
  });
}
