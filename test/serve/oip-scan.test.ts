/**
 * The byte scanner (scanRequest) against the reference path, JSON.parse + decodeRequest: on the common
 * request, on thousands of seeded mutations serialised with varied whitespace and number spellings, and on
 * byte-level damage (escapes, non-ASCII, invalid UTF-8, truncation, duplicate keys, bad JSON numbers),
 * scanRequest either declines (undefined) or returns exactly the reference's result; it never accepts a body
 * the reference rejects, so every malformed request still gets the precise message.
 */
import { describe, expect, it } from 'vitest';
import { decodeRequest } from '../../src/serve/oip-decode.js';
import { scanLearnedLayout, scanRequest } from '../../src/serve/oip-scan.js';
import { applicant, CONTENT_TYPE_OK, CONTENT_TYPE_REFUSED, contentTyped, IN_RANGE, jsonRowsRequest, OUT_OF_RANGE, tensorRequest, tensorText } from './client.js';
import { ctx, mutate, pick, rng } from './mutations.js';

type Reference = { ok: unknown } | { error: string };

function reference(bytes: Buffer): Reference {
  try {
    return { ok: decodeRequest(JSON.parse(bytes.toString('utf8')), ctx) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Checks the contract on one body; returns whether the scanner accepted it. */
function agree(bytes: Buffer): boolean {
  const want = reference(bytes);
  const got = scanRequest(bytes, ctx);
  if ('error' in want) {
    expect(got, `the reference rejects (${want.error}) but the scanner accepted ${bytes.toString('utf8').slice(0, 300)}`).toBeUndefined();
    return false;
  }
  if (got === undefined) return false;
  // toStrictEqual tells -0 from 0 and undefined keys from missing ones
  expect(got, bytes.toString('utf8').slice(0, 300)).toStrictEqual(want.ok);
  return true;
}

/** JSON text with random (legal) whitespace between tokens. */
function spaced(value: unknown): string {
  const ws = () => pick(['', '', '', ' ', '\n', '\t', '\r\n  ']);
  const enc = (v: unknown): string => {
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => `${ws()}${enc(x)}${ws()}`).join(',')}${ws()}]`;
    if (v !== null && typeof v === 'object') return `{${ws()}${Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${enc(x)}${ws()}`).join(',')}${ws()}}`;
    return JSON.stringify(v) ?? 'null';
  };
  return `${ws()}${enc(value)}${ws()}`;
}

describe('scanRequest (decoding from the bytes)', () => {
  it('decodes the common request exactly as JSON.parse + decodeRequest do', () => {
    for (const rows of [[applicant(0)], [applicant(1), applicant(2), applicant(3)]]) {
      for (const id of [undefined, 'req-1']) {
        const bytes = Buffer.from(JSON.stringify(tensorRequest(rows, id)));
        expect(agree(bytes)).toBe(true);
      }
    }
  });

  it('declines the other forms (named columns, matrix, outputs, parameters) and leaves them to the general path', () => {
    const declined = (v: unknown) => expect(scanRequest(Buffer.from(JSON.stringify(v)), ctx)).toBeUndefined();
    declined(jsonRowsRequest([applicant(0)]));
    declined({ inputs: [{ name: 'x', shape: [1, 12], datatype: 'FP64', data: Array(12).fill(1) }] });
    declined({ ...tensorRequest([applicant(0)]), outputs: [{ name: 'label' }] });
    declined({ ...tensorRequest([applicant(0)]), parameters: {} });
    // parameters.content_type, accepted or refused, is the general path's to read
    for (const [request, inputs] of [...CONTENT_TYPE_OK, ...CONTENT_TYPE_REFUSED]) declined(contentTyped(request, inputs));
  });

  it('on 4,000 seeded mutations with varied whitespace: never accepts what the reference rejects, and agrees where it accepts', () => {
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      let body = tensorRequest(rng.nextInt(2) ? [applicant(i)] : [applicant(i), applicant(i + 1)], rng.nextInt(3) ? undefined : `r-${i}`);
      for (let k = rng.nextInt(3); k > 0; k--) body = mutate(body);
      const bytes = Buffer.from(rng.nextInt(2) ? JSON.stringify(body) : spaced(body));
      if ('error' in reference(bytes)) rejected++;
      if (agree(bytes)) accepted++;
    }
    expect(rejected).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(1000);
  });

  it('reads every JSON number spelling as JSON.parse does (exponents, -0, long mantissas) and declines invalid ones', () => {
    const valid = ['0', '-0', '0.0', '-0.0', '1', '42000', '0.35', '1e3', '1E+2', '2.5e-7', '-12.75', '123456789012345', '1234567890123456789', '0.1234567890123456789', '9007199254740993', '1.7976931348623157e308', '5e-324', '0.30000000000000004'];
    for (let k = 0; k < 2000; k++) {
      const x = (rng.nextDouble() - 0.5) * 10 ** (rng.nextInt(40) - 20);
      valid.push(String(x), x.toFixed(rng.nextInt(12)), x.toPrecision(1 + rng.nextInt(20)), x.toExponential(rng.nextInt(16)));
    }
    const text = (num: string) => JSON.stringify(tensorRequest([applicant(0)])).replace('"data":[0.35]', `"data":[${num}]`);
    let read = 0;
    for (const num of valid) {
      const bytes = Buffer.from(text(num));
      const got = scanRequest(bytes, ctx);
      expect(got, num).toBeDefined();
      expect(Object.is(got!.rows[0].debt_ratio, JSON.parse(num)), `${num}: scanned ${got!.rows[0].debt_ratio}, JSON.parse ${JSON.parse(num)}`).toBe(true);
      read++;
    }
    expect(read).toBeGreaterThan(8000);
    // past FP64's range: JSON.parse reads Infinity; both paths refuse it for datatype FP64
    for (const huge of ['1e400', '-1e400', '1.8e308']) {
      expect(agree(Buffer.from(text(huge))), huge).toBe(false);
      expect(reference(Buffer.from(text(huge))), huge).toMatchObject({ error: expect.stringMatching(/read as Infinity\) is out of range for datatype FP64/) as unknown });
    }
    for (const bad of ['01', '1.', '.5', '+1', '-', '1e', '1e+', '0x10', 'NaN', 'Infinity', '- 1', '1..2', '1e5.5']) {
      expect(agree(Buffer.from(text(bad))), bad).toBe(false);
      expect('error' in reference(Buffer.from(text(bad))), bad).toBe(true);
    }
  });

  it("declines values past their datatype's range, from a full scan and through a learned layout, and the reference names them", () => {
    for (const [name, datatype, raw, message] of OUT_OF_RANGE) {
      // the layout of this datatype learned from a value in range, then the same layout with the value past it
      const inRange = datatype.startsWith('FP') ? '1' : '2';
      expect(scanRequest(Buffer.from(tensorText(name, datatype, inRange, 'r-1')), ctx), `${datatype} ${inRange}`).toBeDefined();
      expect(scanLearnedLayout(Buffer.from(tensorText(name, datatype, inRange, 'r-3')), ctx), 'the layout was learned').toBeDefined();
      const bytes = Buffer.from(tensorText(name, datatype, raw, 'r-2'));
      expect(scanLearnedLayout(bytes, ctx), `${datatype} ${raw} through the layout`).toBeUndefined();
      expect(scanRequest(bytes, ctx), `${datatype} ${raw}`).toBeUndefined();
      expect(reference(bytes)).toEqual({ error: message });
    }
    for (const [name, datatype, raw] of IN_RANGE) {
      const bytes = Buffer.from(tensorText(name, datatype, raw));
      expect(agree(bytes), `${datatype} ${raw}`).toBe(true);
      expect(scanRequest(bytes, ctx)!.rows[0][name]).toBe(Number(raw));
    }
  });

  it('a learned layout reads every value token as the reference does, and hands every other body to the full scan', () => {
    // the layout of a two-row request with an id, learned by a full scan
    const rows = [applicant(0), applicant(1)];
    const template = tensorRequest(rows, 'req-0') as { id: string; inputs: { data: unknown[] }[] };
    expect(agree(Buffer.from(JSON.stringify(template)))).toBe(true);
    // the same layout with other value tokens: each data value and the id replaced by a marker, then by a raw token
    const marked = structuredClone(template);
    marked.id = '\u0000ID';
    let slots = 0;
    for (const input of marked.inputs) input.data = input.data.map(() => `\u0000V${slots++}`);
    const shape = JSON.stringify(marked);
    const tokens = ['0', '-0', '1', '3', '42000', '0.35', '1e3', '-2.5E-3', '1234567890123456789', '0.1000000000000000055511151231257827', '9007199254740993', '1e400', '01', '1.', '-', '"north"', '"south"', '"Zürich"', '"no\\u0074rth"', '""', '"a\tb"', 'true', 'false', 'null', 'nul', '[1]', '{}', '"', ''];
    const ids = ['"req-1"', '"r\\u00e9q"', '"réq-✓"', '""', '5', 'null'];
    let viaLayout = 0;
    let valid = 0;
    for (let k = 0; k < 3000; k++) {
      let text = shape.replace('"\\u0000ID"', rng.nextInt(3) ? `"req-${k}"` : pick(ids));
      // mostly the template's own values with a few replaced: bodies the reference accepts, and near misses
      for (let i = 0; i < slots; i++) {
        const own = JSON.stringify(template.inputs.flatMap((input) => input.data)[i]);
        text = text.replace(`"\\u0000V${i}"`, rng.nextInt(30) ? own : pick(tokens));
      }
      const bytes = Buffer.from(text);
      const want = reference(bytes);
      const got = scanLearnedLayout(bytes, ctx);
      if ('error' in want) expect(got, `the reference rejects (${want.error}) but the layout accepted ${text.slice(0, 300)}`).toBeUndefined();
      else {
        valid++;
        if (got) expect(got, text.slice(0, 300)).toStrictEqual(want.ok);
      }
      if (got) viaLayout++;
      expect(agree(bytes)).toBe(got !== undefined || ('ok' in want && scanRequest(bytes, ctx) !== undefined));
    }
    expect(valid).toBeGreaterThan(300);
    // every valid body of the learned layout without escapes is read through it
    expect(viaLayout).toBeGreaterThan(valid * 0.6);
    // one byte changed anywhere (literal or value): read exactly as the reference does, or handed on
    const base = Buffer.from(JSON.stringify(template));
    let damaged = 0;
    for (let at = 0; at < base.length; at++) {
      for (const ch of ' 0"a,]}:9-.') {
        if (base[at] === ch.charCodeAt(0)) continue;
        const bytes = Buffer.from(base);
        bytes[at] = ch.charCodeAt(0);
        expect(scanLearnedLayout(base, ctx)).toBeDefined(); // the layout is still the template's
        const want = reference(bytes);
        const got = scanLearnedLayout(bytes, ctx);
        if (got) damaged++;
        if ('error' in want) expect(got, `the reference rejects (${want.error}) but the layout accepted ${bytes.toString()}`).toBeUndefined();
        else if (got) expect(got, bytes.toString()).toStrictEqual(want.ok);
      }
    }
    expect(damaged).toBeGreaterThan(100); // value digits changed: still this layout
    // any other layout is not: other spacing, another row count, no id, other keys order
    const other = [JSON.stringify(template).replace('"inputs":', '"inputs" :'), JSON.stringify(tensorRequest([applicant(0)], 'req-0')), JSON.stringify(tensorRequest(rows)), JSON.stringify({ inputs: template.inputs, id: 'req-0' })];
    expect(scanLearnedLayout(Buffer.from(JSON.stringify(template)), ctx)).toBeDefined();
    for (const o of other) expect(scanLearnedLayout(Buffer.from(o), ctx), o.slice(0, 60)).toBeUndefined();
  });

  it('byte-level damage: escapes, non-ASCII, invalid UTF-8, control characters, duplicate keys, truncation, trailing bytes', () => {
    const base = JSON.stringify(tensorRequest([applicant(0)], 'req-7'));
    const cases: (string | Buffer)[] = [
      base.replace('"north"', '"nor\\u0074h"'), // an escape: declined, same value either way
      base.replace('"north"', '"Zürich"'), // non-ASCII UTF-8 category
      base.replace('"req-7"', '"réq-✓"'),
      base.replace('"income"', '"inc\\u006fme"'),
      base.replace('"north"', '"no\trth"'), // a raw control character: invalid JSON
      base.replace('"id":"req-7"', '"id":"a","id":"b"'), // duplicate key: JSON.parse keeps the last
      base.replace('"shape":[1]', '"shape":[1],"shape":[1]'),
      base.replace('{"inputs"', '{"__proto__":1,"inputs"'),
      base.replace('"FP64"', '"FP6\\u0034"'),
      base.replace('"inputs"', '"inputs" '),
      `\ufeff${base}`, // a byte order mark: JSON.parse refuses it
      base.slice(0, base.length - 1),
      base.slice(0, 200),
      `${base}x`,
      `${base} \n`,
      base.replace('[42000]', '[42000,]'),
      base.replace('[42000]', '[[42000]]'),
      base.replace('[42000]', '[true]'),
      base.replace('"data":[0.35]', '"data":[null]'),
      base.replace('"data":[6.5]', '"data":[null]'), // employment_years is nullable here
      base.replace('"data":["north"]', '"data":[null]'),
      base.replace('false', 'fals'),
      base.replace('false', 'nul'),
      Buffer.concat([Buffer.from(base.slice(0, base.indexOf('north'))), Buffer.from([0xff, 0xfe]), Buffer.from(base.slice(base.indexOf('north') + 5))]),
      Buffer.concat([Buffer.from(base.slice(0, base.indexOf('north'))), Buffer.from([0xc3]), Buffer.from(base.slice(base.indexOf('north') + 5))]),
      '',
      '   ',
      '[]',
      '{}',
      'null',
    ];
    let accepted = 0;
    for (const c of cases) if (agree(Buffer.isBuffer(c) ? c : Buffer.from(c))) accepted++;
    expect(accepted).toBeGreaterThanOrEqual(4);
    // valid UTF-8 and legal whitespace stay on the fast path (and were checked equal above)
    for (const c of [cases[1], cases[2], cases[9], cases[14]]) expect(scanRequest(Buffer.from(c as string), ctx), String(c).slice(0, 80)).toBeDefined();
  });
});
