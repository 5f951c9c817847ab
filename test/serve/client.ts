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
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
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
