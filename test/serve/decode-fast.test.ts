/**
 * The hot-path decoder (decodeFast) against the general one (decodeFull): on the common request and on
 * hundreds of seeded mutations of it (wrong types, shapes, names, nulls, extra fields, other forms),
 * decodeFast either declines (undefined) or returns exactly decodeFull's rows; it never accepts a
 * request that decodeFull rejects, so every malformed request still gets decodeFull's precise message.
 */
import { describe, expect, it } from 'vitest';
import { decodeFast, decodeFull, decodeRequest } from '../../src/serve/oip-decode.js';
import { applicant, CONTENT_TYPE_OK, CONTENT_TYPE_REFUSED, contentTyped, IN_RANGE, jsonRowsRequest, OUT_OF_RANGE, tensorRequest, tensorText } from './client.js';
import { ctx, full, mutate, rng } from './mutations.js';
import type { DecodeContext } from '../../src/serve/oip-columns.js';
import type { RowSchema } from '../../src/spec/types.js';

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

  it("declines values past their datatype's range (FP16/FP32 overflow to Infinity, integers past 2^53 − 1), which decodeFull refuses by name", () => {
    for (const [name, datatype, raw, message] of OUT_OF_RANGE) {
      const body = JSON.parse(tensorText(name, datatype, raw)) as unknown;
      expect(decodeFast(body, ctx), `${datatype} ${raw}`).toBeUndefined();
      expect(() => decodeFull(body, ctx)).toThrow(message);
      expect(() => decodeRequest(body, ctx)).toThrow(message);
    }
    for (const [name, datatype, raw] of IN_RANGE) {
      const body = JSON.parse(tensorText(name, datatype, raw)) as unknown;
      const fast = decodeFast(body, ctx);
      expect(fast, `${datatype} ${raw}`).toBeDefined();
      expect(fast).toEqual(decodeFull(body, ctx));
      expect(fast!.rows[0][name]).toBe(Number(raw));
    }
  });

  it('parameters.content_type: declined here; decodeFull reads the values that mean what it does, and refuses the others by name', () => {
    const plain = decodeFull(tensorRequest([applicant(0)]), ctx);
    for (const [request, inputs] of CONTENT_TYPE_OK) {
      const body = contentTyped(request, inputs);
      expect(decodeFast(body, ctx)).toBeUndefined();
      expect(decodeRequest(body, ctx), JSON.stringify([request, inputs])).toEqual(plain);
    }
    for (const [request, inputs, message] of CONTENT_TYPE_REFUSED) {
      const body = contentTyped(request, inputs);
      expect(decodeFast(body, ctx)).toBeUndefined();
      expect(() => decodeRequest(body, ctx)).toThrow(message);
    }
    // JSON rows: a number past FP64's range (read as Infinity) is refused there too
    const rows = { inputs: [{ name: 'rows', shape: [1], datatype: 'BYTES', parameters: { content_type: 'json' }, data: [JSON.stringify(applicant(0)).replace('"income":42000', '"income":-1e400')] }] };
    expect(() => decodeRequest(rows, ctx)).toThrow('inputs[0] (rows).data[0].income: a number beyond ±1.7976931348623157e308 (read as Infinity) is out of range (finite values within ±1.7976931348623157e308)');
  });

  it('a null in a nullable column is read as null whatever its datatype (BYTES and BOOL too, as JSON rows read it), refused by name in any other', () => {
    const nullable = structuredClone(ctx);
    for (const c of ['region', 'has_cosigner']) nullable.contract.properties[c] = { ...nullable.contract.properties[c], type: [nullable.contract.properties[c].type as string, 'null'] };
    expect(nullable.contract.properties.employment_years.type).toEqual(['number', 'null']);
    const body = tensorRequest([applicant(0), applicant(1)]) as { inputs: { name: string; data: unknown[] }[] };
    for (const i of body.inputs) if (['region', 'has_cosigner', 'employment_years'].includes(i.name)) i.data[1] = null;
    const rows = decodeRequest(body, nullable).rows;
    expect([rows[1].region, rows[1].has_cosigner, rows[1].employment_years]).toEqual([null, null, null]);
    expect(rows[0].region).toBe('north');
    // the same rows as the JSON rows form gives them
    const asJson = jsonRowsRequest([applicant(0), { ...applicant(1), region: null, has_cosigner: null, employment_years: null }]);
    expect(decodeRequest(asJson, nullable).rows).toEqual(rows);
    // where the contract has no null: the column named
    const strict = tensorRequest([applicant(0)]) as { inputs: { name: string; data: unknown[] }[] };
    strict.inputs.find((i) => i.name === 'purpose')!.data[0] = null;
    expect(() => decodeRequest(strict, nullable)).toThrow("inputs[10] (purpose).data[0]: column 'purpose' is not nullable in the data contract, got null");
    // JSON rows are text: a null row is not one
    const nullRow = jsonRowsRequest([applicant(0)]) as { inputs: { data: unknown[] }[] };
    nullRow.inputs[0].data[0] = null;
    expect(() => decodeRequest(nullRow, nullable)).toThrow('inputs[0] (rows).data[0]: expected a string (one row as JSON text), got null');
  });

  it('an empty outputs list asks for every output, as an absent one does (Triton and KServe read it so), in either decoder', () => {
    const body = { ...tensorRequest([applicant(0)]), outputs: [] };
    expect(decodeFast(body, ctx)!.outputs).toBeUndefined();
    expect(decodeFull(body, ctx).outputs).toBeUndefined();
    expect(decodeFull(jsonRowsRequest([applicant(0)]), ctx).outputs).toBeUndefined();
    expect(decodeFull({ ...jsonRowsRequest([applicant(0)]), outputs: [] }, ctx).outputs).toBeUndefined();
    expect(decodeFast({ ...tensorRequest([applicant(0)]), outputs: [{ name: 'label' }] }, ctx)!.outputs).toEqual(['label']);
  });

  it('a [N, F] matrix: a null is read as null only in a nullable feature, refused by name in the others (it reached the model as NaN)', () => {
    const numeric: DecodeContext = { features: ['a', 'b'], extra: [], contract: { type: 'object', properties: { a: { type: 'number' }, b: { type: ['number', 'null'] } } } as RowSchema };
    const matrix = (data: unknown[]) => ({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP64', data }] });
    expect(decodeRequest(matrix([1, null, 3, 4]), numeric).rows).toEqual([{ a: 1, b: null }, { a: 3, b: 4 }]);
    expect(() => decodeRequest(matrix([1, 2, null, 4]), numeric)).toThrow("inputs[0] (x).data: row 1, feature 'a' (column 0): not nullable in the data contract, got null");
    expect(() => decodeRequest({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP64', data: [[1, 2], [null, 4]] }] }, numeric)).toThrow("row 1, feature 'a' (column 0): not nullable");
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
