/**
 * Seeded mutations of the common OIP request, shared by the hot-path decoder tests (decode-fast, oip-scan):
 * wrong types, shapes, names, nulls, extra fields, other forms.
 */
import { readFileSync } from 'node:fs';
import { Prng } from '../../src/evaluate/prng.js';
import type { DecodeContext } from '../../src/serve/oip-columns.js';
import { decodeFull } from '../../src/serve/oip-decode.js';
import type { RowSchema } from '../../src/spec/types.js';

export const contract = JSON.parse(readFileSync('models/credit-risk/schema.json', 'utf8')) as RowSchema;
// one nullable column, as a contract may have
contract.properties.employment_years = { ...contract.properties.employment_years, type: ['number', 'null'] };
export const ctx: DecodeContext = {
  features: ['income', 'debt_ratio', 'credit_lines', 'utilization', 'late_payments', 'employment_years', 'loan_amount', 'term_months', 'region', 'home_ownership', 'purpose', 'has_cosigner'],
  extra: ['sex', 'age_band', 'id'],
  contract,
};

export function full(body: unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: decodeFull(body, ctx) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export const rng = new Prng(3);
export const pick = <T>(xs: T[]): T => xs[rng.nextInt(xs.length)];
const ODD_VALUES: unknown[] = [null, 1, 1.5, -3, 2 ** 40, 'x', '', true, false, [], [1], {}, 300, -1];

/** One random change to a valid request. */
export function mutate(body: Record<string, unknown>): Record<string, unknown> {
  const b = structuredClone(body) as { inputs: Record<string, unknown>[] } & Record<string, unknown>;
  if (!Array.isArray(b.inputs) || !b.inputs.length) return b;
  const inp = b.inputs[rng.nextInt(b.inputs.length)];
  if (typeof inp !== 'object' || inp === null) return b;
  switch (rng.nextInt(14)) {
    case 0: if (Array.isArray(inp.data)) (inp.data as unknown[])[0] = pick(ODD_VALUES); break;
    case 1: inp.datatype = pick(['FP32', 'INT8', 'INT32', 'UINT8', 'BYTES', 'BOOL', 'FP64', 'INT64', 'STRING', 7]); break;
    case 2: inp.shape = pick([[1, 1], [2], [0], [1, 2], [], [-1], ['1'], 1, [1.5]]); break;
    case 3: inp.name = pick(['nope', 'sex', 'id', '', 3, 'income']); break;
    case 4: b.inputs.splice(rng.nextInt(b.inputs.length), 1); break;
    case 5: inp.parameters = pick([{}, { content_type: 'json' }, 'x']); break;
    case 6: b.parameters = pick([{}, { content_type: 'json' }, null]); break;
    case 7: b.id = pick(['r-1', 7, null, '']); break;
    case 8: b.outputs = pick([[{ name: 'label' }], [{ name: 3 }], 'label', [], [{}]]); break;
    case 9: inp.data = pick([[[Array.isArray(inp.data) ? inp.data[0] : 1]], [], 'x', [1, 2]]); break;
    case 10: delete inp[pick(['name', 'shape', 'datatype', 'data'])]; break;
    case 11: b.inputs.push(structuredClone(inp)); break;
    case 12: inp.extra = 1; break;
    default: b.inputs = pick([[], 'x', null, [null], [1]]) as never;
  }
  return b;
}
