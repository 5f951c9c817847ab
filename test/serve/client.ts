/** A small HTTP client for the serve tests (node:http, keep-alive agent). */
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = request(base + path, { method, agent, headers: { ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const t = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = t;
        try {
          parsed = JSON.parse(t);
        } catch {
          /* not JSON (metrics) */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text: t });
      });
    });
    req.on('error', reject);
    if (text !== undefined) req.write(text);
    req.end();
  });
}

/** One credit-risk applicant as JSON values. */
export function applicant(i = 0): Record<string, string | number | boolean> {
  return {
    income: 42000 + 1000 * i,
    debt_ratio: 0.35,
    credit_lines: 4,
    utilization: 0.42 + 0.01 * (i % 10),
    late_payments: i % 3,
    employment_years: 6.5,
    loan_amount: 12000,
    term_months: 36,
    region: 'north',
    home_ownership: 'rent',
    purpose: 'car',
    has_cosigner: false,
    sex: 'F',
    age_band: '30-44',
  };
}

const STRINGS = new Set(['region', 'home_ownership', 'purpose', 'sex', 'age_band', 'id']);

/** The raw-tensor form: one [N] input per column with an OIP datatype. */
export function tensorRequest(rows: Record<string, string | number | boolean>[], id?: string): Record<string, unknown> {
  const cols = Object.keys(rows[0]);
  return {
    ...(id !== undefined ? { id } : {}),
    inputs: cols.map((c) => {
      const v = rows[0][c];
      const datatype = STRINGS.has(c) ? 'BYTES' : typeof v === 'boolean' ? 'BOOL' : Number.isInteger(v) && ['credit_lines', 'late_payments', 'term_months'].includes(c) ? 'INT64' : 'FP64';
      return { name: c, shape: [rows.length], datatype, data: rows.map((r) => r[c]) };
    }),
  };
}

/** The named-columns form: one BYTES input of JSON rows. */
export function jsonRowsRequest(rows: Record<string, unknown>[], id?: string): Record<string, unknown> {
  return {
    ...(id !== undefined ? { id } : {}),
    inputs: [{ name: 'rows', shape: [rows.length], datatype: 'BYTES', parameters: { content_type: 'json' }, data: rows.map((r) => JSON.stringify(r)) }],
  };
}

/**
 * The raw-tensor form of one applicant as JSON text, with input `name` of datatype `datatype` holding the raw
 * JSON number text `raw` (as sent: JSON.stringify cannot write 9007199254740993 or 1e400).
 */
export function tensorText(name: string, datatype: string, raw: string, id?: string): string {
  const body = tensorRequest([applicant(0)], id) as { inputs: { name: string; datatype: string; data: unknown[] }[] };
  const inp = body.inputs.find((i) => i.name === name)!;
  inp.datatype = datatype;
  inp.data = ['\u0000RAW'];
  return JSON.stringify(body).replace('["\\u0000RAW"]', `[${raw}]`);
}

const BEYOND_EXACT = 'a number beyond ±9007199254740991 (2^53 − 1, the largest integer a JSON number carries exactly)';
const BEYOND_FP64 = 'a number beyond ±1.7976931348623157e308 (read as Infinity)';

/** Values past their datatype's range, as [input, datatype, raw JSON text, the 400's message] (tensorText's body). */
export const OUT_OF_RANGE: [string, string, string, string][] = [
  ['income', 'FP32', '1e39', 'inputs[0] (income).data[0]: 1e+39 is out of range for datatype FP32 (finite values within ±3.4028235e38)'],
  ['income', 'FP32', '-3.4028236e38', 'inputs[0] (income).data[0]: -3.4028236e+38 is out of range for datatype FP32 (finite values within ±3.4028235e38)'],
  ['income', 'FP16', '70000', 'inputs[0] (income).data[0]: 70000 is out of range for datatype FP16 (finite values within ±65504)'],
  ['income', 'FP16', '65520', 'inputs[0] (income).data[0]: 65520 is out of range for datatype FP16 (finite values within ±65504)'],
  ['income', 'FP64', '1e400', `inputs[0] (income).data[0]: ${BEYOND_FP64} is out of range for datatype FP64 (finite values within ±1.7976931348623157e308)`],
  ['income', 'FP32', '-1e400', `inputs[0] (income).data[0]: ${BEYOND_FP64} is out of range for datatype FP32 (finite values within ±3.4028235e38)`],
  ['late_payments', 'INT64', '9007199254740993', `inputs[4] (late_payments).data[0]: ${BEYOND_EXACT} is out of range for datatype INT64 (-9007199254740991..9007199254740991)`],
  ['late_payments', 'INT64', '-9007199254740992', `inputs[4] (late_payments).data[0]: ${BEYOND_EXACT} is out of range for datatype INT64 (-9007199254740991..9007199254740991)`],
  ['late_payments', 'UINT64', '18446744073709551615', `inputs[4] (late_payments).data[0]: ${BEYOND_EXACT} is out of range for datatype UINT64 (0..9007199254740991)`],
  ['late_payments', 'INT32', '1e400', `inputs[4] (late_payments).data[0]: ${BEYOND_EXACT} is out of range for datatype INT32 (-2147483648..2147483647)`],
  ['late_payments', 'INT32', '2147483648', 'inputs[4] (late_payments).data[0]: 2147483648 is out of range for datatype INT32 (-2147483648..2147483647)'],
  ['late_payments', 'INT8', '128', 'inputs[4] (late_payments).data[0]: 128 is out of range for datatype INT8 (-128..127)'],
  ['late_payments', 'UINT8', '256', 'inputs[4] (late_payments).data[0]: 256 is out of range for datatype UINT8 (0..255)'],
  ['late_payments', 'UINT16', '-1', 'inputs[4] (late_payments).data[0]: -1 is out of range for datatype UINT16 (0..65535)'],
];

/** Values at the edge of their datatype's range, accepted (3.4028235e38 is how numpy prints float32's largest value). */
export const IN_RANGE: [string, string, string][] = [
  ['income', 'FP32', '3.4028235e38'],
  ['income', 'FP32', '-3.4028235e38'],
  ['income', 'FP16', '65504'],
  ['income', 'FP16', '65519'],
  ['income', 'FP64', '1.7976931348623157e308'],
  ['late_payments', 'INT64', '9007199254740991'],
  ['late_payments', 'UINT64', '9007199254740991'],
  ['late_payments', 'INT32', '2147483647'],
  ['late_payments', 'UINT8', '255'],
];

/** The raw-tensor form of one applicant with `parameters.content_type` on the request (unless undefined) and on the inputs named. */
export function contentTyped(request: unknown, inputs: Record<string, unknown>, id?: string): Record<string, unknown> {
  const body = tensorRequest([applicant(0)], id) as { parameters?: unknown; inputs: { name: string; parameters?: unknown }[] };
  if (request !== undefined) body.parameters = { content_type: request };
  for (const inp of body.inputs) if (inp.name in inputs) inp.parameters = { content_type: inputs[inp.name] };
  return body;
}

const ON_INPUT = ' on an input: "np" (the tensor as sent), "str" (BYTES as UTF-8 text) or "json" (the one BYTES input of JSON rows)';
const ON_REQUEST = ' on the request: "pd" or "np" (the inputs as tensors: one per column, or one [N, F] matrix) or "json" (one BYTES input of JSON rows)';

/** content_type values that mean what the decoder does: [on the request, on inputs], read as the plain request is. */
export const CONTENT_TYPE_OK: [unknown, Record<string, unknown>][] = [
  ['pd', {}],
  ['np', {}],
  [undefined, { income: 'np', late_payments: 'np', has_cosigner: 'np', region: 'str', home_ownership: 'str', purpose: 'str', sex: 'str', age_band: 'np' }],
  ['pd', { region: 'str', debt_ratio: 'np' }],
];

/** content_type values the decoder does not read, and the 400 each gets: [on the request, on inputs, message]. */
export const CONTENT_TYPE_REFUSED: [unknown, Record<string, unknown>, string][] = [
  [undefined, { region: 'base64' }, `inputs[8] (region).parameters.content_type: "base64" is not supported (BYTES elements are read as UTF-8 text, never base64-decoded: send the text itself);${ON_INPUT}`],
  [undefined, { region: 'datetime' }, `inputs[8] (region).parameters.content_type: "datetime" is not supported (values are never parsed as dates: send a date as BYTES text);${ON_INPUT}`],
  [undefined, { income: 'pd' }, `inputs[0] (income).parameters.content_type: "pd" is not supported (it marks a whole request: put it in the request's parameters);${ON_INPUT}`],
  [undefined, { purpose: 'image/png' }, `inputs[10] (purpose).parameters.content_type: "image/png" is not supported;${ON_INPUT}`],
  [undefined, { income: 'str' }, 'inputs[0] (income).parameters.content_type: "str" is for BYTES inputs, got datatype FP64'],
  [undefined, { income: 5 }, 'inputs[0] (income).parameters.content_type: expected a string, got number 5'],
  [undefined, { income: 'json' }, 'inputs[0] (income).parameters.content_type: "json" marks the one BYTES input of JSON rows, but the request has 14 inputs'],
  ['base64', {}, `parameters.content_type: "base64" is not supported (BYTES elements are read as UTF-8 text, never base64-decoded: send the text itself);${ON_REQUEST}`],
  ['str', {}, `parameters.content_type: "str" is not supported (it marks a BYTES input: put it in that input's parameters);${ON_REQUEST}`],
  ['x'.repeat(40), {}, `parameters.content_type: "${'x'.repeat(30)}…" is not supported;${ON_REQUEST}`],
  [null, {}, 'parameters.content_type: expected a string, got null'],
];
