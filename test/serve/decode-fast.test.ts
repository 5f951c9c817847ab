/**
 * The hot-path decoder (decodeFast) against the general one (decodeFull): on the common request and on
 * hundreds of seeded mutations of it (wrong types, shapes, names, nulls, extra fields, other forms),
 * decodeFast either declines (undefined) or returns exactly decodeFull's rows; it never accepts a
 * request that decodeFull rejects, so every malformed request still gets decodeFull's precise message.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/evaluate/prng.js';
import { decodeFast, decodeFull, decodeRequest, type DecodeContext } from '../../src/serve/oip-decode.js';
import type { RowSchema } from '../../src/spec/types.js';
import { applicant, jsonRowsRequest, tensorRequest } from './client.js';

const contract = JSON.parse(readFileSync('models/credit-risk/schema.json', 'utf8')) as RowSchema;
// one nullable column, as a contract may have
contract.properties.employment_years = { ...contract.properties.employment_years, type: ['number', 'null'] };
const ctx: DecodeContext = {
  features: ['income', 'debt_ratio', 'credit_lines', 'utilization', 'late_payments', 'employment_years', 'loan_amount', 'term_months', 'region', 'home_ownership', 'purpose', 'has_cosigner'],
  extra: ['sex', 'age_band', 'id'],
  contract,
};

function full(body: unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: decodeFull(body, ctx) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const rng = new Prng(3);
const pick = <T>(xs: T[]): T => xs[rng.nextInt(xs.length)];
const ODD_VALUES: unknown[] = [null, 1, 1.5, -3, 2 ** 40, 'x', '', true, false, [], [1], {}, 300, -1];

/** One random change to a valid request. */
function mutate(body: Record<string, unknown>): Record<string, unknown> {
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

describe('decodeFast (the hot path)', () => {
  it('decodes the common request as decodeFull does', () => {
    for (const rows of [[applicant(0)], [applicant(1), applicant(2), applicant(3)]]) {
      const body = tensorRequest(rows, 'req-1');
      const fast = decodeFast(body, ctx);
      expect(fast).toBeDefined();
      expect(fast).toEqual(decodeFull(body, ctx));
      expect(decodeRequest(body, ctx)).toEqual(fast);
    }
  });

  it('declines other forms (named columns, matrix) and leaves them to decodeFull', () => {
    expect(decodeFast(jsonRowsRequest([applicant(0)]), ctx)).toBeUndefined();
    const matrix = { inputs: [{ name: 'x', shape: [1, 12], datatype: 'FP64', data: Array(12).fill(1) }] };
    expect(decodeFast(matrix, ctx)).toBeUndefined();
  });

  it('on 3,000 seeded mutations: never accepts what decodeFull rejects, and agrees where it accepts', () => {
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      let body = tensorRequest(rng.nextInt(2) ? [applicant(i)] : [applicant(i), applicant(i + 1)]);
      for (let k = 1 + rng.nextInt(2); k > 0; k--) body = mutate(body);
      const want = full(body);
      const fast = decodeFast(body, ctx);
      if ('error' in want) {
        rejected++;
        expect(fast, `decodeFull rejects (${want.error}) but decodeFast accepted ${JSON.stringify(body)}`).toBeUndefined();
        expect(() => decodeRequest(body, ctx)).toThrow(want.error);
      } else if (fast) {
        accepted++;
        expect(fast).toEqual(want.ok);
      }
    }
    expect(rejected).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(100);
  });
});
